"""The learner's progress: the latest result of every exercise check, kept in one JSON file.

:meth:`dockerlab.jupyter.lesson.Lesson.check` calls :func:`record` after each check. Notebook 00
shows :func:`summary` (per lesson: exercises done / total, :mod:`dockerlab.views.progress`); an
instructor collects :func:`export`.

The file is ``progress.json`` in :func:`dockerlab.engine.session.state_dir` (``$DOCKERLAB_PROGRESS``
names another file). Writes are atomic (a temporary file in the same folder, then a rename) and
serialised with a lock file (``filelock``, waiting at most :data:`LOCK_TIMEOUT` seconds: a check
never hangs on a stuck lock, it says that its result was not saved), so two kernels checking at
once never leave half a file. A file that cannot be read (hand-edited, truncated by a full disk) is
kept as ``progress.json.bad`` and progress starts over rather than failing a check.

Older versions of dockerlab kept the file in ``~/.cache/dockerlab``, a folder cleaners empty: the first
:func:`path` of a process moves it to the state folder (:func:`adopt`), merging it record by record
with a file already there.
"""

from __future__ import annotations

import contextlib
import csv
import getpass
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from dockerlab import config
from dockerlab.engine import session

log = logging.getLogger(__name__)

FORMAT = 1
#: Seconds a read or write waits for another process's hold on the file (each holds it for milliseconds).
LOCK_TIMEOUT = 30.0

_adopted: set[Path] = set()


def path() -> Path:
    """The progress file (``$DOCKERLAB_PROGRESS``, else ``progress.json`` in the state folder, where
    the first call of a process moves the file an older dockerlab kept in ``~/.cache/dockerlab``)."""
    chosen = config.PROGRESS.path()
    if chosen is not None:
        return chosen
    file = session.state_dir() / "progress.json"
    if not config.STATE.is_set() and file not in _adopted:
        _adopted.add(file)
        legacy = config.legacy_state_dir() / "progress.json"
        try:
            adopt(legacy, file)
        except (OSError, ValueError) as exc:  # the old file stays where it was; nothing is lost
            log.warning("could not move the progress file %s to %s: %s", legacy, file, exc)
    return file


def adopt(old: Path, file: Path) -> bool:
    """Move the progress file ``old`` (an older dockerlab's) to ``file``; safe to repeat.

    If ``file`` exists, the two are merged: for each exercise the later check's record wins, with the
    earlier of the two first passes and the larger attempt count; then ``old`` is removed. A file that
    cannot be read is never merged or removed: both stay, and a warning says so. ``old``'s damaged-file
    copy (``.bad``) moves too when ``file`` has none. Both files' locks are held (an older dockerlab
    still running writes under the old one).

    Returns:
        True when something moved.
    """
    if not old.exists() or old.resolve() == file.resolve():
        return False
    file.parent.mkdir(parents=True, exist_ok=True)
    with _locked(old), _locked(file):
        if not old.exists():
            return False  # another process moved it meanwhile
        bad = old.with_name(old.name + ".bad")
        if bad.exists() and not file.with_name(file.name + ".bad").exists():
            shutil.move(bad, file.with_name(file.name + ".bad"))
        if not file.exists():
            shutil.move(old, file)
            log.info("moved the progress file %s to %s", old, file)
            return True
        theirs, ours = _records_or_none(old), _records_or_none(file)
        if theirs is None or ours is None:
            log.warning("kept %s beside %s: one of them cannot be read, so they were not merged", old, file)
            return False
        for exercise, record in theirs.items():
            ours[exercise] = _later(ours.get(exercise), record)
        _write(file, ours)
        old.unlink()
        log.info("merged the progress file %s into %s", old, file)
        return True


def _records_or_none(file: Path) -> dict[str, dict] | None:
    """The records of a readable progress file; None for one that cannot be read (it is left alone)."""
    try:
        data = json.loads(file.read_bytes().decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
        return None
    if not all(isinstance(v, dict) for v in data["exercises"].values()):
        return None
    return dict(data["exercises"])


def _later(mine: dict | None, theirs: dict) -> dict:
    """The record of the later check (times are UTC ISO 8601: they sort as text), keeping the earlier
    first pass and the larger attempt count of the two."""
    if mine is None:
        return theirs
    newer, older = (theirs, mine) if str(theirs.get("time", "")) > str(mine.get("time", "")) else (mine, theirs)
    passes = [p for p in (newer.get("first_passed"), older.get("first_passed")) if p]
    attempts = max(int(newer.get("attempts", 0) or 0), int(older.get("attempts", 0) or 0))
    return {**newer, "first_passed": min(passes) if passes else None, "attempts": attempts}


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="seconds")


