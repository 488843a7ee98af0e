"""Row d of the engine matrix runs the notebooks that read where the engine is (matrix/rows.py), found by reading
their code cells and their exercises' module, so a new cell that reads it brings its notebook into the row."""

from __future__ import annotations

import json

from matrix import rows


def _notebook(folder, name: str, code: str, markdown: str = "") -> None:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": markdown},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": code}]
    (folder / name).write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def test_a_notebook_is_in_when_its_code_or_its_checks_read_where_the_engine_is(tmp_path):
    notebooks, exercises = tmp_path / "notebooks", tmp_path / "exercises"
    notebooks.mkdir()
    exercises.mkdir()
    _notebook(notebooks, "01-a.ipynb", 'if kind.location == "local":\n    print("here")')
    _notebook(notebooks, "02-b.ipynb", "!docker run --rm busybox:1.37 true", markdown="kind.location, the kernel.namespaces_host() call")
    _notebook(notebooks, "03-c.ipynb", "lesson.check('03.x')")
    (exercises / "nb03_c.py").write_text("from dockerlab.services import kernel\n")
    _notebook(notebooks, "04-d.ipynb", "!docker run --rm busybox:1.37 grep CapEff /proc/self/status")  # the container's /proc
    _notebook(notebooks, "05-e.ipynb", "!dockerlab doctor")
    assert rows.where_it_matters(notebooks, exercises) == ("01", "03", "05")


def test_row_d_runs_those_notebooks_and_their_claims_only():
    chosen = rows.where_it_matters()
    assert {"00", "01", "07"} <= set(chosen)  # the doctor; the kernel's files; a volume's folder read where it is local
    assert "06" not in chosen  # builds: the engine's business wherever it runs
    d = rows.ROWS["d"]
    assert d.notebooks == chosen
    assert sorted(t for t in d.tests if "test_claims_" in t) == [f"tests/engine/test_claims_{nn}.py" for nn in chosen]
    assert rows.ROWS["c"].notebooks == ()  # row c, on the same engine, still runs them all
