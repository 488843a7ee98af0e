"""Shared fixtures: the real engine, the current session, and what must not be touched."""

from __future__ import annotations

import pytest

from dockerlab import engine, session


@pytest.fixture(scope="session")
def docker_client():
    """The real engine's client; the suite stops with the engine's own message if none answers."""
    if not engine.available():
        pytest.exit("No Docker engine answers. Run `bash scripts/ensure-engine.sh` (make test does).", returncode=3)
    return engine.client()


@pytest.fixture(scope="session")
def course_session(docker_client):
    return session.current()
