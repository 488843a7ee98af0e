"""Exercise 09.fix-host (debug-and-fix) against the real engine: the colleague's compose file names Redis by a
host name no service has; the learner repairs it and starts the project again.

The broken file is the notebook's own (its first cell writing ``{broken_file}``), the right answer its %%solution
cell. Answers are started for real under the project name the check looks for (``broken-<session>``) and taken
down in ``finally``. Several look right: the app runs and counts, but by an IP address, a container's name, or
a renamed service.
"""

from __future__ import annotations

import pytest

from dockerlab.exercises import run as run_exercise
from support import docker, notebook_file, output, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("09-many-containers")]

EXERCISE = "09.fix-host"
NOTEBOOK = "09-many-containers.ipynb"
BROKEN = notebook_file(NOTEBOOK, "{broken_file}")
GOOD = notebook_file(NOTEBOOK, "{broken_file}", solution=True)


@pytest.fixture
def answer(lesson, counter_image):
    """``answer(text, up=False, project=None)``: write broken/compose.yaml; with ``up``, run ``up -d``."""
    started: list[str] = []

    def write(text: str, up: bool = False, project: str | None = None):
        file = lesson.path("broken", "compose.yaml")
        file.parent.mkdir(exist_ok=True)
        file.write_text(text)
        if up:
            name = project or lesson.name("broken")
            if name not in started:
                started.append(name)
            docker("compose", "-f", str(file), "-p", name, "up", "-d", timeout=120)
        return file

    yield write
    for name in started:
        docker("compose", "-p", name, "down", "-v", "-t", "1", check=False, timeout=120)


def web(lesson) -> str:
    return f"{lesson.name('broken')}-web-1"


def test_right_answer_passes(lesson, answer):
    answer(BROKEN, up=True)
    answer(GOOD, up=True)  # as the notebook goes: the broken project first, then up again with the repaired file
    result = run_exercise(EXERCISE, lesson)
    assert result.passed, str(result)


def test_the_broken_file_as_shipped(lesson, answer):
    answer(BROKEN, up=True)
    docker("wait", web(lesson), timeout=60)
    result = run_exercise(EXERCISE, lesson)
    assert "the file has no service redis (it has db, web)" in unmet(result, "finds db by its service name")
    reason = unmet(result, "the Compose project")
    assert "the container of web is exited (exit code 1)" in reason and "cannot reach Redis at redis:6379" in reason, reason


def test_repaired_but_not_started_again(lesson, answer):
    """The file is right now, but the container that runs is still the one from the broken file."""
    answer(BROKEN, up=True)
    docker("wait", web(lesson), timeout=60)
    answer(GOOD)
    result = run_exercise(EXERCISE, lesson)
    assert [r.description for r in result.requirements if not r.met] == [
        f"the Compose project {lesson.name('broken')} runs web, db"
    ], str(result)
    assert "cannot reach Redis at redis:6379" in unmet(result, "the Compose project")


def test_repaired_and_started_under_another_project(lesson, answer):
    other = lesson.name("repaired")
    answer(GOOD, up=True, project=other)
    result = run_exercise(EXERCISE, lesson)
    assert f"but the services run in the project {other}" in unmet(result, "the Compose project")


def test_service_renamed_to_redis(lesson, answer):
    """Looks right: the app runs and counts, because the Redis service is now called redis."""
    answer(BROKEN.replace("  db:\n", "  redis:\n").replace("      - db\n", "      - redis\n"), up=True)
    result = run_exercise(EXERCISE, lesson)
    assert "there is no service named db; the file defines redis, web" in unmet(result, "the service db uses the image")
    assert "keep the service's name db" in unmet(result, "finds db by its service name")


def test_container_name_as_host(lesson, answer):
    """Looks right: a container's name resolves on the project's network too, but only for this project name."""
    name = f"{lesson.name('broken')}-db-1"
    answer(BROKEN.replace("REDIS_HOST: redis", f"REDIS_HOST: {name}"), up=True)
    result = run_exercise(EXERCISE, lesson)
    reason = unmet(result, "finds db by its service name")
    assert f"sets REDIS_HOST={name}, the name of a container of db" in reason, reason
    assert result.requirements[-1].met, str(result)  # the app does answer


def test_ip_address_as_host(lesson, answer):
    """Looks right until db is created again: the address of db's container, read from docker inspect."""
    answer(GOOD, up=True)
    fmt = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    ip = output("inspect", "--format", fmt, f"{lesson.name('broken')}-db-1")
    answer(GOOD.replace("REDIS_HOST: db", f"REDIS_HOST: {ip}"), up=True)
    result = run_exercise(EXERCISE, lesson)
    assert f"sets REDIS_HOST={ip}, an IP address" in unmet(result, "finds db by its service name")
    assert result.requirements[-1].met, str(result)


def test_variable_on_the_wrong_service(lesson, answer):
    wrong = BROKEN.replace("    environment:\n      REDIS_HOST: redis\n", "").replace(
        "    image: redis:8", "    image: redis:8\n    environment:\n      REDIS_HOST: db")
    answer(wrong, up=True)
    docker("wait", web(lesson), timeout=60)
    result = run_exercise(EXERCISE, lesson)
    assert "the service web does not set REDIS_HOST" in unmet(result, "finds db by its service name")
    assert "cannot reach Redis at redis:6379" in unmet(result, "the Compose project")


def test_variable_name_in_lower_case(lesson, answer):
    answer(BROKEN.replace("REDIS_HOST: redis", "redis_host: db"), up=True)
    docker("wait", web(lesson), timeout=60)
    result = run_exercise(EXERCISE, lesson)
    assert "sets redis_host, not REDIS_HOST (names are case-sensitive)" in unmet(result, "finds db by its service name")


def test_port_on_every_address(lesson, answer):
    """Looks right: the app answers, on every address of the machine."""
    answer(GOOD.replace('"127.0.0.1::8000"', '"8000"'), up=True)
    result = run_exercise(EXERCISE, lesson)
    assert "every address of this machine" in unmet(result, "publishes port 8000 on 127.0.0.1")
    assert result.requirements[-1].met, str(result)
