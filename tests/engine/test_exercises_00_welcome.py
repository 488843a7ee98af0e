"""Notebook 00's exercise against the real engine: the right version passes, each wrong one says why.

The numbers a learner might copy are read from the real ``docker version`` output, as the learner
reads them, not from the exercise module.
"""

from __future__ import annotations

import json

import pytest

from dockerlab import checks
from dockerlab import exercises
from support import docker, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("00-welcome")]


@pytest.fixture(scope="module")
def versions(docker_client) -> dict:
    """``docker version --format '{{json .}}'``: the Client and Server sections, as printed."""
    return json.loads(docker("version", "--format", "{{json .}}").stdout)


def answer(lesson, value):
    lesson.namespace = {} if value is ... else {"engine_version": value}
    return exercises.run("00.engine-version", lesson)


def reason(lesson, value) -> str:
    return unmet(answer(lesson, value), "engine_version is")


def test_right_answer_passes(lesson, versions):
    server = versions["Server"]["Version"]
    assert answer(lesson, server).passed
    assert answer(lesson, f"  {server}\n").passed  # copied with the line's spaces


@pytest.mark.parametrize(
    "value, words",
    [(..., "there is no variable engine_version"), (None, "still None"), (20.10, "a float"), ("nonsense", "is not the engine's version")],
)
def test_answers_that_are_no_version(lesson, value, words):
    assert words in reason(lesson, value)


def test_client_version_is_named(lesson, versions):
    client, server = versions["Client"]["Version"], versions["Server"]["Version"]
    if client == server:
        pytest.skip(f"client and engine are both {client} here: that answer is right")
    assert "version of the Client" in reason(lesson, client)


def test_api_version_is_named(lesson, versions):
    assert "is an API version" in reason(lesson, versions["Server"]["ApiVersion"])
    assert "is an API version" in reason(lesson, versions["Client"]["ApiVersion"])  # the negotiated one


def test_component_version_is_named(lesson, versions):
    components = {c["Name"]: c["Version"] for c in versions["Server"]["Components"]}
    if components.get("containerd") in (None, versions["Server"]["Version"]):
        pytest.skip("this engine reports no containerd version of its own")
    assert "the version of containerd" in reason(lesson, components["containerd"])


def test_go_version_is_named(lesson, versions):
    assert "version of Go" in reason(lesson, versions["Server"]["GoVersion"])


def test_start_of_the_version_only(lesson, versions):
    server = versions["Server"]["Version"]
    assert "the start of the engine's version only" in reason(lesson, server[:-1])


def test_progress_records_the_result(lesson, versions, tmp_path, monkeypatch):
    from dockerlab.record import progress

    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "progress.json"))
    lesson.namespace = {"engine_version": None}
    lesson.check("00.engine-version")
    lesson.namespace = {"engine_version": versions["Server"]["Version"]}
    lesson.check("00.engine-version")
    record = progress.load()["00.engine-version"]
    assert record["passed"] is True and record["attempts"] == 2 and record["lesson"] == "00-welcome"
