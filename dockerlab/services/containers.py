"""Containers on the engine as plain rows, their logs, and stopping or removing course ones.

Listing shows every container (the learner's own ones too, read-only); :func:`stop` and
:func:`remove` act only on course containers of this session or of a session whose kernel is
gone, so a view can never touch what the learner made outside the course or what a classmate
sharing the engine is running.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import docker.errors

from dockerlab import engine
from dockerlab import errors
from dockerlab.engine import session as sessions

#: Host addresses that a browser on this machine reaches as 127.0.0.1.
_LOCAL = {"", "0.0.0.0", "::", "127.0.0.1", "::1"}


@dataclass
class Port:
    """One published (or only exposed) container port."""

    container_port: int
    protocol: str = "tcp"
    host_ip: str | None = None
    host_port: int | None = None

    @property
    def url(self) -> str | None:
        """``http://127.0.0.1:PORT`` for a TCP port published where this machine can reach it."""
        if self.host_port and self.protocol == "tcp" and (self.host_ip or "") in _LOCAL:
            return f"http://127.0.0.1:{self.host_port}"
        return None

    def __str__(self) -> str:
        inside = f"{self.container_port}/{self.protocol}"
        if not self.host_port:
            return inside
        return f"{self.host_ip or '0.0.0.0'}:{self.host_port}->{inside}"


@dataclass
class ContainerRow:
    """What ``docker ps -a`` shows about one container, plus whether it is the course's."""

    id: str
    name: str
    image: str
    state: str
    status: str
    created: datetime
    ports: list[Port] = field(default_factory=list)
    is_course: bool = False
    session: str | None = None
    lesson: str | None = None
    #: True when dockerlab may stop or remove it (a course container of this or a dead session).
    manageable: bool = False

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def links(self) -> list[str]:
        return [p.url for p in self.ports if p.url]

    def __str__(self) -> str:
        ports = ", ".join(map(str, self.ports)) or "-"
        mark = " [course]" if self.is_course else ""
        return f"{self.name}{mark}  {self.image}  {self.status}  ports: {ports}"


def may_manage(labels: dict | None, name: str) -> tuple[bool, str | None, str | None]:
    """Whether dockerlab may stop/remove a resource: (allowed, session id, lesson).

    Allowed only for course resources (:func:`session.owner_of`) of this session or of a session
    of this machine whose kernel is gone; a live classmate's resources are left alone.
    """
    sid, lesson = sessions.owner_of(labels, name)
    if sid is None:
        return False, None, None
    return sid == sessions.current_id() or sessions.Session.is_dead(sid), sid, lesson


def list_containers(all_: bool = True, course_only: bool = False) -> list[ContainerRow]:
    """The engine's containers, newest first.

    Args:
        all_: Include stopped containers (like ``docker ps -a``).
        course_only: Only containers that belong to the course (any session).
    """
    with engine.translated():
        found = engine.client().api.containers(all=all_)
    rows = [_row(c) for c in found]
    return [r for r in rows if r.is_course] if course_only else rows


def get(name: str) -> ContainerRow:
    """One container's row, by name or id.

    Raises:
        errors.NoSuchContainer: when it does not exist.
    """
    with engine.translated():
        found = engine.client().api.containers(all=True, filters={"id": name}) if _looks_like_id(name) else []
        if not found:
            # The name filter matches substrings: keep only the exact name.
            found = [
                c
                for c in engine.client().api.containers(all=True, filters={"name": name})
                if name in (n.lstrip("/") for n in c.get("Names") or ())
            ]
    if not found:
        raise errors.NoSuchContainer(name)
    return _row(found[0])


def logs_tail(name: str, lines: int = 20) -> str:
    """The last ``lines`` lines the container printed (stdout and stderr merged)."""
    with engine.translated():
        try:
            raw = engine.client().api.logs(name, tail=lines, stdout=True, stderr=True)
        except docker.errors.NotFound as exc:
            raise errors.NoSuchContainer(name) from exc
    return raw.decode("utf-8", errors="replace")


def stop(name: str, timeout: int = 5) -> ContainerRow:
    """Stop a course container (SIGTERM, then SIGKILL after ``timeout`` s) and return its new row.

    Raises:
        errors.Refused: it is not a course container of this (or a dead) session.
    """
    row = _manageable(name, "stop")
    with engine.translated():
        engine.client().api.stop(row.id, timeout=timeout)
    return get(row.id)


def remove(name: str) -> ContainerRow:
    """Remove a course container (stopping it first if it runs) with its anonymous volumes.

    Returns:
        The row it had before removal.

    Raises:
        errors.Refused: it is not a course container of this (or a dead) session.
    """
    row = _manageable(name, "remove")
    with engine.translated():
        try:
            engine.client().api.remove_container(row.id, force=True, v=True)
        except docker.errors.NotFound:
            pass  # already gone: the learner's wish is fulfilled
    return row


def _manageable(name: str, verb: str) -> ContainerRow:
    row = get(name)
    if not row.manageable:
        whose = "another learner's live session" if row.is_course else "not part of the course"
        raise errors.Refused(
            f'dockerlab will not {verb} "{row.name}": it is {whose}. dockerlab only {verb}s '
            "containers this notebook's session created.",
            f"If it is yours to {verb}, do it yourself: `docker {'rm -f' if verb == 'remove' else verb} {row.name}`.",
        )
    return row


def _row(c: dict) -> ContainerRow:
    name = (c.get("Names") or ["/" + c["Id"][:12]])[0].lstrip("/")
    allowed, sid, lesson = may_manage(c.get("Labels"), name)
    return ContainerRow(
        id=c["Id"],
        name=name,
        image=c.get("Image", ""),
        state=c.get("State", ""),
        status=c.get("Status", ""),
        created=datetime.fromtimestamp(c.get("Created", 0), tz=timezone.utc),
        ports=_ports(c.get("Ports") or []),
        is_course=sid is not None,
        session=sid,
        lesson=lesson,
        manageable=allowed,
    )


def _ports(raw: list[dict]) -> list[Port]:
    """Ports from the list API, one per container port and host port (IPv4 and IPv6 merged)."""
    seen: dict[tuple, Port] = {}
    for p in raw:
        key = (p.get("PrivatePort"), p.get("Type", "tcp"), p.get("PublicPort"))
        if key not in seen or p.get("IP") in ("0.0.0.0", "127.0.0.1"):
            seen[key] = Port(p.get("PrivatePort", 0), p.get("Type", "tcp"), p.get("IP"), p.get("PublicPort"))
    return sorted(seen.values(), key=lambda p: (p.container_port, p.protocol, p.host_port or 0))


def _looks_like_id(text: str) -> bool:
    return 12 <= len(text) <= 64 and all(ch in "0123456789abcdef" for ch in text)
