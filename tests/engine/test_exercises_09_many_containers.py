"""Notebook 09's three exercises against the real engine: each right answer passes, each wrong one says why.

- 09.compose-file: the counter app as ``exercise/compose.yaml``, project ``myapp-<session>``;
- 09.replicas (transfer): three copies of web from the file alone, and every copy checked, not the first; several
  wrong answers look right (the count on the command line only, one copy stopped, one copy with another greeting);
- 09.fix-host (debug-and-fix): the colleague's compose file names Redis by a host name no service has; the learner
  repairs it and starts the project again. Several wrong answers look right: the app runs and counts, but by an IP
  address, a container's name, or a renamed service.

The files are the notebook's own (its Your-turn cells, its ``{broken_file}`` cell and its %%solution cells). Each
answer is written where the notebook would, started for real when the answer needs it, under the project name the
check looks for unless a case says otherwise, and every project started is taken down afterwards. Project names
carry this session's id, and so does the counter app's image: the files say ``image: ${COUNTER_IMAGE}`` as the
notebook's do, and the variable is set in this process's environment as the notebook's ``%env`` sets it.

Most wrong answers are rows of :data:`WRONG`, played by one test; those that need more than writing, starting and
waiting (two versions of a file one after the other, a port or an address read at run time) are tests of their own.
"""

from __future__ import annotations

import os

import pytest

from dockerlab.exercises import run as run_exercise
from dockerlab.exercises import nb09_many_containers as ex
from corpus import Answer, Mentioned, Unmet, judge, text
from support import docker, notebook_file, output, reason_with, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("09-many-containers")]

NOTEBOOK = "09-many-containers.ipynb"
EXERCISE = "09.compose-file"
REPLICAS = "09.replicas"
FIX_HOST = "09.fix-host"

#: exercise -> (the answer's folder, the base of the project name the check looks for)
PROJECTS = {
    EXERCISE: ("exercise", "myapp"),
    REPLICAS: ("replicas", "trio"),
    FIX_HOST: ("broken", "broken"),
}

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
REPLICAS_GOOD = notebook_file(NOTEBOOK, "{replicas_file}", solution=True)
BROKEN = notebook_file(NOTEBOOK, "{broken_file}")
FIXED = notebook_file(NOTEBOOK, "{broken_file}", solution=True)


@pytest.fixture
def compose_answers(lesson, counter_image):
    """``compose_answers(exercise)``: a writer of the exercise's ``FOLDER/compose.yaml`` in the lesson's work folder,
    ``write(text, *up_args, up=False, project=None, check=True)``; with ``up`` or ``up_args`` it runs
    ``docker compose up -d`` under the project name (``lesson.name(project)``, the check's own unless given). Every
    project started is taken down afterwards."""
    started: list[str] = []

    def writer(exercise: str):
        folder, base = PROJECTS[exercise]

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


def container(lesson, exercise: str, which: str) -> str:
    """A container of the project the exercise's check looks for: ``which`` is its service and number (``web-1``)."""
    return f"{lesson.name(PROJECTS[exercise][1])}-{which}"


# -- the right answers ---------------------------------------------------------------------------


def test_right_answer_passes(lesson, compose_answers):
    compose_answers(EXERCISE)(GOOD, up=True)
    result = run_exercise(EXERCISE, lesson)
    assert result.passed, str(result)
    assert any("answers" in r.description for r in result.requirements)


def test_replicas_right_answer_passes(lesson, compose_answers):
    compose_answers(REPLICAS)(REPLICAS_GOOD, up=True)
    result = run_exercise(REPLICAS, lesson)
    assert result.passed, str(result)


def test_fix_host_right_answer_passes(lesson, compose_answers):
    answer = compose_answers(FIX_HOST)
    answer(BROKEN, up=True)
    answer(FIXED, up=True)  # as the notebook goes: the broken project first, then up again with the repaired file
    result = run_exercise(FIX_HOST, lesson)
    assert result.passed, str(result)


