"""Building blocks about images on the engine (the learner's ``docker build`` results).

    images.exists("web-dl3f9a1c:1.0")                  the tag exists
    images.built_from("web-dl3f9a1c:1.0", "python:3.13-slim")   its layers start with the base's
    images.size_under("web-dl3f9a1c:1.0", "300MB")     its size (as docker images shows it)
    images.user_non_root("web-dl3f9a1c:1.0")           its default user is not root
    images.layers_at_most("web-dl3f9a1c:1.0", 6, base="python:3.13-slim")   layers added
    images.has_label("web-dl3f9a1c:1.0", "org.opencontainers.image.title", "web")
"""

from __future__ import annotations

import re

import docker.errors

from dockerlab import engine
from dockerlab import sizes
from dockerlab.checks.blocks import Unmet, block, typo_of


def _repo(ref: str) -> str:
    last = ref.rsplit("/", 1)[-1]
    return ref.rsplit(":", 1)[0] if ":" in last else ref


#: A session id at the end of an image's name, before its tag: ``greeter-dl3f9a1c``.
_SESSION_SUFFIX = re.compile(r"-(dl[0-9a-f]{6})$")


def _with_tag(ref: str) -> str:
    last = ref.split("@", 1)[0].rsplit("/", 1)[-1]
    return ref if (":" in last or "@" in ref) else ref + ":latest"


def get(ref: str):
    """The image ``ref`` (docker-py ``Image``), or :class:`Unmet` saying what exists instead."""
    client = engine.client()
    try:
        return client.images.get(ref)
    except docker.errors.ImageNotFound:
        raise Unmet(_missing(ref)) from None
    except docker.errors.APIError as exc:
        explanation = str(getattr(exc, "explanation", "") or exc)
        if "invalid reference format" in explanation.lower():
            lowered = " (image names must be lower case)" if ref != ref.lower() else ""
            raise Unmet(f"{ref!r} is not a valid image name{lowered}") from None
        raise


def _missing(ref: str) -> str:
    client = engine.client()
    repo = _repo(ref)
    tags = sorted({t for image in client.images.list(name=repo) for t in image.tags})
    build = f"build it with docker build -t {ref} ."
    if tags:
        shown = ", ".join(tags[:5])
        return f"no image is tagged {_with_tag(ref)}; there is {shown}; {build} (or tag one with docker tag)"
    everything = sorted({t for image in client.api.images() for t in image.get("RepoTags") or [] if t != "<none>:<none>"})
    session = _SESSION_SUFFIX.search(repo)
    if session:
        bare = _with_tag(_SESSION_SUFFIX.sub("", repo) + ref[len(repo):])
        if bare in everything:
            return (
                f"no image is tagged {_with_tag(ref)}, but there is {bare}: the course's image names end in this "
                f"session's id (others may share this engine), so build with -t {ref}"
            )
        # Never point at a classmate's image: leave out names that carry another session's id.
        everything = [t for t in everything if (m := _SESSION_SUFFIX.search(_repo(t))) is None or m.group(1) == session.group(1)]
    close = typo_of(_with_tag(ref), everything)
    near = f" (there is {close}: a typo?)" if close else ""
    return f"no image is tagged {_with_tag(ref)}{near}; {build}"


def _layers(image) -> list[str]:
    return list((image.attrs.get("RootFS") or {}).get("Layers") or [])


@block("the image {ref} exists")
def exists(ref: str):
    get(ref)


@block("the image {ref} is built FROM {base}")
def built_from(ref: str, base: str):
    """The image's layers start with all of ``base``'s layers (what ``FROM base`` produces)."""
    image = get(ref)
    try:
        parent = get(base)
    except Unmet:
        raise Unmet(f"the base image {base} is not on this engine, so dockerlab cannot compare; run dockerlab images ensure") from None
    if image.id == parent.id:
        return f"{ref} is the base image {base} itself (the same image id): it was tagged, not built FROM it with a Dockerfile"
    mine, theirs = _layers(image), _layers(parent)
    if mine[: len(theirs)] == theirs:
        return None
    source = _likely_base(image)
    seems = f"; it seems to be built FROM {source}" if source else ""
    return f"{ref} is not built FROM {base} (its layers do not start with that image's){seems}; write FROM {base} and build again"


