"""What the reliability scenarios share: a kernel driven cell by cell, the engine stopped and started
for real, notebooks copied into a learner's own folder, and every engine call bounded in time.

Nothing here mocks the engine. Every wait has a bound: a kernel cell (``Kernel.run(timeout=)``),
a subprocess (``timeout=``), the engine's own API (docker-py client with a timeout).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
ALL_NOTEBOOKS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))

#: How the engine under test is stopped and started again (the engine-down scenario). By default
#: the machine's engine: dockerd's pid file, and the one script that starts an engine. Point
#: DOCKER_HOST at another engine and both must be given (the script would start the default one).
PIDFILE = os.environ.get("DOCKERLAB_ENGINE_PIDFILE", "/var/run/docker.pid")
START = os.environ.get("DOCKERLAB_ENGINE_START", f"bash {ROOT / 'scripts' / 'ensure-engine.sh'}")
DEFAULT_HOSTS = ("", "unix:///var/run/docker.sock", "unix:///run/docker.sock")


def sh(command: str | list[str], timeout: float = 60, check: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """A bounded subprocess: `docker ...` CLI calls in tests go through here."""
    return subprocess.run(command, shell=isinstance(command, str), capture_output=True, text=True,
                          timeout=timeout, check=check, **kwargs)


def docker(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return sh(["docker", *args], timeout=timeout)


def api(timeout: float = 10):
    """A fresh low-level docker-py client with a short timeout (not dockerlab's shared one)."""
    import docker as docker_py

    return docker_py.from_env(version="auto", timeout=timeout).api


def ping(timeout: float = 5) -> bool:
    try:
        return bool(api(timeout).ping())
    except Exception:  # noqa: BLE001 - any failure means "does not answer"
        return False


# -- notebooks -------------------------------------------------------------------------------


def learner_folder(tmp: Path, notebooks: list[Path] | None = None) -> Path:
    """A learner's own copy of the course folder (notebooks + figures), as on their own machine:
    the lessons write into ``work/`` under the notebook's folder, which must not be shared."""
    folder = tmp / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(NOTEBOOKS / "figures", folder / "figures", dirs_exist_ok=True)
    for nb in notebooks or ALL_NOTEBOOKS:
        shutil.copy2(nb, folder / nb.name)
    # notebook 02 reads ../environment.yml
    for name in ("environment.yml", "pyproject.toml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, tmp / name)
    return folder


def code_cells(notebook: Path, mode: str | None = None) -> list[str]:
    """The code cells' sources; the parameters cell gets ``MODE = mode`` if given."""
    cells = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        if mode and "parameters" in cell.metadata.get("tags", []):
            cells.append(f"MODE = {mode!r}")
        else:
            cells.append(cell.source)
    return cells


def index_of(cells: list[str], pattern: str, start: int = 0) -> int:
    """Index of the first cell at or after ``start`` whose source matches ``pattern`` (a regex)."""
    for number in range(start, len(cells)):
        if re.search(pattern, cells[number], re.M):
            return number
    raise LookupError(f"no cell matches {pattern!r}")


# -- a kernel, cell by cell ------------------------------------------------------------------


@dataclass
class Cell:
    source: str
    status: str
    outputs: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    ename: str = ""  # the exception's class when status is "error" (from the execute reply)

    @property
    def text(self) -> str:
        parts = []
        for out in self.outputs:
            if out["type"] == "stream":
                parts.append(out["text"])
            elif "data" in out:
                # A display is a block of its own in the output area: what follows starts on a new line.
                shown = str(out["data"].get("text/plain", ""))
                parts.append(shown if shown.endswith("\n") else shown + "\n")
        return "".join(parts)

    @property
    def html(self) -> str:
        return "".join(str(o["data"].get("text/html", "")) for o in self.outputs if "data" in o)

    @property
    def errors(self) -> list[dict]:
        return [o for o in self.outputs if o["type"] == "error"]

    @property
    def shown(self) -> str:
        """Everything the learner sees in the cell's output area (text, HTML, error lines)."""
        return self.text + self.html + "".join("\n".join(e["traceback"]) for e in self.errors)

    def traceback_frames(self) -> list[str]:
        """Lines of a rendered Python traceback, if any (frames, arrows, the header)."""
        ansi = re.compile(r"\x1b\[[0-9;]*m")
        lines = [ansi.sub("", line) for e in self.errors for tb in e["traceback"] for line in tb.splitlines()]
        lines += self.text.splitlines()
        return [ln for ln in lines if re.search(r"Traceback \(most recent call last\)|^\s*File \"|^-+>|^\s*\d+\s*[-]+>|Cell In\[", ln)]


class Kernel:
    """A real IPython kernel (as JupyterLab starts one), run one cell at a time."""

    def __init__(self, cwd: Path, env: dict[str, str] | None = None, startup_timeout: float = 90):
        from jupyter_client.manager import KernelManager

        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(cwd=str(cwd), env={**os.environ, **(env or {})})
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=startup_timeout)
        self.cells: list[Cell] = []

    def session_id(self) -> str | None:
        """The kernel's dockerlab session id (None before a lesson started), noted in :data:`SEEN`."""
        sid = self.run("import dockerlab.engine.session as _dls; print(_dls.current_id())", timeout=30).text.strip()
        if SESSION_ID.fullmatch(sid):
            SEEN.add(sid)
            return sid
        return None

    @property
    def pid(self) -> int:
        return int(self.run("import os; print(os.getpid())", timeout=30).text.strip())

    def run(self, code: str, timeout: float = 180) -> Cell:
        outputs: list[dict] = []

        def hook(msg):
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                outputs.append({"type": "stream", "name": content["name"], "text": content["text"]})
            elif kind in ("display_data", "execute_result", "update_display_data"):
                outputs.append({"type": kind, "data": content.get("data", {})})
            elif kind == "error":
                outputs.append({"type": "error", "ename": content["ename"], "evalue": content["evalue"],
                                "traceback": content["traceback"]})

        started = time.monotonic()
        reply = self.kc.execute_interactive(code, timeout=timeout, output_hook=hook, allow_stdin=False)
        content = reply["content"]
        cell = Cell(code, content["status"], outputs, time.monotonic() - started, content.get("ename", ""))
        self.cells.append(cell)
        return cell

    def run_all(self, sources: list[str], timeout: float = 300) -> list[Cell]:
        return [self.run(source, timeout=timeout) for source in sources]

    def alive(self) -> bool:
        return self.km.is_alive()

    def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            if self.km.is_alive():
                self.session_id()
        with contextlib.suppress(Exception):
            self.kc.stop_channels()
        with contextlib.suppress(Exception):
            self.km.shutdown_kernel(now=False, restart=False)
        with contextlib.suppress(Exception):
            if self.km.is_alive():
                self.km.shutdown_kernel(now=True)


# -- the engine itself -----------------------------------------------------------------------


class EngineHung(AssertionError):
    """The engine did not stop or start within its bound: a finding, with evidence attached."""


def engine_control_allowed() -> str | None:
    """None if this suite may stop and start the engine under test, else why not."""
    if os.geteuid() != 0:
        return "stopping the engine needs root"
    if os.environ.get("DOCKER_HOST", "") not in DEFAULT_HOSTS and "DOCKERLAB_ENGINE_START" not in os.environ:
        return "DOCKER_HOST names another engine: set DOCKERLAB_ENGINE_PIDFILE and DOCKERLAB_ENGINE_START for it"
    if _engine_pid() is None:
        return f"no running dockerd in {PIDFILE} (an engine this suite cannot restart: Docker Desktop, systemd-managed?)"
    return None


def _engine_pid() -> int | None:
    try:
        pid = int(Path(PIDFILE).read_text().strip())
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
    except (OSError, ValueError):
        return None
    return pid if comm == "dockerd" else None


def goroutine_dump(pid: int) -> str:
    """Ask dockerd for its goroutine stacks (SIGUSR1) and return where it wrote them."""
    os.kill(pid, signal.SIGUSR1)
    time.sleep(2)
    found = sorted(Path("/var/run").glob("docker*/goroutine-stacks-*.log"), key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else "(no goroutine-stacks file found; see dockerd's log)"


def stop_engine(bound: float = 60) -> float:
    """SIGTERM dockerd (as `kill $(cat docker.pid)` does) and wait until it has exited."""
    pid = _engine_pid()
    if pid is None:
        raise RuntimeError(f"no dockerd in {PIDFILE}")
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)
    while Path(f"/proc/{pid}").exists():
        if time.monotonic() - started > bound:
            raise EngineHung(f"dockerd (pid {pid}) did not exit within {bound:g} s of SIGTERM; stacks: {goroutine_dump(pid)}")
        time.sleep(0.1)
    return time.monotonic() - started


def start_engine(bound: float = 120) -> float:
    """Start the engine again and wait until it answers a ping."""
    started = time.monotonic()
    if not ping():
        done = sh(START, timeout=bound)
        if done.returncode != 0:
            raise EngineHung(f"starting the engine failed ({START}): {done.stdout[-800:]} {done.stderr[-800:]}")
    while not ping():
        if time.monotonic() - started > bound:
            raise EngineHung(f"the engine did not answer within {bound:g} s of starting it")
        time.sleep(0.2)
    return time.monotonic() - started


def host_answers_within(bound: float) -> float:
    """Time a trivial command on the host (fork + exec); raises if it takes longer than ``bound``."""
    started = time.monotonic()
    sh(["true"], timeout=bound)
    return time.monotonic() - started


def machine() -> str:
    """One line about the machine the suite ran on, for the results table."""
    cpus = os.cpu_count()
    mem = "?"
    with contextlib.suppress(OSError):
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / 1024**2:.0f} GiB"
    kernel = os.uname().release
    try:
        info = api(10).info()
        engine = f"Docker {info.get('ServerVersion')} (cgroup v{info.get('CgroupVersion')}, {info.get('Driver')})"
    except Exception:  # noqa: BLE001
        engine = "engine did not answer"
    load = "%.1f %.1f %.1f" % os.getloadavg()
    return f"{cpus} CPUs, {mem} RAM, Linux {kernel}, {engine}, load average at the end {load}"


