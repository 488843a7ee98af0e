"""Exercises: :func:`exercise` registers one, :func:`run` checks it against the real state.

Which exercises the course has is :mod:`dockerlab.exercises`' business (it imports one module per
notebook, each registering its own); this module only keeps them and runs them.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from dockerlab.engine import quiet
from dockerlab.checks.blocks import as_engine_error, plain_reason
from dockerlab.checks.result import CheckResult, Requirement

log = logging.getLogger(__name__)

#: ``<lesson>.<name>``: the lesson's number (or key), a dot, then a short name in lower case.
EXERCISE_ID = re.compile(r"^[0-9a-z][0-9a-z-]*\.[0-9a-z][0-9a-z.-]*$")


@dataclass
class Exercise:
    """A registered exercise.

    Attributes:
        id: ``"04.name-container"``; the part before the first dot is the lesson it belongs to.
        title: Shown above the result.
        hints: General hints, revealed one at a time.
        func: ``func(lesson)`` returns (an iterable of) :class:`Requirement`.
        points: What solving it is worth in an instructor's gradebook (``dockerlab grade``), unless
            the instructor's points file says otherwise.
    """

    id: str
    title: str
    func: Callable[..., Iterable]
    hints: list[str] = field(default_factory=list)
    points: float = 1

    @property
    def lesson(self) -> str:
        """The lesson part of the id (``"04"`` for ``"04.name-container"``)."""
        return self.id.split(".", 1)[0]

    def belongs_to(self, lesson_key: str) -> bool:
        """True for the lesson ``"04-running-containers"`` when the id starts with ``04.``."""
        return lesson_key == self.lesson or lesson_key.startswith(self.lesson + "-")


@dataclass(frozen=True)
class Prerequisite:
    """A requirement the rest of an exercise's check builds on (made by :func:`prerequisite`)."""

    requirement: Requirement


def prerequisite(requirement: Requirement) -> Prerequisite:
    """Mark ``requirement`` as one the rest of the check builds on: when it is unmet, the check stops after it.

    Every later requirement would only repeat its reason, or could not be judged fairly::

        yield prerequisite(containers.exists(name))   # the rest is about that container
        yield containers.exited(name, 0)
    """
    return Prerequisite(requirement)


_registry: dict[str, Exercise] = {}

#: What an exercise is worth when its declaration does not say: every exercise counts the same
#: unless the course (or the instructor's points file) says one matters more.
DEFAULT_POINTS = 1


def exercise(exercise_id: str, *, title: str, hints: Iterable[str] = (), points: float = DEFAULT_POINTS):
    """Register the decorated function as the check of exercise ``exercise_id``.

    The function takes the notebook's lesson and returns or yields :class:`Requirement` objects
    (usually from the building blocks), those the rest builds on as :func:`prerequisite`. Registering
    the same id again from the same function (a re-run cell, a reloaded module) replaces it; from
    another function it is an error. ``points`` is its worth in a gradebook (a number, 0 or more).
    """
    if not EXERCISE_ID.match(exercise_id):
        raise ValueError(
            f"exercise id {exercise_id!r} should look like '04.name-container': the lesson number, a dot, "
            "then lower-case words joined by dashes"
        )
    hint_list = [str(h) for h in hints]
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points >= 0 or points == float("inf"):
        raise ValueError(f"exercise {exercise_id!r}: points={points!r} should be a number, 0 or more")

    def register(func: Callable[..., Iterable]) -> Callable[..., Iterable]:
        old = _registry.get(exercise_id)
        if old is not None and _where(old.func) != _where(func):
            raise ValueError(f"exercise id {exercise_id!r} is already registered by {_where(old.func)}")
        _registry[exercise_id] = Exercise(exercise_id, title, func, hint_list, points)
        func.exercise_id = exercise_id  # type: ignore[attr-defined]
        return func

    return register


def _where(func) -> str:
    return f"{getattr(func, '__module__', '?')}.{getattr(func, '__qualname__', '?')}"


def unregister(exercise_id: str) -> None:
    """Forget an exercise (tests register throw-away ones)."""
    _registry.pop(exercise_id, None)


def registered() -> dict[str, Exercise]:
    """Every exercise registered so far, by id (import :mod:`dockerlab.exercises` to have the course's)."""
    return dict(_registry)


def run(ex: Exercise, lesson=None) -> CheckResult:
    """Check exercise ``ex`` against the real state and return the result.

    Never raises because of the learner's answer: every failure is an unmet requirement. When the
    engine cannot be reached the result's ``engine_error`` says so and nothing is judged.
    """
    result = CheckResult(
        exercise=ex.id,
        title=ex.title,
        hints=list(ex.hints),
        lesson=getattr(lesson, "key", lesson if isinstance(lesson, str) else None),
        checked_at=time.time(),
    )
    try:
        answer = ex.func(lesson)
        if answer is None:
            answer = ()
        elif isinstance(answer, (Requirement, Prerequisite)):
            answer = (answer,)
        _collect(answer, result.requirements)
    except (KeyboardInterrupt, SystemExit):
        raise
    except quiet.NotQuietly as exc:  # outside any block: the rest is the check cell's
        result.requirements.append(Requirement("the rest of the check", False, f"checked when you run the check cell (it would {exc.what})",
                                               unchecked=True))
    except BaseException as exc:  # noqa: BLE001 - reported in the result, never raised
        problem = as_engine_error(exc)
        if problem is not None:
            result.engine_error = problem
        else:
            result.requirements.append(Requirement("the check ran to the end", False, plain_reason(exc)))
    if not result.requirements and result.engine_error is None:
        result.requirements.append(
            Requirement("the check has something to check", False, "the exercise produced no requirements (a bug in the exercise)")
        )
    return result


def _collect(items, into: list[Requirement]) -> bool:
    """Append requirements one by one, so those found before a failure are kept.

    Returns False once an unmet :class:`Prerequisite` has stopped the check (nothing after it is asked for).
    """
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        into.append(
            Requirement("the exercise's check is well-formed", False, f"the check produced {items!r} instead of a Requirement")
        )
        return True
    for item in items:
        if isinstance(item, Prerequisite) and isinstance(item.requirement, Requirement):
            into.append(item.requirement)
            if not item.requirement.met:
                return False
        elif isinstance(item, Requirement):
            into.append(item)
        elif not _collect(item, into):
            return False
    return True
