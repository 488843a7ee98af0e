"""Every notebook in solution mode: it runs top to bottom, every exercise of it passes, and it
leaves nothing behind. (Learner mode is the nbval run of the stored notebooks: their stored check
outputs say "not yet", and nbval compares them.)"""

from __future__ import annotations

import json
import os
from pathlib import Path

import papermill
import pytest

from conftest import engine_inventory, leftovers

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def exercises_of(lesson_key: str) -> list[str]:
    from dockerlab import checks

    prefix = lesson_key.split("-", 1)[0] + "."
    return sorted(e for e in checks.registered() if e.startswith(prefix))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_solution_mode(notebook, tmp_path, monkeypatch, docker_client):
    progress_file = tmp_path / "progress.json"
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(progress_file))
    monkeypatch.setenv("DOCKERLAB_KEEP_ON_EXIT", "1")  # so a notebook's own leaks are visible
    before = engine_inventory()
    papermill.execute_notebook(
        str(notebook),
        str(tmp_path / notebook.name),
        parameters={"MODE": "solution"},
        cwd=str(notebook.parent),
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=900,
    )
    left = leftovers(before)
    if left:
        from dockerlab import session

        session.sweep_dead()
    assert not left, f"{notebook.name} left resources behind: {left}"
    wanted = exercises_of(notebook.stem)
    results = json.loads(progress_file.read_text()) if progress_file.exists() else {}
    passed = {r["exercise"] for r in _results(results) if r.get("passed")}
    assert set(wanted) <= passed, f"not passed in solution mode: {sorted(set(wanted) - passed)}"


def _results(saved) -> list[dict]:
    # progress.json holds one record per lesson/exercise; accept a list or a nested mapping.
    if isinstance(saved, list):
        return saved
    out = []
    for value in saved.values():
        out += _results(value) if isinstance(value, (dict, list)) and "exercise" not in value else [value]
    return out
