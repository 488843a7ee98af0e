"""Where the course's notebooks are, and each exercise's worked solution in them.

An exercise's worked solution is the ``%%solution`` cell (or cells) between the check cell before it and
its own check cell, ``lesson.check("NN.name")``, in the instructor's edition of the notebook: the course
as it ships. ``dockerlab release`` takes those cells out of the learner edition; ``lesson.solve`` runs them
for a learner who is stuck (:mod:`dockerlab.jupyter.lesson`).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from dockerlab import errors

#: The package's folder.
PACKAGE = Path(__file__).resolve().parents[1]
SOLUTION = "%%solution"
CHECK = re.compile(r"""lesson\.check\(\s*["']([^"']+)["']""")


def course_dir() -> Path:
    """The course's notebooks (``NN-topic.ipynb`` and ``figures/``).

    In a clone (the package next to pyproject.toml), the repository's own ``notebooks/``, where
    JupyterLab and Binder open them; installed from a wheel, the copy the wheel carries in the
    package (``dockerlab/course``: pyproject.toml maps the package ``dockerlab.course`` to ``notebooks/``).
    """
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "notebooks").is_dir():
        return checkout / "notebooks"
    shipped = PACKAGE / "course"
    if shipped.is_dir():
        return shipped
    raise errors.DockerlabError(
        f"The course's notebooks are not installed with dockerlab ({shipped} is missing).",
        "Install dockerlab from its wheel or a clone of the repository (pip install dockerlab, or pip install -e . in the clone).",
    )


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and cell.source.lstrip().startswith(SOLUTION)


def checked_in(cell) -> str | None:
    """The exercise a check cell checks, or None for any other cell."""
    found = CHECK.search(cell.source) if cell.cell_type == "code" else None
    return found.group(1) if found else None


def exercise_after(cells, index: int) -> str:
    """The exercise the solution cell at ``index`` belongs to: the next check cell's id ("?" if none)."""
    return next((found for cell in cells[index + 1:] if (found := checked_in(cell))), "?")


def worked_solution(lesson: str, exercise: str, course: Path | None = None) -> list[str]:
    """The code of ``exercise``'s solution cells in the course's notebook ``lesson``, in order, each without
    its ``%%solution`` line (a ``%%needs`` line stays: it still says which engines can run it).

    Raises:
        DockerlabError: The notebook is not in the course, or has no solution cell for ``exercise``.
    """
    path = (course or course_dir()) / f"{lesson}.ipynb"
    if not path.is_file():
        raise errors.DockerlabError(f"The course has no notebook {path.name}, so no worked solution for {exercise}.",
                                    "Check the lesson's name in dockerlab.start(...).")
    cells = nbformat.read(path, as_version=4).cells
    found = [cell.source.lstrip().split("\n", 1)[1] if "\n" in cell.source.lstrip() else ""
             for index, cell in enumerate(cells) if is_solution(cell) and exercise_after(cells, index) == exercise]
    if not found:
        raise errors.DockerlabError(f"{path.name} has no worked solution for {exercise}.",
                                    "Check the exercise's id: it is the one in the notebook's check cell, lesson.check(\"...\").")
    return found


def in_notebook_order(lesson: str, exercise_ids: list[str], course: Path | None = None) -> list[str]:
    """``exercise_ids`` in the order their check cells stand in the course's notebook ``lesson`` (the others last,
    in id order); in id order where the notebook cannot be read."""
    try:
        cells = nbformat.read((course or course_dir()) / f"{lesson}.ipynb", as_version=4).cells
    except (OSError, ValueError, errors.DockerlabError):
        return sorted(exercise_ids)
    seen = [checked_in(cell) for cell in cells if checked_in(cell)]
    place = {exercise: seen.index(exercise) for exercise in exercise_ids if exercise in seen}
    return sorted(exercise_ids, key=lambda exercise: (place.get(exercise, len(seen)), exercise))
