"""The errors dockerlab raises, each with a plain-words message and the fix.

Every error a learner can meet is a :class:`DockerlabError`: a short paragraph that says what went
wrong, and ``fix``, what to do about it. :func:`classify` turns the exceptions docker-py raises
into these, keeping the original as ``__cause__`` so nothing is lost for a debugger.

This module imports nothing from the rest of the package (docker-py's and requests' exception
types only): it is the bottom layer. The engine layer passes the engine's address in when a
message names it.
"""

from __future__ import annotations

import re

import docker.errors
import requests.exceptions

INSTALL_DOCS = "https://docs.docker.com/engine/install/"


class DockerlabError(Exception):
    """Base class: something the learner can act on.

    Attributes:
        message: What went wrong, in one paragraph of plain words.
        fix: What to do about it (often a command).
    """

    title = "Something went wrong"

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}\nFix: {self.fix}" if self.fix else self.message


class EngineNotRunning(DockerlabError):
    title = "The Docker engine is not running"

    def __init__(self, detail: str = ""):
        super().__init__(
            "dockerlab could not reach a Docker engine" + (f" ({detail})" if detail else "") + ". "
            "Commands like `docker run` talk to the engine (dockerd) through its socket; with no "
            "engine listening, nothing in this lesson can run.",
            "Start the engine (Docker Desktop: open it; Linux: `sudo systemctl start docker`, or "
            f"run `make lab` from the course folder, which starts one). Install docs: {INSTALL_DOCS}",
        )


class EnginePermissionDenied(DockerlabError):
    title = "No permission to use the Docker engine"

    def __init__(self, socket: str = "/var/run/docker.sock"):
        super().__init__(
            f"The engine's socket {socket} exists but this user may not open it. Access to that "
            "socket is root-equivalent (anyone who can use it can start a container that mounts "
            "the host's / and changes anything), so it is limited to root and the `docker` group.",
            "Run `sudo usermod -aG docker $USER`, then log out and in again (or `newgrp docker`). "
            "Only do this on a machine you own: the docker group is as powerful as root.",
        )


class EngineTooOld(DockerlabError):
    title = "The Docker engine is too old"

    def __init__(self, detail: str):
        super().__init__(
            f"The engine refused the API version dockerlab asked for: {detail}",
            "Let dockerlab negotiate the version (do not set DOCKER_API_VERSION), or upgrade the engine.",
        )


class EngineTimeout(DockerlabError):
    title = "The Docker engine did not answer in time"

    def __init__(self, what: str, seconds: float):
        super().__init__(
            f"The engine took longer than {seconds:g} s to {what}. It may be busy (a large build "
            "or pull), short of disk, or stuck.",
            "Check it with `docker info` and `dockerlab doctor`; if it hangs, restart the engine.",
        )


class PortInUse(DockerlabError):
    title = "That host port is already taken"

    def __init__(self, port: int | str):
        self.port = port
        super().__init__(
            f"Host port {port} is already in use, by another container or another program, so "
            "Docker cannot publish a container port on it. Only one listener can own a host "
            "port; the container itself was not started.",
            f"Pick another host port (e.g. `-p 127.0.0.1:{_next_port(port)}:80`), or stop what "
            f"holds {port}: `docker ps --filter publish={port}` shows a container that does; "
            f"`ss -ltnp 'sport = :{port}'` shows any program.",
        )


class NameInUse(DockerlabError):
    title = "That container name is already taken"

    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f'A container named "{name}" already exists (running or stopped). Names are unique '
            "on an engine, so a second `docker run --name` with the same name is refused.",
            f"Remove the old one with `docker rm -f {name}` if it is yours, or choose another name.",
        )


class NoSuchContainer(DockerlabError):
    title = "No such container"

    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f'There is no container named "{name}" on this engine (it may have been removed, or the '
            "name has a typo).",
            "List what exists with `docker ps -a`.",
        )


class ContainerNotRunning(DockerlabError):
    title = "That container is not running"

    def __init__(self, name: str):
        self.name = name
        super().__init__(
            f'The container "{name}" is not running (it exited, or was never started), so nothing can '
            "run inside it: `docker exec` needs a running container.",
            f"Start it with `docker start {name}`, or see why it stopped with `docker logs {name}`.",
        )


