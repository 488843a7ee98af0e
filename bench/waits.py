"""What a learner waits for: the first output after opening a notebook, and each notebook run through.

First output: from asking for a kernel (as JupyterLab does on opening a notebook) until the cell that
starts the lesson (``import dockerlab`` + ``dockerlab.start(...)``, after the parameters cell) has
finished. A notebook run through: every cell in learner mode, one after another, in a new kernel
(nbclient, as "Run All" in JupyterLab), on the warm engine; the learner's own typing and reading
excluded, so this is the machine's share of a lesson.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .common import ROOT, say
from .stats import Row, Target

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _client(notebook: Path) -> tuple[NotebookClient, nbformat.NotebookNode]:
    nb = nbformat.read(notebook, as_version=4)
    return NotebookClient(nb, timeout=600, kernel_name="python3",
                          resources={"metadata": {"path": str(notebook.parent)}}), nb


def first_output(notebook: Path) -> float:
    """Seconds from asking for a kernel until the lesson-start cell has run."""
    client, nb = _client(notebook)
    started = time.monotonic()
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            client.execute_cell(cell, index)
            if "dockerlab.start(" in cell.source:
                seconds = time.monotonic() - started
                break
        else:
            raise RuntimeError(f"{notebook.name} has no cell that calls dockerlab.start(")
        # The lesson's reset (its last cell) is not needed: starting a lesson makes nothing on the engine.
    return seconds


def run_through(notebook: Path) -> float:
    """Seconds to run every cell of the notebook in learner mode in a new kernel (kernel start included)."""
    client, _ = _client(notebook)
    started = time.monotonic()
    client.execute()
    return time.monotonic() - started


def _own_progress_file() -> None:
    # The learner-mode checks record "not yet"; they go to a file of the bench's, never the learner's.
    os.environ["DOCKERLAB_PROGRESS"] = str(Path(tempfile.mkdtemp(prefix="dockerlab-bench-")) / "progress.json")


def measure(runs: int) -> list[Row]:
    _own_progress_file()
    first = [first_output(NOTEBOOKS[i % len(NOTEBOOKS)]) for i in range(max(runs, 3))]
    say("  first output: " + ", ".join(f"{s:.2f} s" for s in first))
    rows = [Row("waits", "first output after opening a notebook", "s", first, Target(2),
                note="A new `python3` kernel (nbclient, as JupyterLab starts one), then the parameters cell and the "
                     "cell with `import dockerlab` and `dockerlab.start(...)`, timed to its end; notebooks taken in turn.")]
    for notebook in NOTEBOOKS:
        samples = [run_through(notebook) for _ in range(runs)]
        say(f"  {notebook.stem}: " + ", ".join(f"{s:.0f} s" for s in samples))
        rows.append(Row("waits", f"{notebook.stem}, run through", "s", samples, Target(60),
                        note="Every cell in learner mode in a new kernel (Run All), warm engine, kernel start included."))
    return rows
