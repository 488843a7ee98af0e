"""The class view's model: a folder of learners' progress files read into learner x exercise, who is stuck.

``dockerlab class watch FOLDER`` (:mod:`dockerlab.classroom.watch`) shows it as a page that refreshes
itself; ``--text`` prints :meth:`ClassView.text` once. Nothing here knows HTML or HTTP.

FOLDER holds one file per learner, named after the learner (``ada.json``): either the progress file itself
(a learner's ``DOCKERLAB_PROGRESS`` pointing into a shared or synced folder, so every check lands there) or
what ``dockerlab progress export`` wrote. Both have ``exercises``: each exercise's latest record
(:mod:`dockerlab.record.progress`). Names starting with ``.`` or ``_`` are skipped (a progress file's
temporary files start with ``.``), as are files not ending in ``.json`` (its ``.lock`` and ``.bad``). An empty
file is a learner with no checks yet (``touch ada.json`` lists a learner before their first check); a file
that cannot be read is a row saying why, never an error. Files are read without their lock: progress files
are replaced whole by a rename, so a reader sees the old file or the new one.

A learner is **stuck** when their latest check is "not yet" and either that exercise has had
:attr:`Thresholds.not_yet` or more "not yet" checks in a row, or the first of them ran
:attr:`Thresholds.minutes` or more minutes ago.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from dockerlab.record import progress

#: A learner's state, in the order the view lists them (then by how long, then by name).
STATES = ("stuck", "cannot read", "not yet", "passed", "no checks")
#: What each state means, in words (the page's legend and the text view's).
MEANING = {
    "stuck": "latest check not yet, over a threshold",
    "cannot read": "the learner's file cannot be read",
    "not yet": "latest check not yet, under the thresholds",
    "passed": "latest check passed",
    "no checks": "no check yet",
}
#: The word each state is shown with: beside its colour on the page, alone in the text view.
WORDS = {"stuck": "STUCK", "cannot read": "CANNOT READ", "not yet": "not yet", "passed": "passed", "no checks": "no checks yet"}
#: An exercise's cell: its latest check passed, was not yet, or never ran.
CELLS = ("passed", "not yet", "not checked")


def ago(seconds: float | None) -> str:
    """``45 s``, ``3 min``, ``1 h 05 min``."""
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


@dataclass(frozen=True)
class Thresholds:
    """When a learner counts as stuck (both can be set on the command line)."""

    not_yet: int = 3  #: "not yet" checks in a row on the same exercise
    minutes: float = 10.0  #: minutes since the first of them

    def __post_init__(self):
        if self.not_yet < 1 or self.minutes <= 0:
            raise ValueError("thresholds must be at least 1 check and more than 0 minutes")


@dataclass
class Learner:
    """One learner's row."""

    name: str
    file: str
    state: str = "no checks"
    done: int = 0
    #: The exercise of their latest check (the one they are on), its title, and whether it passed.
    current: str | None = None
    current_title: str = ""
    #: When their latest check ran (seconds since the epoch) and how many seconds ago.
    last_check: float | None = None
    since_last: float | None = None
    #: "Not yet" checks in a row on ``current`` and seconds since the first of them (None: not known, for
    #: a record written before dockerlab kept it; then the time of the latest check stands in).
    not_yet_in_row: int = 0
    on_it_for: float | None = None
    cells: dict[str, str] = field(default_factory=dict)
    problem: str | None = None

    def sort_key(self) -> tuple:
        return (STATES.index(self.state), -(self.on_it_for or 0.0), -self.not_yet_in_row, self.name.lower())


@dataclass
class ClassView:
    """Every learner of a folder against the exercises any of them checked."""

    folder: str
    generated: float
    thresholds: Thresholds
    exercises: list[tuple[str, str]]
    learners: list[Learner]

    # What a view of it needs besides the data (the page cannot import this layer).
    STATES = STATES
    WORDS = WORDS
    MEANING = MEANING
    ago = staticmethod(ago)

    def count(self, state: str) -> int:
        return sum(1 for learner in self.learners if learner.state == state)

    def to_dict(self) -> dict:
        return {"folder": self.folder, "generated": self.generated, "thresholds": asdict(self.thresholds),
                "exercises": [{"id": ex, "title": title} for ex, title in self.exercises],
                "learners": [asdict(learner) for learner in self.learners]}

    def text(self) -> str:
        """A plain table for a terminal: one line per learner, stuck first."""
        t = self.thresholds
        head = (f"{len(self.learners)} learner(s) in {self.folder}: {self.count('stuck')} stuck "
                f"(latest check not yet, {t.not_yet}+ in a row or {ago(t.minutes * 60)}+ on it)")
        if not self.learners:
            return head + "\nNo progress files yet (*.json, one per learner)."
        rows = [("learner", "state", "done", "on", "last check", "not yet in row", "on it for")]
        for lr in self.learners:
            if lr.problem:
                rows.append((lr.name, WORDS[lr.state], "", "", "", "", lr.problem))
                continue
            rows.append((lr.name, WORDS[lr.state], f"{lr.done}/{len(self.exercises)}",
                         lr.current or "-", ago(lr.since_last) + " ago" if lr.since_last is not None else "-",
                         str(lr.not_yet_in_row) if lr.not_yet_in_row else "-", ago(lr.on_it_for) if lr.on_it_for is not None else "-"))
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1] for row in rows]
        return "\n".join([head, *(line.rstrip() for line in lines)])


