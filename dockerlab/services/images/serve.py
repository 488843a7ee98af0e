"""A class mirror: a registry on the instructor's machine holding the course images, for the room to pull.

Thirty machines behind one address share Docker Hub's anonymous pull limit, and a 500 MB bundle carried to
each is slow. ``dockerlab images serve`` instead runs a registry on the instructor's engine and pushes every
course image into it; learners run ``dockerlab images ensure --mirror ADDRESS`` (kit.ensure), which pulls
``ADDRESS/python:3.13-slim`` and tags it ``python:3.13-slim``.

The registry is Debian's ``docker-registry`` package (distribution 2.8), built offline FROM the course's
Debian base like the stand-ins (``mirror/Dockerfile``), so no registry is needed to make one. It runs twice
over one named volume:

1. the loader, ``dockerlab-mirror-load``, published on 127.0.0.1 only (an engine pushes over plain HTTP to
   127.0.0.0/8 without any configuration), takes the pushes and is removed;
2. the server, ``dockerlab-mirror``, mounts the volume read-only with the registry in read-only mode, and is
   published where the room reaches it (``listen``; default 127.0.0.1, this machine only).

So nobody on the room's network can push a replacement for a course image. Everything carries
``org.dockerlab.managed=true`` and ``org.dockerlab.mirror``, and :func:`stop` removes exactly the two
containers and the volume by name *and* label, and the push names by the loader's recorded port. The
containers carry no session label: a notebook's dead-session sweep never takes the mirror from a class.
The instructor's own containers and images are never touched: the push names ``127.0.0.1:PORT/NAME`` are
made, pushed and removed by name, and an existing name of that form is refused, not overwritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docker.errors
import requests

from dockerlab import engine, errors, labels
from dockerlab.engine import session as sessions
from dockerlab.services import build as builds
from dockerlab.services.images import kit, registry
from dockerlab.services.images.manifest import load_manifest

Report = Callable[[str], None]

CONTEXT = Path(__file__).with_name("mirror")
IMAGE = "dockerlab-registry:2.8"
SERVER = "dockerlab-mirror"
LOADER = "dockerlab-mirror-load"
VOLUME = "dockerlab-mirror"
#: Label key of everything the mirror is made of; its value says which part (registry, server, loader, data).
MIRROR = f"{labels.NAMESPACE}.mirror"
RECIPE = f"{MIRROR}.recipe"
LOAD_PORT = f"{MIRROR}.load-port"
DATA = "/var/lib/docker-registry"
#: Seconds a registry container may take to answer after it started.
READY_WITHIN = 30.0
#: Every interface: the room, and this machine.
EVERYWHERE = ("0.0.0.0", "::")


class MirrorRunning(errors.DockerlabError):
    title = "A class mirror is already running"

    def __init__(self, where: str):
        super().__init__(f"A class mirror is already running on this engine ({where}).",
                         "Use that one, or stop it first: `dockerlab images serve --stop`.")


class MirrorFailed(errors.DockerlabError):
    title = "The class mirror did not start"


@dataclass(frozen=True)
class Pushed:
    name: str
    image_id: str
    digest: str
    seconds: float


@dataclass(frozen=True)
class Served:
    """A running mirror, as a record: nothing changes it once the mirror answers.

    Attributes:
        address: ``HOST:PORT`` learners give ``--mirror`` (a guess at this machine's address on the room's
            network when listening everywhere).
        listen, port: Where the server is published.
        local_port: The port this machine itself reaches it at, on 127.0.0.1.
        images: What was pushed (empty when the record describes a mirror found running).
    """

    address: str
    listen: str
    port: int
    local_port: int
    images: tuple[Pushed, ...] = ()
    seconds: float = 0.0

    @property
    def local(self) -> str:
        return f"127.0.0.1:{self.local_port}"

    @property
    def room(self) -> bool:
        """True when other machines can reach it (it listens on more than loopback)."""
        return not registry.is_loopback(self.listen)

    @classmethod
    def published(cls, listen: str, port: int, local_port: int, images: list[Pushed] | None = None,
                  seconds: float = 0.0) -> Served:
        """The mirror published on ``listen``:``port``, and for this machine on 127.0.0.1:``local_port``."""
        host = room_address() if listen in EVERYWHERE else listen
        return cls(registry.normal_address(f"{host}:{port}"), listen, port, local_port, tuple(images or ()), seconds)


# -- the registry's image ---------------------------------------------------------------------------

def recipe() -> str:
    """A digest of the build context: an image built from another recipe is built again."""
    digest = hashlib.sha256()
    for path in sorted(CONTEXT.iterdir()):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def registry_image(report: Report = print) -> str:
    """Build :data:`IMAGE` unless the engine has it from this recipe; the course's Debian base is ensured first."""
    api = engine.client().api
    wanted = recipe()
    try:
        found = api.inspect_image(IMAGE)
        if (found.get("Config", {}).get("Labels") or {}).get(RECIPE) == wanted:
            return IMAGE
    except docker.errors.ImageNotFound:
        pass
    base = next(s for s in load_manifest() if s.standin == "rootfs")
    kit.ensure([base], report=lambda line: report(f"registry image: {line}"))
    report(f"registry image: building {IMAGE} (Debian's docker-registry package) ...")
    started = time.monotonic()
    last = [None]

    def show(event: builds.BuildEvent) -> None:
        if event.step is not None and event.step != last[0]:
            last[0] = event.step
            report(f"registry image: step {event.step}/{event.total}: {event.instruction}")

    builds.build(CONTEXT, IMAGE, session_labels=False, on_event=show,
                 extra_labels={labels.IMAGE: "true", MIRROR: "registry", RECIPE: wanted})
    report(f"registry image: built in {time.monotonic() - started:.0f} s")
    return IMAGE


