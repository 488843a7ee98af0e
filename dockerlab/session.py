"""Sessions: who created what on the engine, and tidying it up safely.

A :class:`Session` lives as long as its process (one Jupyter kernel). It has a short id such as
``dl3f9a1c`` and holds an exclusive lock on a file under the state directory for its whole life,
so another process can tell a live session from a dead one without guessing from PIDs.

Course resources are recognised in two ways, both tied to a session id:

* resources the helper creates carry labels (:mod:`dockerlab.labels`);
* resources a learner creates with the ``docker`` CLI, following the lesson, are named with the
  session id as a suffix (``web-dl3f9a1c``; Compose adds ``_default`` or ``-web-1`` after it).

Cleanup selects by those marks only, and a sweep removes only what belongs to a session whose
state file is on this machine and whose lock is free (the kernel is gone). Anything else, in
particular everything the learner made outside the course, is never touched.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors

from . import engine, errors, labels

#: Matches a session id inside a resource name: "web-dl3f9a1c", "app-dl3f9a1c_default", "app-dl3f9a1c-web-1".
SESSION_IN_NAME = re.compile(r"(?:^|[-_.])(dl[0-9a-f]{6})(?=$|[-_.])")

DEFAULT_MEMORY = "256m"
DEFAULT_PIDS = 128
DEFAULT_LOG = {"type": "json-file", "config": {"max-size": "1m", "max-file": "2"}}

_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")


def state_dir() -> Path:
    """Where session files live (``$DOCKERLAB_STATE``, else ``~/.cache/dockerlab``)."""
    path = Path(os.environ.get("DOCKERLAB_STATE") or Path.home() / ".cache" / "dockerlab")
    (path / "sessions").mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Removed:
    """What a cleanup or sweep removed, by kind, for reporting."""

    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # session-named tags, untagged leftovers of builds

    def __bool__(self) -> bool:
        return bool(self.containers or self.networks or self.volumes or self.images)

    def __str__(self) -> str:
        parts = [f"{len(v)} {k if len(v) != 1 else k[:-1]}" for k, v in vars(self).items() if v]
        return "removed " + ", ".join(parts) if parts else "nothing to remove"

    __repr__ = __str__


class Session:
    """The engine resources of one process, and the rules it creates them by.

    Use :func:`current` rather than creating one: a kernel has one session.
    """

    def __init__(self, session_id: str | None = None, host: str | None = None):
        self.id = session_id or "dl" + secrets.token_hex(3)
        self.host = host or socket.gethostname()
        self.started = time.time()
        self._lock_file = None
        self._hold_lock()

    # -- liveness ---------------------------------------------------------------------------
    def _paths(self, sid: str | None = None) -> tuple[Path, Path]:
        base = state_dir() / "sessions" / (sid or self.id)
        return base.with_suffix(".json"), base.with_suffix(".lock")

    def _hold_lock(self) -> None:
        info, lock = self._paths()
        self._lock_file = open(lock, "w")  # noqa: SIM115 - held open for the life of the process
        fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        info.write_text(
            json.dumps(
                {"id": self.id, "host": self.host, "engine": engine_address(), "pid": os.getpid(), "started": self.started}
            )
        )

    def release(self) -> None:
        """Drop this session's lock and state files (after its resources are gone)."""
        info, lock = self._paths()
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None
        for path in (info, lock):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    @staticmethod
    def is_dead(sid: str) -> bool:
        """True when ``sid`` is a session of this machine whose process is gone.

        A session with no state file here may live on another machine that shares the engine,
        so it counts as alive: the sweep leaves it alone.
        """
        info = state_dir() / "sessions" / f"{sid}.json"
        lock = info.with_suffix(".lock")
        if not info.exists():
            return False
        try:
            with open(lock, "a") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle, fcntl.LOCK_UN)
            return True
        except BlockingIOError:
            return False

    # -- naming and labels ------------------------------------------------------------------
    def name(self, base: str) -> str:
        """A resource name that is unique to this session, e.g. ``web`` -> ``web-dl3f9a1c``."""
        return f"{base}-{self.id}"

    def labels(self, lesson: str | None = None) -> dict[str, str]:
        return labels.for_resource(self.id, self.host, lesson)

    # -- creating ---------------------------------------------------------------------------
    def run(
        self,
        image: str,
        command: str | list[str] | None = None,
        *,
        lesson: str | None = None,
        name: str | None = None,
        ports: dict | None = None,
        mem_limit: str | None = DEFAULT_MEMORY,
        pids_limit: int | None = DEFAULT_PIDS,
        **kwargs,
    ):
        """Start a container the safe way and return it (a docker-py ``Container``).

        Args:
            image: Image to run.
            command: Command to run instead of the image's CMD.
            lesson: Lesson the container belongs to (labelled for its reset).
            name: Container name; made session-unique with :meth:`name` by the caller if wanted.
            ports: ``{"80/tcp": None}`` publishes on 127.0.0.1 and an ephemeral host port;
                ``{"80/tcp": 8080}`` asks for host port 8080 (a busy port raises
                :class:`errors.PortInUse`). Host addresses other than loopback must be explicit.
            mem_limit, pids_limit: Default limits; pass None only on purpose (a lesson on limits).
            **kwargs: Passed to docker-py's ``containers.create``.

        Raises:
            errors.Refused: asked to run privileged or to mount the engine socket or /.
            errors.PortInUse, errors.NameInUse, errors.ImageMissing: as their names say.
        """
        refuse_unsafe(kwargs)
        options = dict(kwargs)
        options.setdefault("detach", True)
        options["labels"] = {**options.get("labels", {}), **self.labels(lesson)}
        options.setdefault("log_config", DEFAULT_LOG)
        if mem_limit is not None:
            options.setdefault("mem_limit", mem_limit)
        if pids_limit is not None:
            options.setdefault("pids_limit", pids_limit)
        if ports:
            options["ports"] = {port: _loopback(host) for port, host in ports.items()}
        options.pop("detach")
        client = engine.client()
        with engine.translated(image=image):
            container = client.containers.create(image, command, name=name, **options)
        try:
            with engine.translated(image=image):
                container.start()
                container.reload()
        except BaseException:
            # docker-py leaves a container whose start failed in "created": remove it.
            with contextlib.suppress(docker.errors.APIError, docker.errors.NotFound):
                container.remove(force=True)
            raise
        return container

    def network(self, name: str, *, lesson: str | None = None, **kwargs):
        """Create a labelled bridge network."""
        with engine.translated():
            return engine.client().networks.create(name, labels=self.labels(lesson), **kwargs)

    def volume(self, name: str, *, lesson: str | None = None, **kwargs):
        """Create a labelled volume.

        Raises:
            errors.Refused: a local volume that binds the host's / or the engine's socket (``driver_opts``).
        """
        refuse_unsafe_volume(kwargs.get("driver_opts"))
        with engine.translated():
            return engine.client().volumes.create(name, labels=self.labels(lesson), **kwargs)

    # -- removing ---------------------------------------------------------------------------
    def cleanup(self, lesson: str | None = None) -> Removed:
        """Remove this session's containers, networks and volumes (only a lesson's, if given).

        Resources named after the session (made with the CLI) carry no lesson label; they belong
        to this kernel, which runs one notebook, so a lesson's reset removes them as well. Images
        tagged with the session's name (``greeter-dl3f9a1c``) go only with the whole session, when
        the kernel exits: within a lesson the learner may still want them.
        """
        return _remove(lambda sid, lesson_label, _name: sid == self.id and (lesson is None or lesson_label in (lesson, None)),
                       tagged_images=lesson is None)

    def close(self) -> None:
        """Clean up and release: what a kernel does on a normal exit.

        With ``DOCKERLAB_KEEP_ON_EXIT=1`` the resources stay (and the session files too, so the
        next sweep removes them): the test suite uses it to see what a notebook itself left behind.
        """
        if os.environ.get("DOCKERLAB_KEEP_ON_EXIT") == "1":
            if self._lock_file is not None:
                self._lock_file.close()
                self._lock_file = None
            return
        with contextlib.suppress(errors.DockerlabError, docker.errors.DockerException, OSError):
            if engine.available():
                self.cleanup()
        self.release()