# -- the wrong answers ---------------------------------------------------------------------------

OLD_NAMES = GOOD.replace("app:", "web:").replace("cache:\n    image", "redis:\n    image").replace("- cache", "- redis")

WRONG = [
    # 09.compose-file
    Answer(EXERCISE, "shipped_skeleton_says_what_is_missing", notebook_file(NOTEBOOK, "{exercise_file}"), (
        Mentioned("does not set REDIS_HOST", "REDIS_HOST"),
        Mentioned("publishes no ports"),
        Mentioned("mounts nothing at /data"),
        Mentioned("does not depend on cache"),
        Mentioned("nothing runs under the project name"),
    )),
    Answer(EXERCISE, "old_names_and_version_line", 'version: "3.8"\n' + OLD_NAMES, (
        Mentioned("version", "obsolete"),
        Mentioned("there is no service named app"),
    )),
    Answer(EXERCISE, "bind_mount_and_wrong_host_name",
           GOOD.replace("REDIS_HOST: cache", "REDIS_HOST: redis").replace("- counts:/data", "- ./counts:/data"), (
        Mentioned("REDIS_HOST=redis", "not REDIS_HOST=cache"),
        Mentioned("host folder", "bind mount"),
    )),
    Answer(EXERCISE, "port_on_every_address", GOOD.replace('"127.0.0.1::8000"', '"8000"'), (
        Mentioned("every address", "127.0.0.1"),
    )),
    Answer(EXERCISE, "not_started", GOOD, (
        Mentioned("nothing runs under the project name", lambda lesson: f"-p {lesson.name('myapp')}"),
    )),
    Answer(EXERCISE, "started_under_another_project_name", GOOD, up=True, project="exercise", expect=(
        Mentioned("but the services run in the project", lambda lesson: lesson.name("exercise")),
    )),
    # A wrong REDIS_HOST, started for real: the app gives up after 2 s and the check quotes it.
    Answer(EXERCISE, "app_that_cannot_find_redis_exits", GOOD.replace("REDIS_HOST: cache", "REDIS_HOST: database"),
           up=True, then=(("wait", "app-1"),), expect=(
        Mentioned("the container of app is exited", "cannot reach Redis at database:6379"),
    )),
    # 09.replicas
    Answer(REPLICAS, "replicas_shipped_skeleton_says_what_is_missing", notebook_file(NOTEBOOK, "{replicas_file}"), (
        Unmet("asks for 3 containers of the service web", "deploy: replicas: 3"),
        Unmet("sets GREETING=Bonjour", "does not set GREETING"),
        Unmet("finds store by its service name", "does not set REDIS_HOST"),
        Unmet("publishes port 8000 on 127.0.0.1", "publishes no ports"),
        Unmet("the Compose project", "nothing runs under the project name"),
    )),
    # Looks right: three copies run and each says Bonjour, but the file itself asks for one.
    Answer(REPLICAS, "replicas_scaled_on_the_command_line_only", REPLICAS_GOOD.replace("    deploy:\n      replicas: 3\n", ""),
           up=("--scale", "web=3"), only_unmet=("the file asks for 3 containers of the service web",), expect=(
        Unmet("asks for 3 containers of the service web", "counts for that one command only"),
    )),
    Answer(REPLICAS, "replicas_two_replicas", REPLICAS_GOOD.replace("replicas: 3", "replicas: 2"), up=True, expect=(
        Unmet("asks for 3 containers", "asks for 2 containers of web, not 3"),
        Unmet("each of the 3 containers of web", "2 containers of web run"),
    )),
    # Looks right: the file is right and two copies answer Bonjour; the check sees the third one stopped.
    Answer(REPLICAS, "replicas_one_copy_stopped", REPLICAS_GOOD, up=True, then=(("stop", "web-2"),), expect=(
        Unmet("the Compose project", lambda lesson: f"the container of web ({lesson.name('trio')}-web-2) is exited"),
    )),
    Answer(REPLICAS, "replicas_greeting_on_the_wrong_service", REPLICAS_GOOD.replace("      GREETING: Bonjour\n", "").replace(
        "    image: redis:8", "    image: redis:8\n    environment:\n      GREETING: Bonjour"), up=True, expect=(
        Unmet("sets GREETING=Bonjour", "the service web does not set GREETING"),
        Unmet("each of the 3 containers of web", "Hello from"),
    )),
    # Looks right: three copies answer Bonjour, on every address of the machine.
    Answer(REPLICAS, "replicas_every_address", REPLICAS_GOOD.replace('"127.0.0.1::8000"', '"8000"'), up=True, expect=(
        Unmet("the service web publishes port 8000 on 127.0.0.1", "every address of this machine"),
        Unmet("each of the 3 containers of web", "every address of this machine"),
    )),
    Answer(REPLICAS, "replicas_redis_by_a_wrong_host_name", REPLICAS_GOOD.replace("REDIS_HOST: store", "REDIS_HOST: redis"),
           up=True, then=(("wait", "web-1"),), expect=(
        Unmet("finds store by its service name", "has no service redis"),
        Unmet("the Compose project", "cannot reach Redis at redis:6379"),
    )),
    Answer(REPLICAS, "replicas_started_under_another_project_name", REPLICAS_GOOD, up=True, project="replicas", expect=(
        Unmet("the Compose project", lambda lesson: f"but the services run in the project {lesson.name('replicas')}"),
    )),
    # 09.fix-host
    Answer(FIX_HOST, "fix_host_the_broken_file_as_shipped", BROKEN, up=True, then=(("wait", "web-1"),), expect=(
        Unmet("finds db by its service name", "the file has no service redis (it has db, web)"),
        Unmet("the Compose project", "the container of web is exited (exit code 1)", "cannot reach Redis at redis:6379"),
    )),
    Answer(FIX_HOST, "fix_host_repaired_and_started_under_another_project", FIXED, up=True, project="repaired", expect=(
        Unmet("the Compose project", lambda lesson: f"but the services run in the project {lesson.name('repaired')}"),
    )),
    # Looks right: the app runs and counts, because the Redis service is now called redis.
    Answer(FIX_HOST, "fix_host_service_renamed_to_redis", BROKEN.replace("  db:\n", "  redis:\n").replace("      - db\n", "      - redis\n"),
           up=True, expect=(
        Unmet("the service db uses the image", "there is no service named db; the file defines redis, web"),
        Unmet("finds db by its service name", "keep the service's name db"),
    )),
    # Looks right: a container's name resolves on the project's network too, but only for this project name.
    Answer(FIX_HOST, "fix_host_container_name_as_host",
           lambda lesson: BROKEN.replace("REDIS_HOST: redis", f"REDIS_HOST: {lesson.name('broken')}-db-1"),
           up=True, last_met=True, expect=(  # the app does answer
        Unmet("finds db by its service name",
              lambda lesson: f"sets REDIS_HOST={lesson.name('broken')}-db-1, the name of a container of db"),
    )),
    Answer(FIX_HOST, "fix_host_variable_on_the_wrong_service", BROKEN.replace("    environment:\n      REDIS_HOST: redis\n", "").replace(
        "    image: redis:8", "    image: redis:8\n    environment:\n      REDIS_HOST: db"), up=True, then=(("wait", "web-1"),), expect=(
        Unmet("finds db by its service name", "the service web does not set REDIS_HOST"),
        Unmet("the Compose project", "cannot reach Redis at redis:6379"),
    )),
    Answer(FIX_HOST, "fix_host_variable_name_in_lower_case", BROKEN.replace("REDIS_HOST: redis", "redis_host: db"),
           up=True, then=(("wait", "web-1"),), expect=(
        Unmet("finds db by its service name", "sets redis_host, not REDIS_HOST (names are case-sensitive)"),
    )),
    # Looks right: the app answers, on every address of the machine.
    Answer(FIX_HOST, "fix_host_port_on_every_address", FIXED.replace('"127.0.0.1::8000"', '"8000"'), up=True, last_met=True, expect=(
        Unmet("publishes port 8000 on 127.0.0.1", "every address of this machine"),
    )),
]


