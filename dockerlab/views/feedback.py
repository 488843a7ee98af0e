"""A learner's feedback page (``feedback/<learner>.html``): one self-contained file, no script and
nothing fetched, so it reads offline and in a mail attachment. :mod:`dockerlab.classroom.feedback`
gathers what it says (a ``Page``) and writes it beside its plain-text twin.

Everything that came from a learner's run (reasons, errors, their name) is escaped: it is their
code's output, and a ``<script>`` in it must show as text.
"""

from __future__ import annotations

from html import escape

COLOUR = {"done": "#d5f5e3", "done with help": "#e8f6d5", "not yet": "#fadbd8", "could not check": "#fdebd0"}


def feedback_html(page) -> str:
    """The page for ``page`` (a :class:`dockerlab.classroom.feedback.Page`)."""
    done = sum(1 for e in page.entries if e.done)
    sections = "".join(_entry(e) for e in page.entries)
    problems = ""
    if page.errors:
        listed = "".join(f"<li><code>{escape(error)}</code></li>" for error in page.errors)
        problems = f"<h2>Errors in your notebooks</h2><p>Cells are numbered as in your notebook.</p><ul>{listed}</ul>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="dockerlab-feedback-format" content="{page.format_version}">
<title>dockerlab feedback: {escape(page.learner)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; max-width: 50em; line-height: 1.4; }}
section {{ border: 1px solid #ccc; border-radius: 4px; padding: 0.5em 1em; margin: 0.8em 0; }}
.state {{ font-weight: bold; padding: 0 0.4em; }}
code {{ white-space: pre-wrap; }}
</style></head><body>
<h1>Feedback for {escape(page.learner)}</h1>
<p>{done} of {len(page.entries)} exercises done; <b>{escape(page.earned)} of {escape(page.possible)} points</b>.</p>
{sections}
{problems}
<p><small>Graded {escape(page.when)}; dockerlab feedback format {page.format_version}.</small></p>
</body></html>
"""


def _entry(entry) -> str:
    colour = COLOUR.get(entry.word, "#f2f3f4")
    worth = f"{entry.earned or '–'} of {entry.points} point(s)"
    parts = [f'<section id="{escape(entry.id)}"><h2><code>{escape(entry.id)}</code> {escape(entry.title)}</h2>',
             f'<p><span class="state" style="background:{colour}">{escape(entry.word)}</span> {escape(worth)}</p>']
    if entry.reasons and not entry.done:
        parts.append("<p>Why:</p><ul>" + "".join(f"<li>{escape(r)}</li>" for r in entry.reasons) + "</ul>")
    if entry.hints:
        parts.append("<p>Hints:</p><ol>" + "".join(f"<li>{escape(h)}</li>" for h in entry.hints) + "</ol>")
    parts.append("</section>")
    return "".join(parts)
