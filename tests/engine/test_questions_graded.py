"""Concept questions in a handed-in notebook: grading re-runs it, where nobody clicks, so an answer kept in code
(``lesson.ask("02.q-docker-group", answer="c")``) is graded and a question left as shipped is not attempted."""

from __future__ import annotations

import csv
import json

import nbformat
import pytest

from dockerlab.checks import questions
from dockerlab.classroom import grade, report
from dockerlab.classroom.runner import course_dir

pytestmark = pytest.mark.engine

NOTEBOOK = "02-setup.ipynb"


def test_answers_kept_in_code_are_graded_and_unanswered_questions_are_not_attempted(tmp_path, docker_client):
    asked = [q.id for q in questions.of_lesson("02-setup")]
    assert len(asked) == 2
    first, second = (questions.get(q) for q in asked)
    wrong_choice = next(c for c in second.choices if not c.right)
    nb = nbformat.read(course_dir() / NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.source == f'lesson.ask("{first.id}")':
            cell.source = f'lesson.ask("{first.id}", answer="{first.answer.key.upper()}")'
        elif cell.source == f'lesson.ask("{second.id}")':
            cell.source = f'lesson.ask("{second.id}", answer="{wrong_choice.key}")'
    handins = tmp_path / "handins"
    (handins / "ann").mkdir(parents=True)
    nbformat.write(nb, handins / "ann" / NOTEBOOK)
    (handins / "ben").mkdir()
    (handins / "ben" / NOTEBOOK).write_bytes((course_dir() / NOTEBOOK).read_bytes())  # answered nothing in code

    grades = grade.grade(handins, tmp_path / "grades", timeout=300)
    files = report.write(grades, tmp_path / "grades")
    ann, ben = grades.learners
    assert ann.errors == [] and ben.errors == []
    assert ann.cells[first.id].state == "passed"
    assert ann.cells[second.id].state == "not yet" and any(wrong_choice.why in r for r in ann.cells[second.id].reasons)
    assert {ben.cells[q].state for q in asked} == {"not attempted"}
    assert all("answer=" in ben.cells[q].reasons[0] for q in asked), ben.cells

    with open(files["gradebook"], newline="", encoding="utf-8") as handle:
        rows = {r["learner"]: r for r in csv.DictReader(handle)}
    assert (rows["ann"][first.id], rows["ann"][second.id]) == ("1", "0")
    assert (rows["ben"][first.id], rows["ben"][second.id]) == ("0", "0")
    sidecar = json.loads(files["sidecar"].read_text(encoding="utf-8"))
    assert {(i["id"], i["kind"], i["points"]) for i in sidecar["items"]} >= {(q, "question", 1) for q in asked}
    feedback = (tmp_path / "grades" / "feedback" / "ann.txt").read_text(encoding="utf-8")
    assert wrong_choice.why in feedback
