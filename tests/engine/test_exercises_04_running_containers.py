"""Notebook 04's exercises against real containers: the right answer passes, each wrong one says why.

Containers are started with the ``docker`` CLI under this test session's names and removed after each
test. ``my-python-app-<session>`` is built as the notebook builds it (from cache when it exists), under
the name the exercises expect for this test process's session, and removed after.
"""

from __future__ import annotations

import time

import pytest

from dockerlab import checks
from dockerlab.engine import session as sessions
from dockerlab.exercises import nb04_running_containers as ex
from dockerlab import exercises
from support import docker, remove, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("04-running-containers")]


def image() -> str:
    """The image the exercises expect in this process's session: ``my-python-app-<session>``."""
    return sessions.current().name(ex.IMAGE)


@pytest.fixture(autouse=True)
def app_image(my_python_app):
    return my_python_app


# -- 04.keep-running ----------------------------------------------------------------------------


def test_keep_running_right_answer_passes(lesson, container_name):
    docker("run", "-d", "--name", container_name("worker"), image(), "sleep", "infinity")
    res = exercises.run("04.keep-running", lesson)
    assert res.passed, str(res)


def test_keep_running_tail_from_the_notes_also_passes(lesson, container_name):
    docker("run", "-d", "--name", container_name("worker"), image(), "tail", "-f", "/dev/null")
    assert exercises.run("04.keep-running", lesson).passed


def test_keep_running_image_command_exits(lesson, container_name):
    worker = container_name("worker")
    docker("run", "-d", "--name", worker, image())
    docker("wait", worker)
    res = exercises.run("04.keep-running", lesson)
    reason = unmet(res, "keeps running")
    assert "ran the image's own command, python app.py" in reason and "sleep infinity" in reason


def test_keep_running_never_started(lesson, container_name):
    docker("create", "--name", container_name("worker"), image(), "sleep", "infinity")
    res = exercises.run("04.keep-running", lesson)
    assert "created but never started" in unmet(res, "keeps running")
    assert len(res.requirements) == 1


def test_keep_running_other_image(lesson, container_name):
    docker("run", "-d", "--name", container_name("worker"), "busybox:1.37", "sleep", "3600")
    res = exercises.run("04.keep-running", lesson)
    assert f"not {image()}" in unmet(res, "image")
    assert res.requirements[0].met


def test_keep_running_name_without_session_id(lesson, container_name):
    container_name("worker")
    bare = f"worker-test-{lesson.session.id[2:]}"  # like "worker", but unique to this test run
    remove(bare)
    try:
        docker("run", "-d", "--name", bare, image(), "sleep", "infinity")
        res = exercises.run("04.keep-running", lesson)
        assert "did you pass --name" in unmet(res, "keeps running")
    finally:
        remove(bare)


# -- 04.auto-remove -----------------------------------------------------------------------------


def test_auto_remove_right_answer_passes(lesson, container_name):
    docker("run", "-d", "--rm", "--name", container_name("scratch"), image(), "sleep", "300")
    res = exercises.run("04.auto-remove", lesson)
    assert res.passed, str(res)


def test_auto_remove_without_rm(lesson, container_name):
    docker("run", "-d", "--name", container_name("scratch"), image(), "sleep", "300")
    res = exercises.run("04.auto-remove", lesson)
    assert "without --rm" in unmet(res, "--rm")
    assert res.met_count == len(res.requirements) - 1


def test_auto_remove_without_a_long_command_is_gone(lesson, container_name):
    scratch = container_name("scratch")
    docker("run", "--rm", "--name", scratch, image())
    res = exercises.run("04.auto-remove", lesson)
    assert len(res.requirements) == 1
    reason = unmet(res, "exists")
    assert "add sleep 300 after the image name" in reason and "also removed as soon" not in reason


def test_auto_remove_other_image(lesson, container_name):
    docker("run", "-d", "--rm", "--name", container_name("scratch"), "busybox:1.37", "sleep", "300")
    res = exercises.run("04.auto-remove", lesson)
    assert f"not {image()}" in unmet(res, "image")


# -- 04.exit-code -------------------------------------------------------------------------------


@pytest.fixture
def broken(lesson, container_name):
    """The notebook's failed container: `docker run -d --name broken-… {app_image} python ap.py`."""
    name = container_name("broken")
    docker("run", "-d", "--name", name, image(), *ex.BROKEN_COMMAND)
    assert docker("wait", name).stdout.strip() == "2"
    return name


def answer(lesson, value):
    lesson.namespace = {} if value is ... else {"exit_code": value}
    return exercises.run("04.exit-code", lesson)


def test_exit_code_right_answer_passes(lesson, broken):
    assert answer(lesson, 2).passed
    assert answer(lesson, "2").passed


@pytest.mark.parametrize(
    "value, words",
    [
        (..., "there is no variable exit_code"),
        (None, "still None"),
        (0, "0 means success"),
        (137, "SIGKILL"),
        ("two", "whole number"),
        (300, "from 0 to 255"),
        (1, "1 is not the exit code"),
    ],
)
def test_exit_code_wrong_answers(lesson, broken, value, words):
    res = answer(lesson, value)
    assert words in unmet(res, "exit_code is")


def test_exit_code_container_removed(lesson, broken):
    remove(broken)
    res = answer(lesson, 2)
    assert "is gone" in unmet(res, "exit_code is")


def test_exit_code_container_still_running(lesson, container_name):
    name = container_name("broken")
    docker("run", "-d", "--name", name, image(), "sleep", "30")
    time.sleep(0.2)
    res = answer(lesson, 0)
    assert "has not finished yet" in unmet(res, "exit_code is")
