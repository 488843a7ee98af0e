"""The one connection to the Docker engine, and the translation of its failures.

One :class:`docker.DockerClient` per process (a Jupyter kernel), created on first use with API
version negotiation and a timeout on every call. It talks to the engine the ``docker`` CLI would
(:func:`address`): ``DOCKER_HOST``, else the CLI's current context (Docker Desktop for Linux and
rootless set-ups point it away from /var/run/docker.sock), else the default socket.
:func:`translated` turns docker-py exceptions into the plain-words errors of :mod:`dockerlab.errors`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import docker.errors
import docker.tls

from dockerlab import config, errors
from dockerlab.engine import quiet

#: Seconds any single engine API call may take (builds and pulls go through the CLI instead).
DEFAULT_TIMEOUT = config.TIMEOUT.number()

#: Where the engine listens when neither DOCKER_HOST nor a docker context says otherwise.
DEFAULT_HOST = "unix:///var/run/docker.sock"

_lock = threading.RLock()  # re-entrant: a failed connect resets inside client()
_client: docker.DockerClient | None = None


@dataclass(frozen=True)
class Address:
    """Where the engine is, and who said so.

    Attributes:
        url: ``unix:///path``, ``tcp://host:port`` or ``ssh://user@host``.
        source: ``"DOCKER_HOST"``, ``"docker context NAME"`` or ``"the default socket"``.
        tls: The context's TLS settings (``DOCKER_HOST``'s come from DOCKER_TLS_VERIFY / DOCKER_CERT_PATH).
    """

    url: str
    source: str
    tls: docker.tls.TLSConfig | None = None

    @property
    def socket(self) -> str | None:
        """The socket's path for a ``unix://`` address, else None."""
        return self.url.removeprefix("unix://") if self.url.startswith("unix://") else None

    def __str__(self) -> str:
        return f"{self.url} ({self.source})"


def address() -> Address:
    """The engine the ``docker`` CLI would use: DOCKER_HOST, else the current context, else the default.

    The current context is ``DOCKER_CONTEXT``, else ``currentContext`` in the CLI's config.json
    (``$DOCKER_CONFIG`` or ``~/.docker``), as ``docker context use`` sets it.

    Raises:
        errors.DockerlabError: the named context does not exist.
    """
    if os.environ.get("DOCKER_HOST"):
        return Address(os.environ["DOCKER_HOST"], "DOCKER_HOST")
    name = os.environ.get("DOCKER_CONTEXT") or _config().get("currentContext") or "default"
    return Address(DEFAULT_HOST, "the default socket") if name == "default" else _context(name)


# The CLI's context store, read here rather than through docker-py's ContextAPI: that finds no
# context at all while config.json does not exist yet (docker/docker-py#2622, #3190).
def _config_dir() -> Path:
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def _config() -> dict:
    try:
        return json.loads((_config_dir() / "config.json").read_text())
    except (OSError, ValueError):
        return {}


def _context(name: str) -> Address:
    """A context of ``docker context create``: contexts/meta/<sha256 of name>/meta.json (+ tls/ files)."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    try:
        meta = json.loads((_config_dir() / "contexts" / "meta" / digest / "meta.json").read_text())
        endpoint = meta["Endpoints"]["docker"]
        url = endpoint["Host"]
    except (OSError, ValueError, KeyError, TypeError):
        how = "DOCKER_CONTEXT" if os.environ.get("DOCKER_CONTEXT") else "`docker context use`"
        raise errors.DockerlabError(
            f"The docker context {name!r} (chosen by {how}) does not exist, so there is no engine address.",
            "`docker context ls` lists the contexts; `docker context use default` goes back to the local engine.",
        ) from None
    files = _config_dir() / "contexts" / "tls" / digest / "docker"
    tls = None
    if files.is_dir():
        cert = (str(files / "cert.pem"), str(files / "key.pem")) if (files / "key.pem").exists() else None
        ca = str(files / "ca.pem") if (files / "ca.pem").exists() else None
        tls = docker.tls.TLSConfig(client_cert=cert, ca_cert=ca, verify=not endpoint.get("SkipTLSVerify", False))
    return Address(url, f"docker context {name}", tls)


def _connect(timeout: float) -> docker.DockerClient:
    where = address()
    if where.source == "DOCKER_HOST":
        # from_env also reads DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, which go with DOCKER_HOST.
        return docker.from_env(version="auto", timeout=timeout)
    tls = {"tls": where.tls} if where.tls is not None else {}
    return docker.DockerClient(base_url=where.url, version="auto", timeout=timeout, **tls)


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
                _client = _connect(DEFAULT_TIMEOUT)
                quiet.guard_api(_client.api)  # quiet checks (the progress strip) read and never write
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
        failure = errors.classify(exc, where=_where()) or errors.EngineNotRunning(errors._short(str(exc)))
    reset()
    return failure


def answers(timeout: float = 2.0) -> bool:
    """True when an engine answers a ping within ``timeout`` seconds (a throw-away client, so a
    cheap probe that can run before every cell without waiting the default timeout)."""
    try:
        probe = _connect(timeout)
    except (errors.DockerlabError, docker.errors.DockerException, OSError):
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
        known = errors.classify(exc, image=image, where=_where())
        if known is None:
            raise
        if isinstance(known, (errors.EngineNotRunning, errors.EnginePermissionDenied)):
            reset()
        raise known from exc


def classify(exc: BaseException, image: str | None = None) -> errors.DockerlabError | None:
    """:func:`dockerlab.errors.classify`, naming this engine's address where a message needs it."""
    return errors.classify(exc, image=image, where=_where())


def _where() -> str:
    """The engine's address for a message (the default, if even the context is broken)."""
    try:
        return address().url
    except errors.DockerlabError:
        return DEFAULT_HOST


def server_version() -> dict:
    """The engine's ``docker version`` answer (Version, ApiVersion, Os, Arch, ...)."""
    with translated():
        return client().version()


def negotiated_api_version() -> str:
    """The API version this client and the engine agreed on."""
    return client().api.api_version
