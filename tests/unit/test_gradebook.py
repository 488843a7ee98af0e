"""The gradebook an LMS imports, the points behind it, and the learners' feedback pages, from
made-up grades (no engine, no notebook run): read back as an LMS would, with Python's csv module."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from dockerlab import cli, errors, exercises
from dockerlab.checks import registry
from dockerlab.classroom import feedback, gradebook, points, report
from dockerlab.classroom.grade import Cell, Grades, Learner

EXERCISES = [("03.build", "Build the image"), ("04.exit-code", "Find the exit code"), ("04.keep-running", "Keep it running")]
IDS = [ex for ex, _title in EXERCISES]
SCRIPT = "<script>alert('gotcha')</script>"


def _grades() -> Grades:
    def learner(name, cells, errors_=()):
        found = Learner(name, [Path(f"{name}.ipynb")], cells=cells)
        found.runs = []
        if errors_:  # Learner.errors reads the runs; one stand-in run carries them
            from dockerlab.classroom.runner import Run

            found.runs = [Run(f"{name}.ipynb", "04-running-containers", Path("x"), errors=list(errors_))]
        return found

    return Grades(
        learners=[
            learner("grace", {ex: Cell("passed", 2, 2) for ex in IDS}),
            learner("ada", {"03.build": Cell("not attempted", reasons=["no notebook of this lesson was handed in"]),
                            "04.exit-code": Cell("not yet", 1, 2, [f"exit_code: the program printed {SCRIPT}"]),
                            "04.keep-running": Cell("passed", 3, 3)},
                    ["04-running-containers.ipynb: cell 7: ValueError: invalid literal for int()"]),
            learner("zoë", {"03.build": Cell("could not check", reasons=["no engine answered"]),
                            "04.exit-code": Cell("not yet", 0, 1, []), "04.keep-running": Cell("not yet", 0, 1, ["not running"])}),
        ],
        exercises=EXERCISES,
        seconds=1.0,
    )


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


# -- the gradebook ---------------------------------------------------------------------------------


def test_gradebook_reads_back_as_an_lms_would(tmp_path):
    files = report.write(_grades(), tmp_path)
    assert files["gradebook"] == tmp_path / "gradebook.csv"
    raw = files["gradebook"].read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "no byte order mark: it would become part of the first header"
    assert "zoë".encode() in raw  # UTF-8
    header, rows = _read(files["gradebook"])
    assert header == ["learner", *IDS, "total", "possible"]
    assert [r["learner"] for r in rows] == ["grace", "ada", "zoë"]  # one row per learner, nothing else
    by_name = {r["learner"]: r for r in rows}
    assert {ex: by_name["grace"][ex] for ex in IDS} == dict.fromkeys(IDS, "1")
    assert {ex: by_name["ada"][ex] for ex in IDS} == {"03.build": "0", "04.exit-code": "0", "04.keep-running": "1"}
    assert by_name["zoë"]["03.build"] == "", "could not check: no grade at all, not a 0 the learner did not earn"
    for row in rows:
        assert float(row["total"]) == sum(float(row[ex] or 0) for ex in IDS)
        assert row["possible"] == "3"
    assert (by_name["grace"]["total"], by_name["ada"]["total"], by_name["zoë"]["total"]) == ("3", "1", "0")


def test_points_file_overrides_the_declared_points(tmp_path):
    overrides = points.load(_points_file(tmp_path, '"04.keep-running" = 2.5\n04.exit-code = 4\n'), [e.id for e in exercises.every()])
    assert overrides == {"04.keep-running": 2.5, "04.exit-code": 4}  # the bare dotted key is read back as the id
    files = report.write(_grades(), tmp_path / "out", overrides=overrides, points_file="points.toml")
    _header, rows = _read(files["gradebook"])
    by_name = {r["learner"]: r for r in rows}
    assert by_name["grace"]["04.keep-running"] == "2.5" and by_name["grace"]["04.exit-code"] == "4"
    assert by_name["grace"]["total"] == by_name["grace"]["possible"] == "7.5"
    assert by_name["ada"]["total"] == "2.5"
    sidecar = json.loads(files["sidecar"].read_text(encoding="utf-8"))
    assert sidecar["format_version"] == gradebook.FORMAT_VERSION == 1
    assert sidecar["columns"] == ["learner", *IDS, "total", "possible"]
    assert [(i["id"], i["points"], i["points_from"]) for i in sidecar["items"]] == [
        ("03.build", 1, "declared"), ("04.exit-code", 4, "points file"), ("04.keep-running", 2.5, "points file")]
    assert sidecar["possible"] == 7.5 and sidecar["points_file"] == "points.toml"


def test_an_exercise_declares_its_own_points(tmp_path):
    @registry.exercise("98.worth-three", title="Worth three", points=3)
    def _check(lesson):
        return registry.Requirement.ok("fine")

    try:
        grades = Grades([Learner("ada", [], cells={"98.worth-three": Cell("passed", 1, 1)})], [("98.worth-three", "Worth three")], 0.0)
        assert [i.points for i in points.items(grades.exercises)] == [3]
        _header, rows = _read(gradebook.write(grades, points.items(grades.exercises), tmp_path)["gradebook"])
        assert (rows[0]["98.worth-three"], rows[0]["total"], rows[0]["possible"]) == ("3", "3", "3")
        assert points.items(grades.exercises, {"98.worth-three": 0})[0].points == 0  # the points file still wins
    finally:
        registry.unregister("98.worth-three")
    assert points.items([("98.worth-three", "gone")])[0].points == registry.DEFAULT_POINTS == 1


@pytest.mark.parametrize("bad", [-1, "2", True, float("nan")])
def test_an_exercise_declaration_refuses_points_that_are_not_a_number_of_zero_or_more(bad):
    with pytest.raises(ValueError, match="points"):
        registry.exercise("98.bad-points", title="Bad", points=bad)


def test_solved_with_help_has_its_place_and_earns_what_credit_says(tmp_path):
    item = points.Item("04.exit-code", "Find the exit code", 4)
    assert item.earned(points.SOLVED_WITH_HELP) == points.CREDIT[points.SOLVED_WITH_HELP] * 4 == 4
    learner = Learner("ada", [], cells={"04.exit-code": Cell(points.SOLVED_WITH_HELP, 1, 1)})
    page = feedback.page(learner, [item])
    assert page.entries[0].word == "done with help" and page.earned == "4"


def test_the_learner_column_takes_the_lms_user_field_and_refuses_a_clash(tmp_path):
    items = points.items(EXERCISES)
    header, _rows = _read(gradebook.write(_grades(), items, tmp_path, learner_column="Email address")["gradebook"])
    assert header[0] == "Email address"
    for clash in ("total", "04.exit-code", " "):
        with pytest.raises(errors.DockerlabError, match="learner column"):
            gradebook.write(_grades(), items, tmp_path, learner_column=clash)


# -- the points file's mistakes ------------------------------------------------------------------------


def _points_file(folder: Path, text: str) -> Path:
    path = folder / "points.toml"
    path.write_text(text, encoding="utf-8")
    return path


KNOWN = ["03.build", "04.exit-code", "04.keep-running"]


@pytest.mark.parametrize(("text", "said"), [
    ('"04.keep-runing" = 2\n', 'the course has no such exercise (did you mean "04.keep-running"?)'),
    ('"04.keep-running" = -1\n', "points must be 0 or more"),
    ('"04.keep-running" = "two"\n', "points must be a number"),
    ('"04.keep-running" = true\n', "points must be a number"),
    ('"04.keep-running" = inf\n', "points must be 0 or more"),
    ('"04.keep-running" = [1, 2]\n', "points must be a number"),
    ('format_version = 2\n"04.keep-running" = 1\n', "this dockerlab reads format_version = 1"),
    ('"04.keep-running" = \n', "not valid TOML"),
])
def test_points_file_mistakes_are_said_plainly_with_the_fix(tmp_path, text, said):
    with pytest.raises(points.PointsFileError) as caught:
        points.load(_points_file(tmp_path, text), KNOWN)
    problem = caught.value
    assert isinstance(problem, errors.DockerlabError)
    assert said in problem.message and "points.toml" in problem.message
    assert '"04.keep-running" = 2' in problem.fix


def test_points_file_lists_every_mistake_at_once(tmp_path):
    with pytest.raises(points.PointsFileError) as caught:
        points.load(_points_file(tmp_path, '"99.nothing" = 1\n"03.build" = -2\n"04.exit-code" = 1\n'), KNOWN)
    assert "2 problem(s)" in caught.value.message
    assert '"99.nothing"' in caught.value.message and '"03.build" = -2' in caught.value.message


def test_points_file_that_is_missing_says_so(tmp_path):
    with pytest.raises(points.PointsFileError, match="Could not read the points file"):
        points.load(tmp_path / "nope.toml", KNOWN)


def test_points_file_accepts_zero_and_its_format_version(tmp_path):
    assert points.load(_points_file(tmp_path, 'format_version = 1\n"03.build" = 0\n'), KNOWN) == {"03.build": 0}


def test_grade_refuses_a_bad_points_file_before_grading_anything(tmp_path, capsys):
    handins = tmp_path / "handins"
    (handins / "ada").mkdir(parents=True)
    out = tmp_path / "grades"
    bad = _points_file(tmp_path, '"04.keep-running" = -3\n')
    assert cli.main(["grade", str(handins), "--out", str(out), "--points", str(bad)]) == 2
    said = capsys.readouterr().err
    assert "The points file has a mistake" in said and "points must be 0 or more" in said and "What to do:" in said
    assert not out.exists(), "nothing was graded"


# -- the feedback pages --------------------------------------------------------------------------------


def test_feedback_pages_say_done_or_not_yet_and_why(tmp_path):
    files = report.write(_grades(), tmp_path)
    folder = files["feedback"]
    assert sorted(p.name for p in folder.iterdir()) == ["ada.html", "ada.txt", "grace.html", "grace.txt", "zoë.html", "zoë.txt"]
    page = (folder / "ada.html").read_text(encoding="utf-8")
    twin = (folder / "ada.txt").read_text(encoding="utf-8")
    for form in (page, twin):
        assert "no notebook of this lesson was handed in" in form
        assert "cell 7: ValueError: invalid literal for int()" in form
        assert "1 of 3 points" in form
    assert "04.exit-code  Find the exit code: not yet (0 of 1 point(s))" in twin
    assert "04.keep-running  Keep it running: done (1 of 1 point(s))" in twin
    assert f"why: exit_code: the program printed {SCRIPT}" in twin  # the text twin keeps it as it is
    assert '<meta name="dockerlab-feedback-format" content="1">' in page
    assert "dockerlab feedback format 1" in twin.splitlines()[-1]
    grace = (folder / "grace.txt").read_text(encoding="utf-8")
    assert "3 of 3 exercises done; 3 of 3 points." in grace and "why:" not in grace


def test_feedback_page_escapes_what_the_learner_s_run_said(tmp_path):
    page = (report.write(_grades(), tmp_path)["feedback"] / "ada.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower(), "no script at all: not the learner's, not ours"
    assert "exit_code: the program printed &lt;script&gt;alert(&#x27;gotcha&#x27;)&lt;/script&gt;" in page


def test_feedback_offers_the_exercise_s_hints_where_it_is_not_done(tmp_path):
    folder = report.write(_grades(), tmp_path)["feedback"]
    exit_hints = exercises.get("04.exit-code").hints
    keep_hints = exercises.get("04.keep-running").hints
    assert exit_hints and keep_hints
    ada = (folder / "ada.txt").read_text(encoding="utf-8")
    assert all(f"hint: {h}" in ada for h in exit_hints)
    assert not any(f"hint: {h}" in ada for h in keep_hints), "no hints for what is done"
    zoe = (folder / "zoë.txt").read_text(encoding="utf-8")
    assert all(f"hint: {h}" in zoe for h in keep_hints)
    assert "why: 0 of 1 requirements met" in zoe  # a not-yet without a reason still says something
