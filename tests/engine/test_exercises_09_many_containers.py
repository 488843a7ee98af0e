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
from support import docker, notebook_file, output, reason_with, unmet

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
def compose_answers(lesson, counter_image):
    """``compose_answers(folder, project)``: a writer of the learner's ``FOLDER/compose.yaml`` in the lesson's work
    folder, ``write(text, *up_args, up=False, project=None, check=True)``; with ``up`` or ``up_args`` it runs
    ``docker compose up -d`` under the project name (``lesson.name(project)`` unless given). Every project started
    is taken down afterwards."""
    started: list[str] = []

    def writer(folder: str, base: str):
        def write(text: str, *up_args: str, up: bool = False, project: str | None = None, check: bool = True):
            file = lesson.path(folder, "compose.yaml")
            file.parent.mkdir(exist_ok=True)
            file.write_text(text)
            if up or up_args:
                name = project or lesson.name(base)
                if name not in started:
                    started.append(name)
                docker("compose", "-f", str(file), "-p", name, "up", "-d", *up_args, check=check, timeout=120)
            return file

        return write

    yield writer
    for name in started:
        docker("compose", "-p", name, "down", "-v", "-t", "1", check=False, timeout=120)


@pytest.fixture
def answer(compose_answers):
    """09.compose-file's answer: exercise/compose.yaml, project myapp-<session>."""
    return compose_answers("exercise", "myapp")


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


# -- 09.replicas (transfer) ----------------------------------------------------------------------
# Exercise 09.replicas (transfer) against the real engine: three copies of web from the file alone, and
# every copy checked, not the first.
#
# The right answer is the notebook's own %%solution cell, the skeleton its Your-turn cell. Each wrong answer
# is started for real when it needs to run, under the project name the check looks for (``trio-<session>``),
# and taken down in ``finally``. Several look right: the app runs and answers, but one stated requirement is
# broken (the count is on the command line only, one copy stopped, one copy with another greeting).

REPLICAS = "09.replicas"
REPLICAS_GOOD = notebook_file("09-many-containers.ipynb", "{replicas_file}", solution=True)


@pytest.fixture
def trio_answer(compose_answers):
    """The answer to 09.replicas: replicas/compose.yaml, project trio-<session>."""
    return compose_answers("replicas", "trio")

def test_replicas_right_answer_passes(lesson, trio_answer):
    trio_answer(REPLICAS_GOOD, up=True)
    result = run_exercise(REPLICAS, lesson)
    assert result.passed, str(result)


def test_replicas_shipped_skeleton_says_what_is_missing(lesson, trio_answer):
    trio_answer(notebook_file("09-many-containers.ipynb", "{replicas_file}"))
    result = run_exercise(REPLICAS, lesson)
    assert not result.passed
    assert "deploy: replicas: 3" in unmet(result, "asks for 3 containers of the service web")
    assert "does not set GREETING" in unmet(result, "sets GREETING=Bonjour")
    assert "does not set REDIS_HOST" in unmet(result, "finds store by its service name")
    assert "publishes no ports" in unmet(result, "publishes port 8000 on 127.0.0.1")
    assert "nothing runs under the project name" in unmet(result, "the Compose project")


def test_replicas_scaled_on_the_command_line_only(lesson, trio_answer):
    """Looks right: three copies run and each says Bonjour, but the file itself asks for one."""
    trio_answer(REPLICAS_GOOD.replace("    deploy:\n      replicas: 3\n", ""), "--scale", "web=3")
    result = run_exercise(REPLICAS, lesson)
    assert "counts for that one command only" in unmet(result, "asks for 3 containers of the service web")
    assert [r.description for r in result.requirements if not r.met] == [
        "the file asks for 3 containers of the service web"
    ], str(result)


def test_replicas_two_replicas(lesson, trio_answer):
    trio_answer(REPLICAS_GOOD.replace("replicas: 3", "replicas: 2"), up=True)
    result = run_exercise(REPLICAS, lesson)
    assert "asks for 2 containers of web, not 3" in unmet(result, "asks for 3 containers")
    assert "2 containers of web run" in unmet(result, "each of the 3 containers of web")


def test_replicas_one_copy_stopped(lesson, trio_answer):
    """Looks right: the file is right and two copies answer Bonjour; the check sees the third one stopped."""
    trio_answer(REPLICAS_GOOD, up=True)
    docker("stop", f"{lesson.name('trio')}-web-2", timeout=60)
    result = run_exercise(REPLICAS, lesson)
    reason = unmet(result, "the Compose project")
    assert f"the container of web ({lesson.name('trio')}-web-2) is exited" in reason, reason