def engine_address() -> str:
    """Which engine this process talks to (sessions on one machine may use different engines)."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def _on_this_engine(sid: str) -> bool:
    """True unless the session's state file says it used another engine than this process."""
    try:
        used = json.loads((state_dir() / "sessions" / f"{sid}.json").read_text()).get("engine")
    except (OSError, ValueError):
        return True
    return used in (None, engine_address())


def sweep_dead() -> Removed:
    """Remove the resources of sessions on this machine whose process is gone.

    Only sessions that used this process's engine are swept, and only their state files are
    removed: a dead session of another engine keeps its files until a sweep on that engine.

    Returns:
        What was removed. Sessions of other machines or engines and live sessions are left alone.
    """
    dead: dict[str, bool] = {}
    own = _current.id if _current else None

    def is_dead(sid: str, _lesson: str | None, _name: str) -> bool:
        if sid not in dead:
            dead[sid] = sid != own and Session.is_dead(sid) and _on_this_engine(sid)
        return dead[sid]

    removed = _remove(is_dead, tagged_images=True)
    for sid, was_dead in dead.items():
        if was_dead:
            for suffix in (".json", ".lock"):
                with contextlib.suppress(FileNotFoundError):
                    (state_dir() / "sessions" / f"{sid}{suffix}").unlink()
    # Dead sessions that left no resources still leave files behind: clear them too.
    for info in (state_dir() / "sessions").glob("dl*.json"):
        if info.stem != own and Session.is_dead(info.stem) and _on_this_engine(info.stem):
            info.unlink(missing_ok=True)
            info.with_suffix(".lock").unlink(missing_ok=True)
    return removed


