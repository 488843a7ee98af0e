"""Image blocks against images built here (session-named tags, removed afterwards)."""

from __future__ import annotations

import contextlib

import docker.errors
import pytest

from dockerlab.engine import session
from dockerlab import labels
from dockerlab.checks import images
from support import reason

pytestmark = pytest.mark.engine

DOCKERFILES = {
    "good": (
        "FROM python:3.13-slim\n"
        "RUN useradd --create-home app\n"
        "LABEL org.opencontainers.image.title=web\n"
        "USER app\n"
        'CMD ["python3"]\n'
    ),
    "layers": (
        "FROM busybox:1.37\n"
        "RUN echo 1 > /a\n"
        "RUN echo 2 > /b\n"
        "RUN echo 3 > /c\n"
        "LABEL org.opencontainers.image.titel=web\n"
    ),
    "root0": "FROM busybox:1.37\nUSER 0:0\n",
    "rootname": "FROM busybox:1.37\nUSER root\n",
}


@pytest.fixture(scope="module")
def built(docker_client, tmp_path_factory):
    """Tags of the images above, built with the engine's builder; every tag is removed afterwards."""
    s = session.current()
    tags: dict[str, str] = {}
    try:
        for key, text in DOCKERFILES.items():
            folder = tmp_path_factory.mktemp(key)
            (folder / "Dockerfile").write_text(text)
            tag = f"{s.name('chk-' + key)}:1"
            docker_client.images.build(path=str(folder), tag=tag, rm=True, labels=labels.for_image(s.id), pull=False)
            tags[key] = tag
        # An image that is only a new tag of its base: "tagged, not built".
        same = f"{s.name('chk-same')}:1"
        docker_client.images.get("busybox:1.37").tag(same)
        tags["same"] = same
        yield tags
    finally:
        for tag in tags.values():
            with contextlib.suppress(docker.errors.ImageNotFound, docker.errors.APIError):
                docker_client.images.remove(tag, noprune=False)


def test_exists(built):
    assert images.exists(built["good"]).met
    assert images.exists("busybox:1.37").met


def test_exists_wrong(built):
    repo = built["good"].rsplit(":", 1)[0]
    assert f"no image is tagged {repo}:2; there is {repo}:1; build it with docker build -t {repo}:2 ." in reason(images.exists(f"{repo}:2"))
    nope = session.current().name("chk-nope")
    assert f"no image is tagged {nope}:latest; build it" in reason(images.exists(nope))
    assert f"(there is {built['good']}: a typo?)" in reason(images.exists(built["good"].replace("good", "goood")))
    assert "is not a valid image name (image names must be lower case)" in reason(images.exists("Chk-Good:1"))


def test_built_from(built):
    assert images.built_from(built["good"], "python:3.13-slim").met
    assert images.built_from(built["layers"], "busybox:1.37").met


def test_built_from_wrong(built):
    text = reason(images.built_from(built["layers"], "python:3.13-slim"))
    assert f"{built['layers']} is not built FROM python:3.13-slim (its layers do not start with that image's); it seems to be built FROM busybox:1.37" in text
    assert "is the base image busybox:1.37 itself (the same image id): it was tagged, not built" in reason(
        images.built_from(built["same"], "busybox:1.37")
    )
    assert "the base image nosuch-base:9 is not on this engine" in reason(images.built_from(built["good"], "nosuch-base:9"))
    assert "no image is tagged" in reason(images.built_from(session.current().name("chk-nope") + ":1", "busybox:1.37"))


def test_size_under(built):
    assert images.size_under(built["layers"], "50MB").met
    text = reason(images.size_under(built["good"], "100MB"))
    assert text.startswith(f"{built['good']} is ") and "MB; the limit is 100 MB. Start FROM a slim image" in text
    assert "is 2 MB; the limit is 1 MB" in reason(images.size_under(built["layers"], 1_000_000))
    assert "no image is tagged" in reason(images.size_under(session.current().name("chk-nope"), "1GB"))
    assert "not a size" in reason(images.size_under(built["layers"], "big"))


def test_user_non_root(built):
    assert images.user_non_root(built["good"]).met


def test_user_non_root_wrong(built):
    assert "has no default user, so its containers run as root; add USER app" in reason(images.user_non_root(built["layers"]))
    assert "runs as 0:0, which is root" in reason(images.user_non_root(built["root0"]))
    assert "runs as root, which is root" in reason(images.user_non_root(built["rootname"]))


def test_layers_at_most(built):
    assert images.layers_at_most(built["layers"], 3, base="busybox:1.37").met
    assert images.layers_at_most(built["layers"], 5).met


def test_layers_at_most_wrong(built):
    assert "has 3 layers on top of busybox:1.37; at most 2 are wanted. Each RUN, COPY and ADD adds one" in reason(
        images.layers_at_most(built["layers"], 2, base="busybox:1.37")
    )
    assert "has 5 layers; at most 4 are wanted" in reason(images.layers_at_most(built["layers"], 4))
    assert "is not built FROM python:3.13-slim, so its own layers cannot be counted" in reason(
        images.layers_at_most(built["layers"], 9, base="python:3.13-slim")
    )


def test_has_label(built):
    assert images.has_label(built["good"], "org.opencontainers.image.title").met
    assert images.has_label(built["good"], "org.opencontainers.image.title", "web").met


def test_has_label_wrong(built):
    key = "org.opencontainers.image.title"
    assert f"has {key}='web', not 'api'" in reason(images.has_label(built["good"], key, "api"))
    assert f"has a label org.opencontainers.image.titel but not {key} (a typo?)" in reason(images.has_label(built["layers"], key))
    assert "has no labels of its own; add LABEL" in reason(images.has_label(built["root0"], key))
    assert f"has the labels {key} but not org.opencontainers.image.version" in reason(
        images.has_label(built["good"], "org.opencontainers.image.version")
    )