@pytest.mark.parametrize("row", WRONG, ids=lambda row: row.name)
def test_wrong_answer(lesson, compose_answers, row):
    compose_answers(row.exercise)(text(row.text, lesson), *row.up_args, up=bool(row.up),
                                  project=row.project and lesson.name(row.project))
    for command, which in row.then:
        docker(command, container(lesson, row.exercise, which), timeout=60)
    judge(run_exercise(row.exercise, lesson), row, lesson)


# -- wrong answers that take more than one step --------------------------------------------------


def test_image_without_the_session_id(lesson, compose_answers, counter_image):
    """The name from the course notes, image: counter-app:1.0: the reason names this session's image."""
    assert os.environ["COUNTER_IMAGE"] == counter_image == ex.image(lesson)
    compose_answers(EXERCISE)(GOOD.replace("${COUNTER_IMAGE}", "counter-app:1.0"))
    result = run_exercise(EXERCISE, lesson)
    assert f"uses the image counter-app:1.0, not {counter_image}" in reason_with(result, "counter-app:1.0")


def test_replicas_one_copy_with_another_greeting(lesson, compose_answers):
    """Looks right: three copies run from the file as it is now, but two were made from an older file (Hello)
    and kept by up --no-recreate; only web-3 says Bonjour. The check asks each copy, not the first."""
    answer = compose_answers(REPLICAS)
    answer(REPLICAS_GOOD.replace("GREETING: Bonjour", "GREETING: Hello").replace("replicas: 3", "replicas: 2"), up=True)
    answer(REPLICAS_GOOD, "--no-recreate")
    result = run_exercise(REPLICAS, lesson)
    reason = unmet(result, "each of the 3 containers of web")
    trio = lesson.name("trio")
    assert f"{trio}-web-1: " in reason and f"{trio}-web-2: " in reason and f"{trio}-web-3" not in reason, reason
    assert "does not contain 'Bonjour from'; it starts with: Hello from" in reason, reason