def inventory() -> dict[str, set[str]]:
    """The names of every container, network and volume on the engine, whoever made them.

    Tests and the classroom tools compare two inventories to see what a run left behind.
    """
    api = engine.client().api
    with engine.translated():
        return {
            "containers": {c["Names"][0].lstrip("/") for c in api.containers(all=True)},
            "networks": {n["Name"] for n in api.networks()},
            "volumes": {v["Name"] for v in api.volumes().get("Volumes") or []},
        }


def added_since(before: dict[str, set[str]]) -> dict[str, set[str]]:
    """What exists now that did not in ``before`` (an earlier :func:`inventory`), by kind."""
    after = inventory()
    return {kind: after[kind] - before[kind] for kind in after if after[kind] - before[kind]}


def owner_of(labels_: dict | None, name: str) -> tuple[str | None, str | None]:
    """(session id, lesson) of a resource, from its labels or else its name; (None, None) if not the course's."""
    labels_ = labels_ or {}
    if labels_.get(labels.MANAGED) == "true" and labels_.get(labels.SESSION):
        return labels_[labels.SESSION], labels_.get(labels.LESSON)
    match = SESSION_IN_NAME.search(name.lstrip("/"))
    if match:
        return match.group(1), None
    return None, None


def session_of_tag(tag: str) -> str | None:
    """The session id in an image tag's name (``greeter-dl3f9a1c:latest`` -> ``dl3f9a1c``), else None."""
    match = SESSION_IN_NAME.search(tag.rpartition(":")[0].rsplit("/", 1)[-1])
    return match.group(1) if match else None


