"""``make lab`` until JupyterLab answers HTTP: warm (everything in place) and cold (no venv yet).

Cold runs in a throwaway clone under /tmp (``git clone`` of this repository's HEAD, so only
committed files), whose ``make lab`` makes its own venv from PyPI; this repository's .venv is
never touched. The course images stay in place in both cases.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from .common import ROOT, free_port, say, stop_group
from .stats import Row


def until_answers(folder: Path, timeout: float = 1200) -> float:
    """Start ``make lab`` in ``folder``; seconds until ``/api/status`` answers; then stop it, whole group."""
    port, token = free_port(), os.urandom(8).hex()
    log = open(Path(tempfile.gettempdir()) / f"dockerlab-bench-lab-{port}.log", "w")  # noqa: SIM115
    start = time.monotonic()
    proc = subprocess.Popen(["make", "lab"], cwd=folder, env={**os.environ, "LAB_PORT": str(port), "LAB_TOKEN": token},
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        while time.monotonic() - start < timeout:
            if proc.poll() is not None:
                raise RuntimeError(f"make lab exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2):
                    return time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.1)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s; see {log.name}")
    finally:
        stop_group(proc)
        log.close()


def warm(runs: int) -> Row:
    samples = [until_answers(ROOT) for _ in range(runs)]
    say(f"  warm: {min(samples):.1f}–{max(samples):.1f} s")
    return Row("lab", "`make lab`, everything in place", "s", samples,
               note="From `make lab` to JupyterLab's /api/status answering (setup's checks, the doctor, server start).")


def cold(runs: int) -> Row:
    samples = []
    for run in range(runs):
        clone = Path(tempfile.mkdtemp(prefix="dockerlab-bench-clone-"))
        try:
            subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone / "dockerlab")], check=True, timeout=300)
            samples.append(until_answers(clone / "dockerlab"))
            say(f"  cold {run + 1}/{runs}: {samples[-1]:.0f} s")
        finally:
            shutil.rmtree(clone, ignore_errors=True)
    return Row("lab", "`make lab`, no venv yet (fresh clone)", "s", samples,
               note="A fresh clone of HEAD in /tmp: a new venv from PyPI, then as warm; the course images already present.")
