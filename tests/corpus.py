"""Wrong-answer corpora as tables: a row is one learner's answer to an exercise, what was done with it (written
only, or started too), and the reasons the check must give for it.

A test module lists its rows (:class:`Answer`) and plays each with a parametrized test: it writes and starts the
answer as its exercise needs, runs the check, and hands the result to :func:`judge`. What a row expects is said
with :class:`Unmet` (a requirement, found by its description, and what its reason says) and :class:`Mentioned`
(some unmet reason mentions words, and what that reason says), the two ways ``support.unmet`` and
``support.reason_with`` read a result. Anything that holds a session-unique name is given as a function of the
lesson (``lambda lesson: f"... {lesson.name('trio')} ..."``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from support import reason_with, unmet

#: A text, or a function of the lesson giving it (for the session-unique names in it).
Text = str | Callable[..., str]


def text(value: Text, lesson) -> str:
    """``value`` itself, or ``value(lesson)`` when it is a function of the lesson."""
    return value(lesson) if callable(value) else value


class Said:
    """What the reason that ``find(result, words)`` picks says: it contains each of ``says``."""

    find = staticmethod(reason_with)

    def __init__(self, words: Text, *says: Text):
        self.words = words
        self.says = says

    def check(self, result, lesson) -> None:
        reason = self.find(result, text(self.words, lesson))
        for words in self.says:
            assert text(words, lesson) in reason, reason


class Unmet(Said):
    """The requirement whose description contains ``words`` is unmet, and its reason contains each of ``says``."""

    find = staticmethod(unmet)


class Mentioned(Said):
    """Some unmet requirement's reason mentions ``words``, and that reason contains each of ``says``."""


@dataclass(frozen=True)
class Answer:
    """One wrong answer of an exercise's corpus.

    Attributes:
        exercise: The exercise's id.
        name: The case's name (its test id).
        text: The answer (a file's text), or a function of the lesson giving it.
        expect: What the check says: :class:`Unmet` and :class:`Mentioned` rows, asked in order.
        up: Whether the answer is started (a compose project: ``up -d``); a tuple is started with those arguments.
        project: Started under ``lesson.name(project)`` rather than the name the check looks for.
        then: ``docker`` commands run after starting it, each naming a container of the project the check looks for
            by its service and number: ``("wait", "web-1")``.
        only_unmet: When given, the descriptions of the unmet requirements, all of them, in order.
        last_met: The check's last requirement (what the running app answers) is met.
    """

    exercise: str
    name: str
    text: Text
    expect: tuple[Said, ...]
    up: bool | tuple[str, ...] = False
    project: str | None = None
    then: tuple[tuple[str, str], ...] = ()
    only_unmet: tuple[Text, ...] | None = None
    last_met: bool = False

    @property
    def up_args(self) -> tuple[str, ...]:
        """The arguments after ``up -d`` (none when it is started as it is)."""
        return self.up if isinstance(self.up, tuple) else ()


def judge(result, row: Answer, lesson) -> None:
    """Assert what ``row`` expects of its check's ``result``."""
    assert not result.passed, str(result)
    for expected in row.expect:
        expected.check(result, lesson)
    if row.only_unmet is not None:
        assert [r.description for r in result.requirements if not r.met] == [text(d, lesson) for d in row.only_unmet], str(result)
    if row.last_met:
        assert result.requirements[-1].met, str(result)