def _remove(select, tagged_images: bool = False) -> Removed:
    """Remove every course resource for which ``select(session_id, lesson, name)`` is true.

    Uses the low-level API: one list call per kind, no inspect per resource.

    Args:
        tagged_images: Also untag images whose name carries a selected session's id, by name
            (``docker rmi greeter-dl3f9a1c:latest``, never by id: a classmate's build that came
            wholly from the cache has the same id under their own name).
    """
    api = engine.client().api
    removed = Removed()
    with engine.translated():
        for found in api.containers(all=True):
            name = (found.get("Names") or ["/"])[0].lstrip("/")
            sid, lesson = owner_of(found.get("Labels"), name)
            if sid and select(sid, lesson, name):
                with contextlib.suppress(docker.errors.NotFound):
                    api.remove_container(found["Id"], force=True, v=True)
                    removed.containers.append(name)
        for found in api.networks():
            sid, lesson = owner_of(found.get("Labels"), found["Name"])
            if sid and select(sid, lesson, found["Name"]):
                with contextlib.suppress(docker.errors.NotFound):
                    api.remove_network(found["Id"])
                    removed.networks.append(found["Name"])
        for found in api.volumes().get("Volumes") or []:
            sid, lesson = owner_of(found.get("Labels"), found["Name"])
            if sid and select(sid, lesson, found["Name"]):
                with contextlib.suppress(docker.errors.NotFound):
                    api.remove_volume(found["Name"], force=True)
                    removed.volumes.append(found["Name"])
        if tagged_images:
            for found in api.images():
                for tag in found.get("RepoTags") or []:
                    sid = session_of_tag(tag)
                    if sid and select(sid, None, tag):
                        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):  # in use: stays
                            api.remove_image(tag)
                            removed.images.append(tag)
        # Untagged images a session's builds left behind (a tag moved to a newer build): nothing
        # can use them any more. Their layers stay in the build cache.
        for found in api.images(filters={"dangling": True, "label": labels.IMAGE_SESSION}):
            image_labels = found.get("Labels") or {}
            sid, lesson = image_labels.get(labels.IMAGE_SESSION), image_labels.get(labels.IMAGE_LESSON)
            if select(sid, lesson, found["Id"]):
                with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                    api.remove_image(found["Id"])
                    removed.images.append(found["Id"][7:19])
    return removed


def refuse_unsafe(options: dict) -> None:
    """Raise :class:`errors.Refused` for options that would hand a container the host.

    Privileged mode, the engine socket and the host's root directory each give whoever controls
    the container full control of the machine, so dockerlab never asks for them.
    """
    if options.get("privileged"):
        raise errors.Refused(
            "dockerlab never starts a privileged container: --privileged gives the container every "
            "capability and all host devices, so it can take over the machine.",
            "Drop `privileged`; add only the one capability a lesson needs with `cap_add`, if any.",
        )
    for key in ("pid_mode", "network_mode", "ipc_mode", "userns_mode"):
        if options.get(key) == "host":
            raise errors.Refused(
                f"dockerlab does not share the host's namespaces ({key}='host'): the container "
                "would see and reach the host's processes or network directly.",
                f"Remove `{key}`.",
            )
    caps = {str(c).upper().removeprefix("CAP_") for c in options.get("cap_add") or ()}
    if caps & {"ALL", "SYS_ADMIN"}:
        raise errors.Refused("dockerlab does not add SYS_ADMIN or ALL capabilities: either is close to root on the host.", "Remove them from `cap_add`.")
    for source in _mount_sources(options):
        problem = _host_path_problem(source)
        if problem is not None:
            raise problem


def refuse_unsafe_volume(driver_opts: dict | None) -> None:
    """Raise :class:`errors.Refused` for a local volume that is really a bind of a dangerous host path."""
    device = (driver_opts or {}).get("device")
    if device:
        problem = _host_path_problem(str(device))
        if problem is not None:
            raise problem


def engine_sockets() -> set[str]:
    """Where the engine's socket is on this machine: the usual places and ``DOCKER_HOST``'s, resolved."""
    paths = set(_SOCKETS)
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        paths.add(host.removeprefix("unix://"))
    return paths | {os.path.realpath(p) for p in paths}


def host_path_danger(source: str) -> str | None:
    """Why bind-mounting the host path ``source`` hands a container the host, or None.

    The path is resolved first (``//``, ``..`` and symlinks such as ``/var/run`` -> ``/run``), and a
    folder that holds the engine's socket is as dangerous as the socket itself.
    """
    if not source.startswith("/"):
        return None  # a named volume
    real = os.path.realpath(source)
    if real == "/":
        return "root"
    for socket_path in engine_sockets():
        if real == socket_path or real.endswith("/docker.sock") or os.path.normpath(source) == socket_path:
            return "socket"
        if socket_path.startswith(real.rstrip("/") + "/"):
            return f"folder:{socket_path}"
    return None


