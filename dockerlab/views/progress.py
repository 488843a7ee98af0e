"""The learner's progress, per lesson: exercises done of the lesson's total (notebook 00)."""

from __future__ import annotations

from dockerlab.record.progress import Summary
from dockerlab.views.common import esc


def summary_html(summary: Summary) -> str:
    if not summary.lessons:
        return "<p>No exercises yet.</p>"
    rows = "".join(
        f"<tr><td>{esc(row.label)}</td><td>{row.done} / {row.total}</td>"
        f"<td style='color:#1e8449;font-family:monospace'>{'█' * round(20 * row.done / row.total) if row.total else ''}</td></tr>"
        for row in summary.lessons
    )
    return (
        "<table class='dockerlab-progress'><thead><tr><th style='text-align:left'>Lesson</th>"
        f"<th style='text-align:left'>Exercises done</th><th></th></tr></thead><tbody>{rows}"
        f"<tr><td><b>all</b></td><td><b>{summary.done} / {summary.total}</b></td><td></td></tr></tbody></table>"
    )
