"""The course's exercises: one module per notebook (``nb04_running_containers.py``), and their catalogue.

Importing this package imports every module in it, so each module's ``@exercise`` registrations
happen (see :mod:`dockerlab.checks` for how to write one). A module that fails to import is logged
and listed in :data:`failed`; the other modules' exercises still work.

    from dockerlab import exercises
    exercises.of_lesson("04-running-containers")   # that notebook's exercises, in id order
    exercises.run("04.keep-running", lesson)       # check one (no display, no progress)
"""

from __future__ import annotations

import difflib
import importlib
import logging
import pkgutil

from dockerlab.checks import registry
from dockerlab.checks.registry import Exercise
from dockerlab.checks.result import CheckResult

log = logging.getLogger(__name__)

#: Modules that raised on import, by module name, with the exception.
failed: dict[str, BaseException] = {}


def load_all() -> None:
    """Import every module of this package (modules whose name starts with ``_`` are skipped)."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        try:
            importlib.import_module(f"{__name__}.{module.name}")
            failed.pop(module.name, None)
        except Exception as exc:  # noqa: BLE001 - one broken module must not hide the others
            failed[module.name] = exc
            log.error("exercise module dockerlab.exercises.%s failed to import: %s", module.name, exc, exc_info=exc)


def every() -> list[Exercise]:
    """Every exercise, in id order."""
    return sorted(registry.registered().values(), key=lambda e: e.id)


def of_lesson(lesson: str) -> list[Exercise]:
    """A lesson's exercises, given its key (``04-running-containers``) or number, in id order."""
    return [e for e in every() if e.belongs_to(lesson)]


def get(exercise_id: str) -> Exercise:
    """The exercise registered as ``exercise_id``.

    Raises:
        KeyError: no such exercise (a typo in the notebook); the message names close ids.
    """
    known = registry.registered()
    if exercise_id in known:
        return known[exercise_id]
    close = difflib.get_close_matches(exercise_id, list(known), n=3)
    message = f"no exercise {exercise_id!r} is registered"
    if close:
        message += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    if failed:
        broken = ", ".join(f"{name} ({type(exc).__name__}: {exc})" for name, exc in failed.items())
        message += f" (exercise modules that failed to import: {broken})"
    raise KeyError(message)


def run(exercise_id: str, lesson=None) -> CheckResult:
    """Check one exercise by id against the real state (no display, no progress).

    Raises:
        KeyError: only when no exercise has that id.
    """
    return registry.run(get(exercise_id), lesson)


load_all()