def _host_path_problem(source: str) -> errors.Refused | None:
    danger = host_path_danger(source)
    if danger is None:
        return None
    if danger == "socket":
        return errors.Refused(
            "dockerlab never mounts the Docker engine's socket into a container: whoever can "
            "talk to that socket can start a privileged container and own the host.",
            "Remove the socket mount. A container that must build images needs a separate, "
            "rootless builder, not the host's engine.",
        )
    if danger == "root":
        return errors.Refused(
            "dockerlab does not bind-mount the host's / into a container: the container could "
            "read and change every file of the machine.",
            "Mount only the one folder the container needs.",
        )
    return errors.Refused(
        f"dockerlab does not mount {source} into a container: that folder holds the Docker engine's socket "
        f"({danger.removeprefix('folder:')}), and whoever can talk to that socket owns the host.",
        "Mount only the one folder the container needs, one that holds no engine socket.",
    )


def host_access(host_config: dict) -> list[str]:
    """What in an inspected container's ``HostConfig`` hands it the host, in plain words (empty if nothing).

    The checks use it to judge a learner's container; :func:`refuse_unsafe` keeps dockerlab's own
    containers from ever having any of it.
    """
    found = []
    if host_config.get("Privileged"):
        found.append("it runs --privileged: every capability and all host devices, whatever --cap-drop says")
    sources = [str(b).split(":", 1)[0] for b in host_config.get("Binds") or ()]
    sources += [m.get("Source", "") for m in host_config.get("Mounts") or () if m.get("Type", "bind") == "bind"]
    for source in sources:
        danger = host_path_danger(source)
        if danger == "socket":
            found.append(f"it mounts the engine's socket ({source}): whoever controls it can start any container and owns the host")
        elif danger == "root":
            found.append("it mounts the host's / : it can read and change every file of the machine")
        elif danger:
            found.append(f"it mounts {source}, which holds the engine's socket: whoever controls it owns the host")
    for key, flag in (("PidMode", "--pid"), ("NetworkMode", "--network"), ("IpcMode", "--ipc"), ("UsernsMode", "--userns")):
        if host_config.get(key) == "host":
            found.append(f"it shares the host's namespace ({flag} host)")
    caps = {str(c).upper().removeprefix("CAP_") for c in host_config.get("CapAdd") or ()}
    if caps & {"ALL", "SYS_ADMIN"}:
        found.append(f"it adds {', '.join(sorted(caps & {'ALL', 'SYS_ADMIN'}))}, close to root on the host")
    return found


def _mount_sources(options: dict) -> list[str]:
    sources: list[str] = []
    volumes = options.get("volumes") or {}
    if isinstance(volumes, dict):
        sources += list(volumes)
    else:
        sources += [str(v).split(":", 1)[0] for v in volumes]
    for mount in options.get("mounts") or ():
        get = mount.get if isinstance(mount, dict) else getattr(mount, "get", lambda _k, _d=None: None)
        source = get("Source")
        if source:
            sources.append(source)
        # A "local" volume with type none / o bind is a bind of its device: judge the device.
        driver = (get("VolumeOptions") or {}).get("DriverConfig") or {}
        device = (driver.get("Options") or {}).get("device")
        if device:
            sources.append(str(device))
    return sources


def _loopback(binding):
    """Publish on 127.0.0.1 unless the caller names an address; None means an ephemeral port."""
    if binding is None:
        return ("127.0.0.1", None)
    if isinstance(binding, int) or (isinstance(binding, str) and binding.isdigit()):
        return ("127.0.0.1", int(binding))
    return binding


_current: Session | None = None


def current_id() -> str | None:
    """This process's session id, or None if it has not started one (listing starts nothing)."""
    return _current.id if _current else None


def current() -> Session:
    """This process's session, created (and dead sessions swept) on first use."""
    global _current
    if _current is None:
        _current = Session()
        atexit.register(_current.close)
        with contextlib.suppress(errors.DockerlabError):
            sweep_dead()
    return _current
