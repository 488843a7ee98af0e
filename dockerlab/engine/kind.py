"""What kind of engine the course runs on, and what follows from it for the lessons.

Engines differ in ways a learner meets: an end-of-life Debian engine, Docker Engine 28/29 with
the containerd image store (the default of fresh Engine 29 installs and of Docker Desktop), an
engine in a VM (Docker Desktop on macOS and Windows) whose processes this machine cannot see,
cgroup v1 or v2, Podman's Docker-compatible API. :func:`describe` reads it all from the
engine's own answers (``/version`` and ``/info``); the doctor shows it and lessons branch on it.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlparse

#: End of life of Docker Engine release lines, as moby's project/BRANCHES-AND-TAGS.md announces
#: them (collected by endoflife.date/docker-engine). Lines not listed had none announced when the
#: course was last checked (CHECKED); lines older than the oldest listed are long past theirs.
END_OF_LIFE = {
    "20.10": date(2023, 12, 10),
    "23.0": date(2025, 5, 19),
    "24.0": date(2024, 6, 8),
    "26.0": date(2024, 6, 8),
    "26.1": date(2025, 2, 17),
    "27": date(2025, 5, 3),
}
CHECKED = date(2026, 12, 5)
#: The newest release line the course has been checked against (docs/engine-matrix.md).
NEWEST_KNOWN = (29, 7)
UPGRADE = "https://docs.docker.com/engine/install/"


@dataclass(frozen=True)
class Support:
    """Whether the engine's release line still gets fixes."""

    maintained: bool | None  # None: newer than the course knows
    detail: str


@dataclass(frozen=True)
class EngineKind:
    """The engine as a learner would describe it, from its own answers.

    Attributes:
        product: ``Docker Engine``, ``Docker Desktop`` or ``Podman``.
        version: The engine's version (``28.5.2``, ``20.10.24+dfsg1``).
        api, min_api: The newest and oldest API versions it speaks.
        os: What the engine says it runs on (``Debian GNU/Linux 12 (bookworm)``, ``Docker Desktop``).
        kernel: The kernel the engine's containers share.
        image_store: ``containerd`` (the containerd image store: images are OCI manifests in
            containerd) or ``classic`` (a graph driver such as overlay2).
        storage_driver: The driver or snapshotter name (``overlay2``, ``overlayfs``).
        cgroup_version, cgroup_driver: 1 or 2; ``cgroupfs`` or ``systemd``.
        location: ``local`` (this machine's kernel, its processes visible from here), ``hidden``
            (this machine's kernel, but this process is in a PID namespace of its own, as in a
            container, so the engine's processes are not visible), ``vm`` (a VM of this machine, as
            Docker Desktop's) or ``remote`` (another machine).
    """

    product: str
    version: str
    api: str
    min_api: str
    os: str
    kernel: str
    image_store: str
    storage_driver: str
    cgroup_version: int
    cgroup_driver: str
    location: str

    @property
    def release_line(self) -> tuple[int, int]:
        """(major, minor) of the version: (20, 10), (28, 5)."""
        found = re.match(r"(\d+)\.(\d+)", self.version)
        return (int(found.group(1)), int(found.group(2))) if found else (0, 0)

    @property
    def support(self) -> Support:
        return support(self.product, self.version)

    @property
    def private_time_namespace(self) -> bool:
        """Engine 29.5 and later give each container a time namespace of its own (kernels 5.6+)."""
        return self.product != "Podman" and self.release_line >= (29, 5)

    def lacks(self, feature: str) -> str | None:
        """Why this engine cannot do ``feature`` (a name in :data:`FEATURES`), in plain words; None if it can.

        Raises:
            ValueError: ``feature`` is not one the course knows (a typo in a notebook must not skip a cell quietly).
        """
        if feature not in FEATURES:
            raise ValueError(f"unknown engine feature {feature!r}: one of {', '.join(sorted(FEATURES))}")
        if (self.product, feature) == ("Podman", "healthcheck") and self.cgroup_driver == "systemd":
            return None  # Podman with systemd (its cgroup manager then) runs health checks from systemd timers
        return LIMITS.get(self.product, {}).get(feature)

    def summary(self) -> str:
        store = "containerd image store" if self.image_store == "containerd" else f"classic image store ({self.storage_driver})"
        return f"{self.product} {self.version}, {store}, cgroup v{self.cgroup_version} ({self.cgroup_driver}), {LOCATIONS[self.location]}"


