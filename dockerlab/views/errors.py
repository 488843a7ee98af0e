"""A dockerlab error as a learner reads it: the title, what went wrong, what to do."""

from __future__ import annotations

from dockerlab.errors import DockerlabError
from html import escape as esc


def error_html(error: DockerlabError) -> str:
    fix = f"<p><b>What to do:</b> <code>{esc(error.fix)}</code></p>" if error.fix else ""
    return (
        '<div class="dockerlab-error" style="border-left:4px solid #c0392b;padding:6px 12px;'
        'background:#fdf0ee">'
        f"<b>{esc(error.title)}</b><p>{esc(error.message)}</p>{fix}</div>"
    )


def error_text(error: DockerlabError) -> str:
    """The text form Jupyter saves beside the HTML."""
    return f"{error.title}\n{error.message}" + (f"\nWhat to do: {error.fix}" if error.fix else "")