class ImageMissing(DockerlabError):
    title = "Image not found"

    def __init__(self, image: str, pulled: bool | None = None):
        """
        Args:
            image: The image's name.
            pulled: True when a pull was tried and the registry has no such image; False when
                nothing tried to pull it (creating a container never pulls); None when unknown.
        """
        self.image = image
        self.pulled = pulled
        why = {
            True: ", and the registry has no image by that name (or wants a login to show it), so it could not be pulled",
            False: " (`docker images` lists the ones that are), and nothing pulled it: dockerlab never downloads an image on its own",
            None: "",
        }[pulled]
        super().__init__(
            f'The image "{image}" is not on this engine{why}.',
            "Check its name and tag; build it (`docker build -t NAME .`) or run `dockerlab images ensure`, "
            "which pulls the course's images or builds local stand-ins when no registry answers.",
        )


class RegistryUnreachable(DockerlabError):
    title = "No image registry answers"

    def __init__(self, image: str = ""):
        super().__init__(
            "The engine could not reach an image registry"
            + (f" to pull {image}" if image else "")
            + " (no network, a proxy, or DNS). The course does not need one.",
            "Run `dockerlab images ensure`: it builds local stand-ins of the course images offline.",
        )


class PullRateLimited(DockerlabError):
    title = "Docker Hub's pull limit reached"

    def __init__(self):
        super().__init__(
            "Docker Hub refused the pull: anonymous pulls are limited per address (a classroom "
            "behind one address shares the limit).",
            "Wait, log in (`docker login`), or have the instructor hand out an image bundle "
            "(`dockerlab images save FILE` / `dockerlab images load FILE`).",
        )


class BuildFailed(DockerlabError):
    title = "The image build failed"

    def __init__(self, step: str, log: str, returncode: int | None = None):
        self.step = step
        self.log = log
        self.returncode = returncode
        super().__init__(
            f"The build stopped at: {step or 'an unknown step'}. The lines just before the "
            "failure (below) usually say why.\n" + _tail(log, 15),
            "Fix that instruction in the Dockerfile and build again.",
        )


class ComposeFailed(DockerlabError):
    title = "docker compose failed"

    def __init__(self, command: str, output: str):
        self.output = output
        super().__init__(
            f"`{command}` failed:\n{_tail(output, 15)}",
            "Read the message above; `docker compose config` validates the file.",
        )


class CommandNotFound(DockerlabError):
    title = "The container's command is not in its image"

    def __init__(self, command: str, image: str | None = None):
        self.command = command
        where = f"the image {image}" if image else "its image"
        super().__init__(
            f"The engine created the container but could not start it: {where} has no program `{command}` "
            "(the engine looks it up on the image's PATH). The container was removed, so nothing is left behind.",
            f"Check the spelling, or whether the image has it: docker run --rm {image or 'IMAGE'} ls /usr/bin /bin",
        )


class ToolMissing(DockerlabError):
    title = "A Docker CLI component is missing"

    def __init__(self, tool: str):
        super().__init__(
            f"`{tool}` is not available to the docker CLI.",
            "Run `bash scripts/ensure-engine.sh` (or `make lab`), which installs it as a CLI plugin.",
        )


class Refused(DockerlabError):
    """dockerlab will not do this on purpose (a safety rule), whoever asks."""

    title = "dockerlab refuses this on purpose"


def _next_port(port: int | str) -> int:
    try:
        return int(port) + 1
    except ValueError:
        return 8081


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


_PORT = re.compile(r"(?:Bind for [^ ]*?:|port\s+)(\d+)(?: failed)?.*?(?:already allocated|address already in use)", re.I)
_PORT_ALT = re.compile(r":(\d+): bind: address already in use", re.I)
_NAME = re.compile(r'container name "/?([^"]+)" is already in use', re.I)
_NO_CONTAINER = re.compile(r"no such container: ([\w.-]+)", re.I)
_NOT_RUNNING = re.compile(r"container ([\w.-]+) is not running", re.I)
# runc's words (20.10 and 28 alike): exec: "nosuchcommand": executable file not found in $PATH
_NO_PROGRAM = re.compile(r'exec: "([^"]+)": executable file not found')
#: The engine's words when a registry answered but has no such image (ImageNotFound covers some, not all).
_NOTHING_TO_PULL = ("pull access denied", "repository does not exist", "manifest unknown", "no pull access")
#: The engine's words when it could not reach a registry (its own network, not the engine socket).
_REGISTRY_UNREACHABLE = ("no such host", "dial tcp", "i/o timeout", "tls handshake", "server misbehaving", "connection refused")


