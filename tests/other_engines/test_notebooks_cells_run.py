"""Every notebook in learner mode, cell by cell, where the stored outputs cannot be compared: every cell runs
without an exception and without an error its stored output does not show, or says why it is skipped.

For engines that are not Docker's (the engine matrix's row p, Podman): their outputs differ in ways that are
theirs (a builder's log, image names as ``localhost/NAME``, ``docker info``), so nbval's comparison would fail
every such cell for no fault of the course. What must still hold there, and what this test holds each cell to:

* it ran: no exception (a failing ``!docker`` line raises none, so also:)
* no new error: no line of its output looks like an error (:data:`ERROR`) unless its stored output shows one too
  (cells that show an error on purpose: a taken port, a name in use), and no silence where it shows something;
* or it said it cannot work on this engine (``%%needs``, :mod:`dockerlab.jupyter.magics`): the test is skipped
  with the reason the learner saw, so the matrix report lists it;
* each check said "not yet": in learner mode the exercises run as shipped, and a check that passes there, or
  cannot judge, judges wrong (solution mode, tests/test_notebooks_solution_mode.py, holds the other half).

Each notebook runs once, in a real kernel, in its first cell's test; the others read its outputs. Not part of
``make test`` (its engine compares the stored outputs): the matrix runs it on the rows that do not.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import nbformat
import papermill
import pytest

from dockerlab.classroom.kernels import SocketFileKernelManager
from support import SKIPPED, skipped_checks, text_of

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
#: What an error looks like in a cell's output: the docker CLI's, the engine's, a shell's, Python's.
ERROR = re.compile(r"Error response from daemon|^(?:docker: )?Error\b|^ERROR\b|unknown flag|unknown shorthand flag|"
                   r"command not found|Traceback \(most recent|^\w+Error: ", re.M)
#: A stored output that shows an error on purpose (each engine words its errors its own way).
SHOWS_ERROR = re.compile(r"error|failed|not found|denied|no such|invalid|cannot|refused", re.I)


def code_cells(path: Path) -> list:
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


@functools.cache
def executed(notebook: Path, work: Path) -> tuple[list, str | None, dict, dict]:
    """The notebook run once in learner mode: its code cells with outputs, the exception that stopped it (if
    any), the progress its checks recorded, and what it left on the engine."""
    from dockerlab.engine import session

    progress_file = work / f"{notebook.stem}-progress.json"
    before_progress = os.environ.get("DOCKERLAB_PROGRESS")
    os.environ["DOCKERLAB_PROGRESS"] = str(progress_file)
    os.environ["DOCKERLAB_KEEP_ON_EXIT"] = "1"  # so a notebook's own leaks are visible
    before = session.inventory()
    stopped = None
    out = work / notebook.name
    try:
        papermill.execute_notebook(str(notebook), str(out), parameters={"MODE": "learner"}, cwd=str(notebook.parent),
                                   kernel_name="python3", progress_bar=False, execution_timeout=600,
                                   kernel_manager_class=SocketFileKernelManager)
    except papermill.PapermillExecutionError as exc:
        stopped = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    finally:
        os.environ.pop("DOCKERLAB_KEEP_ON_EXIT", None)
        if before_progress is None:
            os.environ.pop("DOCKERLAB_PROGRESS", None)
        else:
            os.environ["DOCKERLAB_PROGRESS"] = before_progress
    left = session.added_since(before)
    session.sweep_dead()  # the kernel kept its resources on exit (above): they go now
    from dockerlab.record import progress

    # papermill adds a cell of its own after the parameters cell: not one of the notebook's
    cells = [c for c in code_cells(out) if "injected-parameters" not in c.metadata.get("tags", [])] if out.exists() else []
    return cells, stopped, progress.load(progress_file) if progress_file.exists() else {}, left


def _cases():
    for notebook in NOTEBOOKS:
        for number in range(len(code_cells(notebook))):
            yield pytest.param(notebook, number, id=f"{notebook.stem}-cell{number}")


@pytest.fixture(scope="session")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("cells-run")


@pytest.mark.parametrize("notebook, number", list(_cases()))
def test_cell(notebook, number, work, docker_client):
    cells, stopped, _, _ = executed(notebook, work)
    stored = code_cells(notebook)[number]
    assert number < len(cells), f"the notebook did not get this far: {stopped}"
    cell = cells[number]
    shown = text_of(cell)
    if cell.source.startswith("%%needs") and SKIPPED in shown:
        pytest.skip(shown.strip().replace("*", ""))
    assert not any(o.get("output_type") == "error" for o in cell.get("outputs", [])), f"the cell raised: {shown[-1500:]}"
    new = [line for line in shown.splitlines() if ERROR.search(line)]
    assert not new or SHOWS_ERROR.search(text_of(stored)), "an error the stored output does not show:\n" + "\n".join(new[:10])
    assert shown.strip() or not text_of(stored).strip(), "it showed nothing; the stored output shows:\n" + text_of(stored)[:500]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_checks_say_not_yet(notebook, work, docker_client):
    """In learner mode no exercise passes (each check saw the shipped, unanswered cell), and the notebook
    left nothing on the engine."""
    from dockerlab import exercises

    cells, _, records, left = executed(notebook, work)
    assert not left, f"{notebook.name} left resources behind: {left}"
    wanted = [e.id for e in exercises.of_lesson(notebook.stem) if e.id not in skipped_checks(cells)]
    checked = {key: value for key, value in records.items() if key in wanted}
    assert set(checked) == set(wanted), f"not checked: {sorted(set(wanted) - set(checked))}"
    assert not [key for key, value in checked.items() if value.get("passed")], "passed in learner mode"
