"""Compose projects through the real ``docker compose`` CLI: validated config, status, up and down.

Course projects are named after the session (``app-dl3f9a1c``), so Compose's containers
(``app-dl3f9a1c-web-1``) and networks (``app-dl3f9a1c_default``) are recognised as the course's
and cleaned up with it. :func:`up` and :func:`down` refuse other project names, and :func:`up`
applies the rules of :meth:`Session.run <dockerlab.session.Session.run>` to every service.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dockerlab.engine import dockercli
from dockerlab.engine import safety
from dockerlab import errors
from dockerlab.engine import session as sessions
from dockerlab.services.containers import Port, may_manage

_PROJECT_CHARS = re.compile(r"[^a-z0-9_-]+")


@dataclass
class ServiceConfig:
    """One service as Compose resolved it."""

    name: str
    image: str | None = None
    build: bool = False
    ports: list[Port] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    healthcheck: bool = False


@dataclass
class ComposeConfig:
    """A compose file after Compose validated and resolved it (``docker compose config``)."""

    project: str
    file: str
    services: list[ServiceConfig] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    raw: dict = field(default_factory=dict)

    def __str__(self) -> str:
        lines = [f"project {self.project} ({self.file})"]
        for s in self.services:
            ports = ", ".join(map(str, s.ports)) or "-"
            lines.append(f"  {s.name}: {s.image or '(built)'}  networks: {', '.join(s.networks)}  ports: {ports}")
        return "\n".join(lines)


@dataclass
class ServiceState:
    """One container of a running project (``docker compose ps``)."""

    service: str
    name: str
    state: str
    health: str = ""
    status: str = ""
    exit_code: int | None = None
    image: str = ""
    ports: list[Port] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        health = f" ({self.health})" if self.health else ""
        ports = ", ".join(map(str, self.ports)) or "-"
        return f"{self.service}: {self.name} {self.state}{health}  ports: {ports}  networks: {', '.join(self.networks)}"


@dataclass
class ProjectStatus:
    """A project's containers, and the networks they are on."""

    project: str
    services: list[ServiceState] = field(default_factory=list)

    @property
    def networks(self) -> list[str]:
        return sorted({n for s in self.services for n in s.networks})

    def __str__(self) -> str:
        if not self.services:
            return f"project {self.project}: no containers"
        return "\n".join([f"project {self.project}:", *("  " + str(s) for s in self.services)])


def project_name(path_or_dir: str | os.PathLike, base: str | None = None) -> str:
    """A session-unique project name for a folder: ``myapp`` -> ``myapp-dl3f9a1c``."""
    folder = Path(path_or_dir)
    folder = folder if folder.is_dir() else folder.parent
    clean = _PROJECT_CHARS.sub("-", (base or folder.resolve().name).lower()).strip("-_") or "app"
    return sessions.current().name(clean)


def config(path_or_dir: str | os.PathLike, project: str | None = None) -> ComposeConfig:
    """Validate a compose file and return it as Compose resolved it.

    Args:
        path_or_dir: A compose file, or a folder Compose finds one in (``compose.yaml``...).
        project: Project name (default: Compose's, from the folder name).

    Raises:
        errors.ComposeFailed: with Compose's own message when the file is invalid or missing.
    """
    args, cwd = _target(path_or_dir, project)
    return parse_config(_resolved(args, cwd), str(path_or_dir))


def _resolved(args: list[str], cwd: str | None) -> dict:
    """``docker compose ARGS config --format json``, parsed."""
    done = dockercli.run([*args, "config", "--format", "json"], cwd=cwd, timeout=60)
    if done.returncode != 0:
        raise errors.ComposeFailed("docker compose config", done.stderr or done.stdout)
    return json.loads(done.stdout)


def parse_config(raw: dict, file: str = "") -> ComposeConfig:
    """Turn ``docker compose config --format json`` output into a :class:`ComposeConfig`."""
    services = []
    for name, svc in sorted((raw.get("services") or {}).items()):
        nets = svc.get("networks")
        if nets is None and svc.get("network_mode") is None:
            nets = {"default": None}
        services.append(
            ServiceConfig(
                name=name,
                image=svc.get("image"),
                build="build" in svc,
                ports=[
                    Port(int(p.get("target", 0)), p.get("protocol", "tcp"), p.get("host_ip"), _int(p.get("published")))
                    for p in svc.get("ports") or ()
                ],
                networks=sorted(nets or ()),
                depends_on=sorted(svc.get("depends_on") or ()),
                healthcheck=bool(svc.get("healthcheck")) and not (svc.get("healthcheck") or {}).get("disable"),
            )
        )
    networks = sorted(raw.get("networks") or ()) or (["default"] if services else [])
    return ComposeConfig(
        project=raw.get("name", ""),
        file=file,
        services=services,
        networks=networks,
        volumes=sorted(raw.get("volumes") or ()),
        raw=raw,
    )


