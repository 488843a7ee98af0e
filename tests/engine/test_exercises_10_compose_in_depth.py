"""Notebook 10's three exercises against the real engine, each with its corpus of wrong answers and one right one.

- 10.wait-for-healthy (apply): the racy file with Redis on port 6380, half fixes, the notebook's own health check
  copied (it asks port 6379), a wrong project name, a web that publishes nothing, an obsolete version: line;
- 10.seed-first (transfer): a one-off ``seed`` job web waits for with ``service_completed_successfully``: no seed,
  the wrong condition, a seed that sets the wrong key or value, a seed that fails, a wrong project name;
- 10.fix-healthcheck (debug-and-fix): the notebook's broken file (curl is not in the image), health checks that
  are missing, off, pointless or asking the wrong port, lb no longer waiting, one copy of web instead of two, one
  of the two stopped.

Each answer is written to the exercise's folder, started for real where the requirement is about running state,
and every project is taken down in ``finally``. Redis takes 10 s to listen in the first exercise, as in the notebook.
"""

from __future__ import annotations

import subprocess

import pytest
import yaml

from dockerlab.exercises import run as run_exercise
from support import docker, met, notebook_file, reason_with, unmet

pytestmark = [pytest.mark.engine, pytest.mark.slow, pytest.mark.lesson("10-compose-in-depth")]

NOTEBOOK = "10-compose-in-depth.ipynb"


@pytest.fixture
def answer(lesson, counter_image):
    """``answer(folder, text, up=False, project=None, args=())``: write ``folder/compose.yaml``; with ``up``, start it
    under ``project`` (a base name, made session-unique) with ``up -d ARGS``. Every project started is taken down."""
    used: list[str] = []

    def write(folder: str, text: str, up: bool = False, project: str | None = None,
              args: tuple[str, ...] = ()) -> subprocess.CompletedProcess | None:
        where = lesson.path(folder)
        where.mkdir(exist_ok=True)
        (where / "compose.yaml").write_text(text)
        if folder == "broken":  # the load balancer's configuration, as the notebook copies it there
            (where / "nginx.conf").write_text(notebook_file(NOTEBOOK, "{scaled}/nginx.conf"))
        if not up:
            return None
        name = lesson.name(project)
        used.append(name)
        return docker("compose", "-p", name, "up", "-d", *args, cwd=where, check=False, timeout=180)

    yield write
    for name in used:
        docker("compose", "-p", name, "down", "-v", "-t", "1", check=False, timeout=120)


# ---------------------------------------------------------------- 10.wait-for-healthy (apply)

WAIT = "10.wait-for-healthy"

SLOW_REDIS = """\
  redis:
    image: redis:8
    init: true
    command: ["sh", "-c", "echo 'loading data...'; sleep 10; exec redis-server --port 6380 --protected-mode no"]
"""
HEALTHCHECK = """\
    healthcheck:
      test: ["CMD", "redis-cli", "-p", "6380", "ping"]
      interval: 1s
      timeout: 1s
      retries: 30
"""
# The web service up to its depends_on:, then waiting for redis to start (the short form) or to be healthy.
WEB = """\
services:
  web:
    image: ${COUNTER_IMAGE}
    environment:
      REDIS_PORT: "6380"
    ports:
      - "127.0.0.1::8000"
    depends_on:
"""
WEB_STARTED = WEB + "      - redis\n"
WEB_HEALTHY = WEB + "      redis:\n        condition: service_healthy\n"
RACY = WEB_STARTED + SLOW_REDIS
GOOD = WEB_HEALTHY + SLOW_REDIS + HEALTHCHECK


def wait_answer(answer, text: str, up: bool = False, project: str = "race"):
    return answer("exercise", text, up=up, project=project)


