"""The progress strip's quiet refreshes: never while a cell runs, from one thread, after cells stop coming."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest

from dockerlab.checks.result import CheckResult, Requirement
from dockerlab.jupyter import strip as strips


@pytest.fixture
def strip(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.setattr(strips, "DEBOUNCE", 0.05)
    made = strips.Strip(SimpleNamespace(key="04"))
    assert made.ids, "notebook 04 has exercises: the strip needs some to count for"
    made.ran = []

    def run(exercise, lesson):
        made.ran.append((exercise, threading.current_thread().name))
        return CheckResult(exercise, "a title", [Requirement("the thing asked for", met=True)])

    monkeypatch.setattr(strips.exercises, "run", run)
    return made


def _settle(strip, seconds: float = 2.0) -> None:
    """Until every exercise was checked once more, or ``seconds``."""
    deadline = time.monotonic() + seconds
    while len(strip.ran) < len(strip.ids) and time.monotonic() < deadline:
        time.sleep(0.01)


def test_after_a_cell_every_exercise_is_checked_on_the_strips_own_thread_and_shown(strip):
    strip.before_cell()
    strip.after_cell()
    _settle(strip)
    assert [exercise for exercise, _ in strip.ran] == strip.ids
    assert {thread for _, thread in strip.ran} == {"dockerlab-strip"}
    assert [badge.state for badge in strip.view.badges] == ["done"] * len(strip.ids)


def test_one_thread_for_many_cells(strip):
    before = threading.active_count()
    for _ in range(20):
        strip.before_cell()
        strip.after_cell()
    assert threading.active_count() <= before + 1
    _settle(strip)
    assert len(strip.ran) == len(strip.ids), "twenty cells in a row: one refresh once they stopped coming"


def test_nothing_is_checked_while_a_cell_runs(strip):
    strip.before_cell()
    strip.after_cell()
    strip.before_cell()  # the next cell started before the refresh was due
    time.sleep(0.3)
    assert strip.ran == []
    strip.refresh()  # asked for directly while the cell runs
    assert strip.ran == []


def test_nested_cells_keep_the_outer_one_running(strip):
    """lesson.solve runs the course's cells inside the learner's cell: their ends do not end the outer cell."""
    strip.before_cell()
    strip.before_cell()
    strip.after_cell()
    assert strip._cell_running
    time.sleep(0.3)
    assert strip.ran == []
    strip.after_cell()
    _settle(strip)
    assert len(strip.ran) == len(strip.ids)
