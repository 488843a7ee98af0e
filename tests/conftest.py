"""Shared fixtures: the real engine, the current session, and what must not be touched."""

from __future__ import annotations

import contextlib
import itertools

import docker.errors
import pytest

from dockerlab import engine
from dockerlab.engine import session


@pytest.fixture(scope="session")
def docker_client():
    """The real engine's client; the suite stops with the engine's own message if none answers."""
    if not engine.available():
        pytest.exit("No Docker engine answers. Run `bash scripts/ensure-engine.sh` (make test does).", returncode=3)
    return engine.client()


@pytest.fixture(scope="session")
def course_session(docker_client):
    return session.current()


@pytest.fixture
def run_once(docker_client, course_session):
    """Run a container to its end and return its output, as `docker run --rm` would, but leave nothing
    behind even when it cannot start: docker-py's ``run(remove=True)`` keeps a container whose start
    failed (state Created, no session in its name), which no sweep would ever find."""
    counter = itertools.count()

    def run(image: str, command=None, **options) -> str:
        name = course_session.name(f"run-once-{next(counter)}")
        container = docker_client.containers.create(image, command, name=name, **options)
        try:
            container.start()
            status = container.wait(timeout=300)
            output = container.logs().decode()
            if status["StatusCode"] != 0:
                raise AssertionError(f"{image} {command} exited with {status['StatusCode']}: {output}")
            return output
        finally:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True)

    return run
