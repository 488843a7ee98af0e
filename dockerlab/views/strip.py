"""The progress strip at the top of a notebook: a badge per exercise, done or not, without running its check cell.

The badges are kept current by quiet checks after each cell (:mod:`dockerlab.jupyter.strip`); this module only
draws them, as a live widget and as the HTML and text a saved notebook keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets

from dockerlab.views.common import View, esc

#: state -> (mark, background, what it means)
LOOK = {
    "done": ("✓", "#d5f5e3", "done"),
    "check it": ("◔", "#fdebd0", "looks done: its check cell checks the rest"),
    "not yet": ("✗", "#fadbd8", "not yet"),
    "not checked": ("·", "#f2f3f4", "not checked yet"),
}


@dataclass
class Badge:
    """One exercise on the strip: its id, title, state (a key of :data:`LOOK`) and, when not done, why."""

    exercise: str
    title: str
    state: str = "not checked"
    why: str = ""


def strip_html(badges: list[Badge]) -> str:
    cells = []
    for badge in badges:
        mark, colour, meaning = LOOK[badge.state]
        hover = f"{badge.title}: {meaning}" + (f" ({badge.why})" if badge.why else "")
        cells.append(f'<span class="dockerlab-badge" title="{esc(hover)}" style="background:{colour};border-radius:8px;'
                     f'padding:1px 8px;margin-right:4px;white-space:nowrap">{mark} {esc(badge.exercise)}</span>')
    return ('<div class="dockerlab-strip"><small>Exercises of this notebook (checked quietly after each cell; '
            f'the check cells give the reasons):</small> {"".join(cells)}</div>')


def strip_text(badges: list[Badge]) -> str:
    return "Exercises: " + "  ".join(f"{LOOK[b.state][0]} {b.exercise}" for b in badges)


class StripView(View):
    def __init__(self, badges: list[Badge]):
        self.badges = badges
        self.widget = widgets.HTML(strip_html(badges))

    def update(self, badge: Badge) -> None:
        """Replace the badge of ``badge.exercise`` (the widget changes at once)."""
        self.badges = [badge if b.exercise == badge.exercise else b for b in self.badges]
        self.widget.value = strip_html(self.badges)

    def html(self) -> str:
        return strip_html(self.badges)

    def text(self) -> str:
        return strip_text(self.badges)
