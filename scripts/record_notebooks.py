"""Re-run notebooks in learner mode and store their outputs (what nbval later compares against).

    python scripts/record_notebooks.py                 # every notebook
    python scripts/record_notebooks.py 03 04           # those whose names start with 03 or 04
    python scripts/record_notebooks.py --strip-only    # run nothing: only drop run timings from the stored notebooks

Run after editing a notebook. Widget state is stored too, so saved notebooks show the widgets. Run
timings are not (nbclient's ``metadata.execution`` on every cell: when each cell started and ended):
they change on every recording, so a re-recorded notebook's diff would be mostly timestamps.
tests/unit/test_notebooks_stored.py checks that no stored notebook carries them.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
#: What nbclient records in a cell's metadata while it runs (record_timing): nothing a reader needs.
RUN_METADATA = ("execution",)


def strip_run_metadata(nb) -> int:
    """Drop the run timings (``metadata.execution``) from every cell of ``nb``, in place; return how many cells had them."""
    stripped = 0
    for cell in nb.cells:
        found = [key for key in RUN_METADATA if key in cell.get("metadata", {})]
        for key in found:
            del cell.metadata[key]
        stripped += bool(found)
    return stripped


def strip_file(path: Path) -> int:
    """:func:`strip_run_metadata` on a stored notebook, rewritten only if it changed."""
    nb = nbformat.read(path, as_version=4)
    stripped = strip_run_metadata(nb)
    if stripped:
        nbformat.write(nb, path)
    return stripped


def record(path: Path) -> float:
    from nbclient import NotebookClient

    from dockerlab.classroom.kernels import SocketFileKernelManager

    started = time.monotonic()
    # A fresh progress file per notebook, as under nbval (conftest.py): notebook 00's progress
    # overview must not show what this machine's own learner has checked.
    os.environ["DOCKERLAB_PROGRESS"] = os.path.join(tempfile.mkdtemp(prefix="dockerlab-record-"), "progress.json")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}, store_widget_state=True,
        kernel_manager_class=SocketFileKernelManager, record_timing=False,
    )
    client.execute()
    strip_run_metadata(nb)  # what an earlier recording stored (record_timing=False only stops new ones)
    nbformat.write(nb, path)
    return time.monotonic() - started


def main(args: list[str]) -> int:
    strip_only = "--strip-only" in args
    prefixes = [a for a in args if a != "--strip-only"]
    chosen = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")) if not prefixes or p.name.startswith(tuple(prefixes))]
    if strip_only:
        for path in chosen:
            print(f"{path.name}: run timings dropped from {strip_file(path)} cell(s)")
        return 0
    from dockerlab.tooling import suitelock

    # Holds the test suites' engine lock: a suite running beside a recording would see its
    # containers as a notebook's leftovers.
    with suitelock.held():
        for path in chosen:
            print(f"recording {path.name} ...", flush=True)
            print(f"  done in {record(path):.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
