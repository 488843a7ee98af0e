"""Notebook 06's size caveat, run from the notebook's own cell against real images.

The cell asks the base images for the stand-in label and says the sizes are a stand-in's only when it is
there. This machine has stand-ins, so the notebook's recorded run shows one branch; these tests run the
same cell (in a real IPython shell, its ``!docker`` line included) on images chosen to show both.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from pathlib import Path

import docker.errors
import pytest
from IPython.core.interactiveshell import InteractiveShell

from dockerlab import engine
from dockerlab import labels
from dockerlab.jupyter.lesson import Lesson

pytestmark = pytest.mark.engine

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "06-images-in-depth.ipynb"
CELL_ID = "c040l"
BASES_LINE = 'bases = ["python:3.13-slim", "debian:trixie-slim"]'


def caveat_cell() -> str:
    cell = next(c for c in json.loads(NOTEBOOK.read_text())["cells"] if c.get("id") == CELL_ID)
    source = "".join(cell["source"])
    assert BASES_LINE in source, "the caveat cell no longer names its bases as this test expects"
    return source


def run_caveat(bases: list[str], capsys) -> str:
    """Run the notebook's cell with ``bases`` swapped in; return what it printed."""
    shell = InteractiveShell.instance()
    capsys.readouterr()
    result = shell.run_cell(caveat_cell().replace(BASES_LINE, f"bases = {bases!r}"))
    result.raise_error()
    return capsys.readouterr().out


def is_standin(name: str) -> bool:
    return engine.client().images.get(name).labels.get(labels.STANDIN) == "true"


def test_course_bases_are_called_stand_ins_exactly_when_labelled(capsys):
    bases = ["python:3.13-slim", "debian:trixie-slim"]
    standins = [name for name in bases if is_standin(name)]
    out = run_caveat(bases, capsys)
    if standins:
        assert out.startswith(f"Offline stand-ins here: {', '.join(standins)}.\n"), out
        assert "larger than the official images" in out
    else:
        assert out.startswith("No stand-ins"), out


def test_an_image_without_labels_is_not_called_a_stand_in(tmp_path, capsys):
    # Official images have no labels at all (.Config.Labels is null): the branch this machine never records.
    lesson = Lesson("06-images-in-depth", workdir=tmp_path)
    tag = lesson.name("unlabelled")
    (tmp_path / "hello.txt").write_text("hello\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n")
    try:
        subprocess.run(["docker", "build", "-q", "-t", tag, str(tmp_path)], check=True, capture_output=True, timeout=300)
        assert engine.client().images.get(tag).labels in (None, {}), "the test image should have no labels"
        out = run_caveat([tag], capsys)
        assert out == "No stand-ins: these are the official base images, and the sizes are theirs.\n", out
    finally:
        with contextlib.suppress(docker.errors.APIError):
            engine.client().images.remove(tag)