def test_wait_racy_file_started(lesson, answer):
    """The notebook's shipped file: web starts, finds no Redis, and exits; the check says each part."""
    wait_answer(answer, RACY, up=True)
    waited = docker("wait", f"{lesson.name('race')}-web-1", check=False, timeout=60)
    assert waited.stdout.strip() == "1", f"no race: web did not exit with code 1 ({waited.stdout.strip()}{waited.stderr.strip()})"
    result = run_exercise(WAIT, lesson)
    assert not result.passed
    assert "add a `healthcheck:`" in unmet(result, "the service redis has a healthcheck")
    assert "service_healthy" in unmet(result, "web waits for redis to be healthy")
    assert "has no healthcheck: it was started from a file without one" in unmet(result, "reports healthy")
    assert "cannot reach Redis at redis:6380" in reason_with(result, "the container of web is exited")


def test_wait_notebooks_healthcheck_copied(lesson, answer):
    """The health check of the cell above, copied as it is, asks Redis's usual port: never healthy, web never started,
    and the reason quotes redis-cli's own words and the command to try by hand."""
    copied = (WEB_HEALTHY + SLOW_REDIS + HEALTHCHECK).replace('"-p", "6380", ', "").replace("retries: 30", "retries: 2")
    done = wait_answer(answer, copied, up=True)
    assert done.returncode != 0 and "is unhealthy" in done.stderr, done.stderr
    result = run_exercise(WAIT, lesson)
    met(result, "the service redis has a healthcheck")
    reason = unmet(result, "reports healthy")
    assert "keeps failing" in reason and "127.0.0.1:6379" in reason and "Connection refused" in reason, reason
    assert f"docker exec {lesson.name('race')}-redis-1 redis-cli ping" in reason, reason
    assert "created but never started" in unmet(result, "runs web, redis")


def test_wait_obsolete_version_line(lesson, answer):
    wait_answer(answer, 'version: "3.8"\n' + GOOD)
    result = run_exercise(WAIT, lesson)
    assert "obsolete" in reason_with(result, "the top-level version: '3.8'")
    met(result, "the service redis has a healthcheck")
    met(result, "web waits for redis to be healthy")


def test_wait_healthcheck_but_short_depends_on(lesson, answer):
    wait_answer(answer, WEB_STARTED + SLOW_REDIS + HEALTHCHECK)
    result = run_exercise(WAIT, lesson)
    assert "condition: service_healthy" in unmet(result, "web waits for redis to be healthy")


def test_wait_condition_without_healthcheck(lesson, answer):
    wait_answer(answer, WEB_HEALTHY + SLOW_REDIS)
    result = run_exercise(WAIT, lesson)
    assert "has no healthcheck" in unmet(result, "the service redis has a healthcheck")
    assert "no working healthcheck, so it never becomes healthy" in unmet(result, "web waits for redis to be healthy")


def test_wait_healthcheck_on_the_wrong_service(lesson, answer):
    on_web = WEB_HEALTHY.replace("    depends_on:", HEALTHCHECK + "    depends_on:") + SLOW_REDIS
    wait_answer(answer, on_web)
    result = run_exercise(WAIT, lesson)
    assert "the service redis has no healthcheck" in unmet(result, "the service redis has a healthcheck")


def test_wait_started_under_another_project_name(lesson, answer):
    """Right file, wrong -p: the check names the project it found and the one it looks for."""
    wait_answer(answer, GOOD, up=True, project="myrace")
    result = run_exercise(WAIT, lesson)
    reason = unmet(result, "runs web, redis")
    assert f"nothing runs under the project name {lesson.name('race')}" in reason and lesson.name("myrace") in reason, reason


def test_wait_web_publishes_nothing(lesson, answer):
    """Looks right (both run, Redis healthy, web reached Redis) but web's port 8000 is not published."""
    unpublished = GOOD.replace('    ports:\n      - "127.0.0.1::8000"\n', "")
    done = wait_answer(answer, unpublished, up=True)
    assert done.returncode == 0, done.stderr
    result = run_exercise(WAIT, lesson)
    met(result, "reports healthy")
    met(result, "runs web, redis")
    assert "does not publish port 8000" in unmet(result, "answers on its port 8000")


