"""What every view shares: the widget + static-form protocol and small HTML helpers.

A view holds an ipywidgets widget for the live notebook and can describe itself as HTML and
plain text. Jupyter stores all three forms with the output, so a saved notebook shows the HTML
on GitHub (which drops widgets, scripts and ``style`` attributes: the HTML must read without
them) and the text where nothing else renders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from html import escape

import ipywidgets as widgets

from dockerlab.errors import DockerlabError
from dockerlab.views.errors import error_html

__all__ = ["View", "badge", "bar", "card", "esc", "link", "run_guarded", "state_color", "table", "text_bar"]

GREEN, RED, AMBER, GREY, BLUE = "#2e7d32", "#c62828", "#ef6c00", "#757575", "#1565c0"


class View:
    """Base class: ``widget`` for Jupyter, :meth:`html` and :meth:`text` for saved notebooks.

    Subclasses set ``self.widget`` and implement :meth:`html` and :meth:`text`.
    """

    widget: widgets.Widget
    _handle = None

    def html(self) -> str:
        raise NotImplementedError

    def text(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        bundle = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = self.text()
        bundle["text/html"] = self.html()
        return bundle

    def show(self) -> View:
        """Display the view with a display id, so :meth:`update_display` can refresh its saved forms."""
        from IPython.display import display

        self._handle = display(self, display_id=True)
        return self

    def update_display(self) -> None:
        """Re-send the displayed output, so the notebook stores the current HTML and text forms.

        The widget itself updates live without this; nbval only sees the first form.
        """
        if self._handle is not None:
            self._handle.update(self)


def run_guarded(buttons: Iterable[widgets.Button], message: widgets.HTML, action: Callable[[], str | None]) -> bool:
    """Run a button's action with the buttons disabled, showing its result or error in ``message``.

    Returns:
        True if the action succeeded.
    """
    buttons = list(buttons)
    for button in buttons:
        button.disabled = True
    try:
        done = action()
        message.value = esc(done) if done else ""
        return True
    except DockerlabError as exc:
        message.value = error_html(exc)
        return False
    finally:
        for button in buttons:
            button.disabled = False


def esc(value) -> str:
    return escape("" if value is None else str(value))


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], cls: str = "dockerlab-table") -> str:
    """An HTML table; cells are already HTML (escape text with :func:`esc`)."""
    head = "".join(f"<th style='text-align:left;padding:2px 8px'>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td style='padding:2px 8px'>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table class='{cls}'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def badge(text: str, color: str = GREY) -> str:
    """A coloured label whose text still reads when styles are stripped."""
    return f"<b style='color:{color}'>{esc(text)}</b>"


def bar(fraction: float, width: int = 30, color: str = BLUE) -> str:
    """A horizontal bar of block characters: proportional even where CSS is stripped."""
    fraction = min(max(fraction, 0.0), 1.0)
    cells = round(fraction * width)
    filled = "█" * cells if cells else ("▏" if fraction > 0 else "")
    return f"<span style='color:{color};font-family:monospace'>{filled}</span>"


def text_bar(fraction: float, width: int = 30) -> str:
    fraction = min(max(fraction, 0.0), 1.0)
    return "#" * round(fraction * width) or ("|" if fraction > 0 else "")


def card(title: str, body: str, color: str = BLUE) -> str:
    return (
        f"<div class='dockerlab-card' style='border-left:4px solid {color};padding:4px 10px;margin:4px 0'>"
        f"<b>{esc(title)}</b><div>{body}</div></div>"
    )


def link(url: str, text: str | None = None) -> str:
    """A link that looks like one inside widgets too (JupyterLab's widget CSS drops the usual styling)."""
    return f"<a href='{esc(url)}' target='_blank' style='color:#1a5fb4;text-decoration:underline'>{esc(text or url)}</a>"


def state_color(state: str, exit_code: int | None = None) -> str:
    """The colour of a container state; an exit with an error code is red, a clean exit grey."""
    if state == "exited" and exit_code not in (None, 0):
        return RED
    return {"running": GREEN, "healthy": GREEN, "exited": GREY, "created": GREY, "dead": RED, "unhealthy": RED}.get(
        state, AMBER
    )
