"""Label keys in the project's reverse-DNS namespace.

Everything the course creates on the engine carries :data:`MANAGED` plus the session and lesson
that made it. Cleanup selects by these labels only, so nothing a learner made outside the
course is ever matched.
"""

NAMESPACE = "org.dockerlab"

MANAGED = f"{NAMESPACE}.managed"
SESSION = f"{NAMESPACE}.session"
LESSON = f"{NAMESPACE}.lesson"
HOST = f"{NAMESPACE}.host"

# Images carry their own keys: a container inherits its image's labels, and must not look like a
# resource of the session that built the image.
IMAGE = f"{NAMESPACE}.image"
IMAGE_SESSION = f"{NAMESPACE}.image.session"
IMAGE_LESSON = f"{NAMESPACE}.image.lesson"

# Images the offline kit built because no registry answered.
STANDIN = f"{NAMESPACE}.standin"
STANDIN_REASON = f"{NAMESPACE}.standin.reason"


def for_resource(session_id: str, host: str, lesson: str | None = None) -> dict[str, str]:
    """The labels a course resource carries.

    Args:
        session_id: The id of the kernel session that creates the resource.
        host: The machine the session runs on; sessions on other hosts are never swept.
        lesson: The lesson (notebook) the resource belongs to, if any.
    """
    labels = {MANAGED: "true", SESSION: session_id, HOST: host}
    if lesson:
        labels[LESSON] = lesson
    return labels


def filter_for(session_id: str | None = None, lesson: str | None = None) -> list[str]:
    """A docker-py ``label`` filter that selects course resources, narrowed as asked."""
    selected = [f"{MANAGED}=true"]
    if session_id:
        selected.append(f"{SESSION}={session_id}")
    if lesson:
        selected.append(f"{LESSON}={lesson}")
    return selected


def for_image(session_id: str, lesson: str | None = None) -> dict[str, str]:
    """The labels of an image the course builds (see the note on IMAGE above)."""
    image_labels = {IMAGE: "true", IMAGE_SESSION: session_id}
    if lesson:
        image_labels[IMAGE_LESSON] = lesson
    return image_labels
