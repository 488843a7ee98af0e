"""`dockerlab grade` and `dockerlab prepare` against the real engine.

tests/data/submissions holds two learners' hand-ins (trimmed copies of notebooks 03 and 04, made
from the course notebooks with the learner cells filled in):

* grace: both notebooks, every exercise solved with her own `!docker` lines;
* ada: only 04; keep-running solved, auto-remove left as shipped, and an exit-code cell that
  raises ValueError (so the notebook errors half-way and grading must go on).

The test adds a third learner, carl, whose notebook raises a DockerlabError (shown as a message, not a
traceback) and whose kernel then dies after starting a container: grading goes on, both are reported,
and the container his dead session left is removed.

The gradebook and the feedback pages come from the same grading run (no notebook runs again for them)
and are held to the report.
"""

from __future__ import annotations

import csv
import html
import shutil
from pathlib import Path

import nbformat
import pytest

from dockerlab import cli, exercises
from dockerlab.checks import questions
from dockerlab.classroom import grade, points, report, runner

pytestmark = pytest.mark.engine

SUBMISSIONS = Path(__file__).resolve().parents[1] / "data" / "submissions"

EXPECTED = {
    "ada": {"03.build": "not attempted", "03.dockerfile": "not attempted", "04.auto-remove": "not yet",
            "04.exit-code": "not yet", "04.keep-running": "passed"},
    "carl": {"03.build": "not attempted", "03.dockerfile": "not attempted", "04.auto-remove": "not attempted",
             "04.exit-code": "not attempted", "04.keep-running": "not attempted"},
    "grace": {"03.build": "passed", "03.dockerfile": "passed", "04.auto-remove": "passed",
              "04.exit-code": "passed", "04.keep-running": "passed"},
}
#: Lesson 03's concept questions are columns too; no hand-in answers them in code, so they are not attempted.
QUESTIONS = [q.id for q in questions.of_lesson("03")]
for _cells in EXPECTED.values():
    _cells.update(dict.fromkeys(QUESTIONS, "not attempted"))
ITEMS = str(5 + len(QUESTIONS))


def _dying_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell('MODE = "learner"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell('import dockerlab\nlesson = dockerlab.start("04-running-containers", mode=MODE)'),
        nbformat.v4.new_code_cell('orphan = lesson.name("orphan")\n!docker run -d --name {orphan} busybox:1.37 sleep 300'),
        nbformat.v4.new_code_cell('lesson.run("no-such-image-dl:1")  # a DockerlabError: shown as a message, not a traceback'),
        nbformat.v4.new_code_cell("import os\nos._exit(1)  # the kernel dies: its session cannot clean up"),
        nbformat.v4.new_code_cell('lesson.check("04.keep-running")'),
    ]
    nbformat.write(nb, path)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, docker_client):
    folder = tmp_path_factory.mktemp("handins")
    for learner in ("ada", "grace"):
        shutil.copytree(SUBMISSIONS / learner, folder / learner)
    _dying_notebook(folder / "carl.ipynb")  # the single-notebook layout: DIR/<learner>.ipynb
    # Each learner's kernel builds its images under its own session's names (greeter-<session>,
    # my-python-app-<session>), so no other run on this engine can re-tag them mid-grading.
    out = tmp_path_factory.mktemp("grades")
    grades = grade.grade(folder, out, timeout=120)
    report.write(grades, out)
    return grades, out


def _rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["learner"]: row for row in csv.DictReader(handle)}


def test_grade_matrix_matches_what_each_learner_did(graded):
    _grades, out = graded
    rows = _rows(out / "grades.csv")
    assert set(rows) == set(EXPECTED)
    for learner, cells in EXPECTED.items():
        assert {ex: rows[learner][ex] for ex in cells} == cells, learner
    assert (rows["grace"]["passed"], rows["grace"]["not yet"], rows["grace"]["not attempted"]) == ("5", "0", str(len(QUESTIONS)))
    assert (rows["ada"]["passed"], rows["ada"]["not yet"], rows["ada"]["not attempted"]) == ("1", "2", str(2 + len(QUESTIONS)))
    assert rows["carl"]["passed"] == "0" and rows["carl"]["total"] == ITEMS
    assert rows["grace"]["errors"] == ""
    # ada's own error, numbered as in her notebook (the cells grading adds do not count)
    handed_in = nbformat.read(SUBMISSIONS / "ada" / "04-running-containers.ipynb", as_version=4)
    number = next(i for i, c in enumerate(handed_in.cells, 1) if 'int("Exited (2)")' in c.source)
    assert f"04-running-containers.ipynb: cell {number}: ValueError: invalid literal for int()" in rows["ada"]["errors"]
    assert rows["carl"]["errors"].split(" | ")[0].startswith("carl.ipynb: cell 4: ImageMissing: ")
    assert rows["carl"]["errors"].endswith("carl.ipynb: the kernel died (or was killed)")


def test_grade_details_say_why(graded):
    _grades, out = graded
    with open(out / "grades-details.csv", newline="", encoding="utf-8") as handle:
        details = {(r["learner"], r["exercise"]): r for r in csv.DictReader(handle)}
    assert "there is no variable exit_code" in details["ada", "04.exit-code"]["reasons"]
    assert "no container named scratch-dl" in details["ada", "04.auto-remove"]["reasons"]
    assert details["ada", "03.build"]["reasons"] == "no notebook of this lesson was handed in"
    assert details["carl", "04.keep-running"]["reasons"].startswith("its check cell did not run")
    assert details["grace", "03.dockerfile"]["met"] == details["grace", "03.dockerfile"]["requirements"] != "0"
    page = (out / "grades.html").read_text(encoding="utf-8")
    assert 'title="not yet: exit_code is the exit code of broken-dl' in page
    assert page.count('class="passed"') == 6 and page.count('class="not-yet"') == 2


