"""Progress: the latest result per exercise, written atomically, surviving a damaged file."""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
from types import SimpleNamespace

import pytest

from dockerlab.record import progress
from dockerlab.checks import CheckResult, Requirement
from dockerlab.views.progress import summary_html


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "state" / "progress.json"
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(path))
    return path


def result(exercise: str, *met: bool, lesson: str | None = None) -> CheckResult:
    return CheckResult(exercise, f"Title of {exercise}", [Requirement(f"r{i}", m, "" if m else "no") for i, m in enumerate(met)], lesson=lesson)


COURSE = [SimpleNamespace(id=i, title=i) for i in ("03.image", "03.tag", "04.name", "04.port", "04.logs")]


def test_path_defaults_to_state_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("DOCKERLAB_PROGRESS")
    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path / "st"))
    assert progress.path() == tmp_path / "st" / "progress.json"


def test_record_keeps_the_latest_result(progress_file):
    first = progress.record(result("04.name", True, False), lesson="04-running-containers")
    assert first["passed"] is False and first["attempts"] == 1 and first["first_passed"] is None
    second = progress.record(result("04.name", True, True))
    assert second["passed"] is True and second["met"] == 2 and second["unmet"] == 0
    assert second["attempts"] == 2 and second["first_passed"] == second["time"]
    assert second["lesson"] == "04-running-containers"  # remembered from the first record
    third = progress.record(result("04.name", False))
    assert third["passed"] is False and third["first_passed"] == second["first_passed"]
    saved = json.loads(progress_file.read_text())
    assert saved["format"] == 1 and list(saved["exercises"]) == ["04.name"]


def test_writes_leave_no_temporary_files(progress_file):
    for n in range(5):
        progress.record(result(f"04.e{n}", True))
    names = sorted(p.name for p in progress_file.parent.iterdir())
    assert names == ["progress.json", "progress.json.lock"]


@pytest.mark.parametrize(
    "damage",
    [b"{\"format\": 1, \"exercises\": {\"04.a\": ", b"\x00\xff\xfe garbage", b"[1, 2, 3]", b"{\"exercises\": {\"x\": 5}}", b""],
    ids=["truncated", "binary", "list", "bad-entry", "empty"],
)
def test_damaged_file_is_kept_and_progress_starts_over(progress_file, damage):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_bytes(damage)
    assert progress.load() == {}
    assert (progress_file.parent / "progress.json.bad").read_bytes() == damage
    progress.record(result("04.name", True))
    assert list(progress.load()) == ["04.name"]


def test_summary_per_lesson(progress_file):
    progress.record(result("04.name", True), lesson="04-running-containers")
    progress.record(result("04.port", False), lesson="04-running-containers")
    progress.record(result("03.image", True, lesson="03-first-image"))
    progress.record(result("99.gone", True))  # no longer in the course: not counted
    summary = progress.summary(COURSE)
    rows = {row.lesson: (row.label, row.done, row.total) for row in summary.lessons}
    assert rows == {"03": ("03-first-image", 1, 2), "04": ("04-running-containers", 1, 3)}
    assert (summary.done, summary.total) == (2, 5)
    text = str(summary)
    assert "03-first-image         1/2" in text and "all" in text and "2/5" in text
    assert "04-running-containers" in summary_html(summary)
    ex = {e["exercise"]: e["passed"] for e in summary.lessons[1].exercises}
    assert ex == {"04.logs": None, "04.name": True, "04.port": False}


def test_summary_with_no_course_uses_records(progress_file):
    assert str(progress.summary([])) == "No exercises yet."
    progress.record(result("05.x", True))
    assert [(r.lesson, r.done, r.total) for r in progress.summary([]).lessons] == [("05", 1, 1)]


def test_export_json_and_csv(progress_file, tmp_path):
    progress.record(result("04.name", True), lesson="04-running-containers")
    progress.record(result("04.port", True, False), lesson="04-running-containers")
    out = progress.export(tmp_path / "out" / "learner.json")
    data = json.loads(out.read_text())
    assert set(data) == {"exported", "user", "host", "summary", "exercises"}
    assert data["exercises"]["04.port"]["unmet"] == 1
    rows = list(csv.DictReader(open(progress.export(tmp_path / "learner.csv"))))
    assert [(r["exercise"], r["passed"]) for r in rows] == [("04.name", "True"), ("04.port", "False")]


def _record_many(path: str, worker: int) -> None:
    os.environ["DOCKERLAB_PROGRESS"] = path
    for n in range(15):
        progress.record(result(f"0{worker}.ex{n}", n % 2 == 0))


def test_concurrent_kernels_lose_nothing(progress_file):
    """Two kernels checking at once: the lock serialises read-modify-write, the rename keeps files whole."""
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_record_many, args=(str(progress_file), w)) for w in (1, 2, 3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    assert len(progress.load()) == 45


def test_not_yet_checks_in_a_row_are_counted_and_reset_by_a_pass(progress_file):
    first = progress.record(result("04.name", False))
    assert (first["not_yet_in_row"], first["not_yet_since"]) == (1, first["time"])
    second = progress.record(result("04.name", True, False))
    assert (second["not_yet_in_row"], second["not_yet_since"]) == (2, first["time"])  # the row started at the first
    passed = progress.record(result("04.name", True))
    assert (passed["not_yet_in_row"], passed["not_yet_since"]) == (0, None)
    again = progress.record(result("04.name", False))
    assert (again["not_yet_in_row"], again["not_yet_since"]) == (1, again["time"])  # a new row
    assert progress.not_yet_row(again) == (1, again["time"])


@pytest.mark.parametrize(
    ("record", "row"),
    [
        ({"passed": True, "attempts": 4, "first_passed": "2026-11-01T10:00:00+00:00"}, (0, None)),
        ({"passed": False, "attempts": 4, "first_passed": None}, (4, None)),  # never passed: every attempt
        ({"passed": False, "attempts": 4, "first_passed": "2026-11-01T10:00:00+00:00"}, (1, None)),  # at least the last
        ({"passed": False}, (1, None)),
        ({"passed": False, "not_yet_in_row": "x", "not_yet_since": 5}, (1, None)),  # hand-edited nonsense
    ],
    ids=["passed", "never-passed", "passed-before", "bare", "nonsense"],
)
def test_records_written_before_the_count_still_read(record, row):
    assert progress.not_yet_row(record) == row


def test_a_check_after_an_old_record_continues_its_row(progress_file):
    """A record written by a dockerlab without the count (three not-yets, never passed) goes on counting."""
    progress_file.parent.mkdir(parents=True)
    old = {"lesson": "04", "exercise": "04.name", "title": "t", "passed": False, "time": "2026-11-01T10:00:00+00:00",
           "met": 0, "unmet": 1, "attempts": 3, "first_passed": None}
    progress_file.write_text(json.dumps({"format": 1, "exercises": {"04.name": old}}))
    entry = progress.record(result("04.name", False))
    assert (entry["attempts"], entry["not_yet_in_row"], entry["not_yet_since"]) == (4, 4, None)


def test_a_pass_with_the_worked_solution_stays_solved_with_help(progress_file):
    helped = result("04.keep-running", True)
    helped.helped = True
    assert progress.record(helped)["helped"] is True
    # Checked again later (the check cell re-run): still the exercise the solution solved.
    assert progress.record(result("04.keep-running", True))["helped"] is True
    assert progress.record(result("04.name-container", True))["helped"] is False
