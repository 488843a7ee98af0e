"""Re-run notebooks in learner mode and store their outputs (what nbval later compares against).

    python scripts/record_notebooks.py                 # every notebook
    python scripts/record_notebooks.py 03 04           # those whose names start with 03 or 04

Run after editing a notebook. Widget state is stored too, so saved notebooks show the widgets.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from dockerlab.tooling import suitelock
from dockerlab.classroom.kernels import SocketFileKernelManager

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def record(path: Path) -> float:
    started = time.monotonic()
    # A fresh progress file per notebook, as under nbval (conftest.py): notebook 00's progress
    # overview must not show what this machine's own learner has checked.
    os.environ["DOCKERLAB_PROGRESS"] = os.path.join(tempfile.mkdtemp(prefix="dockerlab-record-"), "progress.json")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}, store_widget_state=True,
        kernel_manager_class=SocketFileKernelManager,
    )
    client.execute()
    nbformat.write(nb, path)
    return time.monotonic() - started


def main(prefixes: list[str]) -> int:
    chosen = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")) if not prefixes or p.name.startswith(tuple(prefixes))]
    # Holds the test suites' engine lock: a suite running beside a recording would see its
    # containers as a notebook's leftovers.
    with suitelock.held():
        for path in chosen:
            print(f"recording {path.name} ...", flush=True)
            print(f"  done in {record(path):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