#: What a notebook cell may need of the engine beyond Docker's API (a ``%%needs FEATURE`` line names one).
FEATURES = {
    "buildkit": "BuildKit builds: `docker build` through buildx, `--progress`, `docker buildx` commands",
    "commit": "`docker commit`: a container's changes saved as an image",
    "healthcheck": "health checks: the engine runs a container's HEALTHCHECK and reports healthy or unhealthy",
    "stats": "`docker stats` and `docker system df`: the engine's counts of memory, CPU and disk use",
    "filters": "the filters `publish` of `docker ps` and `type` of `docker network ls`",
    "mount-checks-source": "`--mount type=bind` refusing a host folder that does not exist (where `-v` makes it)",
    "exit-codes": "`docker run` exiting with the container's exit code, and 126 or 127 for a command that cannot start",
    "stop-timeout": "`docker stop` asking a container to stop (SIGTERM) and killing it only after 10 s",
}

#: What the course cannot do on an engine, by product: the reason shown in place of a cell that needs it.
#: Podman's were found by running the course on Podman 4.3.1 (Debian 12's) through its Docker-compatible
#: API (docs/engine-matrix.md, row p).
LIMITS = {
    "Podman": {
        "buildkit": "Podman has no BuildKit. `docker build` goes to Podman's own builder (Buildah) only with "
                    "DOCKER_BUILDKIT=0, which takes the classic builder's options (no `--progress`), and `docker buildx` "
                    "would start a BuildKit container whose image Podman must first download",
        "commit": "Podman 4.3's Docker-compatible API answers `docker commit` with an error "
                  "(\"Decode(): EOF\") and saves no image",
        "healthcheck": "Podman runs health checks from systemd timers, and this Podman has no systemd (its cgroup manager is "
                       "cgroupfs), so they never run: a container stays \"starting\" for ever, and Compose's `condition: "
                       "service_healthy` waits for ever",
        "stats": "Podman 4.3 answers `docker stats` and `docker system df` with wrong values (a container's name shown "
                 "as `1`, images of 0 B, a negative reclaimable size)",
        "filters": "Podman 4.3's Docker-compatible API refuses the filters `publish` (of `docker ps`) and `type` (of "
                   "`docker network ls`): \"invalid filter\"",
        "mount-checks-source": "Podman 4.3 does not refuse a missing host folder in `--mount type=bind`: it makes the "
                               "folder, as `-v` does, so a typo in the path goes unnoticed here",
        "exit-codes": "through Podman 4.3's Docker-compatible API, `docker run --rm` exits with 0 whatever the program "
                      "did, and a command that cannot start gives \"unable to upgrade to tcp, received 409\" and 1, not "
                      "126 or 127 (`docker inspect` still shows a container's own exit code)",
        "stop-timeout": "Podman 4.3 gives a container made through Docker's API a stop timeout of 0 s, so `docker stop` "
                        "kills it at once (exit code 137) instead of asking it to stop (Podman 4.7 fixed this)",
    },
}

LOCATIONS = {
    "local": "on this machine's kernel",
    "hidden": "on this machine's kernel, but this process is in a PID namespace of its own (a container): "
              "the engine's processes are not visible from here",
    "vm": "in a virtual machine (its kernel is not this machine's)",
    "remote": "on another machine",
}