def _epoch(iso) -> float | None:
    try:
        return datetime.fromisoformat(str(iso)).timestamp() if iso else None
    except ValueError:
        return None


def learner_files(folder: str | os.PathLike) -> list[Path]:
    """The learners' files in ``folder``, by name."""
    return sorted((p for p in Path(folder).iterdir() if p.suffix == ".json" and p.name[0] not in "._" and p.is_file()),
                  key=lambda p: p.name.lower())


def read_records(file: Path) -> dict[str, dict]:
    """The exercise records of a progress file or an export (an empty file has none).

    Raises:
        ValueError: saying why the file is not one of those.
    """
    raw = file.read_bytes()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ValueError("not text (UTF-8)") from exc
    except ValueError as exc:
        raise ValueError(f"not JSON ({exc})") from exc
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
        raise ValueError("not a dockerlab progress file or export (no \"exercises\")")
    bad = [key for key, value in data["exercises"].items() if not isinstance(value, dict)]
    if bad:
        raise ValueError(f"the entry for {bad[0]} is not a record")
    return data["exercises"]


def _learner(name: str, file: Path, records: dict[str, dict], now: float, thresholds: Thresholds) -> Learner:
    learner = Learner(name=name, file=file.name)
    learner.cells = {ex: ("passed" if rec.get("passed") else "not yet") for ex, rec in records.items()}
    learner.done = sum(1 for state in learner.cells.values() if state == "passed")
    timed = [(_epoch(rec.get("time")), ex) for ex, rec in records.items()]
    timed = [(when, ex) for when, ex in timed if when is not None]
    if not timed:
        return learner
    last, current = max(timed)
    rec = records[current]
    learner.current, learner.current_title = current, str(rec.get("title") or "")
    learner.last_check, learner.since_last = last, max(0.0, now - last)
    if rec.get("passed"):
        learner.state = "passed"
        return learner
    in_row, since = progress.not_yet_row(rec)
    learner.not_yet_in_row = in_row
    started = _epoch(since) or last
    learner.on_it_for = max(0.0, now - started)
    stuck = in_row >= thresholds.not_yet or learner.on_it_for >= thresholds.minutes * 60
    learner.state = "stuck" if stuck else "not yet"
    return learner


def build(folder: str | os.PathLike, now: float, thresholds: Thresholds = Thresholds(),
          exercises: Iterable | None = None) -> ClassView:
    """The class view of ``folder`` at time ``now`` (seconds since the epoch).

    Args:
        exercises: The course's exercises (objects with ``id`` and ``title``; default every exercise and concept
            question of :mod:`dockerlab.exercises`). The columns are every exercise of every lesson anyone checked, and
            any exercise checked that the course does not know.
    """
    if exercises is None:
        from dockerlab import exercises as course
        from dockerlab.checks import questions

        exercises = [*course.every(), *questions.every()]
    catalogue = {e.id: e.title for e in exercises}
    learners, titles = [], {}
    for file in learner_files(folder):
        try:
            records = read_records(file)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            learners.append(Learner(name=file.stem, file=file.name, state="cannot read", problem=f"{file.name}: {reason}"))
            continue
        for ex, rec in records.items():
            titles.setdefault(ex, str(rec.get("title") or ex))
        learners.append(_learner(file.stem, file, records, now, thresholds))
    lessons = {ex.split(".", 1)[0] for ex in titles}
    columns = {ex: title for ex, title in catalogue.items() if ex.split(".", 1)[0] in lessons}
    for ex, title in titles.items():
        columns.setdefault(ex, title)
    ids = sorted(columns)
    for learner in learners:
        if learner.problem is None:
            learner.cells = {ex: learner.cells.get(ex, "not checked") for ex in ids}
    learners.sort(key=Learner.sort_key)
    return ClassView(folder=str(folder), generated=now, thresholds=thresholds,
                     exercises=[(ex, columns[ex]) for ex in ids], learners=learners)
