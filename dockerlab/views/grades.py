"""The grading report's page (``grades.html``): learner x exercise, the reasons on hover and listed
under it. :mod:`dockerlab.classroom.report` writes it beside the CSV files."""

from __future__ import annotations

import time
from html import escape

MARK = {"passed": "✓", "solved with help": "✓ (help)", "not yet": "✗", "not attempted": "–", "could not check": "?"}
COLOUR = {"passed": "#d5f5e3", "solved with help": "#e8f8f5", "not yet": "#fadbd8", "not attempted": "#f2f3f4",
          "could not check": "#fdebd0"}
TOTALS = ["passed", "solved with help", "not yet", "not attempted"]


def grades_html(grades) -> str:
    """The whole report page (``grades`` as :class:`dockerlab.classroom.grade.Grades` makes it)."""
    ids = [ex for ex, _title in grades.exercises]
    head = "".join(f'<th title="{escape(title)}">{escape(ex)}</th>' for ex, title in grades.exercises)
    rows = []
    for learner in grades.learners:
        cells = []
        for ex in ids:
            cell = learner.cells[ex]
            label = MARK[cell.state] + (f" {cell.met}/{cell.total}" if cell.state == "not yet" and cell.total else "")
            hover = cell.state + (": " + "\n".join(cell.reasons) if cell.reasons else "")
            cells.append(f'<td class="{cell.state.replace(" ", "-")}" style="background:{COLOUR[cell.state]}" '
                         f'title="{escape(hover)}">{escape(label)}</td>')
        totals = "".join(f"<td>{learner.count(state)}</td>" for state in TOTALS)
        problems = "<br>".join(escape(e) for e in learner.errors)
        rows.append(f"<tr><th>{escape(learner.name)}</th>{''.join(cells)}{totals}<td>{len(ids)}</td>"
                    f'<td class="errors">{problems}</td></tr>')
    details = "".join(_learner_details(learner, dict(grades.exercises)) for learner in grades.learners)
    notes = "".join(f"<li>{escape(note)}</li>" for note in grades.notes)
    when = time.strftime("%Y-%m-%d %H:%M")
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>dockerlab grades</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 4px 8px; text-align: center; vertical-align: top; }}
thead th {{ white-space: nowrap; }}
td.errors {{ text-align: left; font-size: 85%; color: #922b21; max-width: 30em; }}
td[title] {{ cursor: help; }}
li {{ margin: 2px 0; }}
</style></head><body>
<h1>dockerlab grades</h1>
<p>{len(grades.learners)} learner(s), {len(ids)} exercise(s); graded {when} in {grades.seconds:.0f} s.
✓ passed, ✓ (help) passed after the notebook ran the worked solution (lesson.solve), ✗ not yet (requirements met /
checked), – not attempted, ? could not check.
Hover over a cell for the reason; every reason is also listed below.</p>
<table class="dockerlab-grades"><thead><tr><th>learner</th>{head}{''.join(f"<th>{escape(state)}</th>" for state in TOTALS)}<th>total</th><th>errors</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
<h2>Details</h2>{details}
{f'<h2>Notes</h2><ul>{notes}</ul>' if notes else ''}
</body></html>
"""


def _learner_details(learner, titles: dict[str, str]) -> str:
    items = []
    for ex, cell in learner.cells.items():
        if cell.state == "passed":
            continue  # (solved with help is listed: the instructor may want to know)
        reasons = "".join(f"<li>{escape(r)}</li>" for r in cell.reasons)
        items.append(f"<li><b>{escape(ex)}</b> {escape(titles.get(ex, ''))}: {escape(cell.state)}<ul>{reasons}</ul></li>")
    for run in learner.runs:
        line = f"notebook {run.notebook} ran in {run.seconds:.0f} s"
        line += "; " + "; ".join(run.errors) if run.errors else ""
        line += "; removed what its dead kernel left: " + ", ".join(run.swept) if run.swept else ""
        line += "; still on the engine: " + ", ".join(run.left) if run.left else ""
        items.append(f"<li>{escape(line)}</li>")
    if learner.built:
        items.append(f"<li>new images during this run: {escape(' '.join(learner.built))}</li>")
    summary = f"{learner.name}: {learner.count('passed')} of {len(learner.cells)} passed"
    return f"<details><summary>{escape(summary)}</summary><ul>{''.join(items)}</ul></details>"
