"""Concept questions: multiple choice, each wrong choice with its own explanation.

Exercises check what a learner did; a question covers what an exercise cannot (why a layer is cached,
what ``depends_on`` does not wait for). A question is declared in its notebook's exercise module, next
to the exercises, and judged into the same :class:`~dockerlab.checks.result.CheckResult` an exercise's
check gives (one requirement: met, or unmet with the chosen wrong choice's explanation as its reason),
so progress, the gradebook, feedback pages and the class view take it as they take an exercise::

    question("03.q-cache", title="Why the rebuild was fast",
             prompt="You changed only app.py and built again. Which steps ran again?",
             choices=[wrong("All of them", why="..."),
                      right("COPY app.py and the steps after it", why="..."),
                      wrong("None", why="...")],
             points=1)

The choices are keyed ``a``, ``b``, ``c``, ``d`` in the order declared. A bad declaration (not 3-4
choices, not exactly one right, a choice without an explanation) is refused when the module is imported.
No display here: the widget is :mod:`dockerlab.views.questions`, the notebook's call ``lesson.ask``.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Iterable
from dataclasses import dataclass

from dockerlab.checks.registry import DEFAULT_POINTS, EXERCISE_ID
from dockerlab.checks.result import CheckResult, Requirement

KEYS = "abcd"
#: The requirement every judged answer has: its description when met or unmet.
ASKED = "the right answer is chosen"


@dataclass(frozen=True)
class Choice:
    """One choice: its text, whether it is the right one, and why (in plain words)."""

    text: str
    right: bool
    why: str
    key: str = ""


def right(text: str, *, why: str) -> Choice:
    """The right choice, with a short why."""
    return Choice(text, True, why)


def wrong(text: str, *, why: str) -> Choice:
    """A wrong choice, with why it is wrong: the learner who picks it reads exactly this."""
    return Choice(text, False, why)


@dataclass(frozen=True)
class Question:
    """A registered concept question.

    Attributes:
        id: ``"02.q-docker-group"``: the lesson's number, a dot, ``q-`` and a short name.
        title: Shown above the question, in the gradebook's sidecar and on feedback pages.
        prompt: The question itself.
        choices: 3 or 4, keyed a, b, c, d; exactly one right.
        points: What answering it right is worth in a gradebook (like ``@exercise(points=)``).
    """

    id: str
    title: str
    prompt: str
    choices: tuple[Choice, ...]
    points: float = DEFAULT_POINTS

    @property
    def lesson(self) -> str:
        return self.id.split(".", 1)[0]

    def belongs_to(self, lesson_key: str) -> bool:
        return lesson_key == self.lesson or lesson_key.startswith(self.lesson + "-")

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.choices]

    @property
    def answer(self) -> Choice:
        """The right choice."""
        return next(c for c in self.choices if c.right)

    def choice(self, key: str) -> Choice | None:
        """The choice with ``key`` (``"b"``, ``"B"``, ``"(b)"``, ``"b)"``), or None."""
        key = normalise(key)
        return next((c for c in self.choices if c.key == key), None)

    def judge(self, answer, lesson: str | None = None) -> CheckResult:
        """The result of answering ``answer`` (a choice's key): never raises on a wrong or malformed answer."""
        result = CheckResult(exercise=self.id, title=self.title, lesson=lesson, checked_at=time.time())
        chosen = self.choice(answer) if isinstance(answer, str) else None
        keys = ", ".join(self.keys)
        if chosen is None:
            result.requirements.append(Requirement.fail(
                ASKED, f"{answer!r} is none of the choices: answer with one of their letters, {keys} (answer=\"b\")"))
        elif chosen.right:
            result.requirements.append(Requirement.ok(f"{ASKED}: ({chosen.key}) {chosen.text}"))
        else:
            result.requirements.append(Requirement.fail(f"{ASKED} (you chose ({chosen.key}) {chosen.text})", chosen.why))
        return result


def normalise(key: str) -> str:
    return str(key).strip().strip("()").strip().lower()


_registry: dict[str, Question] = {}


def question(question_id: str, *, title: str, prompt: str, choices: Iterable[Choice],
             points: float = DEFAULT_POINTS) -> Question:
    """Declare a concept question (in the notebook's exercise module); returns it.

    Raises:
        ValueError: the id is not ``NN.q-name``, there are not 3-4 choices, not exactly one right one, a choice
            has no text or no explanation, two choices read the same, the points are not a number of 0 or more,
            or another question already has the id with other content.
    """
    where = f"question {question_id!r}"
    if not EXERCISE_ID.match(question_id) or not question_id.split(".", 1)[1].startswith("q-"):
        raise ValueError(f"{where}: the id should look like '02.q-docker-group': the lesson number, a dot, q- and a short name")
    if not str(title).strip() or not str(prompt).strip():
        raise ValueError(f"{where}: needs a title and a prompt")
    given = list(choices)
    if not 3 <= len(given) <= 4:
        raise ValueError(f"{where}: has {len(given)} choices; give 3 or 4")
    if any(not isinstance(c, Choice) for c in given):
        raise ValueError(f"{where}: every choice is right(...) or wrong(...)")
    if sum(c.right for c in given) != 1:
        raise ValueError(f"{where}: has {sum(c.right for c in given)} right choices; exactly one must be right")
    for c in given:
        if not c.text.strip():
            raise ValueError(f"{where}: a choice has no text")
        if not c.why.strip():
            kind = "the right choice needs a short why" if c.right else "each wrong choice needs its own explanation"
            raise ValueError(f"{where}: choice {c.text!r} has no explanation ({kind})")
    if len({c.text.strip().lower() for c in given}) != len(given) or len({c.why.strip() for c in given}) != len(given):
        raise ValueError(f"{where}: two choices share a text or an explanation; each needs its own")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points >= 0 or points == float("inf"):
        raise ValueError(f"{where}: points={points!r} should be a number, 0 or more")
    found = Question(question_id, str(title), str(prompt),
                     tuple(Choice(c.text, c.right, c.why, key) for key, c in zip(KEYS, given)), points)
    old = _registry.get(question_id)
    if old is not None and old != found:
        raise ValueError(f"{where} is already declared with other content")
    _registry[question_id] = found
    return found


def unregister(question_id: str) -> None:
    """Forget a question (tests declare throw-away ones)."""
    _registry.pop(question_id, None)


def registered() -> dict[str, Question]:
    """Every question declared so far, by id (import :mod:`dockerlab.exercises` to have the course's)."""
    return dict(_registry)


def every() -> list[Question]:
    return sorted(_registry.values(), key=lambda q: q.id)


def of_lesson(lesson: str) -> list[Question]:
    """A lesson's questions, by key (``02-setup``) or number, in id order."""
    return [q for q in every() if q.belongs_to(lesson)]


def get(question_id: str) -> Question:
    """The question declared as ``question_id``.

    Raises:
        KeyError: no such question (a typo in the notebook); the message names close ids.
    """
    try:
        return _registry[question_id]
    except KeyError:
        close = " or ".join(repr(c) for c in difflib.get_close_matches(question_id, list(_registry), n=3))
        raise KeyError(f"no question {question_id!r} is declared" + (f"; did you mean {close}?" if close else "")) from None
