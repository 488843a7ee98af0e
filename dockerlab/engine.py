"""The one connection to the Docker engine, and the translation of its failures.

One :class:`docker.DockerClient` per process (a Jupyter kernel), created on first use with API
version negotiation and a timeout on every call. :func:`translated` turns docker-py exceptions
into the plain-words errors of :mod:`dockerlab.errors`.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

import docker
import docker.errors

from . import errors

#: Seconds any single engine API call may take (builds and pulls go through the CLI instead).
DEFAULT_TIMEOUT = float(os.environ.get("DOCKERLAB_TIMEOUT", "30"))

_lock = threading.RLock()  # re-entrant: a failed connect resets inside client()
_client: docker.DockerClient | None = None


def client() -> docker.DockerClient:
    """The process-wide client, connected on first use.

    Raises:
        errors.EngineNotRunning, errors.EnginePermissionDenied: when no engine can be reached.
    """
    global _client
    with _lock:
        if _client is None:
            with translated():
                # version="auto" asks the engine which API it speaks and uses the highest both know.
                _client = docker.from_env(version="auto", timeout=DEFAULT_TIMEOUT)
        return _client


def reset() -> None:
    """Forget the connection (after the engine restarted, or in tests)."""
    global _client
    with _lock:
        if _client is not None:
            with contextlib.suppress(Exception):
                _client.close()
        _client = None


def available() -> bool:
    """True when an engine answers a ping."""
    try:
        return bool(client().ping())
    except (errors.DockerlabError, docker.errors.DockerException, OSError):
        reset()
        return False


@contextlib.contextmanager
def translated(image: str | None = None) -> Iterator[None]:
    """Re-raise docker-py failures that dockerlab can explain as :class:`errors.DockerlabError`.

    Args:
        image: The image the wrapped calls are about, named in image-related messages.
    """
    try:
        yield
    except errors.DockerlabError:
        raise
    except Exception as exc:  # docker-py raises its own, requests' and OS errors
        known = errors.classify(exc, image=image)
        if known is None:
            raise
        if isinstance(known, (errors.EngineNotRunning, errors.EnginePermissionDenied)):
            reset()
        raise known from exc


def server_version() -> dict:
    """The engine's ``docker version`` answer (Version, ApiVersion, Os, Arch, ...)."""
    with translated():
        return client().version()


def negotiated_api_version() -> str:
    """The API version this client and the engine agreed on."""
    return client().api.api_version