def _likely_base(image) -> str | None:
    """The local tagged image with the longest layer list that starts this image's layers.

    Among images with the same layers (a tag, or a build that only set metadata) the likeliest
    parent is one whose label names the image inherited, then the one with fewest labels, then
    the oldest.
    """
    mine = _layers(image)
    my_labels = ((image.attrs.get("Config") or {}).get("Labels") or {}).keys()
    api = engine.client().api
    best, best_key = None, (0, False, 0, 0)
    for summary in api.images():
        tags = [t for t in summary.get("RepoTags") or [] if t != "<none>:<none>"]
        if summary.get("Id") == image.id or not tags:
            continue
        try:
            other = api.inspect_image(summary["Id"])
        except docker.errors.NotFound:
            continue
        theirs = list((other.get("RootFS") or {}).get("Layers") or [])
        their_labels = ((other.get("Config") or {}).get("Labels") or {}).keys()
        key = (len(theirs), their_labels <= my_labels, -len(their_labels), -int(summary.get("Created") or 0))
        if theirs and key > best_key and mine[: len(theirs)] == theirs:
            best, best_key = sorted(tags)[0], key
    return best


@block(lambda ref, limit: f"the image {ref} is smaller than {sizes.decimal(sizes.parse(limit))}")
def size_under(ref: str, limit: int | str):
    """The image's size (as ``docker images`` shows it) is below ``limit`` (bytes, or "300MB")."""
    most = sizes.parse(limit)
    size = int(get(ref).attrs.get("Size") or 0)
    if size < most:
        return None
    return (
        f"{ref} is {sizes.decimal(size)}; the limit is {sizes.decimal(most)}. Start FROM a slim image, install with "
        "--no-install-recommends and delete /var/lib/apt/lists/* in the same RUN, and use pip install --no-cache-dir"
    )


@block("the image {ref} runs as a user other than root")
def user_non_root(ref: str):
    user = ((get(ref).attrs.get("Config") or {}).get("User") or "").strip()
    if not user:
        return f"{ref} has no default user, so its containers run as root; add USER app (after creating the user) to the Dockerfile"
    if user.split(":", 1)[0] in ("root", "0"):
        return f"{ref} runs as {user}, which is root; switch to an unprivileged user with USER app"
    return None


@block(
    lambda ref, most, base=None: f"the image {ref} has at most {most} layer{'s' if most != 1 else ''}"
    + (f" on top of {base}" if base else "")
)
def layers_at_most(ref: str, most: int, base: str | None = None):
    """At most ``most`` filesystem layers (counting only those added on top of ``base`` if given)."""
    image = get(ref)
    layers = _layers(image)
    count, where = len(layers), ""
    if base:
        theirs = _layers(get(base))
        if layers[: len(theirs)] != theirs:
            return f"{ref} is not built FROM {base}, so its own layers cannot be counted"
        count, where = len(layers) - len(theirs), f" on top of {base}"
    if count <= most:
        return None
    return (
        f"{ref} has {count} layers{where}; at most {most} are wanted. Each RUN, COPY and ADD adds one: join "
        "commands that belong together into one RUN with &&"
    )


@block(lambda ref, key, value=None: f"the image {ref} has the label {key}" + (f"={value}" if value is not None else ""))
def has_label(ref: str, key: str, value: str | None = None):
    labels = (get(ref).attrs.get("Config") or {}).get("Labels") or {}
    if key in labels:
        if value is None or labels[key] == value:
            return None
        return f"{ref} has {key}={labels[key]!r}, not {value!r}; write LABEL {key}=\"{value}\""
    wanted = f'LABEL {key}="{value}"' if value is not None else f'LABEL {key}="..."'
    own = [k for k in labels if not k.startswith("org.dockerlab.")]
    close = typo_of(key, own)
    if close:
        return f"{ref} has a label {close} but not {key} (a typo?); write {wanted}"
    if not own:
        return f"{ref} has no labels of its own; add {wanted} to the Dockerfile"
    return f"{ref} has the labels {', '.join(sorted(own))} but not {key}; add {wanted}"