def describe(version: dict, info: dict, address: str, own_pids: bool | None = None) -> EngineKind:
    """The kind of engine, from its ``/version`` and ``/info`` answers and the address used to reach it.

    Args:
        own_pids: Whether this process has a PID namespace of its own (default: read from /proc).
    """
    components = {c.get("Name", ""): c.get("Version", "") for c in version.get("Components") or []}
    os_name = info.get("OperatingSystem") or version.get("Os") or "?"
    if "Podman Engine" in components:
        product = "Podman"
    elif "Docker Desktop" in os_name or "docker desktop" in (version.get("Platform") or {}).get("Name", "").lower():
        product = "Docker Desktop"
    else:
        product = "Docker Engine"
    return EngineKind(
        product=product,
        version=components.get("Podman Engine") or version.get("Version", "?"),
        api=version.get("ApiVersion", "?"),
        min_api=version.get("MinAPIVersion", "?"),
        os=os_name,
        kernel=info.get("KernelVersion") or version.get("KernelVersion") or "?",
        image_store=image_store(info),
        storage_driver=info.get("Driver") or "?",
        cgroup_version=int(info.get("CgroupVersion") or 1),
        cgroup_driver=info.get("CgroupDriver") or "?",
        location=location(address, os_name, info.get("KernelVersion") or "", own_pid_namespace() if own_pids is None else own_pids),
    )


#: The inode number of the kernel's first PID namespace (PROC_PID_INIT_INO, the same on every Linux since 3.8).
INITIAL_PID_NAMESPACE = "pid:[4026531836]"


def own_pid_namespace() -> bool:
    """True when this process is not in the kernel's first PID namespace (it runs in a container)."""
    try:
        import os

        return os.readlink("/proc/self/ns/pid") != INITIAL_PID_NAMESPACE
    except OSError:  # no /proc: not Linux
        return False


def image_store(info: dict) -> str:
    """``containerd`` when the engine keeps images in containerd (its storage driver is a snapshotter)."""
    status = dict(tuple(pair) for pair in info.get("DriverStatus") or [] if len(pair) == 2)
    return "containerd" if status.get("driver-type") == "io.containerd.snapshotter.v1" else "classic"


def location(address: str, os_name: str, engine_kernel: str, own_pids: bool = False) -> str:
    """Where the engine runs, as far as this machine can tell.

    A remote address (tcp, ssh) to another host is ``remote``; Docker Desktop, or a kernel other than
    this machine's, is ``vm``; otherwise the engine shares this machine's kernel, and its processes
    are visible unless this process has a PID namespace of its own (``own_pids``).
    """
    parsed = urlparse(address)
    if parsed.scheme in ("tcp", "ssh", "http", "https") and parsed.hostname not in ("localhost", "127.0.0.1", "::1"):
        return "remote"
    if "Docker Desktop" in os_name or platform.system() != "Linux" or (engine_kernel and engine_kernel != platform.release()):
        return "vm"
    return "hidden" if own_pids else "local"


def support(product: str, version: str, today: date | None = None) -> Support:
    """Whether a Docker Engine release line is maintained, by moby's announced ends of life."""
    if product == "Podman":
        return Support(True, f"Podman {version}: Podman's own releases (the course checks Docker's API through it)")
    found = re.match(r"(\d+)\.(\d+)", version)
    if not found:
        return Support(None, f"version {version!r} is not one the course can read")
    major, minor = int(found.group(1)), int(found.group(2))
    line = f"{major}.{minor}" if f"{major}.{minor}" in END_OF_LIFE else str(major)
    ended = END_OF_LIFE.get(line)
    if ended is None and (major, minor) < (20, 10):
        return Support(False, f"{major}.{minor} is older than every release line still listed: long past its end of life")
    if ended is not None and ended <= (today or date.today()):
        return Support(False, f"release line {line} reached its end of life on {ended.isoformat()}: no security fixes since")
    if ended is not None:
        return Support(True, f"release line {line} is maintained until {ended.isoformat()}")
    if (major, minor) > NEWEST_KNOWN:
        return Support(None, f"newer than {NEWEST_KNOWN[0]}.{NEWEST_KNOWN[1]}, the newest the course was checked against")
    return Support(True, f"release line {major} is maintained (no end of life announced as of {CHECKED.isoformat()})")


_current: EngineKind | None = None


def current() -> EngineKind:
    """The kind of the engine this process uses (asked once per process).

    Raises:
        errors.DockerlabError: no engine answers.
    """
    global _current
    if _current is None:
        from dockerlab import engine

        with engine.translated():
            client = engine.client()
            _current = describe(client.version(), client.info(), engine.address().url)
    return _current
