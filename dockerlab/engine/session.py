"""Sessions: who created what on the engine, and tidying it up safely.

A :class:`Session` lives as long as its process (one Jupyter kernel). It has a short id such as
``dl3f9a1c`` and holds an exclusive lock on a file under the state directory for its whole life,
so another process can tell a live session from a dead one without guessing from PIDs: the
operating system drops the lock when the process ends, however it ends (a ``flock`` on Unix,
through ``filelock`` with its soft, marker-file fallback turned off, since a marker outlives a
killed process).

The state directory is the platform's user state folder (:func:`dockerlab.config.default_state_dir`,
``~/.local/state/dockerlab`` on Linux), or ``$DOCKERLAB_STATE``. The session files older versions kept
in ``~/.cache/dockerlab`` (a cache folder, which cleaners empty) are moved there on first use
(:func:`move_legacy_state`; the progress file moves in :mod:`dockerlab.record.progress`).

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
import json
import logging
import os
import re
import secrets
import shutil
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path

import docker.errors
import filelock

from dockerlab import config, engine
from dockerlab import errors, labels
from dockerlab.engine.safety import refuse_unsafe, refuse_unsafe_volume

#: Matches a session id inside a resource name: "web-dl3f9a1c", "app-dl3f9a1c_default", "app-dl3f9a1c-web-1".
SESSION_IN_NAME = re.compile(r"(?:^|[-_.])(dl[0-9a-f]{6})(?=$|[-_.])")

DEFAULT_MEMORY = "256m"
DEFAULT_PIDS = 128
DEFAULT_LOG = {"type": "json-file", "config": {"max-size": "1m", "max-file": "2"}}
#: Where published ports bind unless the caller names an address.
LOOPBACK = "127.0.0.1"

log = logging.getLogger(__name__)

#: State folders this process has already moved the legacy state into.
_moved_into: set[Path] = set()


def state_dir() -> Path:
    """Where the progress file and session files live: ``$DOCKERLAB_STATE``, else the platform's user
    state folder, into which the first call in a process moves the dead sessions of ``~/.cache/dockerlab``."""
    chosen = config.STATE.path()
    path = chosen or config.default_state_dir()
    (path / "sessions").mkdir(parents=True, exist_ok=True)
    if chosen is None and path not in _moved_into:
        _moved_into.add(path)
        try:
            move_legacy_state(config.legacy_state_dir(), path)
        except OSError as exc:  # the old folder stays as it was; nothing is lost
            log.warning("could not move dockerlab's state from %s to %s: %s", config.legacy_state_dir(), path, exc)
    return path


def lock(path: Path, **options) -> filelock.BaseFileLock:
    """A lock file (``filelock``) that the operating system releases when its holder's process ends.

    The soft fallback (a marker file, where the filesystem has no ``flock``) is off: a marker outlives
    a killed process, and a dead session must not look alive (nor a killed test run hold its engine).
    Shared across threads: a session lives as long as its process, not one thread.
    """
    return filelock.FileLock(path, thread_local=False, fallback_to_soft=False, **options)


def _lock_is_free(path: Path) -> bool:
    """True when no process holds the lock at ``path`` (a missing file is free)."""
    probe = lock(path, blocking=False)
    try:
        probe.acquire()
    except filelock.Timeout:
        return False
    probe.release()
    return True


def move_legacy_state(old: Path, new: Path) -> list[str]:
    """Move the session files older versions of dockerlab kept in ``old`` (``~/.cache/dockerlab``) into ``new``; safe to repeat.

    Moved: the files and work folder of every session whose process is gone, so the sweep finds what
    it left. A live session stays where its process looks for it (it tidies up after itself, or moves
    on a later call once it has died). Lock files stay: another process may hold one, and a lock file
    moved or removed under its holder no longer excludes anyone (the test suites' engine locks). The
    progress file is moved by :func:`dockerlab.record.progress.path`, which knows how to merge it.

    Returns:
        What was moved (``sessions/dl3f9a1c``).
    """
    sessions = old / "sessions"
    if not sessions.is_dir() or old.resolve() == new.resolve():
        return []
    moved = []
    (new / "sessions").mkdir(parents=True, exist_ok=True)
    with lock(new / ".move-legacy.lock", timeout=60):  # two kernels starting at once: one moves
        for info in sorted(sessions.glob("dl*.json")):
            sid = info.stem
            if (new / "sessions" / info.name).exists() or not _lock_is_free(info.with_suffix(".lock")):
                continue  # moved already, or its process still runs
            for source in (sessions / sid, info.with_suffix(".lock"), info):  # the .json last: it marks a session
                with contextlib.suppress(FileNotFoundError):  # an older dockerlab's sweep may remove it meanwhile
                    shutil.move(source, new / "sessions" / source.name)
            moved.append(f"sessions/{sid}")
    if moved:
        log.info("moved %d dead session(s) from %s to %s", len(moved), sessions, new / "sessions")
    return moved


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
        self._lock: filelock.BaseFileLock | None = None
        self._hold_lock()

    # -- liveness ---------------------------------------------------------------------------
    def _paths(self, sid: str | None = None) -> tuple[Path, Path]:
        base = state_dir() / "sessions" / (sid or self.id)
        return base.with_suffix(".json"), base.with_suffix(".lock")

    def _hold_lock(self) -> None:
        """Take the session's lock for the life of the process.

        Raises:
            BlockingIOError: another process holds it (the session is alive).
        """
        info, path = self._paths()
        held = lock(path, blocking=False)
        try:
            held.acquire()
        except filelock.Timeout:
            raise BlockingIOError(f"session {self.id} is alive: another process holds {path}") from None
        self._lock = held
        info.write_text(
            json.dumps(
                {"id": self.id, "host": self.host, "engine": engine_address(), "pid": os.getpid(), "started": self.started}
            )
        )

    @property
    def workdir(self) -> Path:
        """A folder for files the session writes for the engine (Compose override files); it goes with the session."""
        path = state_dir() / "sessions" / self.id
        path.mkdir(exist_ok=True)
        return path

    def _drop_lock(self) -> None:
        if self._lock is not None:
            self._lock.release(force=True)
            self._lock = None

    def release(self) -> None:
        """Drop this session's lock, state files and work folder (after its resources are gone)."""
        self._drop_lock()
        _forget(self.id)

    @staticmethod
    def is_dead(sid: str) -> bool:
        """True when ``sid`` is a session of this machine whose process is gone.

        A session with no state file here may live on another machine that shares the engine,
        so it counts as alive: the sweep leaves it alone.
        """
        info = state_dir() / "sessions" / f"{sid}.json"
        if not info.exists():
            return False
        return _lock_is_free(info.with_suffix(".lock"))

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
            errors.Refused: asked for a way into the host: privileged, a host namespace, a
                dangerous capability, a device, an unconfined profile, the engine socket or /
                (:mod:`dockerlab.safety`).
            errors.PortInUse, errors.NameInUse, errors.ImageMissing: as their names say.
        """
        refuse_unsafe(kwargs)
        options = dict(kwargs)
        options.pop("detach", None)  # create() never attaches
        options["labels"] = {**options.get("labels", {}), **self.labels(lesson)}
        options.setdefault("log_config", DEFAULT_LOG)
        if mem_limit is not None:
            options.setdefault("mem_limit", mem_limit)
        if pids_limit is not None:
            options.setdefault("pids_limit", pids_limit)
        if ports:
            options["ports"] = {port: _loopback(host) for port, host in ports.items()}
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
    def cleanup(self, lesson: str | None = None, images: bool | None = None) -> Removed:
        """Remove this session's containers, networks and volumes (only a lesson's, if given).

        Resources named after the session (made with the CLI) carry no lesson label; they belong
        to this kernel, which runs one notebook, so a lesson's reset removes them as well.

        Args:
            images: Also untag the images tagged with the session's name (``greeter-dl3f9a1c``), by
                name. Default: only when the whole session goes (no ``lesson``).
        """
        return _remove(lambda sid, lesson_label, _name: sid == self.id and (lesson is None or lesson_label in (lesson, None)),
                       tagged_images=lesson is None if images is None else images)

    def close(self) -> None:
        """Clean up and release: what a kernel does on a normal exit.

        With ``DOCKERLAB_KEEP_ON_EXIT=1`` the resources stay (and the session files too, so the
        next sweep removes them): the test suite uses it to see what a notebook itself left behind.
        """
        if config.KEEP_ON_EXIT.flag():
            self._drop_lock()
            return
        with contextlib.suppress(errors.DockerlabError, docker.errors.DockerException, OSError):
            if engine.available():
                self.cleanup()
        self.release()


def engine_address() -> str:
    """Which engine this process talks to (sessions on one machine may use different engines)."""
    return engine.address().url


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
            _forget(sid)
    # Dead sessions that left no resources still leave files behind: clear them too.
    for info in (state_dir() / "sessions").glob("dl*.json"):
        if info.stem != own and Session.is_dead(info.stem) and _on_this_engine(info.stem):
            _forget(info.stem)
    return removed


def _forget(sid: str) -> None:
    """Remove a session's state files and work folder."""
    base = state_dir() / "sessions" / sid
    for path in (base.with_suffix(".json"), base.with_suffix(".lock")):
        path.unlink(missing_ok=True)
    shutil.rmtree(base, ignore_errors=True)


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


def _loopback(binding):
    """Publish on 127.0.0.1 unless the caller names an address; None means an ephemeral port."""
    if binding is None:
        return (LOOPBACK, None)
    if isinstance(binding, int) or (isinstance(binding, str) and binding.isdigit()):
        return (LOOPBACK, int(binding))
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
