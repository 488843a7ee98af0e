"""Notebook 03's exercises: real Dockerfiles (parser + hadolint), real builds, a real run.

The right answer passes; each wrong answer a learner is likely to give gets its own reason. Builds
use the tag the exercise expects, ``greeter-<session>`` with this test process's session id (a
notebook running at the same time has a session, and so a tag, of its own); the tag is removed in
``finally``. Last, what the notebook's tidy-up says of ``docker rmi``, which its output cannot show
on a shared engine.
"""

from __future__ import annotations

import uuid

import pytest

from dockerlab import checks, errors
from dockerlab.engine import kind as enginekind
from dockerlab.exercises import nb03_first_image as ex
from dockerlab import exercises
from support import docker, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("03-first-image")]

RIGHT = 'FROM python:3.13-slim\nWORKDIR /app\nCOPY greet.py .\nCMD ["python", "greet.py"]\n'
#: What the notebook's ✍ cell writes as shipped (learner mode).
SKELETON = (
    "# ✍ Your turn: write the Dockerfile for greet.py below these comments, then run this cell.\n"
    "# It needs FROM, WORKDIR, COPY and CMD, like the Dockerfile above.\n"
)


@pytest.fixture(autouse=True)
def app_folder(lesson):
    """The notebook's app folder with its greet.py, where the learner writes the Dockerfile."""
    folder = lesson.path(ex.FOLDER)
    folder.mkdir()
    (folder / ex.SCRIPT).write_text(ex.GREET_PY)
    return folder


def write(lesson, text: str) -> None:
    ex.dockerfile_path(lesson).write_text(text)


# -- 03.dockerfile ------------------------------------------------------------------------------


def test_dockerfile_right_answer_passes(lesson):
    write(lesson, RIGHT)
    res = exercises.run("03.dockerfile", lesson)
    assert res.passed, str(res)


def test_dockerfile_notes_version_also_passes_with_other_comments(lesson):
    write(lesson, "# my image\nFROM python:3.13-slim\n\nWORKDIR /app\n# the script\nCOPY greet.py /app/\nCMD [\"python3\", \"/app/greet.py\"]\n")
    assert exercises.run("03.dockerfile", lesson).passed


def test_dockerfile_as_shipped_says_it_is_empty(lesson):
    write(lesson, SKELETON)
    res = exercises.run("03.dockerfile", lesson)
    assert len(res.requirements) == 1, "one reason, not the same one seven times"
    assert "only comments and no instructions" in res.requirements[0].reason


def test_dockerfile_missing_file(lesson):
    res = exercises.run("03.dockerfile", lesson)
    assert "there is no Dockerfile" in res.requirements[0].reason


def test_dockerfile_python_39_is_end_of_life(lesson):
    write(lesson, RIGHT.replace("3.13", "3.9"))
    res = exercises.run("03.dockerfile", lesson)
    reason = unmet(res, "supported python")
    assert "end of life in October 2025" in reason and "python:3.13-slim" in reason
    assert res.met_count == len(res.requirements) - 1


@pytest.mark.parametrize(
    ("dockerfile", "reasons"),
    [
        pytest.param(RIGHT.replace('CMD ["python", "greet.py"]', "CMD python greet.py"),
                     {"exec form": "shell form", "hadolint": "DL3025"}, id="shell-form-cmd"),
        pytest.param(RIGHT.replace("COPY greet.py .\n", ""), {"copies greet.py": "no COPY names greet.py"}, id="without-copy"),
        pytest.param('FROM python:3.13-slim\nRUN cd /app\nCOPY greet.py /app/\nCMD ["python", "/app/greet.py"]\n',
                     {"working directory": "no WORKDIR", "hadolint": "DL3003"}, id="without-workdir-cd-in-run"),
    ],
)
def test_dockerfile_wrong_answers(lesson, dockerfile, reasons):
    """Each mistake gets its reason (requirement -> words its reason says)."""
    write(lesson, dockerfile)
    res = exercises.run("03.dockerfile", lesson)
    for requirement, words in reasons.items():
        assert words in unmet(res, requirement)


def test_dockerfile_runs_the_examples_app_py(lesson):
    write(lesson, RIGHT.replace('"greet.py"]', '"app.py"]'))
    res = exercises.run("03.dockerfile", lesson)
    assert "the CMD runs app.py, but the script in this folder is greet.py" in unmet(res, "CMD runs greet.py")
    assert res.met_count == len(res.requirements) - 1


# -- 03.build -----------------------------------------------------------------------------------


@pytest.fixture
def tag(lesson):
    """The tag 03.build looks for: ``greeter-<session>``, as the notebook's ``greeter``."""
    name = ex.tag(lesson)
    assert name == lesson.name("greeter")
    try:
        yield name
    finally:
        docker("rmi", name, check=False)


def build(lesson, tag: str, folder=None) -> None:
    docker("build", "-q", "-t", tag, str(folder or lesson.path(ex.FOLDER)))


def test_build_right_answer_passes(lesson, tag):
    write(lesson, RIGHT)
    build(lesson, tag)
    res = exercises.run("03.build", lesson)
    assert res.passed, str(res)
    assert not [c for c in docker("ps", "-aq", "--filter", f"ancestor={tag}").stdout.split()], "the check's run left a container"