def ps(project: str, workdir: str | os.PathLike | None = None) -> ProjectStatus:
    """The project's containers, running or not (``docker compose ps -a``).

    Args:
        project: The project name.
        workdir: Folder to run Compose in (not needed: Compose finds containers by label).
    """
    done = dockercli.run(["compose", "-p", project, "ps", "-a", "--format", "json"], cwd=_cwd(workdir), timeout=60)
    if done.returncode != 0:
        raise errors.ComposeFailed(f"docker compose -p {project} ps", done.stderr or done.stdout)
    return ProjectStatus(project, parse_ps(done.stdout, project))


def parse_ps(text: str, project: str = "") -> list[ServiceState]:
    """Parse ``compose ps --format json``: one object per line (2.21+) or one JSON array (older)."""
    text = text.strip()
    if not text:
        return []
    items = json.loads(text) if text.startswith("[") else [json.loads(line) for line in text.splitlines() if line.strip()]
    prefix = f"{project}_" if project else ""
    states = []
    for item in items:
        networks = [n for n in (item.get("Networks") or "").split(",") if n]
        states.append(
            ServiceState(
                service=item.get("Service", ""),
                name=item.get("Name", ""),
                state=item.get("State", ""),
                health=item.get("Health", ""),
                status=item.get("Status", ""),
                exit_code=item.get("ExitCode"),
                image=item.get("Image", ""),
                ports=_publishers(item.get("Publishers") or []),
                networks=sorted(n.removeprefix(prefix) for n in networks),
            )
        )
    return sorted(states, key=lambda s: (s.service, s.name))


def up(
    path_or_dir: str | os.PathLike,
    project: str | None = None,
    *,
    lesson: str | None = None,
    build: bool = False,
    wait: bool = True,
    timeout: float = 300,
) -> ProjectStatus:
    """``docker compose up -d`` a course project the safe way, and return its status.

    The file is resolved first (``docker compose config``) and refused if a service asks for a
    way into the host (:mod:`dockerlab.safety`: privileged, the engine socket or / mounted, a host
    namespace, a dangerous capability, a device, an unconfined profile). It then starts with one
    more file, an override written in the session's work folder (:func:`override`), that gives
    every service the session's labels and dockerlab's default limits, and binds published ports
    that name no host address to 127.0.0.1, as :meth:`Session.run <dockerlab.session.Session.run>`
    does for a single container.

    Args:
        path_or_dir: The compose file or its folder.
        project: A session-unique name (default: :func:`project_name` of the folder).
        lesson: The lesson the project belongs to (labelled, for its reset).
        build: Build images first (``--build``).
        wait: Wait until services are running/healthy (``--wait``).

    Raises:
        errors.Refused: ``project`` is not named after this session, or the file asks for the host.
        errors.ComposeFailed: Compose failed (its output is in the message).
    """
    project = project or project_name(path_or_dir)
    _check_project(project, "start")
    args, cwd = _target(path_or_dir, project)
    raw = _resolved(args, cwd)
    safety.refuse_unsafe_project(raw, Path(args[args.index("-f") + 1]).name)  # the learner's (first) file
    session = sessions.current()
    extra = session.workdir / f"{project}.override.yaml"
    extra.write_text(yaml.dump(override(raw, session.labels(lesson)), Dumper=_Dumper, sort_keys=False))
    args += ["-f", str(extra), "up", "-d"] + (["--build"] if build else []) + (["--wait"] if wait else [])
    done = dockercli.run(args, cwd=cwd, timeout=timeout)
    if done.returncode != 0:
        raise errors.ComposeFailed(f"docker compose -p {project} up", done.stderr or done.stdout)
    return ps(project)


