"""Every notebook, run twice in a row in the same kernel, in learner mode and in solution mode.

Same kernel, on purpose (not two papermill runs): this is what a learner does with "Run All" a
second time, and it is the harder case. The session id stays the same, so every
``lesson.name("web")`` is the same name again, and anything the first run left (a container
``lesson.reset()`` missed, a port still reserved, a hook installed twice, an exercise registered
twice) collides with the second run instead of hiding behind a fresh session id. Two fresh
kernels are what the solution-mode test and the crowd scenario already do (papermill).

The cells are sent one by one to a real kernel (jupyter_client), with ``MODE`` set in the
parameters cell as papermill would, in the learner's own copy of the course folder, with its own
DOCKERLAB_STATE and DOCKERLAB_PROGRESS.

For each notebook and mode: every cell of both runs completes (status ok); each check says the
same thing in both runs ("Done" everywhere in solution mode); the daemon's complaints printed by
`!docker` lines (errors the lesson shows on purpose) are the same in both runs, so the second run
met nothing the first one left; and once the last cell (``lesson.reset()``) has run, nothing of
the kernel's session is on the engine.
"""

from __future__ import annotations

import os
import re
import time

import pytest

import harness

#: Both by default; CI runs solution mode only (DOCKERLAB_IDEMPOTENCE_MODES=solution in .ci/run): there every
#: exercise is checked again after the re-run, and learner mode's single run is make test's nbval.
MODES = tuple(os.environ.get("DOCKERLAB_IDEMPOTENCE_MODES", "learner solution").split())
#: What the engine and its CLI say when something is in the way. "Error:" as a word only: a Python exception's name
#: (``ConnectionResetError: ...`` from notebook 05's request to an app that listens inside only, whose error varies
#: from run to run by design) is not the engine complaining.
COMPLAINT = re.compile(r"Error response from daemon|Conflict\.|already in use|port is already allocated|No such container|"
                       r"Cannot connect|\bError: ", re.I)
VERDICT = re.compile(r'<span style="color:#[0-9a-f]{6};font-weight:bold">([^<]+)</span>')


def _complaints(cell: harness.Cell) -> list[str]:
    """The daemon's complaints in a cell's text, with ids, session ids and numbers blanked."""
    lines = [line for line in cell.text.splitlines() if COMPLAINT.search(line)]
    return [re.sub(r"\b[0-9a-f]{12,64}\b|dl[0-9a-f]{6}|\d+", "#", line) for line in lines]


def _verdicts(cells: list[harness.Cell]) -> list[str]:
    return [", ".join(VERDICT.findall(c.html)) for c in cells if "lesson.check(" in c.source]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("notebook", harness.ALL_NOTEBOOKS, ids=[nb.stem for nb in harness.ALL_NOTEBOOKS])
def test_run_twice_in_one_kernel(notebook, mode, tmp_path, record):
    folder = harness.learner_folder(tmp_path, [notebook])
    cells = harness.code_cells(folder / notebook.name, mode=mode)
    env = {"DOCKERLAB_STATE": str(tmp_path / "state"), "DOCKERLAB_PROGRESS": str(tmp_path / "progress.json")}
    kernel = harness.Kernel(folder, env)
    started = time.monotonic()
    try:
        runs = []
        for number in (1, 2):
            run = kernel.run_all(cells, timeout=600)
            failed = [f"cell {i}: {c.source.splitlines()[0][:70]!r}: {c.ename} {c.shown[-300:]}"
                      for i, c in enumerate(run) if c.status != "ok"]
            assert not failed, f"run {number} of {notebook.name} ({mode}):\n" + "\n".join(failed)
            runs.append(run)
        first, second = runs
        changed = [f"cell {i}: {a} -> {b}" for i, (a, b) in enumerate(zip(map(_complaints, first), map(_complaints, second))) if a != b]
        assert not changed, f"the second run met what the first left:\n" + "\n".join(changed)
        assert _verdicts(first) == _verdicts(second), (_verdicts(first), _verdicts(second))
        assert all(_verdicts(second)), f"a check cell showed no verdict: {_verdicts(second)}"
        if mode == "solution":
            assert all(v == "Done" for v in _verdicts(second)), _verdicts(second)
        sid = kernel.session_id()
        left = harness.resources_of([sid]) if sid else {}
        assert not left, f"left after lesson.reset(): {left}"
    finally:
        kernel.shutdown()
    checks = _verdicts(second)
    record(f"Idempotence: {notebook.stem} ({mode})", f"{len(cells)} code cells run twice in one kernel",
           f"both runs complete; {len(checks)} check(s) the same both times ({', '.join(sorted(set(checks))) or 'none'}); "
           f"{sum(map(len, map(_complaints, second)))} daemon message(s) shown on purpose, identical; nothing left",
           time.monotonic() - started)