@contextlib.contextmanager
def _locked(file: Path) -> Iterator[None]:
    """Hold ``<file>.lock`` (a ``flock``, as older versions took it, so old and new exclude each other).

    Raises:
        filelock.Timeout: (an OSError) after :data:`LOCK_TIMEOUT` seconds.
    """
    file.parent.mkdir(parents=True, exist_ok=True)
    with session.lock(file.with_name(file.name + ".lock"), timeout=LOCK_TIMEOUT):
        yield


def _read(file: Path) -> dict[str, dict]:
    """The records in ``file``; a damaged file is moved to ``<file>.bad`` and counts as empty."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("exercises"), dict):
            raise ValueError("not a dockerlab progress file")
        records = {k: v for k, v in data["exercises"].items() if isinstance(v, dict)}
        if len(records) != len(data["exercises"]):
            raise ValueError("an entry is not a record")
        return records
    except (ValueError, UnicodeDecodeError) as exc:
        bad = file.with_name(file.name + ".bad")
        with contextlib.suppress(OSError):
            os.replace(file, bad)
        log.warning("progress file %s could not be read (%s); kept as %s, starting over", file, exc, bad)
        return {}


def _write(file: Path, records: dict[str, dict]) -> None:
    payload = json.dumps({"format": FORMAT, "exercises": records}, indent=1, sort_keys=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{file.name}.", suffix=".tmp", dir=file.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, file)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def load(file: str | os.PathLike | None = None) -> dict[str, dict]:
    """Every exercise's latest record, by exercise id, from ``file`` (default: :func:`path`)."""
    file = Path(file) if file is not None else path()
    with _locked(file):
        return _read(file)


def record(result, lesson: str | None = None) -> dict:
    """Save ``result`` (a :class:`dockerlab.checks.CheckResult`) as its exercise's latest record.

    Args:
        result: The check's result.
        lesson: The lesson key it ran in (default: ``result.lesson``, else the id's lesson part).

    Returns:
        The saved record.
    """
    file = path()
    with _locked(file):
        records = _read(file)
        old = records.get(result.exercise, {})
        now = result.checked_at or time.time()
        entry = {
            "lesson": lesson or result.lesson or old.get("lesson") or result.exercise.split(".", 1)[0],
            "exercise": result.exercise,
            "title": result.title,
            "passed": bool(result.passed),
            "time": _iso(now),
            "met": result.met_count,
            "unmet": len(result.requirements) - result.met_count,
            "attempts": int(old.get("attempts", 0)) + 1,
            "first_passed": old.get("first_passed") or (_iso(now) if result.passed else None),
            # Once the worked solution was applied, the exercise stays "solved with help" in this record.
            "helped": bool(getattr(result, "helped", False) or old.get("helped", False)),
        }
        if result.passed:
            entry.update(not_yet_in_row=0, not_yet_since=None)
        else:
            in_row, since = not_yet_row(old) if old else (0, None)
            entry.update(not_yet_in_row=in_row + 1, not_yet_since=since if in_row else _iso(now))
        records[result.exercise] = entry
        _write(file, records)
    return entry


def not_yet_row(entry: dict) -> tuple[int, str | None]:
    """How many "not yet" checks in a row end ``entry`` (an exercise's record), and when the first of them ran.

    Records since this function keep both (``not_yet_in_row``, ``not_yet_since``); for an older record they
    are worked out where they can be: a passed exercise has none; one that never passed had every attempt
    "not yet", the first at an unknown time (None); one that passed before and not now has at least one.
    """
    if entry.get("passed"):
        return 0, None
    if "not_yet_in_row" in entry:
        try:
            in_row = max(int(entry["not_yet_in_row"]), 1)
        except (TypeError, ValueError):
            in_row = 1
        since = entry.get("not_yet_since")
        return in_row, since if isinstance(since, str) and since else None
    try:
        attempts = int(entry.get("attempts") or 0)
    except (TypeError, ValueError):
        attempts = 0
    return (max(attempts, 1) if not entry.get("first_passed") else 1), None


