"""Building blocks about a compose file, judged by Compose itself.

The file is validated and normalised by ``docker compose -f FILE config --format json`` (the same
code ``docker compose up`` runs), so Compose's own error message is the reason when it is
invalid, and short and long syntax (``"8080:80"`` or a mapping) look the same to the checks.
Only the obsolete ``version:`` key is looked up in the raw YAML, since Compose drops it.

    compose.valid(file)
    compose.no_version_key(file)
    compose.well_formed(file)                   both, valid as a prerequisite: an exercise starts with yield from it
    compose.service_exists(file, "web")
    compose.builds(file, "web")                 /  compose.uses_image(file, "db", "redis:8")
    compose.publishes(file, "web", 80, host_port=8080)
    compose.depends_on_healthy(file, "web", "db")
    compose.has_healthcheck(file, "db")
    compose.uses_volume(file, "db", "data", "/data")
    compose.env_set(file, "web", "REDIS_HOST", "db")
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
from pathlib import Path

import yaml

from dockerlab.engine import dockercli
from dockerlab.services.compose import COMPOSE_FILES  # the names Compose looks for, in its order
from dockerlab.services.dockerfile import split_image
from dockerlab.checks import _ports
from dockerlab.checks.blocks import Unmet, block, read_text, show, typo_of
from dockerlab.checks.registry import prerequisite

_cache: dict[tuple, dict] = {}
_LOG_LINE = re.compile(r'^time="[^"]*" level=(\w+) msg="(.*)"$')


def _messages(stderr: str) -> tuple[list[str], list[str]]:
    """Compose's stderr split into (warnings, other lines), the log prefix removed."""
    warnings, other = [], []
    for line in stderr.splitlines():
        line = line.strip()
        if not line:
            continue
        m = _LOG_LINE.match(line)
        if m:
            text = m.group(2).replace('\\"', '"')
            (warnings if m.group(1) == "warning" else other).append(text)
        else:
            other.append(line)
    return warnings, other


