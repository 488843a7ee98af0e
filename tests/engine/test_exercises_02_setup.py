"""Notebook 02's exercises against real containers: the right answer passes, each wrong one says why.

Containers are started with the ``docker`` CLI under this test session's names (``hello-dl…``,
``writer-dl…``) and removed after each test; files go to a temporary lesson folder.
"""

from __future__ import annotations

import os
import shutil

import pytest

from dockerlab import checks
from dockerlab.exercises import nb02_setup
from dockerlab import exercises
from support import docker, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("02-setup")]


# -- 02.first-container ----------------------------------------------------------------------


@pytest.fixture
def hello(container_name):
    return container_name("hello")


def test_first_container_right_answer_passes(lesson, hello):
    docker("run", "--name", hello, "hello-world")
    res = exercises.run("02.first-container", lesson)
    assert res.passed, str(res)


def test_first_container_with_rm_is_gone(lesson, hello):
    docker("run", "--rm", "hello-world")
    res = exercises.run("02.first-container", lesson)
    assert "--rm" in unmet(res, "exists")
    assert [r.met for r in res.requirements] == [True, True, False]  # the plugins are there


def test_first_container_wrong_image(lesson, hello):
    docker("run", "--name", hello, "busybox:1.37", "echo", "Hello from Docker!")
    res = exercises.run("02.first-container", lesson)
    assert "not hello-world:latest" in unmet(res, "image")
    assert res.met_count == len(res.requirements) - 1


def test_first_container_never_started(lesson, hello):
    docker("create", "--name", hello, "hello-world")
    res = exercises.run("02.first-container", lesson)
    assert "never started" in unmet(res, "exit code 0")
    assert "never started" in unmet(res, "output")


def test_first_container_failed_run(lesson, hello):
    docker("run", "--name", hello, "busybox:1.37", "sh", "-c", "echo oops; exit 3", check=False)
    res = exercises.run("02.first-container", lesson)
    reason = unmet(res, "exit code 0")
    assert "code 3" in reason and "oops" in reason


def test_first_container_missing_plugin_is_named(lesson, hello, monkeypatch):
    docker("run", "--name", hello, "hello-world")
    real = nb02_setup.dockercli.plugin_version
    monkeypatch.setattr(nb02_setup.dockercli, "plugin_version", lambda name: None if name == "compose" else real(name))
    res = exercises.run("02.first-container", lesson)
    assert "ensure-engine.sh" in unmet(res, "Compose plugin")
    assert res.met_count == len(res.requirements) - 1


# -- 02.as-your-user -------------------------------------------------------------------------


@pytest.fixture
def writer(lesson, container_name):
    """The name, the shared folder (writable by the wanted user, as the notebook makes it) and ids."""
    name = container_name("writer")
    shared = lesson.path("shared")
    shared.mkdir()
    uid, gid = nb02_setup.wanted_user()
    if os.getuid() == 0:
        os.chown(shared, uid, gid)
    try:
        yield name, shared, f"{uid}:{gid}"
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def run_writer(name, shared, *flags, target="/shared/mine.txt", check=True):
    return docker("run", "--name", name, *flags, "-v", f"{shared}:/shared", "busybox:1.37", "touch", target, check=check)


def test_as_your_user_right_answer_passes(lesson, writer):
    name, shared, user = writer
    run_writer(name, shared, "--user", user)
    res = exercises.run("02.as-your-user", lesson)
    assert res.passed, str(res)


def test_as_your_user_without_user_flag(lesson, writer):
    name, shared, user = writer
    run_writer(name, shared)
    res = exercises.run("02.as-your-user", lesson)
    assert "no --user was given" in unmet(res, "--user") and user in unmet(res, "--user")
    if os.getuid() == 0:  # as root the wanted user is 1000, so the root-owned file is wrong too
        assert "belongs to root" in unmet(res, "belongs to")


def test_as_your_user_uid_without_gid(lesson, writer):
    name, shared, user = writer
    run_writer(name, shared, "--user", user.split(":")[0])
    res = exercises.run("02.as-your-user", lesson)
    assert "sets only the user" in unmet(res, "--user")


def test_as_your_user_someone_else_cannot_write(lesson, writer):
    name, shared, user = writer
    run_writer(name, shared, "--user", "4242:4242", check=False)
    res = exercises.run("02.as-your-user", lesson)
    assert "Permission denied" in unmet(res, "exit code 0")
    assert "ran as 4242:4242, not" in unmet(res, "--user")
    assert "there is no" in unmet(res, "belongs to")


def test_as_your_user_without_mount(lesson, writer):
    name, _shared, user = writer
    docker("run", "--name", name, "--user", user, "busybox:1.37", "true")  # writes nothing anywhere
    res = exercises.run("02.as-your-user", lesson)
    assert "Mount the folder" in unmet(res, "belongs to")


def test_as_your_user_with_rm_is_gone(lesson, writer):
    name, shared, user = writer
    docker("run", "--rm", "--name", name, "--user", user, "-v", f"{shared}:/shared", "busybox:1.37", "touch", "/shared/mine.txt")
    res = exercises.run("02.as-your-user", lesson)
    assert "--rm" in unmet(res, "exists")