# -- what the engine holds, by session -------------------------------------------------------


def resources_of(session_ids) -> dict[str, set[str]]:
    """Containers, networks and volumes that carry one of ``session_ids`` (label or name)."""
    from dockerlab.engine.session import owner_of

    wanted = set(session_ids)
    client = api(30)
    found: dict[str, set[str]] = {"containers": set(), "networks": set(), "volumes": set()}
    for c in client.containers(all=True):
        name = (c.get("Names") or ["/"])[0].lstrip("/")
        if owner_of(c.get("Labels"), name)[0] in wanted:
            found["containers"].add(name)
    for n in client.networks():
        if owner_of(n.get("Labels"), n["Name"])[0] in wanted:
            found["networks"].add(n["Name"])
    for v in client.volumes().get("Volumes") or []:
        if owner_of(v.get("Labels"), v["Name"])[0] in wanted:
            found["volumes"].add(v["Name"])
    return {kind: names for kind, names in found.items() if names}


SESSION_ID = re.compile(r"(?<![0-9a-z])dl[0-9a-f]{6}(?![0-9a-f])")

#: Every session id this suite's kernels and runs used; at the end nothing of them may remain.
SEEN: set[str] = set()


def session_ids_in(text: str) -> set[str]:
    return set(SESSION_ID.findall(text))


