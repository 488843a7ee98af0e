"""Exercise 09.replicas (transfer) against the real engine: three copies of web from the file alone, and
every copy checked, not the first.

The right answer is the notebook's own %%solution cell, the skeleton its Your-turn cell. Each wrong answer
is started for real when it needs to run, under the project name the check looks for (``trio-<session>``),
and taken down in ``finally``. Several look right: the app runs and answers, but one stated requirement is
broken (the count is on the command line only, one copy stopped, one copy with another greeting).
"""

from __future__ import annotations

import pytest

from dockerlab.exercises import run as run_exercise
from support import docker, notebook_file, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("09-many-containers")]

EXERCISE = "09.replicas"
NOTEBOOK = "09-many-containers.ipynb"
GOOD = notebook_file(NOTEBOOK, "{replicas_file}", solution=True)


@pytest.fixture
def answer(lesson, counter_image):
    """``answer(text, *up_args, project=None)``: write replicas/compose.yaml; with up_args, run ``up -d`` with them."""
    started: list[str] = []

    def write(text: str, *up_args: str, up: bool = False, project: str | None = None):
        file = lesson.path("replicas", "compose.yaml")
        file.parent.mkdir(exist_ok=True)
        file.write_text(text)
        if up or up_args:
            name = project or lesson.name("trio")
            if name not in started:
                started.append(name)
            docker("compose", "-f", str(file), "-p", name, "up", "-d", *up_args, check=False, timeout=120)
        return file

    yield write
    for name in started:
        docker("compose", "-p", name, "down", "-v", "-t", "1", check=False, timeout=120)


def test_right_answer_passes(lesson, answer):
    answer(GOOD, up=True)
    result = run_exercise(EXERCISE, lesson)
    assert result.passed, str(result)


def test_shipped_skeleton_says_what_is_missing(lesson, answer):
    answer(notebook_file(NOTEBOOK, "{replicas_file}"))
    result = run_exercise(EXERCISE, lesson)
    assert not result.passed
    assert "deploy: replicas: 3" in unmet(result, "asks for 3 containers of the service web")
    assert "does not set GREETING" in unmet(result, "sets GREETING=Bonjour")
    assert "does not set REDIS_HOST" in unmet(result, "finds store by its service name")
    assert "publishes no ports" in unmet(result, "publishes port 8000 on 127.0.0.1")
    assert "nothing runs under the project name" in unmet(result, "the Compose project")


def test_scaled_on_the_command_line_only(lesson, answer):
    """Looks right: three copies run and each says Bonjour, but the file itself asks for one."""
    answer(GOOD.replace("    deploy:\n      replicas: 3\n", ""), "--scale", "web=3")
    result = run_exercise(EXERCISE, lesson)
    assert "counts for that one command only" in unmet(result, "asks for 3 containers of the service web")
    assert [r.description for r in result.requirements if not r.met] == [
        "the file asks for 3 containers of the service web"
    ], str(result)


def test_two_replicas(lesson, answer):
    answer(GOOD.replace("replicas: 3", "replicas: 2"), up=True)
    result = run_exercise(EXERCISE, lesson)
    assert "asks for 2 containers of web, not 3" in unmet(result, "asks for 3 containers")
    assert "2 containers of web run" in unmet(result, "each of the 3 containers of web")


def test_one_copy_stopped(lesson, answer):
    """Looks right: the file is right and two copies answer Bonjour; the check sees the third one stopped."""
    answer(GOOD, up=True)
    docker("stop", f"{lesson.name('trio')}-web-2", timeout=60)
    result = run_exercise(EXERCISE, lesson)
    reason = unmet(result, "the Compose project")
    assert f"the container of web ({lesson.name('trio')}-web-2) is exited" in reason, reason


def test_one_copy_with_another_greeting(lesson, answer):
    """Looks right: three copies run from the file as it is now, but two were made from an older file (Hello)
    and kept by up --no-recreate; only web-3 says Bonjour. The check asks each copy, not the first."""
    answer(GOOD.replace("GREETING: Bonjour", "GREETING: Hello").replace("replicas: 3", "replicas: 2"), up=True)
    answer(GOOD, "--no-recreate")
    result = run_exercise(EXERCISE, lesson)
    reason = unmet(result, "each of the 3 containers of web")
    trio = lesson.name("trio")
    assert f"{trio}-web-1: " in reason and f"{trio}-web-2: " in reason and f"{trio}-web-3" not in reason, reason
    assert "does not contain 'Bonjour from'; it starts with: Hello from" in reason, reason


def test_greeting_on_the_wrong_service(lesson, answer):
    wrong = GOOD.replace("      GREETING: Bonjour\n", "").replace(
        "    image: redis:8", "    image: redis:8\n    environment:\n      GREETING: Bonjour")
    answer(wrong, up=True)
    result = run_exercise(EXERCISE, lesson)
    assert "the service web does not set GREETING" in unmet(result, "sets GREETING=Bonjour")
    assert "Hello from" in unmet(result, "each of the 3 containers of web")


def test_fixed_host_port(lesson, answer):
    """A fixed host port: the first copy takes it, the others cannot start."""
    port = lesson.port(8091)
    answer(GOOD.replace('"127.0.0.1::8000"', f'"127.0.0.1:{port}:8000"'), up=True)
    result = run_exercise(EXERCISE, lesson)
    assert f"fixed host port {port}, which only one container can have" in unmet(result, "leaves the host port of 8000")
    assert "was created but never started" in unmet(result, "the Compose project")


def test_every_address(lesson, answer):
    """Looks right: three copies answer Bonjour, on every address of the machine."""
    answer(GOOD.replace('"127.0.0.1::8000"', '"8000"'), up=True)
    result = run_exercise(EXERCISE, lesson)
    assert "every address of this machine" in unmet(result, "the service web publishes port 8000 on 127.0.0.1")
    assert "every address of this machine" in unmet(result, "each of the 3 containers of web")


def test_redis_by_a_wrong_host_name(lesson, answer):
    answer(GOOD.replace("REDIS_HOST: store", "REDIS_HOST: redis"), up=True)
    docker("wait", f"{lesson.name('trio')}-web-1", timeout=60)
    result = run_exercise(EXERCISE, lesson)
    assert "has no service redis" in unmet(result, "finds store by its service name")
    assert "cannot reach Redis at redis:6379" in unmet(result, "the Compose project")


def test_started_under_another_project_name(lesson, answer):
    other = lesson.name("replicas")
    answer(GOOD, up=True, project=other)
    result = run_exercise(EXERCISE, lesson)
    assert f"but the services run in the project {other}" in unmet(result, "the Compose project")