def _join(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text += (" " if text.endswith(":") else "; ") + line if text else line
    return text


def config(file: str | os.PathLike) -> dict:
    """The file as Compose understands it (``config --format json``), or :class:`Unmet` with Compose's complaint."""
    path = Path(file)
    text = _read(path)
    if not text.strip():
        raise Unmet(f"{show(path)} is empty; a compose file starts with services:")
    _not_a_dockerfile(path, text)
    env_file = path.parent / ".env"
    env_stamp = env_file.stat().st_mtime_ns if env_file.exists() else None
    key = (str(path.resolve()), hashlib.sha256(text.encode()).hexdigest(), env_stamp)
    if key in _cache:
        return copy.deepcopy(_cache[key])  # a copy: a check (or the strip's thread) may change what it is given
    done = dockercli.run(
        ["compose", "-f", str(path.resolve()), "config", "--format", "json"], timeout=60, cwd=str(path.resolve().parent)
    )
    _warnings, problems = _messages(done.stderr)
    if done.returncode != 0:
        message = _join(problems) or done.stdout.strip() or f"exit code {done.returncode}"
        if "unknown shorthand flag" in message or "is not a docker command" in message:
            raise Unmet("the docker compose plugin is missing, so the file cannot be checked (bash scripts/ensure-engine.sh installs it)")
        raise Unmet(f"docker compose cannot use {show(path)}: {message}")
    try:
        parsed = json.loads(done.stdout)
    except ValueError:
        raise Unmet(f"docker compose config gave no JSON for {show(path)}: {done.stdout.strip()[:200]}") from None
    # Kept only if the file did not change while Compose read it (a cell writing it while the progress strip's
    # quiet check runs): the parse must belong to the text its key names.
    if _read(path) == text:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = copy.deepcopy(parsed)
    return parsed


_DOCKERFILE_LINE = re.compile(r"^(FROM|RUN|COPY|ADD|CMD|WORKDIR|ENTRYPOINT|ARG|ENV|EXPOSE|USER)\s+\S", re.I)


def _not_a_dockerfile(path: Path, text: str) -> None:
    """A Dockerfile saved as the compose file gets a reason about that, not YAML's "cannot unmarshal"."""
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            found = _DOCKERFILE_LINE.match(line.strip())
            if found and ":" not in line.split()[0]:
                raise Unmet(
                    f"{show(path)} holds a Dockerfile (line {number} starts with {found.group(1).upper()}), not a compose file; "
                    "a compose file is YAML that starts with services:. Keep the Dockerfile in its own file and point "
                    "a service's build: at its folder"
                )
            return


def _read(path: Path) -> str:
    if not path.exists() and path.parent.is_dir():
        others = [n for n in COMPOSE_FILES if n != path.name and (path.parent / n).is_file()]
        if others:
            raise Unmet(f"there is no compose file at {show(path)}; there is {others[0]} next to it: is that the file? Name it {path.name}")
    return read_text(path, "compose file")


def _services(cfg: dict) -> dict:
    return cfg.get("services") or {}


def service(file: str | os.PathLike, name: str) -> dict:
    """Service ``name`` from :func:`config`, or :class:`Unmet` naming the services there are."""
    services = _services(config(file))
    if name in services:
        return services[name]
    if not services:
        raise Unmet(f"{show(Path(file))} defines no services; add services: with a {name}: entry")
    close = typo_of(name, services)
    listed = ", ".join(sorted(services))
    typo = f" ({close} looks like a typo)" if close else ""
    raise Unmet(f"there is no service named {name}; the file defines {listed}{typo}")


@block(lambda file: f"{show(Path(file))} is a valid compose file")
def valid(file: str | os.PathLike):
    config(file)


@block(lambda file: f"{show(Path(file))} has no obsolete version: line")
def no_version_key(file: str | os.PathLike):
    path = Path(file)
    text = _read(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return f"{show(path)} is not valid YAML{where}: {problem}"
    if data is None:
        return f"{show(path)} is empty; a compose file starts with services:"
    if not isinstance(data, dict):
        return f"{show(path)} is YAML but not a mapping of keys (it should start with services:)"
    if "version" in data:
        return (
            f"the top-level version: {data['version']!r} is obsolete: Compose v2 ignores it and warns on every command; "
            "delete the line"
        )
    return None


def well_formed(file: str | os.PathLike):
    """The two requirements a compose-file exercise starts with: the file is valid (the rest of the check
    builds on that), and it has no obsolete ``version:`` line."""
    yield prerequisite(valid(file))
    yield no_version_key(file)


@block("the compose file defines the service {name}")
def service_exists(file: str | os.PathLike, name: str):
    service(file, name)


@block(lambda file, name, context=None: f"the service {name} is built from a Dockerfile" + (f" in {context}" if context else ""))
def builds(file: str | os.PathLike, name: str, context: str | None = None):
    """The service has a ``build:`` section (with the build context ``context``, relative to the file, if given)."""
    svc = service(file, name)
    build = svc.get("build")
    if not build:
        image = svc.get("image")
        uses = f"uses the ready-made image {image}" if image else "has neither build: nor image:"
        return f"the service {name} {uses}, so Compose never builds your Dockerfile; add build: . to it"
    if context is not None:
        wanted = (Path(file).resolve().parent / context).resolve()
        got = Path(str(build.get("context", ""))).resolve()
        if got != wanted:
            return f"the service {name} is built from {show(got)}, not {show(wanted)}; write build: {context}"
    return None


def _norm_image(ref: str) -> str:
    name, tag, digest = split_image(ref)
    return f"{name}:{tag or 'latest'}" + (f"@{digest}" if digest else "")


@block("the service {name} uses the image {image}")
def uses_image(file: str | os.PathLike, name: str, image: str):
    svc = service(file, name)
    got = svc.get("image")
    if not got:
        built = " (it is built: Compose then names the image after the project and service)" if svc.get("build") else ""
        return f"the service {name} has no image: line{built}; write image: {image}"
    if _norm_image(got) == _norm_image(image):
        return None
    return f"the service {name} uses the image {got}, not {image}; write image: {image}"


def _bindings(svc: dict) -> list[_ports.Binding]:
    found = []
    for p in svc.get("ports") or []:
        if not isinstance(p, dict):
            continue
        published = str(p.get("published") or "")
        found.append(_ports.Binding(int(p.get("target", 0)), str(p.get("protocol") or "tcp"), str(p.get("host_ip") or ""), published))
    return found


@block(
    lambda file, name, container_port, host_port=None, host_ip="127.0.0.1", protocol="tcp": f"the service {name} publishes port {container_port}"
    + (f" on {host_ip or '0.0.0.0'}:{host_port}" if host_port is not None else (f" on {host_ip}" if host_ip else ""))
)
def publishes(
    file: str | os.PathLike, name: str, container_port: int, host_port: int | None = None,
    host_ip: str | None = "127.0.0.1", protocol: str = "tcp",
):
    svc = service(file, name)
    return _ports.problem(_bindings(svc), container_port, host_port, host_ip, protocol, f"the service {name}", _ports.compose_entry)


@block("the service {name} waits for {dependency} to be healthy")
def depends_on_healthy(file: str | os.PathLike, name: str, dependency: str):
    """``depends_on: {dependency: {condition: service_healthy}}``, and the dependency has a healthcheck."""
    cfg = config(file)
    svc = service(file, name)
    deps = svc.get("depends_on") or {}
    long_form = f"depends_on: {{{dependency}: {{condition: service_healthy}}}}"
    if dependency not in deps:
        now = f" (it depends on {', '.join(sorted(deps))})" if deps else ""
        return f"the service {name} does not depend on {dependency}{now}, so Compose may start it first; add {long_form}"
    condition = (deps[dependency] or {}).get("condition", "service_started")
    if condition != "service_healthy":
        if condition == "service_started":
            why = "it only waits for the container to start, not for the app in it to be ready"
        else:
            why = f"the condition is {condition}"
        return f"the service {name} depends on {dependency}, but {why}; use the long form: {long_form}"
    target = _services(cfg).get(dependency)
    if target is None:
        return f"the service {name} depends on {dependency}, which the file does not define"
    if _healthcheck_problem(target, dependency) is not None:
        return f"the service {dependency} has no working healthcheck, so it never becomes healthy and {name} never starts; give {dependency} a healthcheck:"
    return None


def _healthcheck_problem(svc: dict, name: str) -> str | None:
    check = svc.get("healthcheck")
    if not check:
        return f"the service {name} has no healthcheck, so Compose cannot tell when it is ready; add a `healthcheck:` with a `test:` command"
    if check.get("disable"):
        return f"the service {name}'s healthcheck is disabled (disable: true); remove that line"
    test = check.get("test")
    if not test:
        return f"the service {name}'s healthcheck has no test:; add e.g. test: [\"CMD\", \"redis-cli\", \"ping\"]"
    if isinstance(test, list) and test and str(test[0]).upper() == "NONE":
        return f"the service {name}'s healthcheck test is NONE, which switches the check off; give a real command"
    return None


@block("the service {name} has a healthcheck")
def has_healthcheck(file: str | os.PathLike, name: str):
    return _healthcheck_problem(service(file, name), name)


@block(lambda file, name, volume, target=None: f"the service {name} uses the named volume {volume}" + (f" at {target}" if target else ""))
def uses_volume(file: str | os.PathLike, name: str, volume: str, target: str | None = None):
    """The service mounts the top-level named volume ``volume`` (at ``target`` if given)."""
    cfg = config(file)
    svc = service(file, name)
    mounts = [m for m in svc.get("volumes") or [] if isinstance(m, dict)]
    where = target or "/data"
    fix = f"{volume}:{where} under the service's volumes:, and {volume}: under the top-level volumes:"
    if target is not None:
        at_target = [m for m in mounts if str(m.get("target", "")).rstrip("/") == target.rstrip("/")]
        if not at_target:
            elsewhere = [m for m in mounts if m.get("source") == volume]
            if elsewhere:
                return f"the service {name} mounts {volume} at {elsewhere[0].get('target')}, not at {target}; write {volume}:{target}"
            return f"the service {name} mounts nothing at {target}, so its data is lost with the container; add {fix}"
        mounts = at_target
    named = [m for m in mounts if m.get("type") == "volume" and m.get("source") == volume]
    if named:
        if volume not in (cfg.get("volumes") or {}):
            return f"the volume {volume} is not declared under the top-level volumes:; add it there"
        return None
    if not mounts:
        return f"the service {name} mounts no volumes; add {fix}"
    m = mounts[0]
    if m.get("type") == "bind":
        return (
            f"the service {name} mounts the host folder {show(Path(str(m.get('source'))))} at {m.get('target')} (a bind mount), "
            f"not the named volume {volume}; use a name, not a path: {volume}:{m.get('target')}"
        )
    if m.get("type") == "volume" and not m.get("source"):
        return f"the service {name} mounts an anonymous volume at {m.get('target')}, which Compose does not keep by name; write {volume}:{m.get('target')}"
    return f"the service {name} mounts {m.get('source') or m.get('type')} at {m.get('target')}, not the volume {volume}; write {volume}:{m.get('target')}"


@block(lambda file, name, key, value=None: f"the service {name} sets {key}" + (f"={value}" if value is not None else ""))
def env_set(file: str | os.PathLike, name: str, key: str, value: str | None = None):
    """The service's environment (``environment:`` and ``env_file:``, as Compose merges them) sets ``key``."""
    env = service(file, name).get("environment") or {}
    entry = f"{key}: {value}" if value is not None else f"{key}: ..."
    if key not in env:
        same_case = [k for k in env if k.lower() == key.lower()]
        if same_case:
            return f"the service {name} sets {same_case[0]}, not {key} (names are case-sensitive); write {entry} under environment:"
        close = typo_of(key, env)
        typo = f" (it sets {close}: a typo?)" if close else ""
        return f"the service {name} does not set {key}{typo}; add {entry} under environment:"
    got = env[key]
    if got is None:
        return f"the service {name} lists {key} without a value, so it is taken from your shell, where it is not set; write {entry}"
    if value is not None and str(got) != str(value):
        return f"the service {name} sets {key}={got}, not {key}={value}; write {entry}"
    return None


# -- added for notebook 10 --

#: What each ``depends_on`` condition waits for, in words.
WAITS_FOR = {
    "service_started": "to start",
    "service_healthy": "to be healthy",
    "service_completed_successfully": "to complete successfully",
}


@block(lambda file, name, dependency, condition: f"the service {name} waits for {dependency} {WAITS_FOR.get(condition, condition)}")
def depends_on_condition(file: str | os.PathLike, name: str, dependency: str, condition: str):
    """``depends_on: {dependency: {condition: CONDITION}}`` (the short form means ``service_started``)."""
    deps = service(file, name).get("depends_on") or {}
    fix = f"depends_on: {{{dependency}: {{condition: {condition}}}}}"
    if dependency in deps:
        got = (deps[dependency] or {}).get("condition", "service_started")
        if got == condition:
            return None
        waits = WAITS_FOR.get(got, "for something else")
        return f"the service {name} depends on {dependency} with condition {got}, which waits for it {waits}, not {WAITS_FOR.get(condition, condition)}; write {fix}"
    others = f" (it depends on {', '.join(sorted(deps))})" if deps else ""
    return f"the service {name} does not depend on {dependency}{others}, so Compose does not wait for it; add {fix}"


# -- added for notebook 09 --


@block(lambda file, name, count: f"the file asks for {count} containers of the service {name}")
def replicas(file: str | os.PathLike, name: str, count: int):
    """The file itself runs ``count`` containers of the service: ``deploy: replicas:`` (or the older ``scale:``)."""
    svc = service(file, name)
    got = (svc.get("deploy") or {}).get("replicas")
    if got is None:
        got = svc.get("scale")
    if got is None:
        return (
            f"the file does not say how many containers of {name} to run, so Compose runs one (up --scale {name}={count} "
            f"counts for that one command only); add deploy: replicas: {count} under the service {name}"
        )
    if int(got) != int(count):
        return f"the file asks for {got} containers of {name}, not {count}; write deploy: replicas: {count}"
    return None


@block(lambda file, name, container_port: f"the service {name} leaves the host port of {container_port} to Docker (each copy gets its own)")
def any_host_port(file: str | os.PathLike, name: str, container_port: int):
    """The service publishes ``container_port`` without a fixed host port, so several copies of it can run."""
    fixed = [b for b in _bindings(service(file, name)) if b.container_port == int(container_port) and b.host_port]
    if fixed:
        b = fixed[0]
        entry = f"{b.host_ip}::{container_port}" if b.host_ip not in _ports.ALL_ADDRESSES else str(container_port)
        return (
            f"the service {name} publishes {container_port} on the fixed host port {b.host_port}, which only one container "
            f"can have: the other copies fail to start; leave the host port out: \"{entry}\""
        )
    return None
