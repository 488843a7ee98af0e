"""The progress strip's count of running cells: quiet checks never run while a cell does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dockerlab.checks.result import CheckResult, Requirement
from dockerlab.jupyter import strip as strips


@pytest.fixture
def strip(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "progress.json"))
    made = strips.Strip(SimpleNamespace(key="04"))
    assert made.ids, "notebook 04 has exercises: the strip needs some to count for"
    ran = []

    def run(exercise, lesson):
        ran.append(exercise)
        return CheckResult(exercise, "a title", [Requirement("the thing asked for", met=True)])

    monkeypatch.setattr(strips.exercises, "run", run)
    made.ran = ran
    yield made
    if made._timer is not None:
        made._timer.cancel()


def test_a_refresh_asked_for_again_keeps_counting_the_running_cell(strip):
    """A refresh asked for while one ran ends by scheduling another; the cell still running stays counted
    (it used to be counted as ended, so the next refresh checked in the middle of that cell)."""
    strip.before_cell()
    strip._again = True  # a timer fired while this refresh ran
    strip.refresh()
    assert strip._cells_running == 1
    assert strip.ran == [], "a check ran while a cell was running"
    assert strip._timer is None, "a refresh was scheduled while a cell was running"


def test_nested_cells_keep_the_outer_one_running(strip):
    """lesson.solve runs the course's cells inside the learner's cell: their ends do not end the outer cell."""
    strip.before_cell()
    strip.before_cell()
    strip.after_cell()
    assert strip._cell_running
    strip.refresh()
    assert strip.ran == []
    strip.after_cell()
    assert not strip._cell_running and strip._timer is not None


def test_with_no_cell_running_every_exercise_is_checked_and_shown(strip):
    strip.refresh()
    assert strip.ran == strip.ids
    assert [badge.state for badge in strip.view.badges] == ["done"] * len(strip.ids)