# ---------------------------------------------------------------- 10.seed-first (transfer)

SEED = "10.seed-first"

SEED_WEB = """\
services:
  web:
    image: ${COUNTER_IMAGE}
    ports:
      - "127.0.0.1::8000"
    depends_on:
      redis:
        condition: service_healthy
"""
SEED_REDIS = """\
  redis:
    image: redis:8
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 1s
      retries: 30
"""
WAITS_FOR_SEED = "      seed:\n        condition: service_completed_successfully\n"
SEED_JOB = """\
  seed:
    image: redis:8
    command: ["redis-cli", "-h", "redis", "set", "hits", "100"]
    depends_on:
      redis:
        condition: service_healthy
"""
SEED_SHIPPED = SEED_WEB + SEED_REDIS
SEED_GOOD = SEED_WEB + WAITS_FOR_SEED + SEED_JOB + SEED_REDIS


def seed_answer(answer, text: str, up: bool = False, project: str = "seeded"):
    return answer("seed", text, up=up, project=project)


def test_seed_not_started(lesson, answer):
    seed_answer(answer, SEED_GOOD)
    result = run_exercise(SEED, lesson)
    assert f"nothing runs under the project name {lesson.name('seeded')}" in unmet(result, "runs web, redis")


def test_seed_shipped_file_started(lesson, answer):
    """The shipped file runs (web counts from 1); every missing part is named."""
    done = seed_answer(answer, SEED_SHIPPED, up=True)
    assert done.returncode == 0, done.stderr
    result = run_exercise(SEED, lesson)
    assert "there is no service named seed" in unmet(result, "defines the service seed")
    assert "does not depend on seed" in unmet(result, "web waits for seed to complete successfully")
    assert "counts 1 visit:" in unmet(result, "counts more than 100 visits")


def test_seed_short_depends_on(lesson, answer):
    """- seed in web's depends_on only waits for the container to start, not for the job to finish."""
    short = SEED_WEB + SEED_JOB + SEED_REDIS
    short = short.replace("        condition: service_healthy\n  seed:", "        condition: service_healthy\n      seed:\n        condition: service_started\n  seed:", 1)
    seed_answer(answer, short)
    result = run_exercise(SEED, lesson)
    reason = unmet(result, "web waits for seed to complete successfully")
    assert "condition service_started, which waits for it to start, not to complete successfully" in reason, reason


def test_seed_waited_for_as_healthy(lesson, answer):
    seed_answer(answer, SEED_GOOD.replace("service_completed_successfully", "service_healthy"))
    result = run_exercise(SEED, lesson)
    assert "condition service_healthy, which waits for it to be healthy" in unmet(result, "web waits for seed")


def test_seed_sets_the_wrong_key(lesson, answer):
    """Looks right: seed exits 0, web runs; but it set "hit", so the count starts at 1."""
    done = seed_answer(answer, SEED_GOOD.replace('"set", "hits"', '"set", "hit"'), up=True)
    assert done.returncode == 0, done.stderr
    result = run_exercise(SEED, lesson)
    met(result, "has finished with exit code 0")
    assert "did not set the key hits to 100" in unmet(result, "counts more than 100 visits")


def test_seed_sets_the_wrong_value(lesson, answer):
    done = seed_answer(answer, SEED_GOOD.replace('"hits", "100"', '"hits", "10"'), up=True)
    assert done.returncode == 0, done.stderr
    result = run_exercise(SEED, lesson)
    assert "counts 11 visits" in unmet(result, "counts more than 100 visits")


def test_seed_fails(lesson, answer):
    """A seed that asks a host that does not exist exits 1; Compose then never starts web."""
    done = seed_answer(answer, SEED_GOOD.replace('"-h", "redis"', '"-h", "db"'), up=True)
    assert done.returncode != 0, done.stderr
    result = run_exercise(SEED, lesson)
    assert "exited with code 1" in unmet(result, "seed-1 has finished with exit code 0")
    assert "created but never started" in unmet(result, "runs web, redis")