def test_replicas_fixed_host_port(lesson, compose_answers):
    """A fixed host port: the first copy takes it, the others cannot start."""
    port = lesson.port(8091)
    compose_answers(REPLICAS)(REPLICAS_GOOD.replace('"127.0.0.1::8000"', f'"127.0.0.1:{port}:8000"'), up=True, check=False)
    result = run_exercise(REPLICAS, lesson)
    assert f"fixed host port {port}, which only one container can have" in unmet(result, "leaves the host port of 8000")
    assert "was created but never started" in unmet(result, "the Compose project")


def test_fix_host_repaired_but_not_started_again(lesson, compose_answers):
    """The file is right now, but the container that runs is still the one from the broken file."""
    answer = compose_answers(FIX_HOST)
    answer(BROKEN, up=True)
    docker("wait", container(lesson, FIX_HOST, "web-1"), timeout=60)
    answer(FIXED)
    result = run_exercise(FIX_HOST, lesson)
    assert [r.description for r in result.requirements if not r.met] == [
        f"the Compose project {lesson.name('broken')} runs web, db"
    ], str(result)
    assert "cannot reach Redis at redis:6379" in unmet(result, "the Compose project")


def test_fix_host_ip_address_as_host(lesson, compose_answers):
    """Looks right until db is created again: the address of db's container, read from docker inspect."""
    answer = compose_answers(FIX_HOST)
    answer(FIXED, up=True)
    fmt = "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
    ip = output("inspect", "--format", fmt, container(lesson, FIX_HOST, "db-1"))
    answer(FIXED.replace("REDIS_HOST: db", f"REDIS_HOST: {ip}"), up=True)
    result = run_exercise(FIX_HOST, lesson)
    assert f"sets REDIS_HOST={ip}, an IP address" in unmet(result, "finds db by its service name")
    assert result.requirements[-1].met, str(result)
