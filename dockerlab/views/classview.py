"""The class view's page: learner x exercise, stuck learners first, refreshing itself.

:func:`page_html` is the whole page, :func:`table_html` the part that changes (the page fetches it again every
few seconds and swaps it in). Both read a :class:`dockerlab.classroom.classview.ClassView`; the server is
:mod:`dockerlab.classroom.watch`. Every state is a colour and a word, never a colour alone.

Why a fetch of an HTML fragment rather than a meta refresh or a JSON endpoint drawn by a script: a meta refresh
reloads the whole page (it blinks, a title being hovered over goes) and, once the server is stopped or
restarted, leaves the browser on its own error page for good; a fetch keeps the page, says that contact was
lost and picks up again when the server is back. The fragment is drawn here in Python, so the page has one
renderer and a dozen lines of script. Without scripts, a ``<noscript>`` meta refresh still reloads it.
"""

from __future__ import annotations

import json
import time
from html import escape

#: A state's colour (a background), always shown with the state's word (the model's ``WORDS``).
STATE_COLOUR = {"stuck": "#f5b7b1", "cannot read": "#f9e79f", "not yet": "#fdebd0", "passed": "#d5f5e3", "no checks": "#f2f3f4"}
#: An exercise cell's mark and colour.
CELL_STYLE = {"passed": ("✓", "#d5f5e3"), "not yet": ("✗", "#fadbd8"), "not checked": ("·", "#ffffff")}


def _clock(seconds: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(seconds))


def table_html(view) -> str:
    """The changing part: a summary line and the table (``view``: a ClassView)."""
    t = view.thresholds
    ago = view.ago
    counts = ", ".join(f"{view.count(state)} {view.WORDS[state].lower()}" for state in view.STATES if view.count(state))
    summary = (f'<p class="summary">As of {_clock(view.generated)}: {len(view.learners)} learner(s)'
               f'{": " + escape(counts) if counts else ""}. Stuck: latest check “not yet”, and {t.not_yet} or more '
               f'“not yet” checks in a row on that exercise or {escape(ago(t.minutes * 60))} or more since the first of them.</p>')
    if not view.learners:
        return summary + (f'<p class="empty">No progress files in {escape(view.folder)} yet '
                          "(one <code>NAME.json</code> per learner).</p>")
    head = "".join(f'<th class="ex" title="{escape(title)}"><span>{escape(ex)}</span></th>' for ex, title in view.exercises)
    rows = []
    for lr in view.learners:
        colour, word = STATE_COLOUR[lr.state], view.WORDS[lr.state]
        state = f'<td class="state" style="background:{colour}">{escape(word)}</td>'
        if lr.problem is not None:
            rows.append(f'<tr data-learner="{escape(lr.name)}" data-state="{escape(lr.state)}"><th>{escape(lr.name)}</th>{state}'
                        f'<td class="problem" colspan="{5 + len(view.exercises)}">{escape(lr.problem)}</td></tr>')
            continue
        on = (f'<td class="on" title="{escape(lr.current_title)}">{escape(lr.current)}</td>' if lr.current
              else '<td class="on">–</td>')
        last = escape(ago(lr.since_last) + " ago") if lr.since_last is not None else "–"
        in_row = str(lr.not_yet_in_row) if lr.not_yet_in_row else "–"
        on_it = escape(ago(lr.on_it_for)) if lr.on_it_for is not None else "–"
        cells = []
        for ex, _title in view.exercises:
            mark, background = CELL_STYLE[lr.cells[ex]]
            current = " current" if ex == lr.current else ""
            cells.append(f'<td class="cell{current}" data-exercise="{escape(ex)}" style="background:{background}" '
                         f'title="{escape(ex)}: {escape(lr.cells[ex])}">{mark}</td>')
        rows.append(f'<tr data-learner="{escape(lr.name)}" data-state="{escape(lr.state)}"><th>{escape(lr.name)}</th>{state}'
                    f'<td class="done">{lr.done}/{len(view.exercises)}</td>{on}<td class="last">{last}</td>'
                    f'<td class="in-row">{in_row}</td><td class="on-it">{on_it}</td>{"".join(cells)}</tr>')
    return (summary + '<table class="dockerlab-classview"><thead><tr><th>learner</th><th>state</th><th>done</th><th>on</th>'
            f'<th>last check</th><th>not yet in a row</th><th>on it for</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def page_html(view, refresh: float) -> str:
    """The whole page; it fetches ``table`` (relative to itself) every ``refresh`` seconds."""
    legend = " ".join(f'<span class="key" style="background:{colour}">{escape(view.WORDS[state])}</span> {escape(view.MEANING[state])};'
                      for state, colour in STATE_COLOUR.items())
    marks = " ".join(f'<span class="key" style="background:{bg}">{mark}</span> {escape(name)}' for name, (mark, bg) in CELL_STYLE.items())
    seconds = f"{refresh:g}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>dockerlab class view</title>
<noscript><meta http-equiv="refresh" content="{seconds}"></noscript>
<style>
body {{ font-family: sans-serif; margin: 1em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; text-align: center; }}
tbody th {{ text-align: left; }}
th.ex {{ vertical-align: bottom; font-weight: normal; font-size: 80%; }}
th.ex span {{ writing-mode: vertical-rl; transform: rotate(180deg); }}
td.state {{ font-weight: bold; white-space: nowrap; }}
td.problem {{ text-align: left; }}
td.current {{ outline: 2px solid #1565c0; outline-offset: -2px; }}
.key {{ border: 1px solid #ccc; padding: 0 4px; }}
#contact.lost {{ background: #c62828; color: white; padding: 2px 6px; }}
</style></head><body>
<h1>dockerlab class view</h1>
<p class="legend">{legend}<br>Exercises: {marks}; the one each learner is on (their latest check) is outlined.</p>
<p id="contact" role="status">Refreshes every {seconds} s.</p>
<div id="classview">{table_html(view)}</div>
<script>
const every = {json.dumps(refresh * 1000)}, contact = document.getElementById("contact");
async function refresh() {{
  try {{
    const response = await fetch("table", {{cache: "no-store"}});
    if (!response.ok) throw new Error("HTTP " + response.status);
    document.getElementById("classview").innerHTML = await response.text();
    contact.textContent = "Refreshes every {seconds} s.";
    contact.className = "";
  }} catch (error) {{
    contact.textContent = "Lost contact with the class view's server at " + new Date().toLocaleTimeString() +
      " (" + error.message + "); trying again every {seconds} s. Is `dockerlab class watch` still running?";
    contact.className = "lost";
  }}
  setTimeout(refresh, every);
}}
setTimeout(refresh, every);
</script>
</body></html>
"""
