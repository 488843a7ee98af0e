"""Fixtures the engine tests share: the engine's kind, a notebook's Lesson, containers under the lesson's names,
images and volumes a test made, images built once a module (the counter app's of notebooks 09 and 10 among them),
a Compose project.

A module names its notebook once, ``pytestmark = [pytest.mark.engine, pytest.mark.lesson("04-running-containers")]``,
and its tests ask for ``lesson``; ``make_lesson(key)`` makes one for any notebook.
"""

from __future__ import annotations

import contextlib
import subprocess
from dataclasses import dataclass, field

import pytest

from dockerlab.engine import kind as enginekind
from dockerlab.exercises import nb09_many_containers
from dockerlab.jupyter.lesson import Lesson
from support import compose, docker, notebook_file, remove, write_files


@pytest.fixture(scope="session")
def kind(docker_client) -> enginekind.EngineKind:
    """The kind of the engine at hand (image store, release line, location, cgroup version, ...): what a test's
    branches follow, so each row of the engine matrix checks its own."""
    return enginekind.current()


@pytest.fixture(scope="session", autouse=True)
def builds_as_the_notebooks_do(kind):
    """On an engine without BuildKit (Podman) ``docker build`` goes to the engine's own builder with
    ``DOCKER_BUILDKIT=0``, as dockerlab.start sets it in a notebook's kernel (jupyter.magics.engine_settings)."""
    if kind.lacks("buildkit") is None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_BUILDKIT", "0")
        yield


@pytest.fixture
def make_lesson(docker_client, tmp_path):
    """``make_lesson(key)``: the notebook's Lesson, its work folder the test's tmp_path; reset after the test,
    as a notebook's last cell resets it (its containers, networks, volumes and session-named images go)."""
    made: list[Lesson] = []

    def make(key: str) -> Lesson:
        lesson = Lesson(key, workdir=tmp_path)
        made.append(lesson)
        return lesson

    try:
        yield make
    finally:
        for lesson in made:
            lesson.reset()


@pytest.fixture
def lesson(request, make_lesson):
    """The Lesson of the notebook named by the test's ``lesson`` marker (usually the module's ``pytestmark``)."""
    marker = request.node.get_closest_marker("lesson")
    if marker is None:
        pytest.fail(f"{request.node.nodeid} asks for `lesson` but no pytest.mark.lesson(KEY) names its notebook")
    return make_lesson(*marker.args)


@pytest.fixture
def container_name(lesson):
    """``container_name(base)``: the lesson's name for a container (``worker-dl3f9a1c``), removed before and after the test."""
    names: list[str] = []

    def name(base: str) -> str:
        full = lesson.name(base)
        remove(full)
        names.append(full)
        return full

    try:
        yield name
    finally:
        if names:
            remove(*names)


@dataclass
class Made:
    """What a test made, by the names (or ids) it made them under."""

    images: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)


@pytest.fixture
def made(docker_client):
    """``made.images`` and ``made.volumes``: what the test made, removed after it (volumes with ``docker volume rm -f``,
    then images with ``docker rmi``, the last made first: an id after the name that moved away from it).

    A lesson's reset also removes what is named after the session; this removes what the test made whatever its
    name, an image no name points to any more included, and serves tests without a lesson. (Containers: see
    ``container_name``.)
    """
    things = Made()
    yield things
    for volume in things.volumes:
        docker("volume", "rm", "-f", volume, check=False)
    for ref in reversed(things.images):
        docker("rmi", ref, check=False)


@pytest.fixture(scope="module")
def build_image(tmp_path_factory, docker_client):
    """``build_image(tag, files)``: an image built from files (name -> text) as ``docker build -q -t TAG`` builds it.

    Built once a module, and asked for again by every test that needs it: each test's lesson reset untags the
    images named after the session, as a notebook's last cell does. A call after the first tags the built image
    again (``docker tag ID TAG``), or, where the engine dropped the untagged image (the containerd image
    store), builds it again from the build cache. After the module the tags go, by name.
    """
    built: dict[str, str] = {}

    def build(tag: str, files: dict[str, str]) -> str:
        if tag in built and docker("tag", built[tag], tag, check=False).returncode == 0:
            return tag
        folder = write_files(tmp_path_factory.mktemp("image"), files)
        built[tag] = docker("build", "-q", "-t", tag, str(folder)).stdout.strip()
        return tag

    yield build
    for tag in built:
        docker("rmi", tag, check=False)


@pytest.fixture
def my_python_app(build_image) -> str:
    """Notebook 04's ``my-python-app-<session>`` (the name its exercises expect for this test process's session),
    built as the notebook builds it."""
    from dockerlab.engine import session as sessions
    from dockerlab.exercises import nb04_running_containers

    return build_image(sessions.current().name(nb04_running_containers.IMAGE), {
        "app.py": 'print("Hello, World from Docker!")\n',
        "Dockerfile": 'FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n',
    })


@pytest.fixture
def counter_image(lesson, build_image, monkeypatch):
    """``counter-app-<session>:1.0``, what notebooks 09 and 10 build and their checks expect in this process's
    session: built from the lesson's notebook's own app.py and Dockerfile, and named in COUNTER_IMAGE as the
    notebook's ``%env`` names it (the compose files say ``image: ${COUNTER_IMAGE}``)."""
    notebook = f"{lesson.key}.ipynb"
    tag = f"{lesson.name(nb09_many_containers.IMAGE)}:{nb09_many_containers.IMAGE_TAG}"
    build_image(tag, {name: notebook_file(notebook, name) for name in ("app.py", "Dockerfile")})
    monkeypatch.setenv("COUNTER_IMAGE", tag)
    return tag


@pytest.fixture
def compose_project(request, tmp_path, course_session):
    """``(folder, name)``: a Compose project for the test's files in its tmp_path, named after the module and the
    session (``claims09-dl3f9a1c`` in test_claims_09.py); after the test ``down -v -t 0 --rmi local`` takes down its
    containers, networks and volumes, and the images its services' ``build:`` made (named by ``image:`` or not;
    not the images it only runs)."""
    name = course_session.name(request.module.__name__.rpartition(".")[2].removeprefix("test_").replace("_", ""))
    try:
        yield tmp_path, name
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            compose(tmp_path, name, "down", "-v", "-t", "0", "--rmi", "local", check=False)