# -- measuring a crowd -----------------------------------------------------------------------


def _meminfo_kib() -> dict[str, int]:
    found = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("MemTotal", "MemAvailable"):
            found[key] = int(rest.split()[0])
    return found


def _rss_kib(pid: int | None) -> int | None:
    if pid is None:
        return None
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+)", status, re.M)
    return int(found.group(1)) if found else None


def _pid_of(comm: str) -> int | None:
    """The first process whose name is ``comm`` (one pass over /proc, done once)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == comm:
                    return int(entry.name)
    return None


class MemorySampler:
    """Samples the box's memory in use (MemTotal - MemAvailable, /proc/meminfo) and the RSS of dockerd
    and containerd every ``interval`` seconds in a thread: ``with MemorySampler() as mem: ...``, then
    ``mem.summary()``. The box is shared: the first sample is the baseline the rest is compared with."""

    def __init__(self, interval: float = 1.0):
        import threading

        self.interval = interval
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.total_kib = _meminfo_kib().get("MemTotal", 0)
        self.pids = {"dockerd": _engine_pid() or _pid_of("dockerd"), "containerd": _pid_of("containerd")}
        self.samples: list[dict[str, int | None]] = []

    def sample(self) -> None:
        info = _meminfo_kib()
        self.samples.append({"used": info["MemTotal"] - info["MemAvailable"],
                             **{name: _rss_kib(pid) for name, pid in self.pids.items()}})

    def _loop(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(Exception):
                self.sample()
            self.stop.wait(self.interval)

    def __enter__(self) -> "MemorySampler":
        self.sample()
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.sample()

    def peak(self, key: str = "used") -> int | None:
        values = [s[key] for s in self.samples if s.get(key) is not None]
        return max(values) if values else None

    def summary(self) -> dict:
        """MiB: the box's total, baseline, peak and peak - baseline; dockerd's and containerd's RSS at start and peak."""
        mib = lambda kib: None if kib is None else round(kib / 1024)  # noqa: E731
        first = self.samples[0] if self.samples else {}
        found = {"samples": len(self.samples), "total_mib": mib(self.total_kib), "baseline_mib": mib(first.get("used")),
                 "peak_mib": mib(self.peak("used"))}
        if found["peak_mib"] is not None and found["baseline_mib"] is not None:
            found["added_mib"] = found["peak_mib"] - found["baseline_mib"]
        for name in self.pids:
            found[f"{name}_start_mib"], found[f"{name}_peak_mib"] = mib(first.get(name)), mib(self.peak(name))
        return found


