"""Every notebook with no engine reachable (as on Binder): nothing raises, every `!docker` line
shows the read-only banner instead of running, and cells about this machine's own kernel still
produce real output."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def _html(output) -> str:
    return str(output.get("data", {}).get("text/html", ""))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_without_an_engine(notebook, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path / "state"))
    out = tmp_path / notebook.name
    papermill.execute_notebook(
        str(notebook), str(out), parameters={"MODE": "learner"}, cwd=str(notebook.parent),
        kernel_name="python3", progress_bar=False, execution_timeout=300,
    )
    cells = [c for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"]
    assert any("Read-only mode" in _html(o) for o in cells[1].outputs + cells[2].outputs if "data" in o)
    for cell in cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"cell raised: {cell.source[:80]!r}: {errors[0].get('ename')}"
        docker_lines = [l for l in cell.source.splitlines() if l.lstrip().startswith("!docker")]
        if docker_lines and not cell.source.startswith("%%solution"):
            assert any("dockerlab-readonly" in _html(o) for o in cell.outputs), f"no banner in {cell.source[:80]!r}"
        # About this machine's kernel: runs live, no engine needed.
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        if "namespaces_host()" in cell.source:
            assert re.search(r"^mnt +\d+$", printed, re.M), printed
        if "!cat /proc/self/cgroup" in cell.source:
            assert re.search(r"^\d+:", printed, re.M), printed  # cgroup v1 or v2 lines
