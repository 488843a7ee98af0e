"""Podman's Docker-compatible API as a matrix engine: ``podman system service`` on a socket of its own.

Podman is not a daemon: each ``podman`` command does its work and exits, and ``podman system service``
answers Docker's API on a socket. Learners on Fedora, RHEL or Debian with Podman point the ``docker``
CLI at that socket (the ``podman-docker`` package links /run/docker.sock to it). Here it runs as the other
rows' engines do (:mod:`matrix.dockerd`): in a network namespace of its own (netavark's bridges and
iptables rules stay there) and a mount namespace of its own, its storage under the matrix's data folder,
its configuration in files the row writes and points Podman at (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF,
CONTAINERS_REGISTRIES_CONF), nothing of it in /etc or /var/lib/containers.

Found on this machine, and set here: Podman raises a container's open-files and processes limits to the
kernel's maximum, which needs CAP_SYS_RESOURCE, which these machines lack (runc: "error setting rlimit type
7: operation not permitted", seen by the client as "unable to upgrade to tcp, received 409"). The row gives
containers this process's open-files limit, as Docker's engine here does, and 32768 processes: the service
itself runs with that limit (its /proc/PID/limits), and a container's cannot be higher without that capability.
"""

from __future__ import annotations

import contextlib
import resource
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import netns
from .dockerd import Engine, EngineFailed

# The service's view: a sysfs of its network namespace over /sys (netavark reads its bridges there), the
# cgroup tree kept where it was; its own /run/netns (the containers' network namespaces are mounted there
# and nowhere else) and /dev/shm (Podman's lock memory, /libpod_lock, one per engine); and Debian's
# /usr/libexec/podman (catatonit for --init, which Podman's Docker API looks for there whatever
# containers.conf says), on an overlay of /usr/libexec whose changes stay in the engine's folder; and empty
# folders of its own over the two paths Podman 4.3 writes whatever it is told (netavark's /run/containers/networks,
# the image copy's /var/lib/containers/cache). $1: where to keep the cgroup tree while /sys is replaced;
# $2: the engine's folder; $3: Podman's package set.
_SERVICE_VIEW = ('mkdir -p "$1" && mount --rbind /sys/fs/cgroup "$1" && mount -t sysfs sysfs /sys'
                 ' && mount --rbind "$1" /sys/fs/cgroup && mount -t tmpfs tmpfs /run/netns'
                 ' && mount -t tmpfs tmpfs /dev/shm && mkdir -p "$2/libexec/up" "$2/libexec/work"'
                 ' && mount -t overlay overlay -o "lowerdir=/usr/libexec,upperdir=$2/libexec/up,workdir=$2/libexec/work" /usr/libexec'
                 ' && mkdir -p /usr/libexec/podman && ln -sf "$3/usr/bin/catatonit" /usr/libexec/podman/catatonit'
                 ' && mount -t tmpfs tmpfs /run/containers && mount -t tmpfs tmpfs /var/lib/containers'
                 ' && shift 3 && exec "$@"')
# A client's view: the service's socket at /run/docker.sock, as podman-docker links it.
_CLIENT_VIEW = '{ [ -e /run/docker.sock ] || : > /run/docker.sock; } && mount --bind "$1" /run/docker.sock && shift && exec "$@"'


