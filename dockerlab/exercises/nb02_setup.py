"""Exercises of notebook 02-setup: the whole chain works, and files written as yourself.

``02.first-container``  the CLI plugins the course needs are there (buildx, Compose v2 or later), and the
                        learner ran ``hello-world`` as ``hello-<session>`` *without* ``--rm``, so the
                        check can see that it finished with exit code 0 and printed the greeting.
``02.as-your-user``     a container named ``writer-<session>`` wrote ``mine.txt`` into the lesson's
                        ``shared`` folder (a bind mount) running as the notebook's own user
                        (``--user UID:GID``; uid 1000 when the notebook runs as root), so the file
                        belongs to that user, not to root.
"""

from __future__ import annotations

import os

from dockerlab.engine import dockercli
from dockerlab.checks import block, containers, exercise, prerequisite
from dockerlab.checks.blocks import show

HELLO_IMAGE = "hello-world:latest"
GREETING = "Hello from Docker!"
SHARED_DIR = "shared"
WRITER_FILE = "mine.txt"


@block(lambda name, label: f"the docker CLI has the {label} plugin (docker {name})")
def has_plugin(name: str, label: str):
    """``docker NAME version`` answers: the CLI plugin is installed where the CLI finds it."""
    if dockercli.plugin_version(name):
        return None
    return (
        f"`docker {name}` is not available, and later lessons need it. Install it: on Linux run "
        "`bash scripts/ensure-engine.sh` from the course folder; Docker Desktop includes it"
    )


@exercise(
    "02.first-container",
    title="Run hello-world and keep the container",
    hints=[
        "docker run --name NAME IMAGE runs a container and keeps it after it exits (no --rm).",
        "Use the name from the cell: it ends in your session id, so it never collides with a classmate's.",
        "docker ps -a lists stopped containers too; docker logs NAME shows what one printed.",
    ],
)
def first_container(lesson):
    yield has_plugin("buildx", "BuildKit")
    yield has_plugin("compose", "Compose")
    name = lesson.name("hello")
    yield prerequisite(containers.exists(name))  # the next requirements are about that container
    yield containers.from_image(name, HELLO_IMAGE)
    yield containers.exited(name, 0)
    yield containers.logs_contain(name, GREETING)


#: Who the exercise asks the container to run as when the notebook itself runs as root (JupyterLab
#: in a container or a VM often does): uid 1000, the first ordinary user on most Linux systems.
STAND_IN_USER = (1000, 1000)


def wanted_user() -> tuple[int, int]:
    """(uid, gid) the container must run as: the notebook's own, or :data:`STAND_IN_USER` for root.

    As root, "as yourself" and "as root" would be the same thing and the exercise could not tell
    them apart, so it asks for an ordinary user instead.
    """
    if os.getuid() == 0:
        return STAND_IN_USER
    return os.getuid(), os.getgid()


def you() -> str:
    """``UID:GID`` that ``--user`` must say (see :func:`wanted_user`)."""
    uid, gid = wanted_user()
    return f"{uid}:{gid}"


@block(lambda name: f"the container {name} ran as {you()} (--user), not as root")
def runs_as_you(name: str):
    user = ((containers.get(name).attrs.get("Config") or {}).get("User") or "").strip()
    if user == you():
        return None
    if not user:
        return (
            "the container ran as the image's default user, root (uid 0): no --user was given. "
            f"Add --user {you()}"
        )
    if user == you().split(":")[0]:
        return f"--user {user} sets only the user: the group stays root (gid 0). Give both: --user {you()}"
    if user in ("root", "0", "0:0"):
        return f"--user {user} is root again; use --user {you()}"
    return f"the container ran as {user}, not {you()}: use --user {you()}"


@block(lambda path: f"{show(path)} exists and belongs to {you()}")
def file_is_yours(path):
    if not path.exists():
        return (
            f"there is no {show(path)}. Mount the folder into the container with -v {show(path.parent)}:/shared "
            f"(an absolute path: the cell has it in a variable) and write /shared/{path.name} in the container"
        )
    stat = path.stat()
    owner = f"{stat.st_uid}:{stat.st_gid}"
    if owner == you():
        return None
    if stat.st_uid == 0:
        return f"the file belongs to root ({owner}): a container without --user writes as root. Remove it and run again with --user {you()}"
    return f"the file belongs to {owner}, not to {you()}; remove it and run the container again with --user {you()}"


@exercise(
    "02.as-your-user",
    title="Write a file into a bind mount as yourself, not as root",
    hints=[
        "docker run --name NAME --user UID:GID -v HOST_FOLDER:/shared busybox:1.37 touch /shared/mine.txt",
        "The cell prints the UID:GID to use. In a terminal, your own are $(id -u):$(id -g).",
        "Keep the container (no --rm) so the check can see how it ran; docker rm NAME before running it again.",
    ],
)
def as_your_user(lesson):
    name = lesson.name("writer")
    target = lesson.path(SHARED_DIR, WRITER_FILE)
    yield prerequisite(containers.exists(name))
    yield containers.exited(name, 0)
    yield runs_as_you(name)
    yield file_is_yours(target)


# -- concept questions ---------------------------------------------------------------------------------
from dockerlab.checks.questions import question, right, wrong  # noqa: E402 - the questions go after the exercises

question(
    "02.q-docker-group",
    title="What membership of the docker group grants",
    prompt="A user who is not root is added to the docker group. What can they now do?",
    choices=[
        wrong("Only run containers: the engine decides what a container may touch",
              why="The engine does what the socket asks, and it runs as root: whoever may write to the socket may ask "
                  "for `docker run -v /:/host --privileged ...`, a container with the host's whole file system "
                  "mounted, as root. Running containers is already everything."),
        wrong("Read-only access: they can list containers and images, not change them",
              why="The socket has no read-only mode for group members: the group gets read and write on "
                  "/var/run/docker.sock, and every API call (create, run, delete) goes through that one socket."),
        right("Root-equivalent access to the host, through the engine's socket",
              why="The group may write to the socket of an engine that runs as root, and that engine mounts any host "
                  "folder and starts privileged containers on request: as good as root on the host. (With Podman's "
                  "Docker API the socket belongs to whoever runs the service: its root socket grants the same.)"),
        wrong("Nothing without sudo: each docker command still asks for a password",
              why="The group exists so that its members need no sudo: the CLI talks to the socket directly, "
                  "and no password is ever asked."),
    ],
)

question(
    "02.q-run-as-root",
    title="Who owns a file a container writes into a bind mount",
    prompt="`docker run -v $PWD:/shared busybox touch /shared/x`, with no --user, on a Linux host. Who owns x on the host?",
    choices=[
        wrong("The user who typed the command",
              why="The engine, not the CLI, starts the container, and the image's default user (busybox: root) "
                  "writes the file; the host sees the container's uid as it is, with no translation."),
        right("root (uid 0)",
              why="Without --user the process runs as the image's user, root, and a bind mount shows the host the "
                  "same uid 0. (A rootless engine, e.g. rootless Podman, maps it back to you: not this course's set-up.)"),
        wrong("Nobody: the file disappears when the container is removed",
              why="A bind mount is the host's own folder: what the container writes there stays after the container is gone."),
    ],
)
