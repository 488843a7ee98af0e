"""Who wants to know when an exercise was checked: listeners, called after each check.

The lesson's check (:meth:`dockerlab.jupyter.lesson.Lesson.check`) tells every listener, in the
order they subscribed; the classroom log (:mod:`dockerlab.classroom.hook`) is one. A listener
that fails is logged and skipped: the learner's check never fails over it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from dockerlab.checks.result import CheckResult

log = logging.getLogger(__name__)

#: ``listener(result, lesson)``; ``lesson`` is the notebook's lesson (it has ``key`` and ``session``).
Listener = Callable[[CheckResult, object], None]

_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call ``listener`` after every check from now on (once, however often it subscribes).

    Returns:
        A function that unsubscribes it.
    """
    if listener not in _listeners:
        _listeners.append(listener)
    return lambda: unsubscribe(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def checked(result: CheckResult, lesson) -> None:
    """Tell every listener about ``result``."""
    for listener in list(_listeners):
        try:
            listener(result, lesson)
        except Exception:  # noqa: BLE001 - a listener's failure must not fail the learner's check
            log.exception("a check listener failed: %r", listener)