@dataclass
class LessonProgress:
    """One lesson's line in the summary."""

    lesson: str
    label: str
    done: int
    total: int
    exercises: list[dict] = field(default_factory=list)


@dataclass
class Summary:
    """Per lesson: how many of its exercises pass (their latest check)."""

    lessons: list[LessonProgress]

    @property
    def done(self) -> int:
        return sum(row.done for row in self.lessons)

    @property
    def total(self) -> int:
        return sum(row.total for row in self.lessons)

    def as_text(self, exercises: bool = False) -> str:
        """One line per lesson (exercises done / total) and a total; with ``exercises``, each
        exercise under its lesson: ``passed``, ``not yet`` or ``not checked``."""
        if not self.lessons:
            return "No exercises yet."
        width = max(len(row.label) for row in self.lessons)
        lines = []
        for row in self.lessons:
            lines.append(f"{row.label:<{width}}  {row.done}/{row.total}")
            if exercises:
                for item in row.exercises:
                    state = {True: "passed", False: "not yet", None: "not checked"}[item["passed"]]
                    lines.append(f"    {state:<11}  {item['exercise']}  {item['title']}")
        lines.append(f"{'all':<{width}}  {self.done}/{self.total}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def to_dict(self) -> list[dict]:
        return [
            {"lesson": row.lesson, "label": row.label, "done": row.done, "total": row.total, "exercises": row.exercises}
            for row in self.lessons
        ]


def summary(exercises: Iterable | None = None) -> Summary:
    """Progress per lesson: exercises whose latest check passed / exercises the lesson has.

    Args:
        exercises: The course's exercises (objects with ``id`` and ``title``); default every
            exercise registered in :mod:`dockerlab.exercises`. Recorded exercises no longer in
            the course are left out; with no exercises known at all, the records alone are used.
    """
    records = load()
    if exercises is None:
        from dockerlab import exercises as course

        exercises = course.every()
    known = [(e.id, e.title) for e in exercises]
    if not known:
        known = [(k, v.get("title", k)) for k, v in records.items()]
    groups: dict[str, LessonProgress] = {}
    for exercise_id, title in sorted(known):
        group = exercise_id.split(".", 1)[0]
        rec = records.get(exercise_id)
        row = groups.setdefault(group, LessonProgress(group, group, 0, 0))
        row.total += 1
        if rec is not None and rec.get("lesson") and row.label == group:
            row.label = str(rec["lesson"])
        passed = bool(rec and rec.get("passed"))
        row.done += passed
        row.exercises.append({"exercise": exercise_id, "title": title, "passed": passed if rec else None})
    return Summary([groups[g] for g in sorted(groups)])


def export(destination: str | os.PathLike) -> Path:
    """Write the progress for an instructor: CSV if the name ends in ``.csv``, else JSON.

    JSON holds ``exported`` (when), ``user`` and ``host`` (who, on which machine), ``summary``
    (per lesson: exercises done / total, and each exercise passed, not yet or not checked) and
    ``exercises`` (each checked exercise's latest record: passed, requirements met / unmet,
    attempts, first time passed, time of the latest check, "not yet" checks in a row and when the first of
    them ran). CSV has one row per checked exercise
    with the record's fields, for a spreadsheet.

    Returns:
        The file written.
    """
    destination = Path(destination)
    records = load()
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.suffix.lower() == ".csv":
        columns = ["lesson", "exercise", "title", "passed", "time", "met", "unmet", "attempts", "first_passed",
                   "not_yet_in_row", "not_yet_since"]
        with open(destination, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for key in sorted(records):
                writer.writerow(records[key])
        return destination
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "?"
    try:
        overview = summary().to_dict()
    except Exception as exc:  # noqa: BLE001 - a broken exercise module must not block the export
        log.warning("summary unavailable for export: %s", exc)
        overview = []
    payload = {
        "exported": _iso(time.time()),
        "user": user,
        "host": socket.gethostname(),
        "summary": overview,
        "exercises": records,
    }
    destination.write_text(json.dumps(payload, indent=1, sort_keys=True), encoding="utf-8")
    return destination
