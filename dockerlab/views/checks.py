"""A check's result: its HTML and text forms, and the live view with a "Show a hint" button.

The HTML reads without styles, as GitHub strips them (the verdict is a word, the marks are
characters).
"""

from __future__ import annotations

import ipywidgets as widgets

from dockerlab.checks.result import CheckResult
from dockerlab.views.common import View, esc

DONE, NOT_YET, UNCHECKED = "#1e8449", "#c0392b", "#b9770e"


def result_html(result: CheckResult, hint_note: bool = True) -> str:
    """The static HTML form of a result (what a saved notebook shows on GitHub)."""
    if result.engine_error is not None:
        colour, badge = UNCHECKED, "Could not check"
    elif result.passed:
        colour, badge = DONE, "Done with the worked solution" if result.helped else "Done"
    else:
        colour, badge = NOT_YET, f"Not yet: {result.met_count} of {len(result.requirements)} met"
    parts = [
        f'<div class="dockerlab-check" style="border-left:4px solid {colour};padding:6px 12px">',
        f'<b>{esc(result.title)}</b> <code>{esc(result.exercise)}</code> '
        f'<span style="color:{colour};font-weight:bold">{esc(badge)}</span>',
    ]
    if result.engine_error is not None:
        parts.append(f"<p>{esc(result.engine_error.message)}</p>")
        if result.engine_error.fix:
            parts.append(f"<p><b>What to do:</b> {esc(result.engine_error.fix)}</p>")
    if result.requirements:
        parts.append('<ul style="list-style:none;padding-left:0;margin:4px 0">')
        for req in result.requirements:
            mark = f'<span style="color:{DONE}">&#10003;</span>' if req.met else f'<span style="color:{NOT_YET}">&#10007;</span>'
            item = f"<li>{mark} {esc(req.description)}"
            if not req.met and req.reason:
                item += f'<div style="margin-left:1.4em;color:#555">{esc(req.reason)}</div>'
            parts.append(item + "</li>")
        parts.append("</ul>")
    for number, hint in enumerate(result.revealed_hints, 1):
        parts.append(f'<div class="dockerlab-hint"><b>Hint {number}:</b> {esc(hint)}</div>')
    if result.still_stuck:
        parts.append(f'<div class="dockerlab-stuck" style="margin-top:4px">{esc(result.still_stuck)}</div>')
    if hint_note and result.hints_left and not result.passed:
        parts.append(
            f'<div style="color:#777"><small>{result.hints_left} hint{"s" if result.hints_left != 1 else ""} '
            "available (the Show a hint button in a live notebook)</small></div>"
        )
    parts.append("</div>")
    return "".join(parts)


class CheckView(View):
    """A result as a widget: the requirements and their reasons first; the button reveals the
    general hints one at a time and disappears when none are left (or when the exercise is done)."""

    def __init__(self, result: CheckResult):
        self.result = result
        self._body = widgets.HTML(result_html(result, hint_note=False))
        # max-content: the default 148 px cuts "Show another hint (2 left)" to "Show another …"
        self._button = widgets.Button(description="Show a hint", icon="lightbulb-o", tooltip="Reveal the next hint",
                                      layout=widgets.Layout(width="max-content"))
        self._button.on_click(self.show_hint)
        self._update_button()
        self.widget = widgets.VBox([self._body, self._button])

    def show_hint(self, _button=None) -> str | None:
        """Reveal the next hint (what the button does); returns it, or None when none are left."""
        hint = self.result.next_hint()
        self._body.value = result_html(self.result, hint_note=False)
        self._update_button()
        return hint

    def _update_button(self) -> None:
        left = self.result.hints_left
        if left and not self.result.passed:
            self._button.description = "Show a hint" if left == len(self.result.hints) else f"Show another hint ({left} left)"
            self._button.layout.display = None
        else:
            self._button.layout.display = "none"

    def html(self) -> str:
        return result_html(self.result)

    def text(self) -> str:
        return str(self.result)
