"""``dockerlab release OUT``: the learner edition of the course, every notebook without its worked solutions.

The course is one edition, the instructor's: each exercise's worked solution is a ``%%solution`` cell,
collapsed, that runs only in solution mode (the tests, ``dockerlab prepare``). A learner who opens the
notebook elsewhere (VS Code, GitHub) sees it in full. The learner edition replaces each such cell, and its
stored output, with a short note in its place, so the exercise keeps its position and every other cell
stays byte for byte as it is; ``figures/`` is copied beside. ``RELEASE.md`` in OUT lists what was removed,
notebook by notebook. Grading needs no solution: ``dockerlab grade`` runs a learner's notebook against the
checks in the package (the instructor's side), the same for either edition.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dockerlab import errors
from dockerlab.exercises.course import course_dir, exercise_after, is_solution

#: What stands where a solution was; a Markdown cell, so it runs in no mode and nbval compares nothing.
NOTE = ("*The worked solution of this exercise is not in this edition of the notebook. Work it out with the check's "
        "reasons and hints below; your instructor has the solutions.*")


@dataclass
class Removed:
    """One solution cell taken out: where it was, the exercise it solves, its first line of code."""

    cell: int
    exercise: str
    first_line: str


@dataclass
class Edition:
    folder: Path
    removed: dict[str, list[Removed]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(cells) for cells in self.removed.values())


def _first_line(source: str) -> str:
    # after the %%solution line, and after a %%needs line (which engine can run it says nothing of the answer)
    lines = [line for line in source.splitlines()[1:] if line.strip() and not line.startswith("%%needs")]
    return lines[0].strip()[:100].replace("`", "'") if lines else ""


def learner_copy(source: Path, destination: Path) -> list[Removed]:
    """Write ``source`` without its solution cells (a note in each one's place); return what was removed."""
    nb = nbformat.read(source, as_version=4)
    removed = []
    for index, cell in enumerate(nb.cells):
        if is_solution(cell):
            removed.append(Removed(index + 1, exercise_after(nb.cells, index), _first_line(cell.source)))
            note = nbformat.v4.new_markdown_cell(NOTE)
            if "id" in cell:
                note["id"] = cell["id"]  # the same cell ids as the instructor's edition
            nb.cells[index] = note
    nbformat.write(nb, destination)
    return removed


def release(out: Path, notebooks: list[Path] | None = None) -> Edition:
    """Write the learner edition of ``notebooks`` (default: the whole course) into the new or empty folder ``out``."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise errors.DockerlabError(
            f"{out} is not empty, and dockerlab release writes a whole edition: it overwrites nothing.",
            "Give a new folder (dockerlab release learner-edition), or empty this one yourself.")
    course = course_dir()
    if out.resolve() == course.resolve():
        raise errors.DockerlabError("That is the course's own folder (the instructor's edition).", "Give another folder.")
    chosen = notebooks or sorted(course.glob("[0-9][0-9]-*.ipynb"))
    out.mkdir(parents=True, exist_ok=True)
    edition = Edition(out)
    for notebook in chosen:
        edition.removed[notebook.name] = learner_copy(notebook, out / notebook.name)
    if (course / "figures").is_dir():
        shutil.copytree(course / "figures", out / "figures")
    (out / "RELEASE.md").write_text(summary(edition), encoding="utf-8")
    return edition


def summary(edition: Edition) -> str:
    """RELEASE.md: what this edition is, and every solution cell it leaves out."""
    lines = ["# The learner edition", "",
             f"Made by `dockerlab release`: {len(edition.removed)} notebooks, {edition.count} worked solutions taken out, "
             "each replaced by a note in its place; every other cell is as in the course. Grade with "
             "`dockerlab grade`: the checks are in the dockerlab package, not in the notebooks.", ""]
    for name, cells in edition.removed.items():
        lines.append(f"- {name}: " + ("; ".join(f"cell {r.cell} ({r.exercise}): `{r.first_line}`" for r in cells)
                                      if cells else "no worked solution"))
    return "\n".join(lines) + "\n"
