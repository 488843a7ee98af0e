"""The gradebook an LMS imports: ``gradebook.csv``, and ``gradebook.json`` beside it that describes it.

``gradebook.csv`` is what Moodle's and Canvas' CSV grade imports read: UTF-8 without a byte order
mark, a plain header row, then one row per learner and nothing else (no comment lines, no "points
possible" row: an importer would take either for a learner). Columns: the learner (the name of
their folder or notebook in the hand-in folder), one per item (points earned; empty when nothing
could be judged), ``total`` and ``possible``. Numbers use a dot and no thousands separator.

Everything an LMS would choke on goes in ``gradebook.json``: its ``format_version``, each item's
title, kind, points and where they came from, and what each state earns. docs/classroom.md has
the schema.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from dockerlab import errors
from dockerlab.classroom.grade import Grades, Learner
from dockerlab.classroom.points import CREDIT, Item

#: Version of gradebook.csv's columns and gradebook.json's keys; a change that could break an import raises it.
FORMAT_VERSION = 1
CSV_NAME = "gradebook.csv"
SIDECAR_NAME = "gradebook.json"
TOTAL = "total"
POSSIBLE = "possible"


def number(value: float | None) -> str:
    """``2``, ``0.5``, ``1.25``; ``""`` for None. At most four decimals: sums of halves stay exact."""
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".") or "0"


def earned(learner: Learner, item: Item) -> float | None:
    cell = learner.cells.get(item.id)
    return item.earned(cell.state if cell is not None else "not attempted")


def total(learner: Learner, items: Sequence[Item]) -> float:
    """Points earned over every item (cells that could not be judged count 0 here, and are empty in the CSV)."""
    return sum(earned(learner, item) or 0.0 for item in items)


def possible(items: Sequence[Item]) -> float:
    return sum(item.points for item in items)


def header(items: Sequence[Item], learner_column: str) -> list[str]:
    taken = {item.id for item in items} | {TOTAL, POSSIBLE}
    if not learner_column.strip() or learner_column in taken:
        raise errors.DockerlabError(
            f"The gradebook's learner column cannot be called {learner_column!r}: that name is empty or another column's.",
            "Name it after the user field your LMS matches learners on, e.g. --learner-column username.",
        )
    return [learner_column, *(item.id for item in items), TOTAL, POSSIBLE]


def write(grades: Grades, items: Sequence[Item], out: str | Path, *, learner_column: str = "learner",
          points_file: str | Path | None = None) -> dict[str, Path]:
    """Write gradebook.csv and gradebook.json into ``out``; return them as ``{"gradebook": ..., "sidecar": ...}``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {"gradebook": out / CSV_NAME, "sidecar": out / SIDECAR_NAME}
    columns = header(items, learner_column)
    with open(files["gradebook"], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for learner in grades.learners:
            writer.writerow([learner.name, *(number(earned(learner, item)) for item in items),
                             number(total(learner, items)), number(possible(items))])
    sidecar = {
        "format_version": FORMAT_VERSION,
        "csv": CSV_NAME,
        "written": datetime.now().astimezone().isoformat(timespec="seconds"),
        "learner_column": learner_column,
        "columns": columns,
        "items": [{"id": i.id, "kind": i.kind, "title": i.title, "points": i.points, "points_from": i.source} for i in items],
        "possible": possible(items),
        "credit": CREDIT,
        "points_file": str(points_file) if points_file else None,
        "learners": len(grades.learners),
    }
    files["sidecar"].write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return files
