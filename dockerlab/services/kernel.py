"""What the kernel does for a container: namespaces, cgroup limits, memory use, the OOM killer.

A container is a process tree the kernel puts in its own namespaces (what it can see) and
cgroups (what it may use). These functions read both sides: the engine's settings
(``HostConfig``) and what the kernel shows inside the container (``/proc``, ``/sys/fs/cgroup``).
Reading inside uses ``docker exec`` with a POSIX ``sh`` script that busybox and Debian images
both run. Both cgroup v1 and v2 layouts are understood.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import docker.errors

from dockerlab import engine
from dockerlab import errors
from dockerlab.engine import session as sessions
from dockerlab import sizes

#: Namespace kinds a course compares, in display order.
KINDS = ("pid", "net", "mnt", "uts", "ipc", "user", "cgroup", "time")

#: A cgroup v1 "no limit" is the largest page-aligned 64-bit value; anything this big is no limit.
UNLIMITED = 2**62

_NS = re.compile(r"^(\w+):\[(\d+)\]$")

# Prints "key value" lines; busybox and coreutils both have readlink and tr.
_INSIDE = r"""
for f in /proc/self/ns/*; do echo "ns $(basename "$f") $(readlink "$f")"; done
echo "pid1 $(tr '\0' ' ' < /proc/1/cmdline)"
echo "hostname $(cat /proc/sys/kernel/hostname)"
tail -n +3 /proc/net/dev | while IFS=: read -r name _; do echo "if $name"; done
"""

_CGROUP = r"""
r() { if [ -r "$1" ]; then cat "$1"; else echo "?"; fi; }
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  echo "version 2"
  echo "memory $(r /sys/fs/cgroup/memory.max)"
  echo "pids $(r /sys/fs/cgroup/pids.max)"
  echo "cpu $(r /sys/fs/cgroup/cpu.max)"
else
  echo "version 1"
  echo "memory $(r /sys/fs/cgroup/memory/memory.limit_in_bytes)"
  echo "pids $(r /sys/fs/cgroup/pids/pids.max)"
  echo "cpu $(r /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(r /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
fi
"""

# Holds on to 1 MiB of filled memory per step (filled, so the pages are really used).
HOG = "a = []\nwhile True:\n    a.append(b'x' * (1 << 20))\n    print(len(a), 'MiB', flush=True)\n"


@dataclass
class Namespaces:
    """The namespaces one process is in (kind -> inode number) and what it sees from there."""

    where: str
    ids: dict[str, int] = field(default_factory=dict)
    pid1: str = ""
    hostname: str = ""
    interfaces: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        ids = ", ".join(f"{k}:{v}" for k, v in self.ids.items())
        return f"{self.where}: hostname {self.hostname}, PID 1 {self.pid1!r}, interfaces {', '.join(self.interfaces)}; {ids}"


@dataclass
class NamespaceRow:
    kind: str
    host: int | None
    container: int | None

    @property
    def shared(self) -> bool:
        return self.host is not None and self.host == self.container


@dataclass
class CgroupLimits:
    """A container's limits as the engine was asked for them and as the kernel enforces them.

    ``None`` means no limit. CPU is in CPUs (0.5 = half a core).
    """

    container: str
    memory: int | None = None
    memory_swap: int | None = None
    pids: int | None = None
    cpus: float | None = None
    kernel_memory: int | None = None
    kernel_pids: int | None = None
    kernel_cpus: float | None = None
    cgroup_version: int | None = None
    raw: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"{self.container} (cgroup v{self.cgroup_version}): memory {sizes.limit(self.memory)} / kernel {sizes.limit(self.kernel_memory)}, "
            f"pids {sizes.limit(self.pids, False)} / {sizes.limit(self.kernel_pids, False)}, "
            f"cpus {sizes.limit(self.cpus, False)} / {sizes.limit(self.kernel_cpus, False)}"
        )


@dataclass
class MemoryUsage:
    """Memory in use (without reclaimable page cache, as ``docker stats`` counts it) vs the limit."""

    container: str
    usage: int | None
    limit: int | None
    running: bool = True

    @property
    def percent(self) -> float | None:
        if not self.usage or not self.limit:
            return 0.0 if self.running and self.limit else None
        return 100.0 * self.usage / self.limit

    def __str__(self) -> str:
        if not self.running:
            return f"{self.container}: not running"
        return f"{self.container}: {sizes.limit(self.usage)} of {sizes.limit(self.limit)} ({self.percent or 0:.1f} %)"


@dataclass
class OomEvidence:
    """What the kernel and the engine recorded when a container went over its memory limit."""

    container: str
    limit: int
    oom_killed: bool
    exit_code: int | None
    last_output: str = ""
    engine_events: list[str] = field(default_factory=list)
    kernel_log: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        lines = [
            f"{self.container}: limit {sizes.limit(self.limit)}, OOMKilled={self.oom_killed}, exit code {self.exit_code} "
            f"after {self.seconds:.1f} s; last output: {self.last_output!r}",
            f"engine events: {', '.join(self.engine_events) or '-'}",
        ]
        return "\n".join(lines + [f"kernel: {line}" for line in self.kernel_log])


# -- namespaces ----------------------------------------------------------------------------------
def namespaces_host() -> Namespaces:
    """The namespaces of this Python process (the notebook's kernel), read from ``/proc/self/ns``."""
    ids: dict[str, int] = {}
    for kind in sorted(os.listdir("/proc/self/ns")):
        try:
            match = _NS.match(os.readlink(f"/proc/self/ns/{kind}"))
        except OSError:
            continue
        if match:
            ids[kind] = int(match.group(2))
    try:
        with open("/proc/1/cmdline", "rb") as handle:
            # The program's name only: the host's init arguments are the machine's business.
            pid1 = os.path.basename(handle.read().split(b"\0", 1)[0].decode(errors="replace")) or "?"
    except OSError:  # /proc mounted with hidepid
        pid1 = "?"
    with open("/proc/net/dev") as handle:
        interfaces = [line.split(":", 1)[0].strip() for line in handle.readlines()[2:]]
    return Namespaces("host", ids, pid1, socket.gethostname(), interfaces)


def namespaces_of(container: str) -> Namespaces:
    """The namespaces of a running container, its PID 1, hostname and interfaces, read inside it.

    Raises:
        errors.DockerlabError: the container is not running or has no ``sh``.
    """
    return parse_inside(container, exec_sh(container, _INSIDE))


def parse_inside(where: str, text: str) -> Namespaces:
    """Parse the output of the inside-the-container script (see ``_INSIDE``)."""
    found = Namespaces(where)
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "ns":
            kind, _, link = value.partition(" ")
            match = _NS.match(link.strip())
            if match:
                found.ids[kind] = int(match.group(2))
        elif key == "pid1":
            found.pid1 = value.strip()
        elif key == "hostname":
            found.hostname = value.strip()
        elif key == "if" and value.strip():
            found.interfaces.append(value.strip())
    return found


def compare(host: Namespaces, container: Namespaces) -> list[NamespaceRow]:
    """Host and container namespaces side by side, in :data:`KINDS` order, then any others."""
    kinds = [k for k in KINDS if k in host.ids or k in container.ids]
    kinds += sorted((set(host.ids) | set(container.ids)) - set(kinds) - {"pid_for_children", "time_for_children"})
    return [NamespaceRow(k, host.ids.get(k), container.ids.get(k)) for k in kinds]


# -- cgroups -------------------------------------------------------------------------------------
def cgroup_limits(container: str) -> CgroupLimits:
    """Memory, pids and CPU limits from the engine's HostConfig and from the cgroup files inside."""
    with engine.translated():
        info = _inspect(container)
    host = info.get("HostConfig") or {}
    limits = CgroupLimits(
        container=info.get("Name", container).lstrip("/"),
        memory=host.get("Memory") or None,
        memory_swap=host.get("MemorySwap") if (host.get("MemorySwap") or 0) > 0 else None,
        pids=host.get("PidsLimit") if (host.get("PidsLimit") or 0) > 0 else None,
        cpus=_cpus(host),
    )
    parse_cgroup(exec_sh(container, _CGROUP), limits)
    return limits


def parse_cgroup(text: str, limits: CgroupLimits) -> CgroupLimits:
    """Fill the kernel side of ``limits`` from the cgroup script's output (v1 or v2)."""
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        value = value.strip()
        limits.raw[key] = value
        if key == "version":
            limits.cgroup_version = int(value)
        elif key == "memory":
            limits.kernel_memory = _limit(value)
        elif key == "pids":
            limits.kernel_pids = _limit(value)
        elif key == "cpu":
            quota, _, period = value.partition(" ")
            q, p = _limit(quota), _limit(period)
            limits.kernel_cpus = round(q / p, 3) if q and p and q > 0 else None
    return limits


def memory_usage(container: str) -> MemoryUsage:
    """Memory in use now vs the limit, from one ``docker stats`` sample."""
    api = engine.client().api
    with engine.translated():
        info = _inspect(container)
        name = info.get("Name", container).lstrip("/")
        if not (info.get("State") or {}).get("Running"):
            return MemoryUsage(name, None, None, running=False)
        # one_shot (API 1.41+) answers at once instead of waiting for a second sample.
        one_shot = {"one_shot": True} if _api_at_least(api, "1.41") else {}
        stats = api.stats(info["Id"], stream=False, **one_shot)
    return usage_from_stats(name, stats.get("memory_stats") or {})


def usage_from_stats(name: str, memory: dict) -> MemoryUsage:
    """``docker stats``' memory figure: usage minus inactive page cache (v1 or v2 key)."""
    if "usage" not in memory:
        return MemoryUsage(name, None, None, running=False)
    stats = memory.get("stats") or {}
    cache = stats.get("total_inactive_file", stats.get("inactive_file", 0))
    usage = memory["usage"] - cache if cache < memory["usage"] else memory["usage"]
    return MemoryUsage(name, usage, memory.get("limit"))


def oom_demo(lesson=None, image: str = "python:3.13-slim", limit: str = "32m", timeout: float = 60) -> OomEvidence:
    """Run a memory hog under a small limit, let the kernel kill it, and collect the evidence.

    Swap is switched off for the container (``memswap_limit`` equal to the limit), so the kernel
    must kill instead of swapping. The container is removed before returning.

    Args:
        lesson: The :class:`~dockerlab.lesson.Lesson` to run it in (else the current session).
        image: An image with ``python``.
        limit: Memory limit, in docker's notation.
        timeout: Seconds to wait for the kill.
    """
    runner = lesson.run if lesson is not None else sessions.current().run
    name = (lesson or sessions.current()).name("oom-demo")
    since = datetime.now(timezone.utc) - timedelta(seconds=1)
    started = time.monotonic()
    container = runner(image, ["python", "-c", HOG], name=name, mem_limit=limit, memswap_limit=limit)
    try:
        with engine.translated(image=image):
            # Poll rather than block in wait(): a hog that is never killed must not hang the kernel.
            while container.attrs["State"]["Running"] and time.monotonic() - started < timeout:
                time.sleep(0.2)
                container.reload()
            seconds = time.monotonic() - started
            if container.attrs["State"]["Running"]:
                container.kill()
                container.reload()
            state = container.attrs["State"]
            output = container.logs(tail=1).decode(errors="replace").strip()
            events = engine.client().api.events(
                since=since,
                until=datetime.now(timezone.utc) + timedelta(seconds=1),
                filters={"container": container.id, "type": "container"},
                decode=True,
            )
            actions = [e.get("Action", e.get("status", "")) for e in events]
        return OomEvidence(
            container=name,
            limit=container.attrs["HostConfig"]["Memory"],
            oom_killed=bool(state.get("OOMKilled")),
            exit_code=state.get("ExitCode"),
            last_output=output,
            engine_events=[a for a in actions if a in ("start", "oom", "die", "kill")],
            kernel_log=kernel_oom_lines(container.id),
            seconds=seconds,
        )
    finally:
        with engine.translated():
            try:
                container.remove(force=True)
            except docker.errors.NotFound:
                pass


def kernel_oom_lines(container_id: str) -> list[str]:
    """The kernel log's OOM lines about this container, if this machine's log is readable.

    Only lines naming the container's cgroup (and the kill line right after them) are kept, so
    a remote engine or an unreadable log gives an empty list rather than someone else's lines.
    """
    try:
        done = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if done.returncode != 0:
        return []
    found: list[str] = []
    lines = done.stdout.splitlines()
    for i, line in enumerate(lines):
        if container_id in line and "oom" in line.lower():
            found.append(_strip_stamp(line))
            if i + 1 < len(lines) and "Killed process" in lines[i + 1]:
                found.append(_strip_stamp(lines[i + 1]))
    return found


# -- helpers -------------------------------------------------------------------------------------
def exec_sh(container: str, script: str) -> str:
    """Run ``sh -c SCRIPT`` inside a running container and return what it printed.

    Raises:
        errors.DockerlabError: not running, or the image has no ``sh``.
    """
    api = engine.client().api
    with engine.translated():
        info = _inspect(container)
        name = info.get("Name", container).lstrip("/")
        if not (info.get("State") or {}).get("Running"):
            raise errors.ContainerNotRunning(name)
        # It may still exit before the exec: the engine's 409 then becomes ContainerNotRunning too.
        exec_id = api.exec_create(info["Id"], ["sh", "-c", script], stdout=True, stderr=True)["Id"]
        output = api.exec_start(exec_id).decode(errors="replace")
        code = api.exec_inspect(exec_id).get("ExitCode")
    if code not in (0, None):
        raise errors.DockerlabError(
            f'Could not look inside "{name}": `sh` failed there (exit code {code}): {output.strip()[:200]}',
            "Images without a shell (like hello-world or distroless ones) cannot be inspected from "
            "inside; try a busybox or debian based container.",
        )
    return output


def _inspect(container: str) -> dict:
    try:
        return engine.client().api.inspect_container(container)
    except docker.errors.NotFound as exc:
        raise errors.NoSuchContainer(container) from exc


def _limit(value: str) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None  # "max" (v2), "?" (unreadable)
    return None if number < 0 or number >= UNLIMITED else number


def _cpus(host: dict) -> float | None:
    if host.get("NanoCpus"):
        return host["NanoCpus"] / 1e9
    if (host.get("CpuQuota") or 0) > 0:
        return host["CpuQuota"] / (host.get("CpuPeriod") or 100_000)
    return None


def _api_at_least(api, version: str) -> bool:
    have = tuple(int(x) for x in str(api.api_version).split("."))
    return have >= tuple(int(x) for x in version.split("."))


def _strip_stamp(line: str) -> str:
    return re.sub(r"^\[\s*\d+\.\d+\]\s*", "", line)