@dataclass
class Podman(Engine):
    """A Podman service started and removed by this process; reached like the other rows' engines.

    ``programs[0]`` holds Podman and its helpers (conmon, netavark, aardvark-dns, catatonit, runc, the
    containers-common configuration); the CLI and plugins come from ``cli`` and ``plugins``.
    """

    @property
    def storage(self) -> Path:
        return self.data / "storage"

    @property
    def conf(self) -> Path:
        return self.base / "containers"

    def _podman_env(self) -> dict[str, str]:
        lib = self.programs[0] / "usr/lib/x86_64-linux-gnu"  # libgpgme, not on a machine without Podman
        return {
            "PATH": self._path(), "LD_LIBRARY_PATH": str(lib), "HOME": str(self.base / "home"),
            "CONTAINERS_CONF": str(self.conf / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(self.conf / "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(self.conf / "registries.conf"),
            "TMPDIR": str(self.base / "tmp"),
        }

    def enter(self) -> list[str]:
        ns = netns.existing(self.name)
        if ns is None:
            raise EngineFailed(f"the engine {self.name} is not running (no network namespace)")
        return [*ns.enter(), "unshare", "--mount", "--propagation", "slave", "--", "sh", "-c", _CLIENT_VIEW, "sh", str(self.socket)]

    def write_config(self) -> None:
        """containers.conf (Debian's, with the row's paths and limits), storage.conf, registries.conf and
        the signature policy (Debian's: accept anything), all under the engine's own folder."""
        programs = self.programs[0]
        self.conf.mkdir(parents=True, exist_ok=True)
        for folder in ("home/.config/containers", "tmp", "libpod", "run"):
            (self.base / folder).mkdir(parents=True, exist_ok=True)
        self.storage.mkdir(parents=True, exist_ok=True)
        debian = tomllib.loads((programs / "usr/share/containers/containers.conf").read_text())
        nofile, nproc = resource.getrlimit(resource.RLIMIT_NOFILE)[1], min(32768, resource.getrlimit(resource.RLIMIT_NPROC)[1])
        ours = {
            "containers": {
                "default_ulimits": [f"nofile={nofile}:{nofile}", f"nproc={nproc}:{nproc}"],
                "seccomp_profile": str(programs / "usr/share/containers/seccomp.json"),
            },
            "network": {"network_backend": "netavark", "network_config_dir": str(self.data / "networks")},
            "engine": {
                "cgroup_manager": "cgroupfs", "events_logger": "file", "tmp_dir": str(self.base / "libpod"),
                # conmon runs `podman container cleanup` when a container exits (its --rm, its network's
                # teardown) with this environment only: without the row's, that podman finds neither its
                # library nor its configuration, and `docker run --rm` waits for ever.
                "conmon_env_vars": [f"{k}={v}" for k, v in self._podman_env().items()],
                "conmon_path": [str(programs / "usr/bin/conmon")],
                "helper_binaries_dir": [str(programs / "usr/lib/podman"), str(programs / "usr/libexec/podman")],
                "runtime": "runc", "runtimes": {"runc": [str(programs / "usr/sbin/runc")]},
                "static_dir": str(self.storage / "libpod"), "volume_path": str(self.storage / "volumes"),
            },
        }
        for table, values in ours.items():
            debian.setdefault(table, {}).update(values)
        (self.conf / "containers.conf").write_text(_toml(debian))
        (self.conf / "storage.conf").write_text(_toml({"storage": {
            "driver": "overlay", "graphroot": str(self.storage), "runroot": str(self.base / "run")}}))
        (self.conf / "registries.conf").write_text((programs / "etc/containers/registries.conf").read_text())
        policy = (programs / "etc/containers/policy.json").read_text()
        (self.base / "home/.config/containers/policy.json").write_text(policy)

    def start(self, wait: float = 90) -> None:
        self.remove()
        _make_host_folders()
        self.base.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self.write_config()
        self._write_cli_config()
        ns = netns.create(self.name)
        command = [
            *ns.enter(), "unshare", "--mount", "--propagation", "slave", "--",
            "sh", "-c", _SERVICE_VIEW, "sh", str(self.base / "cgroup"), str(self.base), str(self.programs[0]),
            "env", *(f"{k}={v}" for k, v in self._podman_env().items()),
            "podman", "system", "service", "--time=0", self.host,
        ]
        with open(self.log, "ab") as log:
            # Its own folder as working directory: conmon writes a file named oom into its working directory
            # when a container is OOM-killed, which left an empty `oom` in the repository.
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.base)
        (self.base / "podman.pid").write_text(str(process.pid))
        self._wait_for(process, "podman system service", wait)

    def podman(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run ``podman ARGS`` in the service's namespaces, on its storage (for tidying up)."""
        pid = self._service_pid()
        if pid is None:
            raise EngineFailed(f"the Podman service {self.name} is not running")
        return subprocess.run(["nsenter", "-t", str(pid), "-m", "-n", "--", "env", *(f"{k}={v}" for k, v in self._podman_env().items()),
                               "podman", *args], capture_output=True, text=True, timeout=timeout)

    def _service_pid(self) -> int | None:
        for pid in self.processes():
            with contextlib.suppress(OSError):
                args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if args[:3] == [b"podman", b"system", b"service"]:
                    return pid
        return None

    def stop(self, grace: float = 40) -> None:
        """Remove every container (the service leaves them running when it stops: conmon watches them),
        stop the service, then anything of the engine still running."""
        if self._service_pid() is not None:
            with contextlib.suppress(subprocess.TimeoutExpired, EngineFailed):
                self.podman("pod", "rm", "--all", "--force")
                self.podman("rm", "--all", "--force", "--time", "0")
        self._end(self._service_pid(), grace)

    def remove(self) -> None:
        """Stop it and remove what it had; the last Podman row also removes the host folders the rows made
        (the mount points above, the cgroup /libpod_parent where Podman puts conmon and containers)."""
        super().remove()
        if not [other for other in _podman_rows() if other != self.name]:
            _remove_host_folders()


#: Mount points the service needs on the host (see _SERVICE_VIEW); the rows make them when missing.
HOST_FOLDERS = (Path("/run/containers"), Path("/var/lib/containers"))
_MADE = netns.RUN / "podman-made-folders"


def _podman_rows() -> list[str]:
    """The Podman engines started here (each has a ``podman.pid`` in its folder while it exists)."""
    return [p.parent.name for p in netns.RUN.glob("*/podman.pid")] if netns.RUN.exists() else []


def _make_host_folders() -> None:
    netns.RUN.mkdir(parents=True, exist_ok=True)
    made = set(_MADE.read_text().split()) if _MADE.exists() else set()
    for folder in HOST_FOLDERS:
        if not folder.exists():
            folder.mkdir(parents=True)
            made.add(str(folder))
    _MADE.write_text("\n".join(sorted(made)) + "\n")


def _remove_host_folders() -> None:
    """The folders the rows made, if empty (never one that was there before), and Podman's empty cgroups."""
    if _MADE.exists():
        for folder in _MADE.read_text().split():
            with contextlib.suppress(OSError):
                Path(folder).rmdir()
        _MADE.unlink()
    for parent in Path("/sys/fs/cgroup").glob("*/libpod_parent"):
        for folder in sorted((p for p in parent.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
            with contextlib.suppress(OSError):
                folder.rmdir()
        with contextlib.suppress(OSError):
            parent.rmdir()


def _toml(tables: dict) -> str:
    """TOML for the few shapes containers.conf and storage.conf use: tables (nested one level) of
    strings, booleans, numbers and lists of strings."""
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines: list[str] = []
    for name, table in tables.items():
        lines.append(f"[{name}]")
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        lines += [f"{k} = {value(v)}" for k, v in table.items() if not isinstance(v, dict)]
        for sub, values in nested.items():
            lines.append(f"[{name}.{sub}]")
            lines += [f"{k} = {value(v)}" for k, v in values.items() if not isinstance(v, dict)]
        lines.append("")
    return "\n".join(lines)