# -- serving ----------------------------------------------------------------------------------------

def _labels(part: str, **more: str) -> dict[str, str]:
    return {labels.MANAGED: "true", labels.HOST: socket.gethostname(), MIRROR: part, **more}


def _start(name: str, config_file: str, bindings: list[tuple[str, int | None]], read_only_data: bool, part: str,
           **more_labels: str):
    client = engine.client()
    with engine.translated(image=IMAGE):
        container = client.containers.create(
            IMAGE, ["docker-registry", "serve", f"/etc/dockerlab-registry/{config_file}"], name=name,
            labels=_labels(part, **more_labels), ports={"5000/tcp": bindings},
            volumes={VOLUME: {"bind": DATA, "mode": "ro" if read_only_data else "rw"}},
            read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
            mem_limit="512m", pids_limit=256, log_config=sessions.DEFAULT_LOG,
        )
    try:
        with engine.translated(image=IMAGE):
            container.start()
            container.reload()
    except BaseException:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True, v=False)
        raise
    return container


def _published(container, host: str) -> int:
    for binding in (container.attrs["NetworkSettings"]["Ports"].get("5000/tcp") or []):
        if binding.get("HostIp") in (host, "") or host in EVERYWHERE and binding.get("HostIp") in EVERYWHERE:
            return int(binding["HostPort"])
    raise MirrorFailed(f"the engine did not publish the registry on {host}", "Look at `docker ps -a --filter name=dockerlab-mirror`.")


