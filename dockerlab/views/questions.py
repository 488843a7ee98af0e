"""A concept question as a widget (radio buttons, "Check my answer"), and its HTML and text forms.

The saved forms list the question and its choices, never which one is right; once an answer is given in
code (``lesson.ask(..., answer="b")``) they also say what was chosen and the explanation.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as widgets

from dockerlab.checks.questions import Question
from dockerlab.checks.result import CheckResult
from dockerlab.views.common import View, esc

RIGHT, WRONG = "#1e8449", "#c0392b"


def keep_line(question: Question, key: str) -> str:
    """The line that keeps an answer in the notebook, where grading (which clicks nothing) finds it."""
    return f'lesson.ask("{question.id}", answer="{key}")'


def feedback_text(question: Question, key: str, result: CheckResult) -> str:
    chosen = question.choice(key)
    if chosen is None:
        return result.unmet[0].reason if result.unmet else ""
    verdict = "Right" if chosen.right else "Not quite"
    return f"{verdict}: ({chosen.key}) {chosen.text}. {chosen.why}"


def feedback_html(question: Question, key: str, result: CheckResult) -> str:
    colour = RIGHT if result.passed else WRONG
    more = "" if result.passed else "<br><small>Choose another answer and check again.</small>"
    return (f'<div class="dockerlab-answer" style="border-left:4px solid {colour};padding:4px 10px;margin-top:4px">'
            f'<b style="color:{colour}">{"&#10003;" if result.passed else "&#10007;"}</b> {esc(feedback_text(question, key, result))}'
            f"{more}</div>")


def keep_html(question: Question, key: str) -> str:
    return ('<div class="dockerlab-keep"><small>To keep this answer in the notebook (grading re-runs it, and nobody '
            f"clicks there), change this cell to <code>{esc(keep_line(question, key))}</code></small></div>")


def question_html(question: Question, key: str | None = None, result: CheckResult | None = None) -> str:
    """The static form: title, prompt, the choices (a-d); the answer only if one was given in code."""
    items = "".join(f"<li>({esc(c.key)}) {esc(c.text)}</li>" for c in question.choices)
    parts = [f'<div class="dockerlab-question" style="border-left:4px solid #1565c0;padding:6px 12px">',
             f"<b>Question: {esc(question.title)}</b> <code>{esc(question.id)}</code>",
             f"<p>{esc(question.prompt)}</p>", f'<ul style="list-style:none;padding-left:0">{items}</ul>']
    if key is not None and result is not None:
        parts.append(feedback_html(question, key, result))
    else:
        parts.append(f"<small>Answer in a live notebook (the Check my answer button), or in code: "
                     f"<code>{esc(keep_line(question, 'a'))}</code> with your letter.</small>")
    parts.append("</div>")
    return "".join(parts)


def question_text(question: Question, key: str | None = None, result: CheckResult | None = None) -> str:
    lines = [f"Question {question.id}: {question.title}", question.prompt]
    lines += [f"  ({c.key}) {c.text}" for c in question.choices]
    if key is not None and result is not None:
        lines.append(("✓ " if result.passed else "✗ ") + feedback_text(question, key, result))
    else:
        lines.append(f"Answer with the Check my answer button, or in code: {keep_line(question, 'a')} (your letter).")
    return "\n".join(lines)


class QuestionView(View):
    """The live question: radio buttons, a "Check my answer" button and the explanation.

    Args:
        question: What is asked.
        judge: ``judge(key) -> CheckResult``: judges and records the answer (the lesson's path).
        key, result: An answer already given in code, shown as chosen and explained.
    """

    def __init__(self, question: Question, judge: Callable[[str], CheckResult], key: str | None = None,
                 result: CheckResult | None = None):
        self.question = question
        self.judge = judge
        self.key, self.result = key, result
        labels = [(f"({c.key}) {c.text}", c.key) for c in question.choices]
        chosen = question.choice(key) if key is not None else None
        self._head = widgets.HTML(f"<b>Question: {esc(question.title)}</b> <code>{esc(question.id)}</code>"
                                  f"<p>{esc(question.prompt)}</p>")
        self._radio = widgets.RadioButtons(options=labels, value=chosen.key if chosen else None,
                                           layout=widgets.Layout(width="max-content"))
        self._button = widgets.Button(description="Check my answer", icon="check", layout=widgets.Layout(width="max-content"))
        self._button.on_click(self.check)
        self._answer = widgets.HTML(feedback_html(question, key, result) if key is not None and result is not None else "")
        self.widget = widgets.VBox([self._head, self._radio, self._button, self._answer])

    def check(self, _button=None) -> CheckResult | None:
        """What the button does: judge the chosen answer, record it (through ``judge``), explain it."""
        key = self._radio.value
        if key is None:
            self._answer.value = "<small>Choose an answer first.</small>"
            return None
        result = self.judge(key)
        self.key, self.result = key, result
        self._answer.value = feedback_html(self.question, key, result) + keep_html(self.question, key)
        return result

    def html(self) -> str:
        return question_html(self.question, self.key, self.result)

    def text(self) -> str:
        return question_text(self.question, self.key, self.result)
