"""A separate Docker engine: its own dockerd, containerd, data, socket and network namespace.

Nothing is shared with the machine's default engine but the kernel: the data, exec-root,
pidfile, socket, cgroup parent and ``daemon.json`` are the engine's own, it runs in a network
namespace of its own (:mod:`matrix.netns`) and a mount namespace of its own (its mounts go when
it does). Its clients run with :meth:`Engine.enter` and :meth:`Engine.env`, which show them the
engine as a learner's machine shows its engine: at /run/docker.sock (or through a docker context,
as Docker Desktop), with its data at /var/lib/docker, its published ports on 127.0.0.1, its own
``docker`` CLI first on PATH and a CLI config folder with its plugins.

    with Engine(...).running() as engine:
        subprocess.run([*engine.enter(), "docker", "info"], env=engine.env())
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import netns

#: Where each engine keeps images, containers and volumes; removed with the engine.
DATA = Path(os.environ.get("DOCKERLAB_ENGINES_DATA", "/var/lib/dockerlab-engines"))
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#: Where a learner's engine keeps its data and listens; each engine's own folders are mounted there
#: in its own mount namespace and in its clients' (see Engine.enter), so paths read as on a learner's machine.
DEFAULT_ROOT, DEFAULT_SOCKET = "/var/lib/docker", "/run/docker.sock"
# dockerd's view. $1: a folder to keep the cgroup tree in while a sysfs of the engine's network namespace
# is mounted over /sys (the host's shows the host's bridges); $2: the engine's data, seen at /var/lib/docker.
_ENGINE_VIEW = ('mkdir -p "$1" /var/lib/docker && mount --rbind /sys/fs/cgroup "$1" && mount -t sysfs sysfs /sys'
                ' && mount --rbind "$1" /sys/fs/cgroup && mount --bind "$2" /var/lib/docker && shift 2 && exec "$@"')
# A client's view. $1: the engine's socket, seen at /run/docker.sock (Docker Desktop links that path to
# its own socket too, so even a row reached through a context has it); $2: its data, at /var/lib/docker.
_CLIENT_VIEW = ('{ [ -e /run/docker.sock ] || : > /run/docker.sock; } && mount --bind "$1" /run/docker.sock'
                ' && mkdir -p /var/lib/docker && mount --bind "$2" /var/lib/docker && shift 2 && exec "$@"')


def _running(pid: int) -> bool:
    """Whether ``pid`` still runs. An engine this process started stays in /proc as a zombie after it
    exits, until reaped: reap it here, or every stop would wait out its whole grace period."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


class EngineFailed(RuntimeError):
    """The engine did not start; the message ends with the last lines of its log."""