def _wait_ready(container, url: str) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while True:
        try:
            if requests.get(f"{url}/v2/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        container.reload()
        if container.status != "running" or time.monotonic() > deadline:
            logs = container.logs(tail=10).decode(errors="replace")
            raise MirrorFailed(f"The registry {container.name} did not answer at {url} ({container.status}); its log ends:\n{logs}",
                               "Run `dockerlab images serve --stop`, then try again; a port another program holds needs --port.")
        time.sleep(0.3)


def serve(listen: str = "127.0.0.1", port: int = registry.DEFAULT_PORT, *, names: Iterable[str] | None = None,
          report: Report = print) -> Served:
    """Start the class mirror and push the course images into it (see the module's notes).

    Args:
        listen: The address to publish on: 127.0.0.1 (this machine only), the machine's address on the
            room's network, or 0.0.0.0 (every interface).
        port: The port (0: any free one, read back from the engine).
        names: The images to push (default: every image of the manifest).
        report: Receives one line per thing done.

    Raises:
        MirrorRunning: one is running already. errors.ImageMissing: a course image is not on the engine.
    """
    started = time.monotonic()
    api = engine.client().api
    for name in (SERVER, LOADER):
        with contextlib.suppress(docker.errors.NotFound):
            found = api.inspect_container(name)
            if (found["Config"].get("Labels") or {}).get(MIRROR):
                raise MirrorRunning(name)
    wanted = list(names) if names else [s.name for s in load_manifest()]
    states = {s.spec.name: s for s in kit.status()}
    missing = [n for n in wanted if n not in states or states[n].state == "missing"]
    if missing:
        raise errors.ImageMissing(", ".join(missing))
    registry_image(report)
    with engine.translated():
        api.create_volume(VOLUME, labels=_labels("data"))
    try:
        report("starting the loader registry on 127.0.0.1 ...")
        loader = _start(LOADER, "load.yml", [("127.0.0.1", None)], False, "loader")
        load_port = _published(loader, "127.0.0.1")
        _wait_ready(loader, f"http://127.0.0.1:{load_port}")
        pushed = [_push(f"127.0.0.1:{load_port}", name, f"[{i}/{len(wanted)}] {name}", report)
                  for i, name in enumerate(wanted, 1)]
        with engine.translated():
            loader.remove(force=True)
        bindings = [(listen, port or None)]
        if listen not in EVERYWHERE and not registry.is_loopback(listen):
            bindings.append(("127.0.0.1", port or None))
        report(f"starting the class mirror on {listen} (read-only) ...")
        server = _start(SERVER, "serve.yml", bindings, True, "server")
        public = _published(server, listen)
        local = _published(server, "127.0.0.1") if len(bindings) > 1 or listen in EVERYWHERE else public
        _wait_ready(server, f"http://127.0.0.1:{local}")
        _verify(f"http://127.0.0.1:{local}", pushed)
    except BaseException:
        stop(report=lambda _line: None)
        raise
    return Served.published(listen, public, local, pushed, time.monotonic() - started)


def _push(target_registry: str, name: str, prefix: str, report: Report) -> Pushed:
    """Tag ``name`` as ``TARGET/name``, push it with progress, then remove that tag and its digest reference."""
    api = engine.client().api
    target = f"{target_registry}/{name}"
    repository, tag = target.rsplit(":", 1)
    if registry.names_of(target):
        raise errors.DockerlabError(f"The engine already has an image named {target}; the mirror will not overwrite it.",
                                    f"Remove that name yourself (`docker rmi {target}`) if you do not need it, then serve again.")
    started = time.monotonic()
    with engine.translated(image=name):
        image_id = api.inspect_image(name)["Id"]
        api.tag(name, repository, tag)
    try:
        report(f"{prefix}: pushing")
        with engine.translated(image=target):
            digest = show_push_progress(api.push(repository, tag, stream=True, decode=True), target,
                                        lambda line: report(f"{prefix}: {line}"))
    finally:
        with engine.translated(image=target):
            for made in registry.names_of(target):
                with contextlib.suppress(docker.errors.NotFound):
                    api.remove_image(made)
    seconds = time.monotonic() - started
    report(f"{prefix}: pushed in {seconds:.0f} s ({digest[:19]})")
    return Pushed(name, image_id, digest, seconds)


def show_push_progress(events: Iterable[dict], name: str, report: Report) -> str:
    """Report a push's stream (each layer in 25 % steps, and when it is done); return the manifest's digest.

    Raises:
        errors.DockerlabError: the stream ended in an error, or without a digest.
    """
    shown: dict[str, int] = {}
    digest = ""
    for event in events:
        if "error" in event:
            failure = RuntimeError(event["error"])
            raise (errors.classify(failure, image=name) or errors.DockerlabError(
                f"Pushing {name} to the mirror failed: {event['error']}", "Run `dockerlab images serve --stop` and serve again.")) from failure
        if (event.get("aux") or {}).get("Digest"):
            digest = event["aux"]["Digest"]
            continue
        layer, status = event.get("id", ""), event.get("status", "")
        detail = event.get("progressDetail") or {}
        if status == "Pushing" and detail.get("total"):
            percent = min(100, 100 * detail.get("current", 0) // detail["total"]) // 25 * 25
            if percent > shown.get(layer, -1):
                shown[layer] = percent
                report(f"layer {layer}: {percent}%")
        elif status in ("Pushed", "Layer already exists", "Mounted from"):
            report(f"layer {layer}: {status.lower()}")
    if not digest:
        raise errors.DockerlabError(f"Pushing {name} ended without a digest.", "Run `dockerlab images serve --stop` and serve again.")
    return digest


def _verify(url: str, pushed: list[Pushed]) -> None:
    """Every pushed image is served, with the digest the push reported."""
    for item in pushed:
        repository, tag = item.name.rsplit(":", 1)
        answer = requests.head(f"{url}/v2/{repository}/manifests/{tag}", headers={"Accept": registry.MANIFEST_TYPES}, timeout=5)
        if answer.status_code != 200 or answer.headers.get("Docker-Content-Digest") != item.digest:
            raise MirrorFailed(f"The mirror does not serve {item.name} as pushed (HTTP {answer.status_code}, "
                               f"{answer.headers.get('Docker-Content-Digest')} instead of {item.digest}).",
                               "Run `dockerlab images serve --stop` and serve again.")


def room_address() -> str:
    """This machine's address on the network its default route leads to (no packet is sent), else its name."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only the route is looked up
        found = probe.getsockname()[0]
        if not ipaddress.ip_address(found).is_loopback:
            return found
    return socket.gethostname()


# -- state and stopping -----------------------------------------------------------------------------

def running() -> Served | None:
    """The mirror this engine serves, if any (read from its container)."""
    api = engine.client().api
    try:
        found = api.inspect_container(SERVER)
    except docker.errors.NotFound:
        return None
    if not (found["Config"].get("Labels") or {}).get(MIRROR) or found["State"]["Status"] != "running":
        return None
    bindings = found["NetworkSettings"]["Ports"].get("5000/tcp") or []
    public = next((b for b in bindings if not registry.is_loopback(b["HostIp"] or "0.0.0.0")), bindings[0] if bindings else None)
    if public is None:
        return None
    local = next((b for b in bindings if registry.is_loopback(b["HostIp"]) or b["HostIp"] in EVERYWHERE), public)
    return Served.published(public["HostIp"] or "0.0.0.0", int(public["HostPort"]), int(local["HostPort"]))


def stop(report: Report = print) -> list[str]:
    """Remove the mirror: its two containers and its volume (by name and label), and any push name an
    killed serve left (``127.0.0.1:PORT/NAME``, PORT the loader's, read from the loader). Returns what went."""
    api = engine.client().api
    removed: list[str] = []
    load_port = None
    for name in (SERVER, LOADER):
        try:
            found = api.inspect_container(name)
        except docker.errors.NotFound:
            continue
        if not (found["Config"].get("Labels") or {}).get(MIRROR):
            continue  # someone else's container of that name: not ours to remove
        if name == LOADER:
            bindings = (found["NetworkSettings"].get("Ports") or {}).get("5000/tcp") or []
            load_port = next((b["HostPort"] for b in bindings if b.get("HostPort")), None)
        with contextlib.suppress(docker.errors.NotFound):
            api.remove_container(found["Id"], force=True)
            removed.append(f"container {name}")
    if load_port:
        for spec in load_manifest():
            for made in registry.names_of(f"127.0.0.1:{load_port}/{spec.name}"):
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    api.remove_image(made)
                    removed.append(f"name {made}")
    with contextlib.suppress(docker.errors.NotFound):
        found = api.inspect_volume(VOLUME)
        if (found.get("Labels") or {}).get(MIRROR):
            api.remove_volume(VOLUME, force=True)
            removed.append(f"volume {VOLUME}")
    for line in removed:
        report(f"removed {line}")
    return removed