def classify(exc: BaseException, image: str | None = None, where: str | None = None) -> DockerlabError | None:
    """Map an exception from docker-py (or requests under it) to a dockerlab error.

    The exception's type and HTTP status decide first, its words second: "connection refused"
    means no engine when docker-py could not connect, but a registry that refused the engine when
    the engine itself answered with an error.

    Args:
        exc: The exception docker-py raised (or, for an error event of a stream, a RuntimeError
            holding the engine's words).
        image: The image the failing call was about, to name it in the message.
        where: The engine's address, to name it when no engine was reached (the engine layer
            passes it; this module knows nothing above it).

    Returns:
        A :class:`DockerlabError` whose ``__cause__`` is ``exc``, or None if the failure is not
        one dockerlab knows how to explain (callers then re-raise the original).
    """
    if isinstance(exc, DockerlabError):
        return exc
    found = _unreached(exc, where) if _is_transport(exc) else _answered(exc, image)
    if found is not None:
        found.__cause__ = exc
    return found


def _is_transport(exc: BaseException) -> bool:
    """True when docker-py never got an answer from the engine (no socket, no permission, no reply)."""
    if isinstance(exc, docker.errors.APIError):
        return False  # an HTTP error: the engine answered
    return isinstance(exc, (docker.errors.DockerException, requests.exceptions.RequestException, OSError))


def _unreached(exc: BaseException, where: str | None) -> DockerlabError | None:
    """The engine could not be reached, or did not reply in time."""
    text = str(exc)
    lowered = text.lower()
    if "permission denied" in lowered and ("sock" in lowered or "connection aborted" in lowered):
        return EnginePermissionDenied()
    if isinstance(exc, requests.exceptions.Timeout) or "read timed out" in lowered:
        return EngineTimeout("answer", _timeout_of(exc))
    if "fetching server api version" in lowered or "connection refused" in lowered or "filenotfounderror" in lowered:
        return EngineNotRunning(_engine_detail(text, lowered, where))
    return None


def _answered(exc: BaseException, image: str | None) -> DockerlabError | None:
    """The engine answered with an error (an HTTP status, or an error event in a stream)."""
    status = getattr(getattr(exc, "response", None), "status_code", None)
    text = getattr(exc, "explanation", None) or str(exc)  # the engine's own words, without docker-py's URL
    lowered = text.lower()
    if status == 400 and "is too new" in lowered:
        return EngineTooOld(text)
    if "already allocated" in lowered or "address already in use" in lowered:
        m = _PORT.search(text) or _PORT_ALT.search(text)
        return PortInUse(m.group(1) if m else "?")
    if any(s in lowered for s in _NOTHING_TO_PULL):
        return ImageMissing(image or _image_in(text), pulled=True)
    if isinstance(exc, docker.errors.ImageNotFound) or "no such image" in lowered:
        return ImageMissing(image or _image_in(text), pulled=False)
    m = _NAME.search(text)
    if m or (status == 409 and "already in use" in lowered):
        return NameInUse(m.group(1) if m else "?")
    m = _NO_CONTAINER.search(text)
    if m:
        return NoSuchContainer(m.group(1))
    m = _NOT_RUNNING.search(text)
    if m:
        return ContainerNotRunning(m.group(1)[:12])
    m = _NO_PROGRAM.search(text)
    if m:
        return CommandNotFound(m.group(1), image)
    if "toomanyrequests" in lowered or "pull rate limit" in lowered:
        return PullRateLimited()
    if any(s in lowered for s in _REGISTRY_UNREACHABLE):
        return RegistryUnreachable(image or "")
    return None


def _engine_detail(text: str, lowered: str, where: str | None) -> str:
    """Where dockerlab looked for the engine and what it found, in words (not docker-py's repr)."""
    where = where or "the engine's address"
    if "filenotfounderror" in lowered or "no such file" in lowered:
        return f"there is no socket at {where}"
    if "connection refused" in lowered:
        return f"nothing listens at {where}"
    return _short(text)


def _short(text: str) -> str:
    return text if len(text) < 200 else text[:197] + "..."


def _timeout_of(exc: BaseException) -> float:
    m = re.search(r"read timeout=(\d+(?:\.\d+)?)", str(exc))
    return float(m.group(1)) if m else 0


def _image_in(text: str) -> str:
    m = re.search(r"(?:image|repository)[: ]+\"?([\w./:-]+)", text, re.I)
    return m.group(1) if m else "?"
