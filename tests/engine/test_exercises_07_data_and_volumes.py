"""Notebook 07's exercise against the real engine: a real volume, real containers, real files.

The states are made with the ``docker`` CLI, as the learner makes them; names carry this test
session's id, and the lesson's reset removes them in ``finally`` (containers with their anonymous
volumes, then the named volume).
"""

from __future__ import annotations

import pytest

from dockerlab import checks
from dockerlab.exercises import nb07_data_and_volumes as ex
from dockerlab import exercises
from support import docker, met, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("07-data-and-volumes")]


def write_entry(lesson, text: str = "dear diary") -> None:
    vol = lesson.name(ex.VOLUME)
    docker("run", "--rm", "-v", f"{vol}:/diary", "busybox:1.37", "sh", "-c", f"echo {text} > /diary/entries.txt")


def reader(lesson, *mount: str) -> None:
    docker("run", "-d", "--name", lesson.name(ex.READER), *mount, "busybox:1.37", "sleep", "3600")


def answer(lesson, *mount: str, text: str = "dear diary"):
    """The entry written (``text``), a reader started with ``mount``: the check's result."""
    write_entry(lesson, text)
    reader(lesson, *mount)
    return exercises.run("07.persist-volume", lesson)


def test_right_answer_passes(lesson):
    vol = lesson.name(ex.VOLUME)
    docker("volume", "create", vol)
    write_entry(lesson)
    reader(lesson, "-v", f"{vol}:/diary:ro")
    res = exercises.run("07.persist-volume", lesson)
    assert res.passed, str(res)


def test_mount_flag_read_only_also_passes(lesson):
    vol = lesson.name(ex.VOLUME)
    write_entry(lesson)  # docker run -v creates the named volume when it does not exist
    reader(lesson, "--mount", f"type=volume,source={vol},target=/diary,readonly")
    assert exercises.run("07.persist-volume", lesson).passed


def test_nothing_done_yet(lesson):
    res = exercises.run("07.persist-volume", lesson)
    assert "docker volume create" in unmet(res, "a volume named")
    assert "--name" in unmet(res, "is running")
    assert len(res.requirements) == 2, "one reason for each thing missing, not the same one again"


def test_empty_volume_says_write_first(lesson):
    vol = lesson.name(ex.VOLUME)
    docker("volume", "create", vol)
    reader(lesson, "-v", f"{vol}:/diary:ro")
    res = exercises.run("07.persist-volume", lesson)
    assert "write it from a first container" in unmet(res, "holds entries.txt")
    assert "cannot be read" in unmet(res, "can be read inside")


def test_reader_with_anonymous_volume(lesson):
    res = answer(lesson, "-v", "/diary")
    assert "anonymous volume" in unmet(res, "mounts the volume")
    unmet(res, "can be read inside")


def test_reader_mounts_it_writable(lesson):
    res = answer(lesson, "-v", f"{lesson.name(ex.VOLUME)}:/diary")
    assert ":ro" in unmet(res, "mounts the volume")
    assert res.met_count == len(res.requirements) - 1


def test_reader_with_a_bind_mount(lesson, tmp_path):
    folder = tmp_path / "diary"
    folder.mkdir()
    (folder / "entries.txt").write_text("dear diary\n")
    res = answer(lesson, "-v", f"{folder}:/diary:ro")
    assert "bind mount" in unmet(res, "mounts the volume")


def test_wrong_words_in_the_file(lesson):
    res = answer(lesson, "-v", f"{lesson.name(ex.VOLUME)}:/diary:ro", text="shopping list")
    assert "shopping list" in unmet(res, "holds entries.txt")


def test_reader_mounts_it_elsewhere(lesson):
    res = answer(lesson, "-v", f"{lesson.name(ex.VOLUME)}:/data:ro")
    assert "at /data, not at /diary" in unmet(res, "mounts the volume")
    assert "cannot be read" in unmet(res, "can be read inside")


def test_reader_that_does_not_keep_running(lesson):
    vol = lesson.name(ex.VOLUME)
    write_entry(lesson)
    docker("run", "--name", lesson.name(ex.READER), "-v", f"{vol}:/diary:ro", "busybox:1.37", "cat", "/diary/entries.txt")
    res = exercises.run("07.persist-volume", lesson)
    assert "exited with code 0" in unmet(res, "is running")
    assert "dear diary" in unmet(res, "is running"), "its last output is shown"
    met(res, "mounts the volume")


def test_reader_with_a_typo_in_its_name(lesson):
    vol = lesson.name(ex.VOLUME)
    write_entry(lesson)
    typo = lesson.name("raeder")
    docker("run", "-d", "--name", typo, "-v", f"{vol}:/diary:ro", "busybox:1.37", "sleep", "3600")
    res = exercises.run("07.persist-volume", lesson)
    assert f"there is a container named {typo}: a typo?" in unmet(res, "is running")
    met(res, "holds entries.txt")
