"""Every notebook in solution mode: it runs top to bottom, every exercise of it passes, and it
leaves nothing behind. (Learner mode is the nbval run of the stored notebooks: their stored check
outputs say "not yet", and nbval compares them.)"""

from __future__ import annotations

from pathlib import Path

import papermill
import pytest

from dockerlab.classroom.kernels import SocketFileKernelManager
from dockerlab.engine.session import added_since, inventory
from dockerlab import exercises

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def exercises_of(lesson_key: str) -> list[str]:
    from dockerlab import checks

    return [e.id for e in exercises.of_lesson(lesson_key)]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_mode(notebook, tmp_path, monkeypatch, docker_client):
    progress_file = tmp_path / "progress.json"
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(progress_file))
    monkeypatch.setenv("DOCKERLAB_KEEP_ON_EXIT", "1")  # so a notebook's own leaks are visible
    before = inventory()
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / notebook.name),
        parameters={"MODE": "solution"},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=900,
        kernel_manager_class=SocketFileKernelManager,
    )
    left = added_since(before)
    from dockerlab.engine import session

    session.sweep_dead()  # the kernel kept its resources on exit (above), images included: they go now
    assert not left, f"{notebook.name} left resources behind: {left}"
    from dockerlab.record import progress

    wanted = exercises_of(notebook.stem)
    assert wanted, f"{notebook.stem} has no exercises"
    # An exercise whose check cell said it cannot work on this engine (%%needs, e.g. build secrets on Podman) is not asked for.
    import nbformat
    from support import skipped_checks

    wanted = [e for e in wanted if e not in skipped_checks(nbformat.read(tmp_path / notebook.name, as_version=4).cells)]
    records = progress.load()  # reads $DOCKERLAB_PROGRESS, where the notebook's kernel wrote
    passed = {exercise for exercise, record in records.items() if record["passed"]}
    assert set(wanted) <= passed, f"not passed in solution mode: {sorted(set(wanted) - passed)}"
