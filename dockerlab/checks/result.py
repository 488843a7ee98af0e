"""What a check finds: a :class:`Requirement` per thing asked, a :class:`CheckResult` per exercise.

Plain data with text forms; the HTML form and the live view are in :mod:`dockerlab.views.checks`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dockerlab import errors


@dataclass
class Requirement:
    """One thing an exercise asks for, and whether the learner's work has it.

    Attributes:
        description: What is asked, phrased as a fact ("a container named web-dl3f9a1c is running").
        met: Whether it holds.
        reason: When unmet, what exactly is wrong and how to fix it; empty when met.
        unchecked: Not judged: a quiet check (the progress strip) reached something only the check cell does
            (starting a container, fetching a page); unmet until the check cell runs.
    """

    description: str
    met: bool
    reason: str = ""
    unchecked: bool = False

    @classmethod
    def ok(cls, description: str) -> Requirement:
        return cls(description, True)

    @classmethod
    def fail(cls, description: str, reason: str) -> Requirement:
        return cls(description, False, reason)

    def __str__(self) -> str:
        mark = "✓" if self.met else "✗"
        text = f"{mark} {self.description}"
        if not self.met and self.reason:
            text += "\n    " + self.reason.replace("\n", "\n    ")
        return text

    def to_dict(self) -> dict:
        return {"description": self.description, "met": self.met, "reason": self.reason}


@dataclass
class CheckResult:
    """The outcome of checking one exercise.

    Attributes:
        exercise: The exercise id, e.g. ``"04.name-container"``.
        title: The exercise's title.
        requirements: What was checked, in order.
        hints: General hints, revealed one at a time with :meth:`next_hint`.
        lesson: The lesson key the check ran in (``"04-running-containers"``), if known.
        engine_error: Set when the engine could not be reached; nothing was judged then.
        checked_at: When the check ran (seconds since the epoch).
        hints_shown: How many hints have been revealed so far.
        helped: The learner asked for the worked solution (``lesson.solve``) before this check: a pass
            is "solved with help".
    """

    exercise: str
    title: str
    requirements: list[Requirement] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    lesson: str | None = None
    engine_error: errors.DockerlabError | None = None
    checked_at: float = field(default_factory=time.time)
    hints_shown: int = 0
    helped: bool = False

    # -- verdict ------------------------------------------------------------------------------
    @property
    def passed(self) -> bool:
        """True when there is at least one requirement and every one is met."""
        return self.engine_error is None and bool(self.requirements) and all(r.met for r in self.requirements)

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.requirements if r.met)

    @property
    def unmet(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.met]

    def __bool__(self) -> bool:
        return self.passed

    # -- hints --------------------------------------------------------------------------------
    def next_hint(self) -> str | None:
        """Reveal the next general hint and return it (None when all are shown)."""
        if self.hints_shown >= len(self.hints):
            return None
        self.hints_shown += 1
        return self.hints[self.hints_shown - 1]

    @property
    def revealed_hints(self) -> list[str]:
        return self.hints[: self.hints_shown]

    @property
    def hints_left(self) -> int:
        return len(self.hints) - self.hints_shown

    @property
    def only_unchecked_left(self) -> bool:
        """Everything judged is met, and what is left needs the check cell (see :attr:`Requirement.unchecked`)."""
        unmet = self.unmet
        return bool(unmet) and self.engine_error is None and all(r.unchecked for r in unmet)

    @property
    def still_stuck(self) -> str | None:
        """After the last hint of an exercise not yet done: how to apply its worked solution and go on."""
        if self.passed or self.engine_error is not None or not self.hints or self.hints_left:
            return None
        return (f'Still stuck? lesson.solve("{self.exercise}") in a new cell runs this exercise\'s worked solution, so the '
                "notebook can go on; your progress records it as solved with help.")

    # -- text forms ---------------------------------------------------------------------------
    def verdict(self) -> str:
        if self.engine_error is not None:
            return "could not check"
        if self.passed:
            return "done with help" if self.helped else "done"
        return f"not yet ({self.met_count} of {len(self.requirements)} met)"

    def __str__(self) -> str:
        lines = [f"{self.exercise}: {self.title} - {self.verdict()}"]
        if self.engine_error is not None:
            lines.append("  " + self.engine_error.message)
            if self.engine_error.fix:
                lines.append("  Fix: " + self.engine_error.fix)
        for req in self.requirements:
            lines.append("  " + str(req).replace("\n", "\n  "))
        for number, hint in enumerate(self.revealed_hints, 1):
            lines.append(f"  Hint {number}: {hint}")
        if self.still_stuck:
            lines.append("  " + self.still_stuck)
        if self.hints_left and not self.passed:
            lines.append(f"  ({self.hints_left} more hint{'s' if self.hints_left != 1 else ''}: result.next_hint())")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CheckResult {self.exercise} {self.verdict()}>"

    def to_dict(self) -> dict:
        """A JSON-ready record of the result."""
        return {
            "exercise": self.exercise,
            "title": self.title,
            "lesson": self.lesson,
            "passed": self.passed,
            "checked_at": self.checked_at,
            "met": self.met_count,
            "unmet": len(self.requirements) - self.met_count,
            "requirements": [r.to_dict() for r in self.requirements],
            "hints_shown": self.hints_shown,
            "helped": self.helped,
            "engine_error": self.engine_error.message if self.engine_error is not None else None,
        }