def spread(values: list[float]) -> dict[str, float]:
    """min, median, max (rounded to 0.1) of ``values``; empty for none."""
    import statistics

    if not values:
        return {}
    return {"min": round(min(values), 1), "median": round(statistics.median(values), 1), "max": round(max(values), 1)}


# -- another learner's things, beside a crowd -------------------------------------------------


class Sentinel:
    """The things of a learner who is not in the crowd but works beside it on the same engine: a
    running container, a network and a volume with the session's labels, and an image tag carrying
    the session id, all made with the CLI. ``live=True`` also writes the session's state file into
    each of ``state_dirs`` and holds its lock (as a live kernel on the same machine does, so every
    learner's dead-session sweep sees it alive); ``live=False`` leaves no state file (a learner on
    another machine sharing the engine). Nothing a crowd does may remove or change any of them.
    """

    def __init__(self, state_dirs: list[Path] = (), live: bool = True, image: str = "busybox:1.37"):
        import secrets

        from dockerlab import labels

        self.id = "dl" + secrets.token_hex(3)
        SEEN.add(self.id)
        self.live, self.image = live, image
        self.names = {"container": f"sentry-{self.id}", "network": f"sentry-net-{self.id}",
                      "volume": f"sentry-vol-{self.id}", "image": f"sentry-{self.id}:latest"}
        self.label_args = [f"--label={labels.MANAGED}=true", f"--label={labels.SESSION}={self.id}"]
        self.locks = []
        self.state_dirs = list(state_dirs) if live else []
        self.ids: dict[str, str] = {}

    def make(self) -> None:
        from dockerlab.engine import session

        for state in self.state_dirs:
            sessions = Path(state) / "sessions"
            sessions.mkdir(parents=True, exist_ok=True)
            held = session.lock(sessions / f"{self.id}.lock", blocking=False)
            held.acquire()
            self.locks.append(held)
            (sessions / f"{self.id}.json").write_text(
                '{"id": "%s", "host": "%s", "engine": "%s", "pid": %d, "started": %f}'
                % (self.id, os.uname().nodename, session.engine_address(), os.getpid(), time.time()))
        n = self.names
        steps = [["network", "create", *self.label_args, n["network"]],
                 ["volume", "create", *self.label_args, n["volume"]],
                 ["run", "-d", "--name", n["container"], *self.label_args, "--network", n["network"],
                  "-v", f"{n['volume']}:/data", "--memory", "32m", "--pids-limit", "16", self.image, "sleep", "86400"],
                 ["tag", self.image, n["image"]]]
        for step in steps:
            done = docker(*step, timeout=120)
            if done.returncode != 0:
                raise RuntimeError(f"sentinel: docker {' '.join(step)}: {done.stderr.strip()[-300:]}")
        self.ids = self._ids()

    def _ids(self) -> dict[str, str]:
        """Each thing's id (a volume's: its name and creation time), and the container's state; missing: ''."""
        n, fmt = self.names, "{{.Id}} {{.State.Status}}"
        found = {}
        found["container"] = docker("inspect", "--type", "container", "--format", fmt, n["container"]).stdout.strip()
        found["network"] = docker("network", "inspect", "--format", "{{.Id}}", n["network"]).stdout.strip()
        found["volume"] = docker("volume", "inspect", "--format", "{{.Name}} {{.CreatedAt}}", n["volume"]).stdout.strip()
        found["image"] = docker("image", "inspect", "--format", "{{.Id}}", n["image"]).stdout.strip()
        return found

    def changes(self) -> list[str]:
        """What is no longer as made (empty: untouched); the state files too, for a live one."""
        now, problems = self._ids(), []
        for kind, before in self.ids.items():
            if now.get(kind) != before:
                problems.append(f"{'live' if self.live else 'foreign'} sentinel {kind} {self.names[kind]}: "
                                f"{before!r} -> {now.get(kind) or 'GONE'!r}")
        for state in self.state_dirs:
            if not (Path(state) / "sessions" / f"{self.id}.json").exists():
                problems.append(f"live sentinel's state file removed from {state}")
        return problems

    def remove(self) -> None:
        n = self.names
        docker("rm", "-f", "-v", n["container"], timeout=60)
        docker("network", "rm", n["network"], timeout=60)
        docker("volume", "rm", n["volume"], timeout=60)
        docker("rmi", n["image"], timeout=60)  # by name: untags, the busybox image stays
        for held in self.locks:
            with contextlib.suppress(Exception):
                held.release(force=True)
        for state in self.state_dirs:
            for suffix in (".json", ".lock"):
                (Path(state) / "sessions" / f"{self.id}{suffix}").unlink(missing_ok=True)
