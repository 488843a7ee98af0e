"""Notebook 01's exercises against real containers: the right answer passes, each wrong one says why.

Every container is started with the ``docker`` CLI, as a learner would, under this test session's
names (``limited-dl…``, ``mystery-dl…``), and removed after each test.
"""

from __future__ import annotations

import os

import pytest

from dockerlab import checks
from dockerlab import exercises
from support import output, remove, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("01-architecture")]


def result(lesson, exercise_id):
    return exercises.run(exercise_id, lesson)


# -- 01.limits -------------------------------------------------------------------------------


@pytest.fixture
def run_limited(container_name):
    """``run_limited(ARGS)``: ``docker run -d --name limited-<session> ARGS``; the container goes after the test."""
    def run(*args: str) -> str:
        name = container_name("limited")
        output("run", "-d", "--name", name, *args)
        return name

    return run


def test_limits_right_answer_passes(lesson, run_limited):
    run_limited("--memory", "48m", "--pids-limit", "20", "busybox:1.37", "sleep", "600")
    res = result(lesson, "01.limits")
    assert res.passed, str(res)


def test_limits_no_container_says_so(lesson):
    remove(lesson.name("limited"))
    res = result(lesson, "01.limits")
    assert not res.passed
    assert "no container named" in unmet(res, "exists")
    assert len(res.requirements) == 1  # nothing else is judged without the container


def test_limits_busybox_without_command_exits_and_says_why(lesson, run_limited):
    name = run_limited("--memory", "48m", "--pids-limit", "20", "busybox:1.37")
    output("wait", name)
    res = result(lesson, "01.limits")
    reason = unmet(res, "is running")
    assert "default command, sh" in reason and "sleep 3600" in reason


@pytest.mark.parametrize(
    ("flags", "memory", "processes"),
    [
        pytest.param([], ["no memory limit", "--memory 48m"], ["no process limit", "--pids-limit 20"], id="missing"),
        pytest.param(["--memory", "64m", "--pids-limit", "50"], ["64 MiB, not 48 MiB"], ["50, not 20"], id="wrong-values"),
    ],
)
def test_limits_are_named(lesson, run_limited, flags, memory, processes):
    """Limits left out, or set to other values: the reason about each says so."""
    run_limited(*flags, "busybox:1.37", "sleep", "600")
    res = result(lesson, "01.limits")
    for words in memory:
        assert words in unmet(res, "of memory")
    for words in processes:
        assert words in unmet(res, "processes")


def test_limits_wrong_image_is_named(lesson, run_limited):
    run_limited("--memory", "48m", "--pids-limit", "20", "debian:trixie-slim", "sleep", "600")
    res = result(lesson, "01.limits")
    assert "not busybox:1.37" in unmet(res, "image")
    assert res.met_count == len(res.requirements) - 1


# -- 01.find-pid1 ----------------------------------------------------------------------------


@pytest.fixture
def mystery(container_name):
    """The notebook's mystery container: PID 1 is sh, with one child, sleep."""
    name = container_name("mystery")
    output("run", "-d", "--name", name, "busybox:1.37", "sh", "-c", "sleep 3600 & wait")
    rows = []
    for _ in range(50):  # the child appears a moment after sh starts
        top = output("top", name, "-o", "pid,ppid,args").splitlines()[1:]
        rows = [line.split(None, 2) for line in top]
        if len(rows) == 2:
            break
    pid1 = int(output("inspect", "--format", "{{.State.Pid}}", name))
    child = next(int(pid) for pid, ppid, _ in rows if int(ppid) == pid1)
    shim = next(int(ppid) for pid, ppid, _ in rows if int(pid) == pid1)
    return {"name": name, "pid1": pid1, "child": child, "shim": shim}


def answer(lesson, text: str | None) -> None:
    path = lesson.path("pid1-answer.txt")
    if text is None:
        path.unlink(missing_ok=True)
    else:
        path.write_text(text + "\n")


def test_find_pid1_right_answer_passes(lesson, mystery):
    answer(lesson, str(mystery["pid1"]))
    res = result(lesson, "01.find-pid1")
    assert res.passed, str(res)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (None, "no answer yet"),
        ("None", "still None"),
        ("twelve", "not a whole number"),
    ],
)
def test_find_pid1_unusable_answers(lesson, mystery, text, words):
    answer(lesson, text)
    res = result(lesson, "01.find-pid1")
    assert words in unmet(res, "holds a number")
    assert "first write a number" in unmet(res, "host PID")


def test_find_pid1_one_is_the_pid_inside(lesson, mystery):
    answer(lesson, "1")
    assert "inside the container" in unmet(result(lesson, "01.find-pid1"), "host PID")


def test_find_pid1_child_is_not_pid1(lesson, mystery):
    answer(lesson, str(mystery["child"]))
    reason = unmet(result(lesson, "01.find-pid1"), "host PID")
    assert "a process of the container" in reason and "sleep 3600" in reason and "not its PID 1" in reason


def test_find_pid1_shim_is_the_parent(lesson, mystery):
    answer(lesson, str(mystery["shim"]))
    reason = unmet(result(lesson, "01.find-pid1"), "host PID")
    assert "containerd-shim-runc-v2" in reason


def test_find_pid1_unrelated_pid(lesson, mystery):
    # This test's own PID is no process of the container; but where the test runs in a PID namespace of its own
    # (matrix row d, a notebook in a container) it is 1 there, and 1 gets an explanation of its own.
    unrelated = os.getpid() if os.getpid() != 1 else 4_000_000
    answer(lesson, str(unrelated))
    reason = unmet(result(lesson, "01.find-pid1"), "host PID")
    assert "no process of" in reason and "docker top" in reason


def test_find_pid1_container_gone(lesson):
    remove(lesson.name("mystery"))
    answer(lesson, "1234")
    res = result(lesson, "01.find-pid1")
    assert "no container named" in unmet(res, "is running")
    assert not res.passed
