"""What each gradebook item is worth, and what each grading state earns of it.

An *item* is one column of the gradebook: an id, a title, points. An item is an exercise or a concept
question (:mod:`dockerlab.checks.questions`, ``kind="question"``), with the same three fields: a question is
worth what its declaration says (``question(..., points=)``), and the points file sets it as an exercise's.

An exercise is worth what its declaration says (``@exercise(..., points=2)``, else
:data:`~dockerlab.checks.registry.DEFAULT_POINTS`, 1 point), unless the instructor's points file
(``dockerlab grade --points points.toml``) gives it another worth::

    # points.toml: exercise id = points (quote the id: a bare dotted key is a TOML table)
    format_version = 1          # optional; the only version there is
    "04.keep-running" = 2
    "04.exit-code" = 0.5
    "03.build" = 0              # still a column, worth nothing

:func:`load` reads that file and refuses, in plain words and with the fix, an id the course does
not have and a worth that is not a number of 0 or more.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from dockerlab import errors
from dockerlab.checks import questions, registry

#: The points file formats this version reads.
FORMAT_VERSION = 1

#: An exercise passed after the learner's notebook ran its worked solution (``lesson.solve``; the
#: progress record's ``helped``). Hints revealed do not count: grading re-runs the notebook, where no
#: button is pressed, and hints are part of the course.
SOLVED_WITH_HELP = "solved with help"

#: The share of an item's points each state earns. ``None`` leaves the gradebook cell empty: no grade
#: at all, which an LMS import skips, rather than a 0 the learner did not earn (no engine answered).
#: Solved with help earns full points: the hints are part of the course, and a workshop grade that
#: costs points for asking would teach learners not to ask.
CREDIT: dict[str, float | None] = {
    "passed": 1.0,
    SOLVED_WITH_HELP: 1.0,
    "not yet": 0.0,
    "not attempted": 0.0,
    "could not check": None,
}


@dataclass(frozen=True)
class Item:
    """One gradebook column.

    Attributes:
        id: ``"04.keep-running"``; the column's header.
        title: What it is, for people (the sidecar and the feedback pages).
        points: What it is worth in full.
        kind: ``"exercise"``, or ``"question"`` for a concept question.
        source: Where ``points`` came from: ``"declared"`` (the exercise) or ``"points file"``.
    """

    id: str
    title: str
    points: float
    kind: str = "exercise"
    source: str = "declared"

    def earned(self, state: str) -> float | None:
        """Points earned in ``state`` (None: not graded, see :data:`CREDIT`)."""
        share = CREDIT[state]
        return None if share is None else share * self.points


class PointsFileError(errors.DockerlabError):
    title = "The points file has a mistake"


_FIX = ('Write one line per exercise, its id in quotes and its points a number of 0 or more: "04.keep-running" = 2. '
        "`dockerlab progress show --exercises` lists the course's exercise ids.")


def load(path: str | Path, known: Iterable[str]) -> dict[str, float]:
    """The points file at ``path``: exercise id -> points.

    Args:
        known: Every exercise id of the course.

    Raises:
        PointsFileError: the file cannot be read, is not TOML, or names an id not in ``known`` or
            a worth that is not a number of 0 or more (every problem at once).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PointsFileError(f"Could not read the points file {path} ({exc.strerror or exc}).",
                              "Give the path of a points file, e.g. --points points.toml, or leave --points out.") from exc
    except UnicodeDecodeError as exc:
        raise PointsFileError(f"The points file {path} is not UTF-8 text.", "Save it as UTF-8 text. " + _FIX) from exc
    except tomllib.TOMLDecodeError as exc:
        raise PointsFileError(f"The points file {path} is not valid TOML: {exc}.", _FIX) from exc
    version = data.pop("format_version", FORMAT_VERSION)
    problems = []
    if version != FORMAT_VERSION or isinstance(version, bool):
        problems.append(f"format_version = {version!r}: this dockerlab reads format_version = {FORMAT_VERSION}")
    known = set(known) | set(questions.registered())  # a question's points are set as an exercise's
    found: dict[str, float] = {}
    for key, value in _flat(data):
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            problems.append(f'"{key}": the course has no such exercise' + (f' (did you mean "{close[0]}"?)' if close else ""))
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.append(f'"{key}" = {_toml(value)}: points must be a number, like 2 or 0.5')
        elif not math.isfinite(value) or value < 0:
            problems.append(f'"{key}" = {_toml(value)}: points must be 0 or more')
        else:
            found[key] = value
    if problems:
        raise PointsFileError(f"The points file {path} has {len(problems)} problem(s): " + "; ".join(problems) + ".", _FIX)
    return found


def _flat(data: Mapping, prefix: str = "") -> Iterable[tuple[str, object]]:
    """(id, value) pairs; a bare ``04.keep-running = 2`` is a TOML table ``{"04": {"keep-running": 2}}``, read back as the id."""
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f'"{value}"' if isinstance(value, str) else str(value)


def items(exercises: Iterable[tuple[str, str]], overrides: Mapping[str, float] | None = None) -> list[Item]:
    """The gradebook's items for these (id, title) exercises and questions, in that order.

    Each is worth what the points file says, else what its declaration says, else
    :data:`~dockerlab.checks.registry.DEFAULT_POINTS` (an exercise someone checked that the course
    no longer declares).
    """
    overrides = overrides or {}
    declared = registry.registered()
    asked = questions.registered()
    found = []
    for ex, title in exercises:
        kind = "question" if ex in asked else "exercise"
        if ex in overrides:
            found.append(Item(ex, title, overrides[ex], kind=kind, source="points file"))
        elif ex in asked:
            found.append(Item(ex, title, asked[ex].points, kind=kind))
        else:
            found.append(Item(ex, title, declared[ex].points if ex in declared else registry.DEFAULT_POINTS))
    return found
