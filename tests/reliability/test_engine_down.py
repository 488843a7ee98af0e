"""The engine stops during a lesson, for real (dockerd is sent SIGTERM), and starts again.

Two learners, two kernels on notebook 02, one engine stop:

* one opens the notebook while the engine is down: the lesson's first cell must say in plain words
  that the engine is not running and what to do, with no traceback; once the engine is back the
  next cells must work in the same kernel (no restart asked for);
* one is mid-lesson when the engine stops: a ``!docker`` line shows the CLI's own message (the CLI
  is what the lesson teaches; a ``!`` line never raises in Python), a check says "could not
  check" with the fix, a dockerlab call (``lesson.reset()``) shows the DockerlabError as message
  + fix through notebook.py's handler, no traceback; after the restart the lesson goes on.

"Plain message, no traceback" is checked on what the kernel sends: no error output carries Python
frames (``Traceback (most recent call last)``, ``File "..."``, ``---->``, ``Cell In[..]``), and the
text the learner sees holds the fix.

Stopping the engine stops every container on it (dockerd has no live-restore here) and disturbs
anyone else using it: the engine is down only while the few cells below run, and a ``finally``
starts it again whatever happens.
"""

from __future__ import annotations

import time

import pytest

import harness

NOTEBOOK = harness.NOTEBOOKS / "02-setup.ipynb"
FIX_WORDS = "make lab"  # EngineNotRunning's fix: "Start the engine (...), or run `make lab` ..."


def _no_traceback(cell: harness.Cell) -> None:
    frames = cell.traceback_frames()
    assert not frames, f"a traceback was rendered for {cell.source[:60]!r}: {frames[:5]}"


@pytest.fixture
def engine_control():
    why_not = harness.engine_control_allowed()
    if why_not:
        pytest.skip(why_not)
    yield
    if not harness.ping():
        harness.start_engine()


def test_engine_stops_and_starts_during_lessons(tmp_path, engine_control, record):
    folder = harness.learner_folder(tmp_path, [NOTEBOOK])
    cells = harness.code_cells(folder / NOTEBOOK.name, mode="learner")
    start = harness.index_of(cells, r"dockerlab\.start\(")
    hello = harness.index_of(cells, r"^!docker run --rm hello-world$")
    check = harness.index_of(cells, r"lesson\.check\(\"02\.first-container\"\)")
    reset = harness.index_of(cells, r"^lesson\.reset\(\)")
    env = {"DOCKERLAB_STATE": str(tmp_path / "state"), "DOCKERLAB_PROGRESS": str(tmp_path / "progress.json")}

    early = harness.Kernel(folder, env)  # opens the notebook while the engine is down
    mid = harness.Kernel(folder, env)  # was working when the engine went away
    stopped_for = None
    try:
        mid.run_all(cells[: start + 1])
        assert "Hello from Docker!" in mid.run(cells[hello]).text
        early.run_all(cells[:start])

        went_down = time.monotonic()
        down = harness.stop_engine()
        try:
            first = early.run(cells[start], timeout=120)
            cli = mid.run(cells[hello], timeout=120)
            checked = mid.run(cells[check], timeout=120)
            helper = mid.run(cells[reset], timeout=120)
        finally:
            up = harness.start_engine()
            stopped_for = time.monotonic() - went_down

        # Opened with the engine down: plain message + fix, no traceback.
        _no_traceback(first)
        assert "not running" in first.shown.lower() or "could not reach a docker engine" in first.shown.lower(), first.shown
        assert FIX_WORDS in first.shown, first.shown
        # Mid-lesson: the CLI's own message for a `!docker` line ...
        assert "Cannot connect to the Docker daemon" in cli.text, cli.text
        _no_traceback(cli)
        # ... a check that could not look, with the fix, as a result (not an error) ...
        assert checked.status == "ok" and not checked.errors, checked.outputs
        assert "Could not check" in checked.html and FIX_WORDS in checked.html, checked.html
        # ... and a dockerlab call: the DockerlabError shown as message + fix by notebook.py's handler.
        # (notebook.py's handler displays the error itself and sends no error output: the cell stops,
        # as any failing cell does, and "Run All" stops there.)
        _no_traceback(helper)
        assert helper.status == "error" and helper.ename == "EngineNotRunning" and not helper.errors, helper.outputs
        assert "dockerlab-error" in helper.html and FIX_WORDS in helper.html, helper.html

        # The engine is back: both lessons go on in the same kernels.
        again = early.run(cells[hello], timeout=180)
        assert "Hello from Docker!" in again.text, f"the early kernel did not recover: {again.shown[:600]}"
        assert "Read-only mode" not in again.shown
        rest = early.run_all(cells[hello + 1 : check + 1], timeout=180)
        assert all(c.status == "ok" for c in rest), [c.shown[:300] for c in rest if c.status != "ok"]
        assert "Not yet" in rest[-1].html  # learner mode: the check ran against the engine again
        assert "Hello from Docker!" in mid.run(cells[hello], timeout=180).text
        assert mid.run(cells[check], timeout=120).status == "ok"
        for kernel in (early, mid):
            done = kernel.run(cells[reset], timeout=120)
            assert done.status == "ok", done.shown
    finally:
        early.shutdown()
        mid.shutdown()
    record("Engine down", "dockerd stopped (SIGTERM) under two notebook-02 kernels, one at its first cell, one mid-lesson; "
           "a `!docker` line, a check and `lesson.reset()` run while it is down; started again",
           "first cell and dockerlab calls show message + fix, no traceback; `!docker` shows the CLI's message; "
           "both kernels continue after the restart",
           stopped_for)
    record("Engine down: stop", "SIGTERM to dockerd until it exited", "stopped", down)
    record("Engine down: start", "start script until the engine answers a ping", "answered", up)
