"""lesson.check() in a real Jupyter kernel: one live view per check cell, never shown twice."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

SETUP = """
import os
os.environ["DOCKERLAB_PROGRESS"] = {progress!r}
from dockerlab.checks import block, exercise
from dockerlab.jupyter import magics
from dockerlab.jupyter.lesson import Lesson

magics.setup()  # what dockerlab.start does first: the displays
lesson = Lesson("99-kernel", workdir={workdir!r})

@block("{{n}} is even")
def even(n):
    return None if n % 2 == 0 else f"{{n}} is odd"

@exercise("99.kernel", title="In a kernel", hints=["one", "two"])
def in_a_kernel(lesson):
    return [even(2), even(3)]
"""

WIDGET = "application/vnd.jupyter.widget-view+json"


@pytest.mark.slow
def test_check_cell_outputs(tmp_path):
    cells = [
        nbformat.v4.new_code_cell(SETUP.format(progress=str(tmp_path / "progress.json"), workdir=str(tmp_path / "work"))),
        nbformat.v4.new_code_cell('lesson.check("99.kernel")'),
        nbformat.v4.new_code_cell('result = lesson.check("99.kernel")'),
        nbformat.v4.new_code_cell("result"),
    ]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    as_value, assigned, later = (cell.outputs for cell in nb.cells[1:])
    # The check cell shows the live view once (with its static forms), not the returned result again.
    assert len(as_value) == 1 and WIDGET in as_value[0]["data"]
    assert "Not yet: 1 of 2 met" in as_value[0]["data"]["text/html"]
    assert "3 is odd" in as_value[0]["data"]["text/plain"]
    assert len(assigned) == 1 and WIDGET in assigned[0]["data"]
    # The result shown in a later cell: its static forms.
    assert len(later) == 1 and "In a kernel" in later[0]["data"]["text/html"]
    assert (tmp_path / "progress.json").exists()

