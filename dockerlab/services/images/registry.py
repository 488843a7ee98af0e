"""A class mirror's address, whether the engine will pull from it, and a registry's pull quota.

A class mirror (``dockerlab images serve``, :mod:`dockerlab.services.images.serve`) is a registry on the
instructor's machine that speaks plain HTTP. An engine pulls over plain HTTP only from a registry on
127.0.0.0/8 (and ::1) or one its configuration lists under ``insecure-registries`` (by ``host:port``, or
by a CIDR range holding the host's address); any other it asks over HTTPS and fails with "http: server
gave HTTP response to HTTPS client". :func:`trust_problem` reads the engine's registry configuration
(``docker info``) to say so before a pull, and :func:`explain` turns the engine's own words into the same
plain-words error after one.

:func:`pull_quota` asks a registry for the quota Docker Hub reports on a manifest HEAD
(``ratelimit-limit`` / ``ratelimit-remaining``, e.g. ``100;w=21600``: 100 pulls per 21600 s), with an
anonymous token when the registry asks for one, as Docker's documentation shows with curl. A HEAD is not
counted as a pull.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass

import docker.errors
import requests

from dockerlab import config, engine, errors

#: The port ``dockerlab images serve`` listens on unless told otherwise (the registry's usual port).
DEFAULT_PORT = 5000
#: Docker Hub's registry and the repository Docker's documentation checks the quota with.
DOCKER_HUB = "https://registry-1.docker.io"
QUOTA_REPOSITORY = "ratelimitpreview/test"
#: The manifest types a HEAD asks for (Docker Hub answers a HEAD without Accept with an old schema).
MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
#: The engine's words when it asked a plain-HTTP registry over HTTPS.
_PLAIN_HTTP = ("server gave http response to https client",)


class BadMirrorAddress(errors.DockerlabError):
    title = "That is not a mirror's address"

    def __init__(self, given: str):
        super().__init__(
            f"{given!r} is not HOST:PORT (or HOST, for port {DEFAULT_PORT}), the way `dockerlab images serve` "
            "prints the address of a class mirror.",
            "Copy the address the instructor's `dockerlab images serve` printed, e.g. `--mirror 192.168.1.10:5000`.",
        )


class MirrorNotTrusted(errors.DockerlabError):
    title = "Your engine does not pull from the class mirror yet"

    def __init__(self, mirror: str):
        self.mirror = mirror
        super().__init__(
            f"The class mirror {mirror} serves images over plain HTTP, as registries in a room usually do. Docker "
            "pulls over plain HTTP only from registries on this machine (127.0.0.0/8) and from those listed under "
            f"`insecure-registries` in the engine's configuration; it asks any other over HTTPS, so it refuses {mirror} "
            "(its words: \"server gave HTTP response to HTTPS client\").",
            f'Add "insecure-registries": ["{mirror}"] to the engine\'s configuration and restart the engine. Linux: '
            "in /etc/docker/daemon.json (create it, or add the key to what is there), then `sudo systemctl restart "
            "docker`. Docker Desktop: Settings > Docker Engine, add the key to the JSON, Apply & restart. `docker "
            f"info` then lists {mirror} under Insecure Registries; run `dockerlab images ensure --mirror {mirror}` "
            "again. Plain HTTP can be read and changed on the way: list only a mirror on a network you trust, and "
            "take the entry out after the workshop.",
        )


class MirrorUnreachable(errors.DockerlabError):
    title = "The class mirror does not answer"

    def __init__(self, mirror: str, detail: str = ""):
        self.mirror = mirror
        super().__init__(
            f"Your engine could not reach the class mirror at {mirror}" + (f" ({detail})" if detail else "") + ".",
            "Check the address with the instructor (it is printed by `dockerlab images serve`, which must still be "
            "running), that this machine is on the room's network, and that the instructor's firewall lets the port "
            "in. Without a mirror, `dockerlab images ensure` pulls from Docker Hub or builds stand-ins offline.",
        )


class MirrorLacksImage(errors.DockerlabError):
    title = "The class mirror does not hold that image"

    def __init__(self, mirror: str, image: str):
        super().__init__(
            f"The class mirror at {mirror} answered but has no {image}.",
            "Ask the instructor to start `dockerlab images serve` again (it pushes every course image), or run "
            "`dockerlab images ensure` without --mirror.",
        )


def normal_address(given: str) -> str:
    """``HOST:PORT`` from what a learner typed: ``192.168.1.10``, ``192.168.1.10:5000``, ``http://host:5000/``.

    Raises:
        BadMirrorAddress: anything else (a path, a user name, spaces, no host).
    """
    text = given.strip()
    text = re.sub(r"^https?://", "", text).rstrip("/")
    host, port = split_address(text, given)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def split_address(text: str, given: str | None = None) -> tuple[str, int]:
    """(host, port) of ``HOST:PORT``, ``HOST``, ``[IPv6]:PORT``."""
    m = re.fullmatch(r"\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?", text) or re.fullmatch(r"([A-Za-z0-9.-]+)(?::(\d{1,5}))?", text)
    if not m or not m.group(1).strip(".-"):
        raise BadMirrorAddress(given if given is not None else text)
    port = int(m.group(2) or DEFAULT_PORT)
    if not 0 < port < 65536:
        raise BadMirrorAddress(given if given is not None else text)
    return m.group(1), port


def configured_mirror() -> str | None:
    """$DOCKERLAB_MIRROR as ``HOST:PORT``, or None."""
    return normal_address(config.MIRROR.text()) if config.MIRROR.is_set() else None


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in socket.getaddrinfo(host, None)]
    except OSError:
        return []


def is_loopback(host: str) -> bool:
    found = _addresses(host)
    return bool(found) and all(a.is_loopback for a in found)


def trust_problem(mirror: str, registry_config: dict | None) -> MirrorNotTrusted | None:
    """The error an engine with this registry configuration would give pulling from ``mirror`` over HTTP.

    Args:
        mirror: ``HOST:PORT`` (:func:`normal_address`).
        registry_config: ``docker info``'s ``RegistryConfig`` (``InsecureRegistryCIDRs``, ``IndexConfigs``); None
            (an engine that does not report it, such as Podman) is given the benefit of the doubt.

    Returns:
        None when the engine pulls from it over plain HTTP: loopback, listed by ``host:port``, or inside a listed range.
    """
    if registry_config is None:
        return None
    host, _port = split_address(mirror)
    if is_loopback(host):
        return None
    index = (registry_config.get("IndexConfigs") or {}).get(mirror) or {}
    if index.get("Secure") is False:
        return None
    ranges = []
    for cidr in registry_config.get("InsecureRegistryCIDRs") or []:
        try:
            ranges.append(ipaddress.ip_network(cidr, strict=False))
        except ValueError:
            continue
    addresses = _addresses(host)
    if addresses and all(any(a in net for net in ranges if a.version == net.version) for a in addresses):
        return None
    return MirrorNotTrusted(mirror)


def explain(exc: BaseException, mirror: str, image: str) -> errors.DockerlabError | None:
    """The plain-words error for a failed pull from the mirror (None: not one this module knows)."""
    text = (getattr(exc, "explanation", None) or getattr(exc, "message", None) or str(exc)).lower()
    cause = exc.__cause__ if isinstance(exc, errors.DockerlabError) and exc.__cause__ is not None else exc
    cause_text = (getattr(cause, "explanation", None) or str(cause)).lower()
    found: errors.DockerlabError | None = None
    if any(s in text or s in cause_text for s in _PLAIN_HTTP):
        found = MirrorNotTrusted(mirror)
    elif isinstance(exc, errors.ImageMissing):
        found = MirrorLacksImage(mirror, image)
    elif isinstance(exc, errors.RegistryUnreachable):
        found = MirrorUnreachable(mirror, _reason(cause_text))
    if found is not None:
        found.__cause__ = cause
    return found


def _reason(text: str) -> str:
    for words, said in (("connection refused", "connection refused: nothing listens on that port"),
                        ("no such host", "no machine of that name"), ("i/o timeout", "no answer in time"),
                        ("no route to host", "no route to that address")):
        if words in text:
            return said
    return ""


def names_of(reference: str) -> set[str]:
    """The tag ``reference`` and the digest references of its repository (``REPO@sha256:...``), if the
    engine has that image: the names a pull or push under ``reference`` adds, to remove by name."""
    try:
        attrs = engine.client().api.inspect_image(reference)
    except docker.errors.ImageNotFound:
        return set()
    repository = reference.rsplit(":", 1)[0]
    return {n for n in attrs.get("RepoTags") or [] if n == reference} | {
        d for d in attrs.get("RepoDigests") or [] if d.split("@", 1)[0] == repository}


# -- the pull quota ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Quota:
    """What a registry said about pulls.

    Attributes:
        registry: The registry's URL.
        limit, remaining: Pulls per window, and left in it (None: the registry sent no such header).
        window: The window in seconds (the ``w=`` of the header), if given.
        source: ``docker-ratelimit-source`` (the address the count is kept for), if given.
    """

    registry: str
    limit: int | None
    remaining: int | None
    window: int | None = None
    source: str | None = None

    @property
    def reported(self) -> bool:
        return self.remaining is not None or self.limit is not None

    def __str__(self) -> str:
        if not self.reported:
            return "answers, and reports no pull limit"
        per = f" per {_duration(self.window)}" if self.window else ""
        limit = f" of {self.limit}" if self.limit is not None else ""
        left = f"{self.remaining}{limit} pulls left{per}" if self.remaining is not None else f"limit {self.limit}{per}"
        return left + (f", counted for {self.source}" if self.source else "")


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"


def parse_ratelimit(value: str | None) -> tuple[int | None, int | None]:
    """``"76;w=21600"`` -> (76, 21600); (None, None) when absent or unreadable."""
    if not value:
        return None, None
    m = re.match(r"\s*(\d+)\s*(?:;\s*w\s*=\s*(\d+))?", value)
    if not m:
        return None, None
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


def _bearer(challenge: str) -> dict[str, str] | None:
    if not challenge.lower().startswith("bearer "):
        return None
    return dict(re.findall(r'(\w+)="([^"]*)"', challenge))


def pull_quota(registry: str = DOCKER_HUB, repository: str = QUOTA_REPOSITORY, reference: str = "latest",
               timeout: float = 5.0) -> Quota:
    """Ask ``registry`` (a URL: ``https://registry-1.docker.io``, ``http://127.0.0.1:5000``) for its quota.

    A 401 with a ``Bearer`` challenge is answered with an anonymous token from the challenge's realm, for
    ``repository:REPOSITORY:pull``, as Docker's documentation does by hand.

    Raises:
        requests.RequestException: the registry (or its token service) did not answer, or answered an error.
    """
    url = f"{registry.rstrip('/')}/v2/{repository}/manifests/{reference}"
    headers = {"Accept": MANIFEST_TYPES}
    with requests.Session() as http:
        http.trust_env = True
        answer = http.head(url, headers=headers, timeout=timeout, allow_redirects=True)
        challenge = _bearer(answer.headers.get("WWW-Authenticate", "")) if answer.status_code == 401 else None
        if challenge and challenge.get("realm"):
            params = {"service": challenge.get("service", ""), "scope": f"repository:{repository}:pull"}
            granted = http.get(challenge["realm"], params={k: v for k, v in params.items() if v}, timeout=timeout)
            granted.raise_for_status()
            body = granted.json()
            token = body.get("token") or body.get("access_token")
            answer = http.head(url, headers={**headers, "Authorization": f"Bearer {token}"}, timeout=timeout,
                               allow_redirects=True)
        if answer.status_code not in (200, 404, 429):
            answer.raise_for_status()
    limit, window = parse_ratelimit(answer.headers.get("ratelimit-limit"))
    remaining, window_left = parse_ratelimit(answer.headers.get("ratelimit-remaining"))
    return Quota(registry, limit, remaining, window or window_left, answer.headers.get("docker-ratelimit-source"))
