"""Exercise 10.wait-for-healthy against the real engine: the racy file, half fixes, a broken
healthcheck, an obsolete version: line, and the right answer, each started for real (Redis takes
10 s to listen, as in the notebook), each project taken down in ``finally``."""

from __future__ import annotations

import subprocess

import pytest
import yaml

from dockerlab.exercises import run as run_exercise
from support import docker, notebook_file, reason_with

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.lesson("10-compose-in-depth")]

EXERCISE = "10.wait-for-healthy"
NOTEBOOK = "10-compose-in-depth.ipynb"

SLOW_REDIS = """\
  redis:
    image: redis:8
    init: true
    command: ["sh", "-c", "echo 'loading data...'; sleep 10; exec redis-server --protected-mode no"]
"""
HEALTHCHECK = """\
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1s
      timeout: 1s
      retries: 30
"""
# The web service up to its depends_on:, then waiting for redis to start (the short form) or to be healthy.
WEB = """\
services:
  web:
    image: ${COUNTER_IMAGE}
    ports:
      - "127.0.0.1::8000"
    depends_on:
"""
WEB_STARTED = WEB + "      - redis\n"
WEB_HEALTHY = WEB + "      redis:\n        condition: service_healthy\n"
RACY = WEB_STARTED + SLOW_REDIS
GOOD = WEB_HEALTHY + SLOW_REDIS + HEALTHCHECK


@pytest.fixture
def answer(lesson, counter_image):
    project = lesson.name("race")
    used = []

    def write(text: str, up: bool = False) -> subprocess.CompletedProcess | None:
        folder = lesson.path("exercise")
        folder.mkdir(exist_ok=True)
        (folder / "compose.yaml").write_text(text)
        if up:
            used.append(project)
            return docker("compose", "-p", project, "up", "-d", cwd=folder, check=False, timeout=120)
        return None

    yield write
    for name in used:
        docker("compose", "-p", name, "down", "-v", "-t", "1", check=False, timeout=120)


def test_right_answer_passes(lesson, answer):
    done = answer(GOOD, up=True)
    assert done.returncode == 0, done.stderr
    result = run_exercise(EXERCISE, lesson)
    assert result.passed, str(result)


def test_racy_file_is_the_notebooks():
    """RACY is the file the notebook ships for the exercise (same services, same 10 s of loading)."""
    assert yaml.safe_load(notebook_file(NOTEBOOK, "{exercise}/compose.yaml")) == yaml.safe_load(RACY)


def test_racy_file_started(lesson, answer):
    """The notebook's shipped file: web starts, finds no Redis, and exits; the check says each part."""
    answer(RACY, up=True)
    waited = docker("wait", f"{lesson.name('race')}-web-1", check=False, timeout=60)
    assert waited.stdout.strip() == "1", f"no race: web did not exit with code 1 ({waited.stdout.strip()}{waited.stderr.strip()})"
    result = run_exercise(EXERCISE, lesson)
    assert not result.passed
    reason_with(result, "the service redis has no healthcheck")
    assert "service_healthy" in reason_with(result, "only waits for the container to start")
    reason_with(result, "has no healthcheck: it was started from a file without one")
    assert "cannot reach Redis" in reason_with(result, "the container of web is exited")


def test_obsolete_version_line(lesson, answer):
    """The same check as exercise 09's: a version: line is obsolete, even on an otherwise right file."""
    answer('version: "3.8"\n' + GOOD)
    result = run_exercise(EXERCISE, lesson)
    assert "obsolete" in reason_with(result, "the top-level version: '3.8'")
    assert {r.description for r in result.requirements if r.met} >= {
        "the service redis has a healthcheck", "the service web waits for redis to be healthy"}


def test_healthcheck_but_short_depends_on(lesson, answer):
    answer(WEB_STARTED + SLOW_REDIS + HEALTHCHECK)
    result = run_exercise(EXERCISE, lesson)
    assert "condition: service_healthy" in reason_with(result, "only waits for the container to start")


def test_condition_without_healthcheck(lesson, answer):
    answer(WEB_HEALTHY + SLOW_REDIS)
    result = run_exercise(EXERCISE, lesson)
    reason_with(result, "the service redis has no healthcheck")
    reason_with(result, "has no working healthcheck, so it never becomes healthy")


def test_healthcheck_on_the_wrong_service(lesson, answer):
    on_web = WEB_HEALTHY.replace("    depends_on:", HEALTHCHECK + "    depends_on:") + SLOW_REDIS
    answer(on_web)
    result = run_exercise(EXERCISE, lesson)
    reason_with(result, "the service redis has no healthcheck")


def test_broken_healthcheck_never_healthy(lesson, answer):
    """A healthcheck that asks the wrong port never passes: Compose gives up, web is never started, the check quotes Redis."""
    broken = GOOD.replace('"redis-cli", "ping"', '"redis-cli", "-p", "6380", "ping"').replace("retries: 30", "retries: 2")
    done = answer(broken, up=True)
    assert done.returncode != 0
    result = run_exercise(EXERCISE, lesson)
    reason = reason_with(result, "its healthcheck command keeps failing")
    assert "Connection refused" in reason and "6380" in reason
    reason_with(result, "created but never started")