def test_gradebook_matches_the_report(graded):
    _grades, out = graded
    report_rows = _rows(out / "grades.csv")
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, book = reader.fieldnames, {row["learner"]: row for row in reader}
    ids = sorted(EXPECTED["grace"])
    assert header == ["learner", *ids, "total", "possible"]
    assert set(book) == set(EXPECTED)
    for learner, cells in EXPECTED.items():
        assert {ex: book[learner][ex] for ex in ids} == {ex: "1" if state == "passed" else "0" for ex, state in cells.items()}
        assert book[learner]["total"] == report_rows[learner]["passed"]  # 1 point each: points earned = exercises passed
        assert book[learner]["possible"] == report_rows[learner]["total"] == ITEMS


def test_gradebook_takes_a_points_file(graded, tmp_path):
    grades, _out = graded
    file = tmp_path / "points.toml"
    file.write_text('"04.keep-running" = 3\n"04.exit-code" = 0.5\n', encoding="utf-8")
    overrides = points.load(file, [e.id for e in exercises.every()])
    files = report.write(grades, tmp_path / "again", overrides=overrides, points_file=file, learner_column="username")
    with open(files["gradebook"], newline="", encoding="utf-8") as handle:
        book = {row["username"]: row for row in csv.DictReader(handle)}
    assert (book["ada"]["04.keep-running"], book["ada"]["04.exit-code"], book["ada"]["total"]) == ("3", "0", "3")
    assert book["grace"]["total"] == "6.5" and book["grace"]["possible"] == str(6.5 + len(QUESTIONS))
    assert book["carl"]["total"] == "0"


def test_feedback_pages_match_the_report(graded):
    grades, out = graded
    folder = out / "feedback"
    assert sorted(p.name for p in folder.iterdir()) == [f"{n}.{ext}" for n in sorted(EXPECTED) for ext in ("html", "txt")]
    with open(out / "grades-details.csv", newline="", encoding="utf-8") as handle:
        details = {(r["learner"], r["exercise"]): r for r in csv.DictReader(handle)}
    titles = dict(grades.exercises)
    for learner, cells in EXPECTED.items():
        twin = (folder / f"{learner}.txt").read_text(encoding="utf-8")
        page = (folder / f"{learner}.html").read_text(encoding="utf-8")
        for ex, state in cells.items():
            word = "done" if state == "passed" else "not yet"
            assert f"{ex}  {titles[ex]}: {word} (" in twin, (learner, ex)
            reasons = details[learner, ex]["reasons"]
            for reason in reasons.split(" | ") if reasons and state != "passed" else []:
                assert f"why: {reason}" in twin and html.escape(reason) in page, (learner, ex, reason)
        passed = sum(state == "passed" for state in cells.values())
        assert f"{passed} of {ITEMS} exercises done; {passed} of {ITEMS} points." in twin
    ada = (folder / "ada.txt").read_text(encoding="utf-8")
    assert "why: " in ada and "there is no variable exit_code" in ada
    assert all(f"hint: {h}" in ada for h in exercises.get("04.exit-code").hints)
    assert "carl.ipynb: the kernel died (or was killed)" in (folder / "carl.txt").read_text(encoding="utf-8")
    whys = [line for line in (folder / "grace.txt").read_text(encoding="utf-8").splitlines() if "why:" in line]
    assert whys == [f'    why: not answered in the notebook: lesson.ask("{q}", answer="...") keeps an answer for grading'
                    for q in QUESTIONS], whys  # grace did every exercise: only the questions, unanswered, say why


def test_grade_keeps_executed_notebooks_and_progress(graded):
    _grades, out = graded
    executed = nbformat.read(out / "executed" / "ada" / "04-running-containers.ipynb", as_version=4)
    sources = [c.source for c in executed.cells if c.cell_type == "code"]
    assert any('MODE = "learner"' in s and "classroom.hook" in s for s in sources)
    assert not any("docker run -d --rm --name {scratch}" in s for s in sources), "a %%solution cell was run"
    assert (out / "progress" / "grace.json").exists()


def test_grade_leaves_nothing_behind(graded, docker_client):
    # Each kernel's session is known from the hook's log: the normal exits cleaned up after
    # themselves, and carl's dead session was swept (his container orphan-<session>).
    grades, _out = graded
    runs = {learner.name: learner.runs for learner in grades.learners}
    sessions = [sid for learner_runs in runs.values() for run in learner_runs for sid in run.sessions]
    assert len(sessions) == 4, runs  # ada 1, carl 1, grace 2: one kernel, one session per notebook
    assert not runner.owned_by(sessions)
    assert all(not run.left for learner_runs in runs.values() for run in learner_runs)
    assert [item.split("-dl")[0] for item in runs["carl"][0].swept] == ["container orphan"]
    assert all(not run.swept for name in ("ada", "grace") for run in runs[name])


def test_grade_cli_without_handins_explains(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path)]) == 2
    assert "DIR/<learner>/" in capsys.readouterr().err


def test_prepare_runs_a_subset_and_prints_the_checklist(capsys, docker_client):
    code = cli.main(["prepare", "--no-bundle", "--notebooks", "00,03", "--timeout", "300"])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "[1/2] 00-welcome (solution mode)" in printed and "[2/2] 03-first-image (solution mode)" in printed
    assert printed.count("      passed in") == 2
    assert "skipped (--no-bundle)" in printed and "image bundle   not written (--no-bundle)" in printed
    for item in ("free disk", "memory", "CPUs", "8080", "8280", "time per notebook", "Ready for the workshop."):
        assert item in printed, item
