"""The result of an exercise check, with a "Show a hint" button.

It has static forms (HTML and text) for saved notebooks; the HTML reads without styles, as
GitHub strips them (the verdict is a word, the marks are characters).
"""

from __future__ import annotations

import ipywidgets as widgets


class CheckView(widgets.VBox):
    """A :class:`dockerlab.checks.CheckResult` as a widget.

    The requirements and their reasons come first; the button reveals the general hints one at a
    time and disappears when none are left (or when the exercise is done).
    """

    def __init__(self, result):
        self.result = result
        self._body = widgets.HTML(result.html(hint_note=False))
        # max-content: the default 148 px cuts "Show another hint (2 left)" to "Show another …"
        self._button = widgets.Button(description="Show a hint", icon="lightbulb-o", tooltip="Reveal the next hint",
                                      layout=widgets.Layout(width="max-content"))
        self._button.on_click(self.show_hint)
        self._update_button()
        super().__init__([self._body, self._button])

    def show_hint(self, _button=None) -> str | None:
        """Reveal the next hint (what the button does); returns it, or None when none are left."""
        hint = self.result.next_hint()
        self._body.value = self.result.html(hint_note=False)
        self._update_button()
        return hint

    def _update_button(self) -> None:
        left = self.result.hints_left
        if left and not self.result.passed:
            self._button.description = "Show a hint" if left == len(self.result.hints) else f"Show another hint ({left} left)"
            self._button.layout.display = None
        else:
            self._button.layout.display = "none"

    def _repr_mimebundle_(self, **kwargs):
        bundle = dict(super()._repr_mimebundle_(**kwargs) or {})
        # A saved notebook (GitHub, nbviewer, nbval) has no widget state: the static forms remain.
        bundle["text/html"] = self.result.html()
        bundle["text/plain"] = str(self.result)
        return bundle

    def __str__(self) -> str:
        return str(self.result)