def test_replicas_one_copy_with_another_greeting(lesson, trio_answer):
    """Looks right: three copies run from the file as it is now, but two were made from an older file (Hello)
    and kept by up --no-recreate; only web-3 says Bonjour. The check asks each copy, not the first."""
    trio_answer(REPLICAS_GOOD.replace("GREETING: Bonjour", "GREETING: Hello").replace("replicas: 3", "replicas: 2"), up=True)
    trio_answer(REPLICAS_GOOD, "--no-recreate")
    result = run_exercise(REPLICAS, lesson)
    reason = unmet(result, "each of the 3 containers of web")
    trio = lesson.name("trio")
    assert f"{trio}-web-1: " in reason and f"{trio}-web-2: " in reason and f"{trio}-web-3" not in reason, reason
    assert "does not contain 'Bonjour from'; it starts with: Hello from" in reason, reason


def test_replicas_greeting_on_the_wrong_service(lesson, trio_answer):
    wrong = REPLICAS_GOOD.replace("      GREETING: Bonjour\n", "").replace(
        "    image: redis:8", "    image: redis:8\n    environment:\n      GREETING: Bonjour")
    trio_answer(wrong, up=True)
    result = run_exercise(REPLICAS, lesson)
    assert "the service web does not set GREETING" in unmet(result, "sets GREETING=Bonjour")
    assert "Hello from" in unmet(result, "each of the 3 containers of web")


def test_replicas_fixed_host_port(lesson, trio_answer):
    """A fixed host port: the first copy takes it, the others cannot start."""
    port = lesson.port(8091)
    trio_answer(REPLICAS_GOOD.replace('"127.0.0.1::8000"', f'"127.0.0.1:{port}:8000"'), up=True, check=False)
    result = run_exercise(REPLICAS, lesson)
    assert f"fixed host port {port}, which only one container can have" in unmet(result, "leaves the host port of 8000")
    assert "was created but never started" in unmet(result, "the Compose project")


def test_replicas_every_address(lesson, trio_answer):
    """Looks right: three copies answer Bonjour, on every address of the machine."""
    trio_answer(REPLICAS_GOOD.replace('"127.0.0.1::8000"', '"8000"'), up=True)
    result = run_exercise(REPLICAS, lesson)
    assert "every address of this machine" in unmet(result, "the service web publishes port 8000 on 127.0.0.1")
    assert "every address of this machine" in unmet(result, "each of the 3 containers of web")


def test_replicas_redis_by_a_wrong_host_name(lesson, trio_answer):
    trio_answer(REPLICAS_GOOD.replace("REDIS_HOST: store", "REDIS_HOST: redis"), up=True)
    docker("wait", f"{lesson.name('trio')}-web-1", timeout=60)
    result = run_exercise(REPLICAS, lesson)
    assert "has no service redis" in unmet(result, "finds store by its service name")
    assert "cannot reach Redis at redis:6379" in unmet(result, "the Compose project")


def test_replicas_started_under_another_project_name(lesson, trio_answer):
    other = lesson.name("replicas")
    trio_answer(REPLICAS_GOOD, up=True, project=other)
    result = run_exercise(REPLICAS, lesson)
    assert f"but the services run in the project {other}" in unmet(result, "the Compose project")


# -- 09.fix-host (debug-and-fix) -----------------------------------------------------------------
# Exercise 09.fix-host (debug-and-fix) against the real engine: the colleague's compose file names Redis by a
# host name no service has; the learner repairs it and starts the project again.
#
# The broken file is the notebook's own (its first cell writing ``{broken_file}``), the right answer its %%solution
# cell. Answers are started for real under the project name the check looks for (``broken-<session>``) and taken
# down in ``finally``. Several look right: the app runs and counts, but by an IP address, a container's name, or
# a renamed service.

FIX_HOST = "09.fix-host"
BROKEN = notebook_file("09-many-containers.ipynb", "{broken_file}")
FIXED = notebook_file("09-many-containers.ipynb", "{broken_file}", solution=True)


@pytest.fixture
def broken_answer(compose_answers):
    """The answer to 09.fix-host: broken/compose.yaml, project broken-<session>."""
    return compose_answers("broken", "broken")

def web(lesson) -> str:
    return f"{lesson.name('broken')}-web-1"


def test_fix_host_right_answer_passes(lesson, broken_answer):
    broken_answer(BROKEN, up=True)
    broken_answer(FIXED, up=True)  # as the notebook goes: the broken project first, then up again with the repaired file
    result = run_exercise(FIX_HOST, lesson)
    assert result.passed, str(result)