def test_seed_started_under_another_project_name(lesson, answer):
    seed_answer(answer, SEED_GOOD, up=True, project="seed")
    result = run_exercise(SEED, lesson)
    assert f"the services run in the project {lesson.name('seed')}" in unmet(result, "runs web, redis")


def test_seed_obsolete_version_line(lesson, answer):
    seed_answer(answer, 'version: "3.8"\n' + SEED_GOOD)
    result = run_exercise(SEED, lesson)
    assert "obsolete" in reason_with(result, "the top-level version: '3.8'")


# ---------------------------------------------------------------- 10.fix-healthcheck (debug-and-fix)

FIX = "10.fix-healthcheck"

FIX_LB = """\
services:
  lb:
    image: nginx:stable
    volumes:
      - ./nginx.conf:/etc/nginx/nginx.conf:ro
    ports:
      - "127.0.0.1::80"
    depends_on:
      web:
        condition: service_healthy
"""
CURL_TEST = '["CMD-SHELL", "curl -f http://127.0.0.1:8000/health || exit 1"]'
PYTHON_TEST = """["CMD", "python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health')"]"""
FIX_WEB = """\
  web:
    image: ${COUNTER_IMAGE}
    healthcheck:
      test: TEST
      interval: 1s
      retries: 3
    depends_on:
      redis:
        condition: service_healthy
"""
FIX_BROKEN = FIX_LB + FIX_WEB.replace("TEST", CURL_TEST) + SEED_REDIS
FIX_GOOD = FIX_LB + FIX_WEB.replace("TEST", PYTHON_TEST) + SEED_REDIS
SCALED = ("--scale", "web=2")


@pytest.fixture
def fix_answer(answer):
    def write(text: str, up: bool = False, project: str = "mended", args: tuple[str, ...] = SCALED):
        return answer("broken", text, up=up, project=project, args=args)

    return write


def test_fix_broken_file_started(lesson, fix_answer):
    """The notebook's file as shipped: the check quotes the shell's "curl: not found" and says lb never started."""
    done = fix_answer(FIX_BROKEN, up=True, args=())
    assert done.returncode != 0 and "is unhealthy" in done.stderr, done.stderr
    result = run_exercise(FIX, lesson)
    met(result, "asks the app at /health")  # it does ask /health: with a program the image lacks
    reason = unmet(result, "2 containers of the service web")
    assert "is unhealthy" in reason and "curl: not found" in reason and "has 1 container, not 2" in reason, reason
    assert "the container of lb was created but never started" in unmet(result, "runs lb, web, redis")


def test_fix_healthcheck_removed(lesson, fix_answer):
    """Removing the health check is no repair: lb could then never start."""
    fix_answer(FIX_LB + FIX_WEB.replace("    healthcheck:\n      test: TEST\n      interval: 1s\n      retries: 3\n", "") + SEED_REDIS)
    result = run_exercise(FIX, lesson)
    assert "the service web has no healthcheck" in unmet(result, "the service web has a healthcheck")
    assert "no working healthcheck" in unmet(result, "lb waits for web to be healthy")


def test_fix_healthcheck_that_asks_nothing(lesson, fix_answer):
    fix_answer(FIX_LB + FIX_WEB.replace("TEST", '["CMD", "true"]') + SEED_REDIS)
    result = run_exercise(FIX, lesson)
    met(result, "the service web has a healthcheck")
    assert "does not ask the app at /health (its test is: CMD true)" in unmet(result, "asks the app at /health")


def test_fix_healthcheck_disabled(lesson, fix_answer):
    fix_answer(FIX_BROKEN.replace("      retries: 3\n", "      retries: 3\n      disable: true\n"))
    result = run_exercise(FIX, lesson)
    assert "disabled" in unmet(result, "the service web has a healthcheck")


