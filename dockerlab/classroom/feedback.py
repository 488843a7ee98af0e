"""A feedback page per learner: ``feedback/<learner>.html`` and its plain-text twin ``<learner>.txt``.

Per item: done, or not yet and why (the reasons the checks gave, or why no check ran), the
hints the exercise offers (only where it is not done), and the points. Then the errors their
notebooks raised. Nothing of another learner's, and nothing of the instructor's notes: a page can be
handed to its learner as it is. The HTML is :mod:`dockerlab.views.feedback`'s (one file, no script,
no link out: it reads offline).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dockerlab.checks import registry
from dockerlab.classroom.gradebook import number, possible, total
from dockerlab.classroom.grade import Grades, Learner
from dockerlab.classroom.points import SOLVED_WITH_HELP, Item
from dockerlab.views.feedback import feedback_html

#: Version of the pages' layout (in the HTML's ``dockerlab-feedback-format`` meta tag and the text's last line).
FORMAT_VERSION = 1
FOLDER = "feedback"

#: The word a learner reads for each grading state: the notebook's own ("done", "not yet").
WORDS = {"passed": "done", SOLVED_WITH_HELP: "done with help", "not yet": "not yet", "not attempted": "not yet",
         "could not check": "could not check"}


@dataclass
class Entry:
    """One item on a learner's page."""

    id: str
    title: str
    word: str
    earned: str
    points: str
    reasons: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.word.startswith("done")


@dataclass
class Page:
    learner: str
    entries: list[Entry]
    earned: str
    possible: str
    errors: list[str]
    when: str
    format_version: int = FORMAT_VERSION


def page(learner: Learner, items: Sequence[Item], when: str | None = None) -> Page:
    declared = registry.registered()
    entries = []
    for item in items:
        cell = learner.cells.get(item.id)
        state = cell.state if cell is not None else "not attempted"
        reasons = list(cell.reasons) if cell is not None else []
        if state == "not yet" and not reasons and cell is not None and cell.total:
            reasons = [f"{cell.met} of {cell.total} requirements met"]
        hints = list(declared[item.id].hints) if not WORDS[state].startswith("done") and item.id in declared else []
        entries.append(Entry(item.id, item.title, WORDS[state], number(item.earned(state)), number(item.points), reasons, hints))
    return Page(learner.name, entries, number(total(learner, items)), number(possible(items)), list(learner.errors),
                when or time.strftime("%Y-%m-%d %H:%M"))


def text(feedback: Page) -> str:
    """The plain-text twin of a page."""
    done = sum(1 for e in feedback.entries if e.done)
    lines = [f"dockerlab feedback for {feedback.learner}", "",
             f"{done} of {len(feedback.entries)} exercises done; {feedback.earned} of {feedback.possible} points.", ""]
    for entry in feedback.entries:
        worth = f"{entry.earned or '-'} of {entry.points} point(s)"
        lines.append(f"{entry.id}  {entry.title}: {entry.word} ({worth})")
        lines += [f"    why: {reason}" for reason in entry.reasons if not entry.done]
        lines += [f"    hint: {hint}" for hint in entry.hints]
    if feedback.errors:
        lines += ["", "Errors in your notebooks (cells numbered as in your notebook):"]
        lines += [f"    {error}" for error in feedback.errors]
    lines += ["", f"graded {feedback.when}; dockerlab feedback format {feedback.format_version}"]
    return "\n".join(lines) + "\n"


def write(grades: Grades, items: Sequence[Item], out: str | Path) -> dict[str, tuple[Path, Path]]:
    """Write ``out/feedback/<learner>.html`` and ``.txt`` for every learner; return learner -> (html, txt)."""
    folder = Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    when = time.strftime("%Y-%m-%d %H:%M")
    written = {}
    for learner in grades.learners:
        feedback = page(learner, items, when)
        html_file, text_file = folder / f"{learner.name}.html", folder / f"{learner.name}.txt"
        html_file.write_text(feedback_html(feedback), encoding="utf-8")
        text_file.write_text(text(feedback), encoding="utf-8")
        written[learner.name] = (html_file, text_file)
    return written
