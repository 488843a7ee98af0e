"""Exercise 09.compose-file against the real engine: the right answer passes, wrong ones say why.

Each test writes a compose file where the notebook would, starts it for real when the answer
needs it, and takes the project down in ``finally``. Project names carry this session's id, and so
does the counter app's image: the files say ``image: ${COUNTER_IMAGE}`` as the notebook's do, and
the variable is set in this process's environment as the notebook's ``%env`` sets it.
"""

from __future__ import annotations

import os

import pytest

from dockerlab.exercises import run as run_exercise
from dockerlab.exercises import nb09_many_containers as ex
from support import docker, notebook_file, reason_with

pytestmark = [pytest.mark.engine, pytest.mark.lesson("09-many-containers")]

EXERCISE = "09.compose-file"

GOOD = """\
services:
  app:
    image: ${COUNTER_IMAGE}
    environment:
      REDIS_HOST: cache
    ports:
      - "127.0.0.1::8000"
    depends_on:
      - cache
  cache:
    image: redis:8
    volumes:
      - counts:/data

volumes:
  counts:
"""


@pytest.fixture
def answer(lesson, counter_image):
    """Write the learner's compose file; remember projects to take down afterwards."""
    started: list[str] = []

    def write(text: str, up: bool = False, project: str | None = None):
        file = lesson.path("exercise", "compose.yaml")
        file.parent.mkdir(exist_ok=True)
        file.write_text(text)
        if up:
            name = project or lesson.name("myapp")
            started.append(name)
            docker("compose", "-f", str(file), "-p", name, "up", "-d", timeout=120)
        return file

    yield write
    for name in started:
        docker("compose", "-p", name, "down", "-v", "-t", "1", check=False, timeout=120)


def test_right_answer_passes(lesson, answer):
    answer(GOOD, up=True)
    result = run_exercise(EXERCISE, lesson)
    assert result.passed, str(result)
    assert any("answers" in r.description for r in result.requirements)


def test_shipped_skeleton_says_what_is_missing(lesson, answer):
    answer(notebook_file("09-many-containers.ipynb", "{exercise_file}"))
    result = run_exercise(EXERCISE, lesson)
    assert not result.passed
    assert "REDIS_HOST" in reason_with(result, "does not set REDIS_HOST")
    reason_with(result, "publishes no ports")
    reason_with(result, "mounts nothing at /data")
    reason_with(result, "does not depend on cache")
    reason_with(result, "nothing runs under the project name")


def test_old_names_and_version_line(lesson, answer):
    old = GOOD.replace("app:", "web:").replace("cache:\n    image", "redis:\n    image").replace("- cache", "- redis")
    answer('version: "3.8"\n' + old)
    result = run_exercise(EXERCISE, lesson)
    assert "obsolete" in reason_with(result, "version")
    reason_with(result, "there is no service named app")


def test_bind_mount_and_wrong_host_name(lesson, answer):
    wrong = GOOD.replace("REDIS_HOST: cache", "REDIS_HOST: redis").replace("- counts:/data", "- ./counts:/data")
    answer(wrong)
    result = run_exercise(EXERCISE, lesson)
    assert "not REDIS_HOST=cache" in reason_with(result, "REDIS_HOST=redis")
    assert "bind mount" in reason_with(result, "host folder")


def test_port_on_every_address(lesson, answer):
    answer(GOOD.replace('"127.0.0.1::8000"', '"8000"'))
    result = run_exercise(EXERCISE, lesson)
    assert "127.0.0.1" in reason_with(result, "every address")


def test_not_started(lesson, answer):
    answer(GOOD)
    result = run_exercise(EXERCISE, lesson)
    assert f"-p {lesson.name('myapp')}" in reason_with(result, "nothing runs under the project name")


def test_started_under_another_project_name(lesson, answer):
    other = lesson.name("exercise")
    answer(GOOD, up=True, project=other)
    result = run_exercise(EXERCISE, lesson)
    assert other in reason_with(result, "but the services run in the project")


def test_app_that_cannot_find_redis_exits(lesson, answer):
    """A wrong REDIS_HOST, started for real: the app gives up after 2 s and the check quotes it."""
    answer(GOOD.replace("REDIS_HOST: cache", "REDIS_HOST: database"), up=True)
    docker("wait", f"{lesson.name('myapp')}-app-1", timeout=60)
    result = run_exercise(EXERCISE, lesson)
    reason = reason_with(result, "the container of app is exited")
    assert "cannot reach Redis at database:6379" in reason


def test_image_without_the_session_id(lesson, answer, counter_image):
    """The name from the course notes, image: counter-app:1.0: the reason names this session's image."""
    assert os.environ["COUNTER_IMAGE"] == counter_image == ex.image(lesson)
    answer(GOOD.replace("${COUNTER_IMAGE}", "counter-app:1.0"))
    result = run_exercise(EXERCISE, lesson)
    assert f"uses the image counter-app:1.0, not {counter_image}" in reason_with(result, "counter-app:1.0")