def test_fix_lb_no_longer_waits(lesson, fix_answer):
    fix_answer(FIX_GOOD.replace("      web:\n        condition: service_healthy", "      web:\n        condition: service_started"))
    result = run_exercise(FIX, lesson)
    assert "only waits for the container to start" in unmet(result, "lb waits for web to be healthy")


def test_fix_wrong_port_in_the_healthcheck(lesson, fix_answer):
    """A command the image has, asking a port nothing listens on: unhealthy, with Python's own error."""
    done = fix_answer(FIX_GOOD.replace("127.0.0.1:8000/health", "127.0.0.1:8080/health"), up=True)
    assert done.returncode != 0, done.stderr
    result = run_exercise(FIX, lesson)
    met(result, "asks the app at /health")
    reason = unmet(result, "2 containers of the service web")
    assert "unhealthy" in reason and "Connection refused" in reason, reason


def test_fix_one_copy_only(lesson, fix_answer):
    """Looks right (healthy web, lb answers) but the service was not scaled to two."""
    done = fix_answer(FIX_GOOD, up=True, args=())
    assert done.returncode == 0, done.stderr
    result = run_exercise(FIX, lesson)
    met(result, "runs lb, web, redis")
    reason = unmet(result, "2 containers of the service web")
    assert "has 1 container, not 2; start the project with --scale web=2" in reason, reason


def test_fix_one_of_two_copies_stopped(lesson, fix_answer):
    """Looks right (lb answers, web-1 healthy), but the check looks at every copy: web-2 has stopped."""
    done = fix_answer(FIX_GOOD, up=True)
    assert done.returncode == 0, done.stderr
    docker("stop", "-t", "1", f"{lesson.name('mended')}-web-2", timeout=60)
    result = run_exercise(FIX, lesson)
    reason = unmet(result, "2 containers of the service web")
    assert f"{lesson.name('mended')}-web-2 is exited" in reason and "web-1" not in reason, reason


def test_fix_started_under_another_project_name(lesson, fix_answer):
    fix_answer(FIX_GOOD, up=True, project="fixed")
    result = run_exercise(FIX, lesson)
    assert f"the services run in the project {lesson.name('fixed')}" in unmet(result, "runs lb, web, redis")


def test_fix_obsolete_version_line(lesson, fix_answer):
    fix_answer('version: "3.8"\n' + FIX_GOOD)
    result = run_exercise(FIX, lesson)
    assert "obsolete" in reason_with(result, "the top-level version: '3.8'")


# ---------------------------------------------------------------- each exercise: the notebook's own files, and its right answer

#: exercise -> (folder, the %%writefile marker, file shipped, solution, project base name, up's extra arguments)
EXERCISES = {
    WAIT: ("exercise", "{exercise}/compose.yaml", RACY, GOOD, "race", ()),
    SEED: ("seed", "{seed_dir}/compose.yaml", SEED_SHIPPED, SEED_GOOD, "seeded", ()),
    FIX: ("broken", "{broken}/compose.yaml", FIX_BROKEN, FIX_GOOD, "mended", SCALED),
}


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_files_are_the_notebooks(exercise_id):
    """The corpus starts from the files the notebook ships and solves with (YAML compared, comments aside)."""
    _, marker, shipped, solution, _, _ = EXERCISES[exercise_id]
    assert yaml.safe_load(notebook_file(NOTEBOOK, marker)) == yaml.safe_load(shipped)
    assert yaml.safe_load(notebook_file(NOTEBOOK, marker, solution=True)) == yaml.safe_load(solution)


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_right_answer_passes(lesson, answer, exercise_id):
    folder, _, _, solution, project, args = EXERCISES[exercise_id]
    done = answer(folder, solution, up=True, project=project, args=args)
    assert done.returncode == 0, done.stderr
    result = run_exercise(exercise_id, lesson)
    assert result.passed, str(result)