def override(raw: dict, resource_labels: dict[str, str]) -> dict:
    """The Compose override that makes a resolved project follow dockerlab's rules.

    Every service gets ``resource_labels`` (so cleanup by label finds its containers), the default
    memory, process and log limits where it sets none of its own, and its published ports that
    name no host address bound to 127.0.0.1. Networks and volumes the project creates get the
    labels too; external ones are not the project's and are left alone.

    Args:
        raw: ``docker compose config --format json`` of the learner's file, parsed.
        resource_labels: The session's labels (:meth:`Session.labels <dockerlab.session.Session.labels>`).
    """
    services = {}
    for name, svc in (raw.get("services") or {}).items():
        limits = ((svc.get("deploy") or {}).get("resources") or {}).get("limits") or {}
        extra: dict = {"labels": dict(resource_labels)}
        if not svc.get("mem_limit") and not limits.get("memory"):
            extra["mem_limit"] = sessions.DEFAULT_MEMORY
        if not svc.get("pids_limit") and not limits.get("pids"):
            extra["pids_limit"] = sessions.DEFAULT_PIDS
        if not svc.get("logging"):
            extra["logging"] = {"driver": sessions.DEFAULT_LOG["type"], "options": dict(sessions.DEFAULT_LOG["config"])}
        if any(not p.get("host_ip") for p in svc.get("ports") or ()):
            # Compose appends ports from a second file; !override replaces the list (Compose 2.24+).
            extra["ports"] = _Override({**p, "host_ip": p.get("host_ip") or sessions.LOOPBACK} for p in svc["ports"])
        services[name] = extra
    made = {}
    for kind in ("networks", "volumes"):
        owned = {name: {"labels": dict(resource_labels)} for name, item in (raw.get(kind) or {}).items()
                 if not (item or {}).get("external")}
        if owned:
            made[kind] = owned
    return {"services": services, **made}


class _Override(list):
    """A list that replaces the learner's instead of being merged into it (YAML tag ``!override``)."""


class _Dumper(yaml.SafeDumper):
    """PyYAML's safe dumper, plus Compose's ``!override`` tag (a subclass: the global one stays as is)."""


_Dumper.add_representer(_Override, lambda dumper, data: dumper.represent_sequence("!override", data))


def down(project: str, workdir: str | os.PathLike | None = None, *, volumes: bool = True, timeout: float = 120) -> str:
    """``docker compose down`` a course project (containers, networks, and volumes if asked).

    Returns:
        Compose's output.

    Raises:
        errors.Refused: the project is not this session's (or a dead session's).
    """
    _check_project(project, "remove")
    args = ["compose", "-p", project, "down", "--remove-orphans", "-t", "3"] + (["-v"] if volumes else [])
    done = dockercli.run(args, cwd=_cwd(workdir), timeout=timeout)
    if done.returncode != 0:
        raise errors.ComposeFailed(f"docker compose -p {project} down", done.stderr or done.stdout)
    return (done.stderr + done.stdout).strip()


def _check_project(project: str, verb: str) -> None:
    allowed, _sid, _lesson = may_manage(None, project)
    if not allowed:
        raise errors.Refused(
            f'dockerlab will not {verb} the Compose project "{project}": only projects named after '
            "this notebook's session (like `app-dl3f9a1c`) are the course's, so only those are "
            "cleaned up with it.",
            "Name the project with `lesson.name('app')` (`docker compose -p NAME ...`).",
        )


#: The files Compose looks for in a folder, in its order, and the override it adds to the first found.
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml")


def _target(path_or_dir, project: str | None) -> tuple[list[str], str | None]:
    """Compose arguments (``-f`` for every file) and working folder for a file or a folder.

    A folder's files are named with ``-f`` as Compose would find them, so that :func:`up` can add
    its own override: Compose stops looking for files as soon as one ``-f`` is given.
    """
    path = Path(path_or_dir)
    args = ["compose"]
    if path.is_dir():
        cwd = str(path)
        found = [next((path / n for n in names if (path / n).is_file()), None) for names in (COMPOSE_FILES, OVERRIDE_FILES)]
        if found[0] is None:
            raise errors.ComposeFailed(
                "docker compose config", f"no compose file in {path} (Compose looks for {', '.join(COMPOSE_FILES)})"
            )
        args += [arg for file in found if file is not None for arg in ("-f", str(file.absolute()))]
    else:
        cwd = str(path.parent) if path.parent.is_dir() else None
        args += ["-f", str(path.absolute())]
    if project:
        args += ["-p", project]
    return args, cwd


def _cwd(workdir) -> str | None:
    return str(workdir) if workdir else None


def _publishers(raw: list[dict]) -> list[Port]:
    seen: dict[tuple, Port] = {}
    for p in raw:
        port = Port(int(p.get("TargetPort") or 0), p.get("Protocol") or "tcp", p.get("URL") or None, p.get("PublishedPort") or None)
        key = (port.container_port, port.protocol, port.host_port)
        if key not in seen or port.host_ip in ("0.0.0.0", "127.0.0.1"):
            seen[key] = port
    return sorted(seen.values(), key=lambda p: (p.container_port, p.host_port or 0))


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
