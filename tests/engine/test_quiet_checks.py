"""Quiet checks (the progress strip's): the engine is read and never changed, and a right answer shows as done.

Against the real engine: inside ``quietly()`` creating a container, running a CLI command that changes
something and fetching a page are refused (and nothing was made), while reads work; the strip's refresh of
notebook 04 turns an exercise done once the right container runs, without its check cell, and records nothing.
"""

from __future__ import annotations

import pytest

from dockerlab import engine, exercises
from dockerlab.checks import http
from dockerlab.checks.blocks import Unmet
from dockerlab.engine import dockercli, quiet
from dockerlab.jupyter.strip import Strip, badge_for
from dockerlab.record import progress
from support import docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("04-running-containers")]


@pytest.fixture
def image(my_python_app) -> str:
    return my_python_app


def names() -> set[str]:
    return set(docker("ps", "-a", "--format", "{{.Names}}").stdout.split())


def test_quietly_the_engine_is_read_and_never_changed(lesson, container_name, image):
    worker = container_name("worker")
    before = names()
    with quiet.quietly():
        assert engine.client().api.version()["ApiVersion"]  # a read
        assert engine.client().containers.list(all=True) is not None
        with pytest.raises(quiet.NotQuietly):
            lesson.run(image, ["sleep", "5"], name=worker)
        assert dockercli.run(["ps", "-a"]).returncode == 0
        assert dockercli.run(["compose", "-f", "x.yaml", "ps"]).returncode is not None  # a read: allowed to run
        for changing in (["run", "--rm", image], ["rm", "-f", worker], ["compose", "-f", "x.yaml", "up", "-d"],
                         ["network", "create", worker]):
            with pytest.raises(quiet.NotQuietly):
                dockercli.run(changing)
        with pytest.raises(quiet.NotQuietly):
            next(dockercli.stream(["buildx", "build", "-t", worker, "."]))  # a build, streamed as the helper's are
        with pytest.raises(quiet.NotQuietly):
            http.fetch("http://127.0.0.1:9/")
    assert names() == before
    # Outside quietly() the same calls work again.
    with pytest.raises(Unmet):
        http.fetch("http://127.0.0.1:9/", wait=0)


def test_a_right_answer_turns_done_on_the_strip_without_the_check_cell(lesson, container_name, image, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "progress.json"))
    strip = Strip(lesson)
    assert [b.state for b in strip.view.badges] == ["not checked"] * len(strip.ids) and "04.keep-running" in strip.ids
    strip.refresh()
    assert {b.exercise: b.state for b in strip.view.badges}["04.keep-running"] == "not yet"
    docker("run", "-d", "--name", container_name("worker"), image, "sleep", "infinity")
    strip.refresh()
    states = {b.exercise: b.state for b in strip.view.badges}
    assert states["04.keep-running"] == "done", strip.view.text()
    assert "✓ 04.keep-running" in strip.view.text() and "✓ 04.keep-running" in strip.view.html()
    assert progress.load() == {}, "the strip records nothing: progress is the check cell's"


def test_what_only_the_check_cell_can_do_is_left_to_it():
    """A check that must fetch a page (05's) says "looks done" quietly, never done and never a wrong reason."""
    ok = exercises.registry.Requirement("a container named site runs", True)
    left = exercises.registry.Requirement("the page answers", False, "checked when you run the check cell", unchecked=True)
    result = exercises.registry.CheckResult("05.publish-localhost", "Publish", [ok, left])
    assert badge_for(result).state == "check it"
    result.requirements.append(exercises.registry.Requirement("publishes port 80", False, "publishes no ports"))
    assert badge_for(result).state == "not yet"
