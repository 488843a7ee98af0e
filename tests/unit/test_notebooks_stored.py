"""Stored notebooks carry no run timings (nbclient's ``metadata.execution``): every re-recording would
change them all, burying the real changes of a notebook's diff. scripts/record_notebooks.py drops them."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").rglob("*.ipynb")
                   if not {"work", ".ipynb_checkpoints"} & set(p.relative_to(ROOT / "notebooks").parts))


def _record_script():
    spec = importlib.util.spec_from_file_location("record_notebooks", ROOT / "scripts" / "record_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_stored_notebook_carries_run_timings(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    timed = [number for number, cell in enumerate(cells, 1) if "execution" in cell.get("metadata", {})]
    assert not timed, (f"{path.relative_to(ROOT)}: cells {timed[:5]}{'...' if len(timed) > 5 else ''} carry run timings "
                       "(metadata.execution); drop them with: python scripts/record_notebooks.py --strip-only")


def test_the_record_script_drops_run_timings_and_nothing_else(tmp_path):
    script = _record_script()
    nb = nbformat.v4.new_notebook()
    timing = {"iopub.execute_input": "2026-12-05T05:56:00.1Z", "iopub.status.busy": "2026-12-05T05:56:00.0Z",
              "iopub.status.idle": "2026-12-05T05:56:01.0Z", "shell.execute_reply": "2026-12-05T05:56:01.0Z"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell('MODE = "learner"', metadata={"tags": ["parameters"], "execution": dict(timing)}),
        nbformat.v4.new_code_cell("%%solution\npass", metadata={"jupyter": {"source_hidden": True}, "execution": dict(timing)}),
        nbformat.v4.new_code_cell("1 + 1", metadata={}),
    ]
    path = tmp_path / "99-sample.ipynb"
    nbformat.write(nb, path)
    assert script.strip_file(path) == 2
    stripped = nbformat.read(path, as_version=4)
    assert [c.metadata for c in stripped.cells] == [{}, {"tags": ["parameters"]}, {"jupyter": {"source_hidden": True}}, {}]
    assert [c.source for c in stripped.cells] == [c.source for c in nb.cells]
    before = path.stat().st_mtime_ns
    assert script.strip_file(path) == 0 and path.stat().st_mtime_ns == before  # nothing to drop: not rewritten


def test_recording_asks_nbclient_for_no_timings():
    source = (ROOT / "scripts" / "record_notebooks.py").read_text(encoding="utf-8")
    assert "record_timing=False" in source and "strip_run_metadata(nb)" in source
