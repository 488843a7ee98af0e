"""The class view's model (classroom/classview.py), its page (views/classview.py), server and command, on synthetic
learners: each learner's file written the way a check writes it (``progress.record`` with ``DOCKERLAB_PROGRESS``
pointing into the class folder, times set on the result), or by hand where a file is old or broken."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from dockerlab import cli
from dockerlab.checks import CheckResult, Requirement
from dockerlab.classroom import classview, watch
from dockerlab.record import progress
from dockerlab.views.classview import STATE_COLOUR, page_html, table_html

NOW = 1_800_000_000.0  # a fixed "now"; records are written at NOW - seconds
COURSE = [SimpleNamespace(id=i, title=f"Title of {i}") for i in ("03.build", "03.tag", "04.name", "04.port", "05.web")]


def check(folder, learner: str, exercise: str, passed: bool, seconds_ago: float, monkeypatch) -> None:
    """``learner`` checks ``exercise`` ``seconds_ago`` before NOW; the record lands in FOLDER/learner.json."""
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(folder / f"{learner}.json"))
    progress.record(CheckResult(exercise, f"Title of {exercise}", [Requirement("r", passed, "" if passed else "no")],
                                checked_at=NOW - seconds_ago))


def build(folder, **thresholds) -> classview.ClassView:
    return classview.build(folder, NOW, classview.Thresholds(**thresholds), exercises=COURSE)


def row(view, name):
    return next(learner for learner in view.learners if learner.name == name)


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "class"
    path.mkdir()
    return path


def test_three_not_yet_in_a_row_is_stuck_two_is_not(folder, monkeypatch):
    for seconds in (60, 40, 20):
        check(folder, "ada", "04.name", False, seconds, monkeypatch)
    for seconds in (60, 40):
        check(folder, "bob", "04.name", False, seconds, monkeypatch)
    view = build(folder)
    ada, bob = row(view, "ada"), row(view, "bob")
    assert (ada.state, ada.current, ada.not_yet_in_row, ada.on_it_for, ada.since_last) == ("stuck", "04.name", 3, 60, 20)
    assert (bob.state, bob.not_yet_in_row, bob.on_it_for) == ("not yet", 2, 60)
    assert build(folder, not_yet=2).learners[1].state == "stuck"  # the threshold is the one asked for


def test_minutes_on_one_exercise_is_stuck(folder, monkeypatch):
    check(folder, "ada", "04.name", False, 11 * 60, monkeypatch)
    check(folder, "bob", "04.name", False, 9 * 60, monkeypatch)
    view = build(folder)
    assert (row(view, "ada").state, row(view, "bob").state) == ("stuck", "not yet")
    assert row(build(folder, minutes=5), "bob").state == "stuck"


def test_a_pass_ends_being_stuck_and_the_latest_check_is_where_they_are(folder, monkeypatch):
    for seconds in (300, 200, 100):
        check(folder, "ada", "04.name", False, seconds, monkeypatch)
    check(folder, "ada", "04.name", True, 50, monkeypatch)
    ada = row(build(folder), "ada")
    assert (ada.state, ada.current, ada.not_yet_in_row, ada.on_it_for, ada.done) == ("passed", "04.name", 0, None, 1)
    check(folder, "ada", "04.port", False, 10, monkeypatch)
    ada = row(build(folder), "ada")
    assert (ada.state, ada.current, ada.not_yet_in_row, ada.since_last) == ("not yet", "04.port", 1, 10)
    assert ada.cells == {"04.name": "passed", "04.port": "not yet"}  # lesson 04's exercises: the only lesson checked


def test_stuck_first_longest_first_then_unreadable_trying_passed_and_no_checks(folder, monkeypatch):
    check(folder, "zoe", "04.name", False, 20 * 60, monkeypatch)  # stuck for 20 min
    check(folder, "amy", "04.name", False, 12 * 60, monkeypatch)  # stuck for 12 min
    check(folder, "ben", "04.port", False, 30, monkeypatch)  # trying
    check(folder, "cat", "04.name", True, 30, monkeypatch)  # passed
    (folder / "dan.json").write_text("")  # no checks yet
    (folder / "eve.json").write_text("{ torn")  # cannot read
    view = build(folder)
    assert [(lr.name, lr.state) for lr in view.learners] == [
        ("zoe", "stuck"), ("amy", "stuck"), ("eve", "cannot read"), ("ben", "not yet"), ("cat", "passed"), ("dan", "no checks")]
    assert view.count("stuck") == 2


@pytest.mark.parametrize("content", ["", "\n", '{"format": 1, "exercises": {}}'], ids=["empty", "blank", "no-exercises"])
def test_a_learner_with_no_records(folder, monkeypatch, content):
    check(folder, "ada", "03.build", True, 30, monkeypatch)
    (folder / "bob.json").write_text(content)
    bob = row(build(folder), "bob")
    assert (bob.state, bob.done, bob.current, bob.last_check, bob.problem) == ("no checks", 0, None, None, None)
    assert set(bob.cells.values()) == {"not checked"} and "03.build" in bob.cells


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"{ torn", "not JSON"), (b"\xff\xfe\x00", "not text"), (b"[1, 2]", 'no "exercises"'),
     (b'{"exercises": {"04.name": 5}}', "04.name is not a record")],
    ids=["torn", "binary", "list", "bad-entry"],
)
def test_a_corrupt_file_is_named_in_the_view_not_a_crash(folder, monkeypatch, content, reason):
    check(folder, "ada", "04.name", True, 30, monkeypatch)
    (folder / "bob.json").write_bytes(content)
    view = build(folder)
    bob = row(view, "bob")
    assert bob.state == "cannot read" and bob.problem.startswith("bob.json: ") and reason in bob.problem
    assert row(view, "ada").state == "passed"  # the others are all there
    assert "bob.json: " in view.text() and "CANNOT READ" in view.text()
    assert "bob.json: " in table_html(view) and json.dumps(view.to_dict())


def test_exports_read_like_progress_files_and_other_files_are_left_alone(folder, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "own.json"))
    progress.record(CheckResult("04.name", "t", [Requirement("r", False, "no")], checked_at=NOW - 30))
    progress.export(folder / "grace.json")  # what `dockerlab progress export grace.json` writes
    for name in ("ada.json.lock", "ada.json.bad", ".ada.json.x1.tmp", "_notes.json", "README.txt"):
        (folder / name).write_text("{ not for us")
    (folder / "sub.json").mkdir()
    view = build(folder)
    assert [(lr.name, lr.state, lr.current, lr.not_yet_in_row) for lr in view.learners] == [("grace", "not yet", "04.name", 1)]


def test_columns_are_every_exercise_of_the_lessons_anyone_checked(folder, monkeypatch):
    check(folder, "ada", "04.name", True, 30, monkeypatch)
    check(folder, "bob", "99.gone", False, 30, monkeypatch)  # not in the course: kept, under its recorded title
    view = build(folder)
    assert view.exercises == [("04.name", "Title of 04.name"), ("04.port", "Title of 04.port"), ("99.gone", "Title of 99.gone")]
    assert row(view, "ada").done == 1 and row(view, "ada").cells["04.port"] == "not checked"


def test_a_record_from_before_the_count(folder):
    """Written by a dockerlab that kept only attempts: four, never passed, the last 2 minutes ago."""
    old = {"lesson": "04", "exercise": "04.name", "title": "t", "passed": False, "met": 0, "unmet": 1, "attempts": 4,
           "first_passed": None, "time": progress._iso(NOW - 120)}
    (folder / "ada.json").write_text(json.dumps({"format": 1, "exercises": {"04.name": old}}))
    ada = row(build(folder), "ada")
    assert (ada.state, ada.not_yet_in_row, ada.on_it_for) == ("stuck", 4, 120)  # on it at least since the last check


def test_every_state_is_a_word_as_well_as_a_colour(folder, monkeypatch):
    check(folder, "amy", "04.name", False, 20 * 60, monkeypatch)
    check(folder, "ben", "04.port", False, 30, monkeypatch)
    check(folder, "cat", "04.name", True, 30, monkeypatch)
    (folder / "dan.json").write_text("")
    (folder / "eve.json").write_text("{ torn")
    view = build(folder)
    table = table_html(view)
    for state, colour in STATE_COLOUR.items():
        word = classview.WORDS[state]
        assert f'data-state="{state}"><th>' in table and f'background:{colour}">{word}</td>' in table, state
    for mark in ("✓", "✗", "·"):
        assert f">{mark}</td>" in table
    page = page_html(view, 2)
    assert table in page and 'fetch("table"' in page and "const every = 2000" in page
    assert '<meta http-equiv="refresh" content="2">' in page  # inside <noscript>


def test_the_text_view_from_the_same_model(folder, monkeypatch):
    for seconds in (700, 600, 500):
        check(folder, "ada", "04.name", False, seconds, monkeypatch)
    check(folder, "bob", "04.name", True, 30, monkeypatch)
    lines = build(folder).text().splitlines()
    assert lines[0].startswith("2 learner(s) in ") and "1 stuck" in lines[0]
    assert lines[1].split()[:3] == ["learner", "state", "done"]
    assert lines[2].split() == ["ada", "STUCK", "0/2", "04.name", "8", "min", "ago", "3", "11", "min"]
    assert lines[3].split()[:4] == ["bob", "passed", "1/2", "04.name"]


@pytest.mark.parametrize(("seconds", "text"), [(0, "0 s"), (59, "59 s"), (60, "1 min"), (3599, "59 min"), (3660, "1 h 01 min")])
def test_durations(seconds, text):
    assert classview.ago(seconds) == text


def test_the_server_serves_the_page_the_table_and_the_model(folder, monkeypatch):
    check(folder, "ada", "04.name", False, 20 * 60, monkeypatch)
    (folder / "bob.json").write_text("{ torn")
    server = watch.make_server(folder, port=0, refresh=3, clock=lambda: NOW)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        def get(path):
            with urllib.request.urlopen(base + path, timeout=10) as response:
                return response.headers["Content-Type"], response.read().decode()

        kind, page = get("/")
        assert kind.startswith("text/html") and 'data-learner="ada" data-state="stuck"' in page and "bob.json: not JSON" in page
        assert get("/table?t=1")[1] in page
        state = json.loads(get("/state.json")[1])
        assert [(lr["name"], lr["state"]) for lr in state["learners"]] == [("ada", "stuck"), ("bob", "cannot read")]
        with pytest.raises(urllib.error.HTTPError) as missing:
            get("/nothing")
        assert missing.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_the_command_prints_once_with_text(folder, monkeypatch, capsys):
    check(folder, "ada", "04.name", False, 60, monkeypatch)
    check(folder, "ada", "04.name", False, 50, monkeypatch)
    assert cli.main(["class", "watch", str(folder), "--text", "--stuck-after", "2"]) == 0
    out = capsys.readouterr().out
    assert "1 stuck (latest check not yet, 2+ in a row" in out and "ada" in out and "STUCK" in out


@pytest.mark.parametrize("args", [["--stuck-after", "0"], ["--refresh", "0"], ["--stuck-minutes", "-1"]])
def test_the_command_refuses_nonsense(folder, capsys, args):
    assert cli.main(["class", "watch", str(folder), "--text", *args]) == 2
    assert "What to do" in capsys.readouterr().err


def test_the_command_refuses_a_missing_folder(tmp_path, capsys):
    assert cli.main(["class", "watch", str(tmp_path / "nowhere"), "--text"]) == 2
    assert "is not a folder" in capsys.readouterr().err
