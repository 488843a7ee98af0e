"""Where state lives (the platform's user state folder, moved once from ~/.cache/dockerlab), and the
locks on it (filelock): a session's lock frees when its process dies, however it dies."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import filelock
import pytest

from dockerlab import config
from dockerlab.engine import session
from dockerlab.record import progress
from dockerlab.tooling import suitelock


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home folder of its own, no DOCKERLAB_STATE / DOCKERLAB_PROGRESS, and no memory of earlier moves."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "home" / ".local" / "state"))
    monkeypatch.delenv("DOCKERLAB_STATE", raising=False)
    monkeypatch.delenv("DOCKERLAB_PROGRESS", raising=False)
    monkeypatch.setattr(session, "_moved_into", set())
    monkeypatch.setattr(progress, "_adopted", set())
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def _record(exercise: str, time: str, passed: bool, attempts: int = 1, first_passed: str | None = None) -> dict:
    return {"lesson": exercise.split(".")[0], "exercise": exercise, "title": exercise, "passed": passed, "time": time,
            "met": 1, "unmet": 0 if passed else 1, "attempts": attempts, "first_passed": first_passed}


def _progress_file(path: Path, *records: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": 1, "exercises": {r["exercise"]: r for r in records}}))
    return path


def _holder(lock_path: Path) -> subprocess.Popen:
    """Another process holding a flock on ``lock_path``, as an older dockerlab's live session does."""
    code = f"import fcntl, sys; f = open({str(lock_path)!r}, 'w'); fcntl.flock(f, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()"
    holder = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _old_style(home: Path) -> Path:
    """~/.cache/dockerlab as an older dockerlab left it: progress, a dead session, a suite lock."""
    old = home / ".cache" / "dockerlab"
    _progress_file(old / "progress.json", _record("03.build", "2026-11-01T10:00:00+00:00", True, first_passed="2026-11-01T10:00:00+00:00"))
    (old / "progress.json.lock").touch()
    (old / "sessions" / "dlaaaaaa").mkdir(parents=True)
    (old / "sessions" / "dlaaaaaa" / "compose-override.yaml").write_text("services: {}\n")
    (old / "sessions" / "dlaaaaaa.json").write_text(json.dumps({"id": "dlaaaaaa", "pid": 1}))
    (old / "sessions" / "dlaaaaaa.lock").touch()
    (old / "suiteunix____var_run_docker.sock.lock").touch()
    return old


def test_the_state_folder_is_the_platforms_user_state_folder(home):
    assert config.default_state_dir() == home / ".local" / "state" / "dockerlab"
    assert session.state_dir() == home / ".local" / "state" / "dockerlab"
    assert progress.path() == home / ".local" / "state" / "dockerlab" / "progress.json"


def test_an_old_style_folder_moves_once_and_a_second_time_changes_nothing(home, monkeypatch):
    old = _old_style(home)
    (old / "sessions" / "dlbbbbbb.json").write_text(json.dumps({"id": "dlbbbbbb"}))
    live = _holder(old / "sessions" / "dlbbbbbb.lock")  # an older dockerlab's kernel, still running
    try:
        file = progress.path()
        new = home / ".local" / "state" / "dockerlab"
        assert file == new / "progress.json"
        assert progress.load()["03.build"]["passed"] is True
        assert not (old / "progress.json").exists()
        # the dead session moved whole, so the sweep here finds what it left
        assert (new / "sessions" / "dlaaaaaa.json").exists() and (new / "sessions" / "dlaaaaaa.lock").exists()
        assert (new / "sessions" / "dlaaaaaa" / "compose-override.yaml").read_text() == "services: {}\n"
        assert session.Session.is_dead("dlaaaaaa")
        # the live one stays where its process looks for it; lock files stay where their holders took them
        assert (old / "sessions" / "dlbbbbbb.json").exists() and not (new / "sessions" / "dlbbbbbb.json").exists()
        assert (old / "suiteunix____var_run_docker.sock.lock").exists() and (old / "progress.json.lock").exists()
        before = {p.relative_to(home): p.read_bytes() for p in home.rglob("*") if p.is_file()}

        monkeypatch.setattr(session, "_moved_into", set())  # a new process: it looks again
        monkeypatch.setattr(progress, "_adopted", set())
        assert progress.path() == file
        after = {p.relative_to(home): p.read_bytes() for p in home.rglob("*") if p.is_file()}
        assert after == before
    finally:
        live.stdin.close()
        live.wait(timeout=10)
    # once its process has ended, the live session of then moves on the next look
    monkeypatch.setattr(session, "_moved_into", set())
    session.state_dir()
    assert (home / ".local" / "state" / "dockerlab" / "sessions" / "dlbbbbbb.json").exists()


