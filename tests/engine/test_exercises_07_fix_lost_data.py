"""Notebook 07's debug-and-fix exercise, ``07.fix-lost-data``, against the real engine.

Each test first plays the notebook's story with the ``docker`` CLI (the app started twice on its volume, then
"upgraded" with a typo in the volume's name, which ``docker run -v`` answers by making a new, empty volume), then
a repair, right or wrong. The app's command is read from the notebook, its one source. Wrong answers that look
right (the app runs and counts, but a stated requirement is broken) are among them; each test asserts the reason
names the actual problem. Names carry the test session's id; the lesson's reset removes containers and volumes.
"""

from __future__ import annotations

import ast
import json

import pytest

from dockerlab import exercises
from dockerlab.exercises import nb07_data_and_volumes as ex
from support import ROOT, docker, met, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("07-data-and-volumes")]

ID = "07.fix-lost-data"


def the_apps_command() -> str:
    """``app = "..."`` in the notebook's story cell."""
    cells = json.loads((ROOT / "notebooks" / "07-data-and-volumes.ipynb").read_text())["cells"]
    for cell in cells:
        for line in cell["source"]:
            if line.startswith("app = "):
                return ast.literal_eval(line.removeprefix("app = ").strip())
    raise AssertionError("the notebook has no app = ... line")


APP = the_apps_command()


def run_app(lesson, *mount: str, name: str | None = None, command: str = APP) -> None:
    docker("run", "-d", "--name", name or lesson.name(ex.APP), *mount, "busybox:1.37", "sh", "-c", command)


@pytest.fixture
def story(lesson) -> dict[str, str]:
    """The notebook's story, up to the colleague's upgrade: the names of the app, its volume and the stray volume."""
    app, data, stray = lesson.name(ex.APP), lesson.name(ex.APP_DATA), lesson.name(ex.TYPO_DATA)
    run_app(lesson, "-v", f"{data}:/data")
    docker("rm", "-f", app)
    run_app(lesson, "-v", f"{data}:/data")
    docker("rm", "-f", app)
    run_app(lesson, "-v", f"{stray}:/data")
    return {"app": app, "data": data, "stray": stray}


def repair(lesson, story, *mount: str, remove_stray: bool = True, **options) -> None:
    docker("rm", "-f", story["app"])
    if remove_stray:
        docker("volume", "rm", story["stray"])
    run_app(lesson, *mount, **options)


def test_right_answer_passes(lesson, story):
    repair(lesson, story, "-v", f"{story['data']}:/data")
    res = exercises.run(ID, lesson)
    assert res.passed, str(res)


def test_repaired_with_mount_flag_also_passes(lesson, story):
    repair(lesson, story, "--mount", f"type=volume,source={story['data']},target=/data")
    assert exercises.run(ID, lesson).passed


def test_the_broken_upgrade_as_the_notebook_leaves_it(lesson, story):
    res = exercises.run(ID, lesson)
    met(res, "is running")
    assert f"mounts the volume {story['stray']} at /data, not {story['data']}" in unmet(res, "mounts the volume")
    assert "starts so far: 1" in unmet(res, "counted on")
    assert "is still there (first remove the container that uses it" in unmet(res, "stray volume")


def test_stray_volume_left_behind(lesson, story):
    """Looks right: the app runs on its volume and counts 3; the volume the typo made is still there."""
    repair(lesson, story, "-v", f"{story['data']}:/data", remove_stray=False)
    res = exercises.run(ID, lesson)
    assert res.met_count == len(res.requirements) - 1
    assert f"docker volume rm {story['stray']}" in unmet(res, "stray volume")


def test_container_removed_and_not_started_again(lesson, story):
    docker("rm", "-f", story["app"])
    docker("volume", "rm", story["stray"])
    res = exercises.run(ID, lesson)
    assert f"did you pass --name {story['app']}" in unmet(res, "is running")
    met(res, "stray volume")


def test_mounted_read_only(lesson, story):
    """Looks right: the app runs, on the right volume; it cannot write its log."""
    repair(lesson, story, "-v", f"{story['data']}:/data:ro")
    res = exercises.run(ID, lesson)
    assert "mounted read-only, but the app must write to it" in unmet(res, "mounts the volume")
    assert "Read-only file system" in unmet(res, "counted on")


def test_right_volume_at_the_wrong_path(lesson, story):
    repair(lesson, story, "-v", f"{story['data']}:/srv/data")
    res = exercises.run(ID, lesson)
    assert "at /srv/data, not at /data" in unmet(res, "mounts the volume")
    assert "could not write /data/starts.log" in unmet(res, "counted on")


def test_volume_made_again(lesson, story):
    """The volume removed and made again under the right name: the mount is right, the earlier starts are gone."""
    docker("rm", "-f", story["app"])
    docker("volume", "rm", story["stray"], story["data"])
    docker("volume", "create", story["data"])
    run_app(lesson, "-v", f"{story['data']}:/data")
    res = exercises.run(ID, lesson)
    met(res, "mounts the volume")
    assert "has lost the earlier starts (was it removed and made again?)" in unmet(res, "counted on")


def test_anonymous_volume(lesson, story):
    repair(lesson, story, "-v", "/data")
    res = exercises.run(ID, lesson)
    assert "anonymous volume at /data" in unmet(res, "mounts the volume")
    assert "does not see the earlier starts" in unmet(res, "counted on")


def test_bind_mount(lesson, story):
    folder = lesson.path("visits-data")
    folder.mkdir(parents=True)
    repair(lesson, story, "-v", f"{folder}:/data")
    res = exercises.run(ID, lesson)
    assert "(a bind mount), not the volume" in unmet(res, "mounts the volume")


def test_app_that_does_not_keep_running(lesson, story):
    repair(lesson, story, "-v", f"{story['data']}:/data", command=APP.replace("exec sleep 3600", "true"))
    docker("wait", story["app"])
    res = exercises.run(ID, lesson)
    assert "exited with code 0" in unmet(res, "is running")
    assert "starts so far: 3" in unmet(res, "is running"), "its last output is shown"
    met(res, "mounts the volume")


def test_the_broken_container_restarted(lesson, story):
    """docker restart runs the same container again: the same mounts, the stray volume, which now counts 2."""
    docker("restart", "-t", "0", story["app"])
    res = exercises.run(ID, lesson)
    assert f"mounts the volume {story['stray']}" in unmet(res, "mounts the volume")
    assert "starts so far: 2" in unmet(res, "counted on")
