"""The grading report: ``grades.csv`` (learner x exercise, totals, details), ``grades-details.csv``
(one row per learner and exercise, with the reasons) and ``grades.html`` (the same table; the
reasons show on hover and in a details list under it)."""

from __future__ import annotations

import csv
from pathlib import Path

from dockerlab.classroom.grade import Grades, Learner
from dockerlab.views.grades import MARK, TOTALS, grades_html


def _details(learner: Learner) -> str:
    parts = [f"{ex}: {'; '.join(cell.reasons)}" for ex, cell in learner.cells.items() if cell.state != "passed" and cell.reasons]
    return " | ".join(parts)


def write(grades: Grades, out: str | Path) -> dict[str, Path]:
    """Write the three files into ``out``; return them by kind."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"csv": out / "grades.csv", "details": out / "grades-details.csv", "html": out / "grades.html"}
    ids = [ex for ex, _title in grades.exercises]
    with open(files["csv"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", *ids, *TOTALS, "total", "errors", "new images", "details"])
        for learner in grades.learners:
            writer.writerow([
                learner.name,
                *(learner.cells[ex].state for ex in ids),
                *(learner.count(state) for state in TOTALS),
                len(ids),
                " | ".join(learner.errors),
                " ".join(learner.built),
                _details(learner),
            ])
    with open(files["details"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", "exercise", "title", "state", "met", "requirements", "reasons"])
        titles = dict(grades.exercises)
        for learner in grades.learners:
            for ex in ids:
                cell = learner.cells[ex]
                writer.writerow([learner.name, ex, titles[ex], cell.state, cell.met, cell.total, " | ".join(cell.reasons)])
    files["html"].write_text(grades_html(grades), encoding="utf-8")
    return files


def text(grades: Grades) -> str:
    """A plain table for the terminal."""
    ids = [ex for ex, _title in grades.exercises]
    width = max([len("learner"), *(len(lr.name) for lr in grades.learners)])
    lines = [f"{'learner':<{width}}  " + "  ".join(ids) + "  passed/total"]
    for learner in grades.learners:
        marks = "  ".join(f"{MARK[learner.cells[ex].state]:^{len(ex)}}" for ex in ids)
        flag = "  (errors)" if learner.errors else ""
        lines.append(f"{learner.name:<{width}}  {marks}  {learner.count('passed')}/{len(ids)}{flag}")
    return "\n".join(lines)
