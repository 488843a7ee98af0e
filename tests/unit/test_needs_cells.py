"""``%%needs FEATURE`` cells: each names a feature the course knows, and the builder's step lines of an engine
without BuildKit are read as steps (Podman's Buildah and Docker's classic builder word them differently)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dockerlab.engine import kind as enginekind
from dockerlab.jupyter.commandlog import ipython_calls
from dockerlab.services import build

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


def needs_lines(path: Path) -> list[str]:
    found = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        calls = ipython_calls(cell.source, {"run_cell_magic"})
        while calls:
            name, line, body = calls.pop(0)
            if name == "needs":
                found.append(line)
            calls += ipython_calls(body, {"run_cell_magic"}) if name in ("solution", "needs") else []
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_needs_names_a_known_feature(path):
    for feature in needs_lines(path):
        assert feature.strip() in enginekind.FEATURES, f"{path.name}: %%needs {feature}"


def test_the_scan_finds_the_needs_cells():
    assert len([f for p in NOTEBOOKS for f in needs_lines(p)]) >= 10
    assert "buildkit" in needs_lines(ROOT / "notebooks" / "11-security.ipynb")


@pytest.mark.parametrize("line, step", [
    ("STEP 2/3: RUN echo built > /x", (2, 3, "RUN echo built > /x")),  # Podman 4.3 (Buildah)
    ("Step 1/4 : FROM python:3.13-slim", (1, 4, "FROM python:3.13-slim")),  # Docker's classic builder
    ("--> Using cache 183e747ed1d", None),
    ("#5 [2/3] RUN echo hi", None),  # BuildKit's, read from its own stream instead
])
def test_classic_step_lines(line, step):
    found = build._CLASSIC_STEP.match(line)
    assert (None if found is None else (int(found.group(1)), int(found.group(2)), found.group(3))) == step