@dataclass
class Engine:
    """One engine, started and removed by this process.

    Attributes:
        name: Short name, used in paths, the namespace and the bridge rules (``c``, ``b-w1``).
        programs: Folders whose ``usr/bin`` and ``usr/sbin`` hold dockerd, containerd, runc,
            docker-init and docker-proxy (a Debian package set from :mod:`matrix.debian`).
        config: The engine's ``daemon.json``.
        cli: A folder whose ``docker`` comes first on PATH (None: the machine's own CLI).
        plugins: A folder with ``docker-buildx`` and ``docker-compose`` for the engine's CLI config
            (None: the machine's own plugins).
        context: Reach the engine through a docker context of this name, as Docker Desktop's
            ``desktop-linux`` does, instead of DOCKER_HOST.
    """

    name: str
    programs: list[Path]
    config: dict = field(default_factory=dict)
    cli: Path | None = None
    plugins: Path | None = None
    context: str | None = None

    @property
    def base(self) -> Path:
        return netns.RUN / self.name

    @property
    def data(self) -> Path:
        return DATA / self.name

    @property
    def socket(self) -> Path:
        return self.base / "docker.sock"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def log(self) -> Path:
        return self.base / "dockerd.log"

    @property
    def cli_config(self) -> Path:
        return self.base / "cli"

    def _path(self) -> str:
        bins = [str(p / sub) for p in self.programs for sub in ("usr/bin", "usr/sbin")]
        return ":".join([*bins, SYSTEM_PATH])

    def env(self, base: dict | None = None) -> dict[str, str]:
        """The environment of a process that uses this engine (and its CLI and plugins), run with
        :meth:`enter`: no DOCKER_HOST, the engine is at the default socket or the current context."""
        env = dict(os.environ if base is None else base)
        for name in ("DOCKER_CONTEXT", "DOCKER_HOST"):
            env.pop(name, None)
        env["DOCKER_CONFIG"] = str(self.cli_config)
        # Sessions and locks of their own: every row's engine is at /run/docker.sock for its clients, so
        # sessions would otherwise take another row's for their own engine's (and sweep its files).
        env["DOCKERLAB_STATE"] = str(self.base / "state")
        if self.cli is not None:
            env["PATH"] = f"{self.cli}:{env.get('PATH', SYSTEM_PATH)}"
        return env

    def enter(self) -> list[str]:
        """The command prefix that runs a client of the engine as on a learner's machine: in the
        engine's network namespace (its published ports), with the engine's socket at
        /run/docker.sock and its data at /var/lib/docker."""
        ns = netns.existing(self.name)
        if ns is None:
            raise EngineFailed(f"the engine {self.name} is not running (no network namespace)")
        return [*ns.enter(), "unshare", "--mount", "--propagation", "slave", "--",
                "sh", "-c", _CLIENT_VIEW, "sh", str(self.socket), str(self.data)]

    # -- life -------------------------------------------------------------------------------
    def start(self, wait: float = 90) -> None:
        """Start from empty folders (a brand-new engine) and wait until it answers.

        Raises:
            EngineFailed: it stopped or did not answer within ``wait`` seconds.
        """
        self.remove()
        self.base.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        (self.base / "daemon.json").write_text(json.dumps(self.config, indent=2))
        self._write_cli_config()
        ns = netns.create(self.name)
        command = [
            *ns.enter(),
            # Its own mount namespace: container mounts are made and dropped there, never in the host's table.
            "unshare", "--mount", "--propagation", "slave", "--",
            "sh", "-c", _ENGINE_VIEW, "sh", str(self.base / "cgroup"), str(self.data),
            "env", f"PATH={self._path()}", "dockerd",
            "--config-file", str(self.base / "daemon.json"),
            "--data-root", DEFAULT_ROOT, "--exec-root", str(self.base / "exec"),
            "--pidfile", str(self.base / "docker.pid"), "-H", self.host,
            "--cgroup-parent", f"/dockerlab-{self.name}",
        ]
        with open(self.log, "ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_for(process, "dockerd", wait)
        if self.context:
            self._use_context()

    def _wait_for(self, process: subprocess.Popen, server: str, wait: float) -> None:
        """Until the engine answers; if its server exits or ``wait`` seconds pass, stop it and raise
        EngineFailed with the end of its log."""
        deadline = time.monotonic() + wait
        while not self.answers():
            if process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-15:])
                self.stop()
                why = f"exited with {process.returncode}" if process.returncode is not None else f"did not answer in {wait:.0f} s"
                raise EngineFailed(f"{server} for {self.name} {why}; its log ({self.log}) ends:\n{tail}")
            time.sleep(0.5)

    def answers(self) -> bool:
        """True when the engine answers GET /_ping on its socket."""
        try:
            connection = _UnixHTTP(str(self.socket))
            connection.request("GET", "/_ping")
            return connection.getresponse().status == 200
        except OSError:
            return False

    def processes(self) -> list[int]:
        """PIDs of this engine's programs: dockerd, its containerd and the shims (by their folders)."""
        marks = (str(self.base) + "/", str(self.data) + "/")
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if any(mark in args for mark in marks):
                found.append(int(proc.name))
        return found

    def stop(self, grace: float = 40) -> None:
        """Stop dockerd (it stops its containers), then anything of the engine still running."""
        pid_file = self.base / "docker.pid"
        pid = int(pid_file.read_text()) if pid_file.exists() and pid_file.read_text().strip().isdigit() else None
        self._end(pid, grace)

    def _end(self, pid: int | None, grace: float) -> None:
        """SIGTERM the engine's server ``pid`` and wait up to ``grace`` seconds for it to go; then SIGKILL
        whatever of the engine still runs (its containerd, shims, containers)."""
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            while _running(pid) and time.monotonic() < deadline:
                time.sleep(0.3)
        for leftover in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(leftover, signal.SIGKILL)

    def remove(self) -> None:
        """Stop it, then remove its data, folders, namespace and host rules: nothing stays."""
        self.stop()
        netns.remove(self.name)
        for folder in (self.data, self.base):
            shutil.rmtree(folder, ignore_errors=True)
        # A client made an empty file to mount the socket on where no engine had one: not a socket, so no engine's.
        default = Path(DEFAULT_SOCKET)
        if default.is_file() and default.stat().st_size == 0:
            default.unlink()

    @contextlib.contextmanager
    def running(self, wait: float = 90) -> Iterator[Engine]:
        self.start(wait)
        try:
            yield self
        finally:
            self.remove()

    # -- the CLI's side ---------------------------------------------------------------------
    def _write_cli_config(self) -> None:
        self.cli_config.mkdir(parents=True, exist_ok=True)
        (self.cli_config / "config.json").write_text("{}\n")
        if self.plugins is not None:
            (self.cli_config / "cli-plugins").mkdir(exist_ok=True)
            for plugin in self.plugins.glob("docker-*"):
                (self.cli_config / "cli-plugins" / plugin.name).symlink_to(plugin)

    def _use_context(self) -> None:
        env = self.env()
        docker = shutil.which("docker", path=env["PATH"]) or "docker"
        for args in (["context", "create", self.context, "--docker", f"host={self.host}"], ["context", "use", self.context]):
            subprocess.run([docker, *args], env=env, check=True, capture_output=True, timeout=30)


class _UnixHTTP(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=5)
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(5)
        self.sock.connect(self._path)
