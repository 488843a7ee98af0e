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
    return problem() is None


def problem() -> errors.DockerlabError | None:
    """Why no engine answers a ping (EngineNotRunning, EnginePermissionDenied, ...), or None if one does."""
    try:
        if client().ping():
            return None
        failure = errors.EngineNotRunning("the engine did not answer a ping")
    except errors.DockerlabError as exc:
        failure = exc
    except (docker.errors.DockerException, OSError) as exc:
        failure = errors.classify(exc) or errors.EngineNotRunning(errors._short(str(exc)))
    reset()
    return failure


def answers(timeout: float = 2.0) -> bool:
    """True when an engine answers a ping within ``timeout`` seconds (a throw-away client, so a
    cheap probe that can run before every cell without waiting the default timeout)."""
    try:
        probe = docker.from_env(version="auto", timeout=timeout)
    except (docker.errors.DockerException, OSError):
        return False
    try:
        return bool(probe.ping())
    except Exception:  # noqa: BLE001 - docker-py's, requests' and OS errors alike mean "no"
        return False
    finally:
        with contextlib.suppress(Exception):
            probe.close()


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
