"""The lesson's progress strip: shown when the lesson starts, refreshed by quiet checks after each cell.

After a cell runs, and once cells stop coming for :data:`DEBOUNCE` seconds, the strip's one thread runs each of the
lesson's checks quietly (:mod:`dockerlab.engine.quiet`: engine reads only) and redraws the badges, so a learner
sees an exercise turn done without running its check cell. A part of a check that would start a container or
fetch a page is left to the check cell (the badge says "looks done: its check cell checks the rest"). Nothing is
recorded: progress is the check cell's. ``DOCKERLAB_STRIP=off`` turns the refreshing off (grading does).
"""

from __future__ import annotations

import logging
import threading
import time

from IPython.display import display

from dockerlab import config, exercises
from dockerlab.checks.result import CheckResult
from dockerlab.engine import quiet
from dockerlab.exercises import course
from dockerlab.jupyter import cells
from dockerlab.record import progress
from dockerlab.views.strip import Badge, StripView

log = logging.getLogger(__name__)

#: Seconds without a new cell before the quiet checks run (a Run All does not check after every cell).
DEBOUNCE = 1.0

_current: Strip | None = None
_hooked = False


def badge_for(result: CheckResult) -> Badge:
    """What the strip shows for a check's result."""
    if result.engine_error is not None:
        return Badge(result.exercise, result.title, "not checked", result.engine_error.message)
    if result.passed:
        return Badge(result.exercise, result.title, "done")
    if result.only_unchecked_left:
        return Badge(result.exercise, result.title, "check it")
    first = result.unmet[0] if result.unmet else None
    return Badge(result.exercise, result.title, "not yet", first.description if first else "")


class Strip:
    """One notebook's strip: its view and the quiet refresh."""

    def __init__(self, lesson):
        self.lesson = lesson
        titles = {exercise.id: exercise.title for exercise in exercises.of_lesson(lesson.key)}
        self.ids = course.in_notebook_order(lesson.key, list(titles))
        try:
            recorded = progress.load()
        except (OSError, ValueError):
            recorded = {}
        self.view = StripView([Badge(ex, titles[ex], "done" if recorded.get(ex, {}).get("passed") else "not checked")
                               for ex in self.ids])
        self._due: float | None = None  # when the next quiet refresh runs (None: none asked for)
        self._changed = threading.Condition()
        self._worker: threading.Thread | None = None
        self._cells_running = 0  # cells running (lesson.solve runs cells inside a cell): quiet checks wait meanwhile

    @property
    def _cell_running(self) -> bool:
        return self._cells_running > 0

    def before_cell(self, _info=None) -> None:
        self._cells_running += 1

    def after_cell(self, _result=None) -> None:
        """A cell ended: once no cell runs, a quiet refresh :data:`DEBOUNCE` seconds from now."""
        self._cells_running = max(0, self._cells_running - 1)
        self._schedule()

    def _schedule(self) -> None:
        """A quiet refresh :data:`DEBOUNCE` seconds from now (a later cell moves it on)."""
        if self._cell_running or not self.ids or not config.STRIP.enabled():
            return
        with self._changed:
            self._due = time.monotonic() + DEBOUNCE
            self._changed.notify()
        if self._worker is None:
            # One thread for the notebook's whole life, started at the first cell's end, not one per cell: a thread
            # starting while the next cell's `!` line forks its shell is the classic fork-with-threads hazard.
            self._worker = threading.Thread(target=self._work, name="dockerlab-strip", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._changed:
                while self._due is None or time.monotonic() < self._due:
                    self._changed.wait(None if self._due is None else self._due - time.monotonic())
                self._due = None
            self.refresh()

    def refresh(self) -> None:
        """Run every check of the lesson quietly and redraw; stop as soon as a cell starts (its end asks again)."""
        try:
            for exercise_id in self.ids:
                if self._cell_running:
                    return
                with quiet.quietly():
                    result = exercises.run(exercise_id, self.lesson)
                if not self._cell_running:  # judged while no cell changed things: show it
                    self.view.update(badge_for(result))
        except Exception:  # noqa: BLE001 - the strip is a convenience: it must never disturb the notebook
            log.exception("the progress strip could not refresh")

    def checked(self, result: CheckResult) -> None:
        """A check cell ran: show its (full) result."""
        if result.exercise in self.ids:
            self.view.update(badge_for(result))


def attach(lesson) -> Strip | None:
    """Show the lesson's strip (lessons with exercises) and refresh it after every cell from now on."""
    global _current, _hooked
    strip = Strip(lesson)
    if not strip.ids:
        return None
    display(strip.view)
    _current = strip
    if not _hooked:
        _hooked = cells.after_each(lambda result: _current.after_cell(result) if _current is not None else None,
                                   before=lambda info: _current.before_cell(info) if _current is not None else None)
    return strip
