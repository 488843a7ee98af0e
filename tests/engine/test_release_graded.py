"""The learner edition (dockerlab release) runs as the course does and is graded against the package's checks."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from dockerlab.classroom import grade, release, report
from dockerlab.classroom.points import SOLVED_WITH_HELP
from dockerlab.classroom.runner import course_dir
from dockerlab.exercises import course

pytestmark = pytest.mark.engine

NOTEBOOK = "03-first-image.ipynb"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    return release.release(tmp_path_factory.mktemp("release") / "learners", [course_dir() / NOTEBOOK])


def test_a_released_notebook_still_matches_its_stored_outputs(edition, docker_client):
    """nbval on the learner edition: every code cell left gives the output the course stores."""
    done = subprocess.run([sys.executable, "-m", "pytest", str(edition.folder / NOTEBOOK), "--nbval", "--nbval-current-env",
                           "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-p", "no:cacheprovider", "-q",
                           "-p", "no:plugin_engine_safety"],  # this run already holds the engine (the suite lock)
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:]
    assert " passed" in done.stdout


def test_grading_the_released_notebook_finds_no_error_and_nothing_done(edition, tmp_path, docker_client):
    learner = tmp_path / "handins" / "lin"
    learner.mkdir(parents=True)
    (learner / NOTEBOOK).write_bytes((edition.folder / NOTEBOOK).read_bytes())
    grades = grade.grade(tmp_path / "handins", tmp_path / "grades", timeout=300)
    report.write(grades, tmp_path / "grades")
    with open(tmp_path / "grades" / "grades.csv", newline="", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["learner"] == "lin")
    assert row["errors"] == "" and row["passed"] == "0", row
    removed = {r.exercise for r in edition.removed[NOTEBOOK]}
    assert removed and all(row[exercise] != "passed" for exercise in removed), row


def test_a_stuck_learner_solves_with_the_course_solution_and_is_graded_solved_with_help(edition, tmp_path, docker_client):
    """The released notebook has no solution cells; lesson.solve takes the course's, runs them in the learner's
    kernel, checks, and grading records every exercise as solved with help (full points, said in the feedback)."""
    learner = tmp_path / "handins" / "sam"
    learner.mkdir(parents=True)
    nb = nbformat.read(edition.folder / NOTEBOOK, as_version=4)
    stuck = [course.checked_in(cell) for cell in nb.cells if course.checked_in(cell)]
    for cell in nb.cells:
        if course.checked_in(cell):
            cell.source = f'lesson.solve("{course.checked_in(cell)}")'
    nbformat.write(nb, learner / NOTEBOOK)
    grades = grade.grade(tmp_path / "handins", tmp_path / "grades", timeout=300)
    files = report.write(grades, tmp_path / "grades")
    sam = grades.learners[0]
    assert stuck and {ex: sam.cells[ex].state for ex in stuck} == dict.fromkeys(stuck, SOLVED_WITH_HELP), sam.errors
    assert sam.errors == []
    with open(tmp_path / "grades" / "grades.csv", newline="", encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["learner"] == "sam")
    assert row["solved with help"] == str(len(stuck)) and row["passed"] == "0", row
    feedback = (tmp_path / "grades" / "feedback" / "sam.txt").read_text()
    assert feedback.count("done with help") == len(stuck), feedback
    assert files
