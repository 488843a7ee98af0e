"""Exercises 11.secret-mount and 11.hardened-server against the real engine.

Wrong answers are built or run for real (a token in ARG, a copied-then-deleted token, a secret
mount with the wrong id, a build without --secret; containers missing each hardening flag) and
removed after each test. Names carry this session's id.
"""

from __future__ import annotations

import pytest

from dockerlab.exercises import run as run_exercise
from dockerlab.exercises.nb11_security import TOKEN
from dockerlab import exercises
from support import docker, notebook_file, reason_with, write_files

pytestmark = [pytest.mark.engine, pytest.mark.lesson("11-security")]

# The notebook's own Dockerfiles: the token as a build argument (also what the exercise ships), copied in
# and deleted, and read from a secret mount (the exercise's solution).
NOTEBOOK = "11-security.ipynb"
LEAKY_ARG = notebook_file(NOTEBOOK, "{leaky_arg}/Dockerfile")
LEAKY_COPY = notebook_file(NOTEBOOK, "{leaky_copy}/Dockerfile")
WITH_SECRET = notebook_file(NOTEBOOK, "{with_secret}/Dockerfile")


# -- 11.secret-mount --------------------------------------------------------------------------------


@pytest.fixture
def build(lesson):
    """Write the learner's Dockerfile and build it as the notebook's command would (the build must succeed)."""
    tag = lesson.name("fetcher")
    token_file = lesson.path("token.txt")
    token_file.write_text(TOKEN)

    def run(dockerfile: str, *flags: str) -> None:
        folder = write_files(lesson.path("exercise"), {"Dockerfile": dockerfile, "token.txt": TOKEN})
        args = [a.replace("TOKEN_FILE", str(token_file)) for a in flags]
        docker("build", "-q", *args, "-t", tag, str(folder))  # each answer here builds

    yield run
    docker("image", "rm", "-f", tag, check=False)


def test_secret_mount_right_answer(lesson, build):
    build(WITH_SECRET, "--no-cache", "--secret", "id=api_token,src=TOKEN_FILE")
    result = run_exercise("11.secret-mount", lesson)
    assert result.passed, str(result)


def test_secret_mount_shipped_arg_version(lesson, build):
    build(LEAKY_ARG, "--build-arg", f"API_TOKEN={TOKEN}")
    result = run_exercise("11.secret-mount", lesson)
    reason_with(result, "ARG API_TOKEN")
    assert "still takes it as ARG" in reason_with(result, "no RUN mounts a secret")
    assert "configuration" in reason_with(result, "the token is in the image")


def test_secret_mount_copy_then_delete(lesson, build):
    build(LEAKY_COPY)
    result = run_exercise("11.secret-mount", lesson)
    reason_with(result, "no RUN mounts a secret")
    assert "/tmp/token.txt" in reason_with(result, "the token is in the image")


def test_secret_mount_wrong_id(lesson, build):
    build(WITH_SECRET.replace("id=api_token", "id=token"), "--secret", "id=api_token,src=TOKEN_FILE")
    result = run_exercise("11.secret-mount", lesson)
    assert "must match" in reason_with(result, "id=token")
    reason_with(result, "the RUN saw no token")


def test_secret_mount_built_without_secret(lesson, build):
    # A secret is not part of BuildKit's cache key: an earlier build with the secret would be reused,
    # and this build's result would be reused by later ones (the notebook's too). So this wrong
    # answer gets a RUN line of its own (same meaning, other text), built without the cache.
    own = WITH_SECRET.replace("> /fetched.txt", ">/fetched.txt")
    build(own, "--no-cache")
    result = run_exercise("11.secret-mount", lesson)
    reason = reason_with(result, "the RUN saw no token")
    assert "--secret id=api_token" in reason and "--no-cache" in reason


def test_secret_mount_not_built(lesson):
    folder = lesson.path("exercise")
    folder.mkdir(exist_ok=True)
    (folder / "Dockerfile").write_text(WITH_SECRET)
    result = run_exercise("11.secret-mount", lesson)
    assert "--secret id=api_token" in reason_with(result, "no image is tagged")


def test_secret_mount_token_in_env(lesson, build):
    with_env = WITH_SECRET.replace("FROM busybox:1.37\n", f"FROM busybox:1.37\nENV API_TOKEN={TOKEN}\n")
    build(with_env, "--secret", "id=api_token,src=TOKEN_FILE")
    result = run_exercise("11.secret-mount", lesson)
    reason_with(result, "ENV API_TOKEN")
    assert "configuration" in reason_with(result, "the token is in the image")


# -- 11.hardened-server -----------------------------------------------------------------------------

HARDENED = ["--user", "1000:1000", "--read-only", "--cap-drop", "ALL", "--memory", "32m", "--cpus", "0.25", "--pids-limit", "30"]


@pytest.fixture
def server(lesson, container_name):
    """``server(FLAGS)``: the notebook's web server, ``hardened-<session>``, run with FLAGS; removed after the test."""
    name = container_name("hardened")
    site = write_files(lesson.path("site"), {"index.html": "<h1>Served by a hardened container</h1>\n"})

    def run(*flags: str, publish: bool = True) -> None:
        ports = ["-p", "127.0.0.1::8080"] if publish else []
        docker("run", "-d", "--name", name, *flags, "-v", f"{site}:/www:ro", *ports, "busybox:1.37", "httpd", "-f", "-p", "8080", "-h", "/www")

    return run


def test_hardened_right_answer(lesson, server):
    server(*HARDENED)
    result = run_exercise("11.hardened-server", lesson)
    assert result.passed, str(result)


def test_hardened_plain_run(lesson, server):
    server()
    result = run_exercise("11.hardened-server", lesson)
    assert "--user 1000:1000" in reason_with(result, "runs as root")
    assert "--read-only" in reason_with(result, "filesystem is writable")
    assert "--cap-drop ALL" in reason_with(result, "default capabilities")
    assert "--memory 32m" in reason_with(result, "no memory limit")
    assert "--cpus 0.25" in reason_with(result, "no CPU limit")
    assert "--pids-limit 30" in reason_with(result, "no process limit")


def test_hardened_capability_added_back(lesson, server):
    server(*HARDENED, "--cap-add", "NET_BIND_SERVICE")
    result = run_exercise("11.hardened-server", lesson)
    assert "NET_BIND_SERVICE" in reason_with(result, "adds")


def test_hardened_limits_too_generous(lesson, server):
    generous = ["--user", "1000:1000", "--read-only", "--cap-drop", "ALL", "--memory", "64m", "--cpus", "1", "--pids-limit", "100"]
    server(*generous)
    result = run_exercise("11.hardened-server", lesson)
    assert "more than 32m" in reason_with(result, "memory limit is 64m")
    assert "--cpus 0.25" in reason_with(result, "more than 0.25")
    assert "--pids-limit 30" in reason_with(result, "process limit is 100")


def test_hardened_root_user_explicit(lesson, server):
    server(*[f for f in HARDENED if f not in ("--user", "1000:1000")], "--user", "0")
    result = run_exercise("11.hardened-server", lesson)
    reason_with(result, "runs as 0")


def test_hardened_not_published(lesson, server):
    server(*HARDENED, publish=False)
    result = run_exercise("11.hardened-server", lesson)
    reason_with(result, "publishes no ports")


def test_hardened_missing(lesson):
    result = run_exercise("11.hardened-server", lesson)
    reason_with(result, f"no container named {lesson.name('hardened')}")
