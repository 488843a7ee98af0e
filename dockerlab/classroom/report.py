"""The grading report: ``grades.csv`` (learner x exercise, totals, details), ``grades-details.csv``
(one row per learner and exercise, with the reasons) and ``grades.html`` (the same table; the
reasons show on hover and in a details list under it); then the gradebook an LMS imports
(:mod:`gradebook`) and a feedback page per learner (:mod:`feedback`)."""

from __future__ import annotations

import csv
from pathlib import Path

from collections.abc import Mapping

from dockerlab.classroom import feedback, gradebook, points
from dockerlab.classroom.grade import Grades, Learner
from dockerlab.views.grades import MARK, TOTALS, grades_html


def _details(learner: Learner) -> str:
    parts = [f"{ex}: {'; '.join(cell.reasons)}" for ex, cell in learner.cells.items() if cell.state != "passed" and cell.reasons]
    return " | ".join(parts)


def write(grades: Grades, out: str | Path, *, overrides: Mapping[str, float] | None = None,
          points_file: str | Path | None = None, learner_column: str = "learner") -> dict[str, Path]:
    """Write the report, the gradebook and the feedback pages into ``out``; return the files by kind.

    Args:
        overrides: Exercise id -> points, from the instructor's points file (:func:`points.load`).
        points_file: That file, named in gradebook.json.
        learner_column: The gradebook's header for the learner's name (the LMS's user field).
    """
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
    items = points.items(grades.exercises, overrides)
    files.update(gradebook.write(grades, items, out, learner_column=learner_column, points_file=points_file))
    feedback.write(grades, items, out)
    files["feedback"] = out / feedback.FOLDER
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