def test_a_newer_file_is_never_lost_the_two_are_merged(home):
    old = _progress_file(home / ".cache" / "dockerlab" / "progress.json",
                         _record("03.build", "2026-11-01T10:00:00+00:00", True, attempts=2, first_passed="2026-11-01T09:00:00+00:00"),
                         _record("04.name", "2026-11-20T10:00:00+00:00", True, first_passed="2026-11-20T10:00:00+00:00"),
                         _record("05.port", "2026-11-02T10:00:00+00:00", False))
    new = _progress_file(home / ".local" / "state" / "dockerlab" / "progress.json",
                         _record("03.build", "2026-11-10T10:00:00+00:00", False, attempts=1),  # newer, not passed now
                         _record("04.name", "2026-11-05T10:00:00+00:00", False, attempts=3))   # older than the old file's
    assert progress.adopt(old, new) is True
    merged = progress.load(new)
    assert set(merged) == {"03.build", "04.name", "05.port"}
    assert merged["03.build"]["time"] == "2026-11-10T10:00:00+00:00" and merged["03.build"]["passed"] is False
    assert merged["03.build"]["first_passed"] == "2026-11-01T09:00:00+00:00" and merged["03.build"]["attempts"] == 2
    assert merged["04.name"]["passed"] is True and merged["04.name"]["attempts"] == 3  # the old file's was newer
    assert not old.exists()
    assert progress.adopt(old, new) is False and progress.load(new) == merged  # again: nothing to do


def test_a_file_that_cannot_be_read_is_never_merged_or_removed(home):
    old = home / ".cache" / "dockerlab" / "progress.json"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"\x00 not json")
    new = _progress_file(home / ".local" / "state" / "dockerlab" / "progress.json", _record("03.build", "2026-11-10T10:00:00+00:00", True))
    assert progress.adopt(old, new) is False
    assert old.read_bytes() == b"\x00 not json" and progress.load(new)["03.build"]["passed"] is True


def test_dockerlab_state_set_moves_nothing(home, tmp_path, monkeypatch):
    old = _old_style(home)
    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path / "chosen"))
    assert progress.path() == tmp_path / "chosen" / "progress.json"
    assert (old / "progress.json").exists() and (old / "sessions" / "dlaaaaaa.json").exists()
    assert not (tmp_path / "chosen" / "progress.json").exists()


# -- locks -----------------------------------------------------------------------------------------

CHILD = """
    import sys
    from dockerlab.engine import session
    held = session.Session()
    print(held.id, flush=True)
    sys.stdin.read()
"""


def test_a_sessions_lock_frees_when_its_process_is_killed(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path / "state"))
    env = {**os.environ, "DOCKERLAB_STATE": str(tmp_path / "state")}
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(CHILD)], env=env, cwd=Path(__file__).resolve().parents[2],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        sid = child.stdout.readline().strip()
        assert sid.startswith("dl")
        assert not session.Session.is_dead(sid)
        with pytest.raises(BlockingIOError):  # nobody takes over a live session (classroom.runner.tidy relies on it)
            session.Session(sid)
    finally:
        child.send_signal(signal.SIGKILL)  # no atexit, no release: as a crashed kernel
        child.wait()
    assert session.Session.is_dead(sid)
    orphan = session.Session(sid)  # taking over a dead session works
    try:
        assert not session.Session.is_dead(sid)  # held by this process now, through another open file
    finally:
        orphan.release()
    assert not (tmp_path / "state" / "sessions" / f"{sid}.json").exists()


def test_a_session_lock_of_an_older_dockerlab_counts(tmp_path, monkeypatch):
    """Older versions of dockerlab took the same lock with fcntl.flock: old and new see each other's sessions alive."""
    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path / "state"))
    sessions = session.state_dir() / "sessions"
    (sessions / "dlcccccc.json").write_text("{}")
    holder = _holder(sessions / "dlcccccc.lock")
    try:
        assert not session.Session.is_dead("dlcccccc")
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert session.Session.is_dead("dlcccccc")


def test_a_stuck_progress_lock_fails_the_save_with_an_oserror_not_a_hang(tmp_path, monkeypatch):
    file = tmp_path / "progress.json"
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(file))
    monkeypatch.setattr(progress, "LOCK_TIMEOUT", 0.3)
    holder = _holder(tmp_path / "progress.json.lock")
    try:
        with pytest.raises(OSError) as raised:  # Lesson.check catches OSError: the check's result is still shown
            progress.load()
        assert isinstance(raised.value, filelock.Timeout)
    finally:
        holder.stdin.close()
        holder.wait(timeout=10)
    assert progress.load() == {}


def test_the_suite_lock_is_taken_here_and_where_older_checkouts_take_it(home, monkeypatch):
    monkeypatch.setattr(suitelock, "engine_key", lambda: "-TESTENGINE")  # no engine needed
    (home / ".cache" / "dockerlab").mkdir(parents=True)
    files = suitelock.lock_files()
    assert [f.parent for f in files] == [home / ".local" / "state" / "dockerlab", home / ".cache" / "dockerlab"]
    assert {f.name for f in files} == {"suite-TESTENGINE.lock"}
    first = suitelock.acquire(wait_minutes=1)
    try:
        for path in files:  # an older checkout's run (fcntl.flock on either file) would wait
            with open(path) as handle, pytest.raises(BlockingIOError):
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        said = []
        with pytest.raises(SystemExit, match="gave up"):
            suitelock.acquire(wait_minutes=0.02, on_wait=said.append)
        assert len(said) == 1 and "waiting for it to finish" in said[0]
    finally:
        first.close()
    with suitelock.held(wait_minutes=0.1):
        pass