def test_build_through_the_helper_as_the_notebook_shows_it(lesson, tag):
    """The notebook's build view builds with the helper: its steps, then every one from the cache."""
    write(lesson, RIGHT)
    first = lesson.build(lesson.path(ex.FOLDER), tag, no_cache=True)
    assert [str(v.step) for v in first.steps] == [
        "[1/3] FROM docker.io/library/python:3.13-slim", "[2/3] WORKDIR /app", "[3/3] COPY greet.py .",
    ]
    assert not first.steps[-1].cached  # (engine 20.10's BuildKit reports the WORKDIR cached even with --no-cache)
    again = lesson.build(lesson.path(ex.FOLDER), tag)
    assert [v.cached for v in again.steps[1:]] == [True, True] and again.image_id == first.image_id
    assert exercises.run("03.build", lesson).passed


def test_build_of_a_broken_dockerfile_names_the_step(lesson, tag):
    write(lesson, RIGHT.replace("COPY greet.py .", "COPY hello.py ."))
    with pytest.raises(errors.BuildFailed) as failed:
        lesson.build(lesson.path(ex.FOLDER), tag)
    assert failed.value.step == "[3/3] COPY hello.py ."
    assert "hello.py" in failed.value.log.splitlines()[-1]  # buildx's own last line says what is missing


def test_build_waits_for_the_dockerfile(lesson, tag):
    write(lesson, SKELETON)
    res = exercises.run("03.build", lesson)
    assert len(res.requirements) == 1
    assert "finish the Dockerfile (exercise 03.dockerfile) first" in res.requirements[0].reason
    assert "only comments and no instructions" in res.requirements[0].reason


def test_build_not_built_yet(lesson, tag):
    write(lesson, RIGHT)
    res = exercises.run("03.build", lesson)
    assert f"no image is tagged {tag}:latest" in unmet(res, "exists")


def test_build_from_another_dockerfile(lesson, tag, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "app.py").write_text('print("Hello, World from Docker!")\n')
    (other / "Dockerfile").write_text('FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n')
    write(lesson, RIGHT)
    build(lesson, tag, other)
    res = exercises.run("03.build", lesson)
    reason = unmet(res, "matches your Dockerfile")
    assert '["python", "app.py"]' in reason and "build it again" in reason


def test_build_forgotten_rebuild_after_a_change(lesson, tag):
    write(lesson, RIGHT)
    build(lesson, tag)
    write(lesson, RIGHT.replace("WORKDIR /app", "WORKDIR /greeter"))
    res = exercises.run("03.build", lesson)
    assert "WORKDIR /greeter" in unmet(res, "matches your Dockerfile")


def test_build_image_prints_something_else(lesson, tag):
    write(lesson, RIGHT)
    (lesson.path(ex.FOLDER) / ex.SCRIPT).write_text('print("Hi")\n')
    build(lesson, tag)
    res = exercises.run("03.build", lesson)
    assert "printed 'Hi'" in unmet(res, "prints")


def test_build_under_the_name_without_the_session_id(lesson, monkeypatch):
    """The laptop habit, ``-t greeter``: the reason names the session's name to build instead."""
    monkeypatch.setattr(ex, "IMAGE", "greeter-test")  # a bare name no notebook builds
    wanted = ex.tag(lesson)
    write(lesson, RIGHT)
    try:
        build(lesson, "greeter-test")
        reason = unmet(exercises.run("03.build", lesson), "exists")
        assert f"no image is tagged {wanted}:latest, but there is greeter-test:latest" in reason
        assert f"build with -t {wanted}" in reason
    finally:
        docker("rmi", "greeter-test", check=False)


# -- docker rmi, as the tidy-up describes it ----------------------------------------------------


def test_rmi_deletes_an_image_with_its_last_name_unless_a_container_holds_it(lesson):
    """Another name keeps the image; a container, even a stopped one, keeps its last name; then it goes.

    The image gets a label of its own, so that no name elsewhere on the engine points to it.
    """
    folder = lesson.path("rmi")
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"FROM python:3.13-slim\nLABEL test.rmi={uuid.uuid4().hex}\n")
    name, other, holder = lesson.name("rmi-test"), lesson.name("rmi-other"), lesson.name("rmi-holder")
    docker("build", "-q", "-t", name, str(folder))
    docker("tag", name, other)
    image_id = docker("image", "inspect", "--format", "{{.Id}}", name).stdout.strip()
    try:
        docker("create", "--name", holder, name)
        untagged = docker("rmi", other).stdout
        assert f"Untagged: {other}:latest" in untagged and "Deleted" not in untagged, "not the last name: only the name goes"
        refused = docker("rmi", name, check=False)
        assert refused.returncode != 0
        # The same refusal in each image store's words: the classic store "unable to remove repository reference
        # \"NAME\" (must force)", the containerd store "unable to delete NAME:latest (must be forced)".
        containerd = enginekind.current().image_store == "containerd"
        words = "unable to delete" if containerd else "unable to remove repository reference"
        assert words in refused.stderr and "is using its referenced image" in refused.stderr
        docker("rm", holder)
        removed = docker("rmi", name).stdout
        assert f"Untagged: {name}:latest" in removed and f"Deleted: {image_id}" in removed
        assert docker("image", "inspect", image_id, check=False).returncode != 0, "the image itself is gone"
    finally:
        docker("rm", "-f", holder, check=False)
        docker("rmi", name, other, check=False)
