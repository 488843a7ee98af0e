"""`dockerlab progress show | export FILE`, run as a learner runs them: the real command in a subprocess.

Progress is recorded the way a check records it (:func:`dockerlab.record.progress.record`) into a file of
this test's own (``DOCKERLAB_PROGRESS``), then the command reads that file.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
import socket
import subprocess
import sys

import pytest

from dockerlab.record import progress
from dockerlab.checks import CheckResult, Requirement


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "state" / "progress.json"
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(path))
    return path


def dockerlab(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """``python -m dockerlab ARGS`` with this test's progress file."""
    return subprocess.run([sys.executable, "-m", "dockerlab", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=dict(os.environ))


def checked(exercise: str, lesson: str, *met: bool) -> None:
    requirements = [Requirement(f"requirement {i}", m, "" if m else "not yet") for i, m in enumerate(met)]
    progress.record(CheckResult(exercise, f"title of {exercise}", requirements, lesson=lesson))


@pytest.fixture
def some_progress(progress_file):
    """00.engine-version passed on the second try, 01.limits not yet; nothing else checked."""
    checked("00.engine-version", "00-welcome", False)
    checked("00.engine-version", "00-welcome", True)
    checked("01.limits", "01-architecture", True, False)
    return progress_file


def test_show_with_nothing_checked(progress_file):
    done = dockerlab("progress", "show", "--exercises")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"progress file: {progress_file}"
    assert "not checked  00.engine-version" in done.stdout and "passed " not in done.stdout
    assert lines[-1].split()[0] == "all" and lines[-1].split()[1].startswith("0/")


def test_show_counts_each_lesson(some_progress):
    done = dockerlab("progress", "show")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines()[1:]}
    assert rows["00-welcome"] == "1/1"
    assert rows["01-architecture"] == "0/2"
    assert rows["all"].startswith("1/")
    detailed = dockerlab("progress", "show", "--exercises").stdout
    assert "passed       00.engine-version" in detailed and "not yet      01.limits" in detailed
    assert "not checked  01.find-pid1" in detailed


def test_export_json_holds_what_it_says(some_progress, tmp_path):
    target = tmp_path / "hand-in" / "ada.json"
    done = dockerlab("progress", "export", str(target))
    assert done.returncode == 0, done.stderr
    assert f"wrote {target} (JSON): 1 of " in done.stdout and "your user name and this machine's name" in done.stdout
    data = json.loads(target.read_text())
    assert set(data) == {"exported", "user", "host", "summary", "exercises"}
    assert (data["user"], data["host"]) == (getpass.getuser(), socket.gethostname())
    assert data["exported"].endswith("+00:00")  # UTC
    assert set(data["exercises"]) == {"00.engine-version", "01.limits"}
    welcome = data["exercises"]["00.engine-version"]
    assert welcome["passed"] is True and welcome["attempts"] == 2 and welcome["first_passed"] == welcome["time"]
    limits = data["exercises"]["01.limits"]
    assert (limits["passed"], limits["met"], limits["unmet"], limits["first_passed"]) == (False, 1, 1, None)
    lessons = {row["lesson"]: row for row in data["summary"]}
    assert (lessons["00"]["done"], lessons["00"]["total"]) == (1, 1)
    assert {e["exercise"]: e["passed"] for e in lessons["01"]["exercises"]} == {"01.find-pid1": None, "01.limits": False}


def test_export_csv_one_row_per_checked_exercise(some_progress, tmp_path):
    target = tmp_path / "ada.csv"
    done = dockerlab("progress", "export", str(target))
    assert done.returncode == 0 and "(CSV, one row per exercise checked)" in done.stdout
    rows = list(csv.DictReader(target.open()))
    assert [(r["exercise"], r["passed"], r["attempts"]) for r in rows] == [("00.engine-version", "True", "2"), ("01.limits", "False", "1")]


def test_export_relative_name_lands_in_the_current_folder(some_progress, tmp_path):
    done = dockerlab("progress", "export", "mine.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "mine.json").read_text())["exercises"]["00.engine-version"]["passed"] is True


def test_export_where_nothing_can_be_written(some_progress, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = dockerlab("progress", "export", str(blocker / "ada.json"))  # its folder would have to be that file
    assert done.returncode == 2
    assert f"Could not write {blocker / 'ada.json'} ({blocker}: " in done.stderr and "What to do:" in done.stderr and "Traceback" not in done.stderr


def test_export_without_a_file_says_how(progress_file):
    done = dockerlab("progress", "export")
    assert done.returncode == 2 and "dockerlab progress export my-progress.json" in done.stderr
