"""lesson.ask() in a real Jupyter kernel: one live question per cell (widget, HTML and text forms), an answer in code
recorded in progress and explained, and not shown a second time as a check's result."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient

SETUP = """
import os
os.environ["DOCKERLAB_PROGRESS"] = {progress!r}
from dockerlab.checks.questions import question, right, wrong
from dockerlab.jupyter import magics
from dockerlab.jupyter.lesson import Lesson

magics.setup()
lesson = Lesson("99-kernel", workdir={workdir!r})
question("99.q-kernel", title="In a kernel", prompt="Which number is even?",
         choices=[wrong("3", why="3 leaves 1 when halved"), right("4", why="4 is 2 times 2"), wrong("5", why="5 leaves 1 too")])
"""

WIDGET = "application/vnd.jupyter.widget-view+json"
KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}


def run(tmp_path, *sources: str) -> list[list[dict]]:
    """Each cell's outputs, after the set-up cell, run in a fresh kernel."""
    setup = SETUP.format(progress=str(tmp_path / "progress.json"), workdir=str(tmp_path / "work"))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in (setup, *sources)], metadata=KERNEL)
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return [cell.outputs for cell in nb.cells[1:]]


@pytest.mark.slow
def test_ask_cell_outputs(tmp_path):
    asked, answered = run(tmp_path, 'lesson.ask("99.q-kernel")', 'lesson.ask("99.q-kernel", answer="a")')
    assert len(asked) == 1 and WIDGET in asked[0]["data"]
    for form in (asked[0]["data"]["text/html"], asked[0]["data"]["text/plain"]):
        assert "Which number is even?" in form and "(b) 4" in form and "2 times 2" not in form
    assert len(answered) == 1 and WIDGET in answered[0]["data"], "one view: not the question and a check's result too"
    assert "Not quite: (a) 3. 3 leaves 1 when halved" in answered[0]["data"]["text/plain"]
    record = json.loads((tmp_path / "progress.json").read_text())["exercises"]["99.q-kernel"]
    assert record["passed"] is False and record["lesson"] == "99-kernel"