def test_fix_host_the_broken_file_as_shipped(lesson, broken_answer):
    broken_answer(BROKEN, up=True)
    docker("wait", web(lesson), timeout=60)
    result = run_exercise(FIX_HOST, lesson)
    assert "the file has no service redis (it has db, web)" in unmet(result, "finds db by its service name")
    reason = unmet(result, "the Compose project")
    assert "the container of web is exited (exit code 1)" in reason and "cannot reach Redis at redis:6379" in reason, reason


def test_fix_host_repaired_but_not_started_again(lesson, broken_answer):
    """The file is right now, but the container that runs is still the one from the broken file."""
    broken_answer(BROKEN, up=True)
    docker("wait", web(lesson), timeout=60)
    broken_answer(FIXED)
    result = run_exercise(FIX_HOST, lesson)
    assert [r.description for r in result.requirements if not r.met] == [
        f"the Compose project {lesson.name('broken')} runs web, db"
    ], str(result)
    assert "cannot reach Redis at redis:6379" in unmet(result, "the Compose project")


def test_fix_host_repaired_and_started_under_another_project(lesson, broken_answer):
    other = lesson.name("repaired")
    broken_answer(FIXED, up=True, project=other)
    result = run_exercise(FIX_HOST, lesson)
    assert f"but the services run in the project {other}" in unmet(result, "the Compose project")


def test_fix_host_service_renamed_to_redis(lesson, broken_answer):
    """Looks right: the app runs and counts, because the Redis service is now called redis."""
    broken_answer(BROKEN.replace("  db:\n", "  redis:\n").replace("      - db\n", "      - redis\n"), up=True)
    result = run_exercise(FIX_HOST, lesson)
    assert "there is no service named db; the file defines redis, web" in unmet(result, "the service db uses the image")
    assert "keep the service's name db" in unmet(result, "finds db by its service name")


def test_fix_host_container_name_as_host(lesson, broken_answer):
    """Looks right: a container's name resolves on the project's network too, but only for this project name."""
    name = f"{lesson.name('broken')}-db-1"
    broken_answer(BROKEN.replace("REDIS_HOST: redis", f"REDIS_HOST: {name}"), up=True)
    result = run_exercise(FIX_HOST, lesson)
    reason = unmet(result, "finds db by its service name")
    assert f"sets REDIS_HOST={name}, the name of a container of db" in reason, reason
    assert result.requirements[-1].met, str(result)  # the app does answer


def test_fix_host_ip_address_as_host(lesson, broken_answer):
    """Looks right until db is created again: the address of db's container, read from docker inspect."""
    broken_answer(FIXED, up=True)
    fmt = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    ip = output("inspect", "--format", fmt, f"{lesson.name('broken')}-db-1")
    broken_answer(FIXED.replace("REDIS_HOST: db", f"REDIS_HOST: {ip}"), up=True)
    result = run_exercise(FIX_HOST, lesson)
    assert f"sets REDIS_HOST={ip}, an IP address" in unmet(result, "finds db by its service name")
    assert result.requirements[-1].met, str(result)


def test_fix_host_variable_on_the_wrong_service(lesson, broken_answer):
    wrong = BROKEN.replace("    environment:\n      REDIS_HOST: redis\n", "").replace(
        "    image: redis:8", "    image: redis:8\n    environment:\n      REDIS_HOST: db")
    broken_answer(wrong, up=True)
    docker("wait", web(lesson), timeout=60)
    result = run_exercise(FIX_HOST, lesson)
    assert "the service web does not set REDIS_HOST" in unmet(result, "finds db by its service name")
    assert "cannot reach Redis at redis:6379" in unmet(result, "the Compose project")


def test_fix_host_variable_name_in_lower_case(lesson, broken_answer):
    broken_answer(BROKEN.replace("REDIS_HOST: redis", "redis_host: db"), up=True)
    docker("wait", web(lesson), timeout=60)
    result = run_exercise(FIX_HOST, lesson)
    assert "sets redis_host, not REDIS_HOST (names are case-sensitive)" in unmet(result, "finds db by its service name")


def test_fix_host_port_on_every_address(lesson, broken_answer):
    """Looks right: the app answers, on every address of the machine."""
    broken_answer(FIXED.replace('"127.0.0.1::8000"', '"8000"'), up=True)
    result = run_exercise(FIX_HOST, lesson)
    assert "every address of this machine" in unmet(result, "publishes port 8000 on 127.0.0.1")
    assert result.requirements[-1].met, str(result)
