"""A kernel's memory: idle, with dockerlab imported, and while and after it runs a whole notebook.

The kernel is the venv's ``python3`` kernel started by nbclient, as JupyterLab would start it. RSS
is read from /proc (psutil) every 0.2 s while the notebook runs, for its peak.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.util import run_sync

from .common import ROOT, say
from .stats import Row, Target

MB = 1e6


def _rss(pid: int) -> float:
    """Resident memory of the kernel process, in MB."""
    return psutil.Process(pid).memory_info().rss / MB


def _once(notebook: Path) -> dict[str, float]:
    nb = nbformat.read(notebook, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(notebook.parent)}})
    found: dict[str, float] = {}
    with client.setup_kernel():
        pid = client.km.provisioner.process.pid
        run_sync(client.kc.execute_interactive)("pass", timeout=60)  # the kernel is up and answering
        found["idle"] = _rss(pid)
        run_sync(client.kc.execute_interactive)("import dockerlab", timeout=120)
        found["import"] = _rss(pid)
        peak = [found["import"]]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                try:
                    peak.append(_rss(pid))
                except psutil.Error:
                    return

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
        finally:
            done.set()
            sampler.join()
        found["end"] = _rss(pid)
        found["peak"] = max(peak + [found["end"]])
    return found


def measure(runs: int, notebook: str) -> list[Row]:
    path = next((ROOT / "notebooks").glob(f"{notebook}*.ipynb"))
    os.environ.setdefault("DOCKERLAB_PROGRESS", str(Path(os.environ.get("TMPDIR", "/tmp")) / "dockerlab-bench-progress.json"))
    results = []
    for run in range(runs):
        results.append(_once(path))
        say(f"  run {run + 1}/{runs}: " + ", ".join(f"{k} {v:.0f} MB" for k, v in results[-1].items()))
    how = f"RSS of the `python3` kernel (psutil), {path.name} run in learner mode with nbclient"
    return [
        Row("memory", "kernel, idle", "MB", [r["idle"] for r in results], note="After start-up, before any import."),
        Row("memory", "kernel, `import dockerlab`", "MB", [r["import"] for r in results], Target(120), note="Idle kernel + the package."),
        Row("memory", f"kernel, peak while running {path.stem}", "MB", [r["peak"] for r in results], Target(120),
            note=how + ", sampled every 0.2 s."),
        Row("memory", f"kernel, after {path.stem}", "MB", [r["end"] for r in results], Target(120), note=how + ", after its last cell."),
    ]
