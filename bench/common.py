"""What every benchmark group shares: progress lines, timed commands, the engine lock."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
_started = time.monotonic()


def say(text: str) -> None:
    """One progress line, with the time since the bench started (the whole run is long)."""
    elapsed = int(time.monotonic() - _started)
    print(f"[{elapsed // 60:3d}:{elapsed % 60:02d}] {text}", flush=True)


def timed(args: list[str], *, cwd: Path = ROOT, env: dict | None = None, log: Path | None = None,
          timeout: float = 3600) -> tuple[float, subprocess.CompletedProcess]:
    """Run a command, its output to ``log`` (or captured); return (seconds, finished process)."""
    out = open(log, "w") if log else subprocess.PIPE  # noqa: SIM115 - closed below
    try:
        start = time.monotonic()
        done = subprocess.run(args, cwd=cwd, env={**os.environ, **(env or {})}, stdout=out,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return time.monotonic() - start, done
    finally:
        if log:
            out.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_group(proc: subprocess.Popen, grace: float = 10) -> None:
    """SIGTERM the process group ``proc`` leads (started with ``start_new_session``), then SIGKILL."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def engine_lock(wait_minutes: float = 120):
    """The test suites' engine lock (dockerlab.tooling.suitelock): no suite runs while we measure, and we
    never measure while one runs. Released around ``make test``, which takes it itself."""
    from dockerlab.tooling import suitelock

    return suitelock.held(wait_minutes, on_wait=say)


def course_leftovers() -> set[str]:
    """Course resources of this process's session or of a dead one (a kernel the bench started and
    stopped), and images named after this session: what a group must not leave. Other people's
    resources, a live classmate's or a test run's, are not counted."""
    from dockerlab import engine
    from dockerlab.engine import session as sessions

    api = engine.client().api
    own = sessions.current_id()
    found = [(f"container {c['Names'][0].lstrip('/')}", c.get("Labels"), c["Names"][0]) for c in api.containers(all=True)]
    found += [(f"network {n['Name']}", n.get("Labels"), n["Name"]) for n in api.networks()]
    found += [(f"volume {v['Name']}", v.get("Labels"), v["Name"]) for v in api.volumes().get("Volumes") or []]
    left = set()
    for what, labels_, name in found:
        sid, _ = sessions.owner_of(labels_, name)
        if sid and (sid == own or sessions.Session.is_dead(sid)):
            left.add(what)
    if own:
        left |= {f"image {t}" for i in api.images() for t in i.get("RepoTags") or [] if own in t}
    return left
