"""Notebook 07's transfer exercise, ``07.backup-volume``, against the real engine: a real volume, filled as the
notebook's cell fills it, backed up (or not quite) by real throw-away containers into the lesson's work folder.

Each wrong answer is one a learner could give, several of them looking right (an archive is there, and tar lists
files); each test asserts the reason names the actual problem. Names carry the test session's id; the lesson's reset
removes the containers and volumes, the archive goes with the test's tmp_path.
"""

from __future__ import annotations

import tarfile

import pytest

from dockerlab import exercises
from dockerlab.exercises import nb07_data_and_volumes as ex
from support import docker, met, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("07-data-and-volumes")]

ID = "07.backup-volume"


@pytest.fixture
def ledger(lesson) -> str:
    """The volume, filled as the notebook's cell fills it; the backups folder made, as the cell makes it."""
    name = lesson.name(ex.LEDGER)
    lesson.path(ex.BACKUPS).mkdir(parents=True, exist_ok=True)
    docker("volume", "create", name)
    docker("run", "--rm", "-v", f"{name}:/ledger", "busybox:1.37", "sh", "-c",
           'echo "alice 120" > /ledger/accounts.txt; mkdir -p /ledger/2026; echo "rent 800" > /ledger/2026/january.txt')
    return name


def backup(lesson, volume: str, *command: str, rm: bool = True, name: str | None = None) -> None:
    """A throw-away container that mounts ``volume`` at /ledger and the backups folder at /backup, running ``command``."""
    flags = ["--rm"] if rm else ["--name", name or lesson.name("backer")]
    docker("run", *flags, "-v", f"{volume}:/ledger", "-v", f"{lesson.path(ex.BACKUPS)}:/backup", "busybox:1.37", *command)


def test_right_answer_passes(lesson, ledger):
    backup(lesson, ledger, "tar", "cf", "/backup/ledger.tar", "-C", "/ledger", ".")
    res = exercises.run(ID, lesson)
    assert res.passed, str(res)
    with tarfile.open(lesson.path(ex.BACKUPS, ex.ARCHIVE)) as archive:
        assert "./2026/january.txt" in archive.getnames()


def test_a_compressed_archive_and_plain_paths_also_pass(lesson, ledger):
    backup(lesson, ledger, "sh", "-c", "cd /ledger && tar czf /backup/ledger.tar accounts.txt 2026")
    assert exercises.run(ID, lesson).passed


def test_nothing_done_yet(lesson, ledger):
    res = exercises.run(ID, lesson)
    assert "there is no ledger.tar in backups yet" in unmet(res, "is a tar archive")
    assert "-v " in unmet(res, "is a tar archive"), "it says how the file gets out of the container"
    met(res, "is left behind")
    assert len(res.requirements) == 2, "the archive's content is not judged when there is no archive"


def test_archive_written_inside_the_container_only(lesson, ledger):
    docker("run", "--rm", "-v", f"{ledger}:/ledger", "busybox:1.37", "tar", "cf", "/ledger.tar", "-C", "/ledger", ".")
    res = exercises.run(ID, lesson)
    assert "a file written inside a container stays in that container" in unmet(res, "is a tar archive")


@pytest.mark.parametrize(("command", "requirement", "words"), [
    pytest.param("tar cf /backup/backup.tar -C /ledger .", "is a tar archive",
                 "which holds backup.tar; the archive must be named ledger.tar", id="another-name"),
    pytest.param("cat /ledger/accounts.txt /ledger/2026/january.txt > /backup/ledger.tar", "is a tar archive",
                 "is not a tar archive", id="not-a-tar"),
    pytest.param("tar cf /backup/ledger.tar -C /ledger accounts.txt", "every file of the volume",
                 "lacks 2026/january.txt", id="one-file-left-out"),
])
def test_wrong_archive(lesson, ledger, command, requirement, words):
    backup(lesson, ledger, "sh", "-c", command)
    assert words in unmet(exercises.run(ID, lesson), requirement)


def test_paths_under_the_mount_point(lesson, ledger):
    """Looks right: every file is there, with its content; but under ledger/ (tar strips the leading /)."""
    backup(lesson, ledger, "tar", "cf", "/backup/ledger.tar", "/ledger")
    res = exercises.run(ID, lesson)
    met(res, "every file of the volume")
    assert "holds ledger/2026/january.txt, not 2026/january.txt" in unmet(res, "start at the volume's top")
    assert "-C /ledger ." in unmet(res, "start at the volume's top")


def test_a_typo_in_the_volume_name_backs_up_a_new_empty_volume(lesson, ledger):
    """Looks right: the command runs without a word and an archive appears; -v made a new, empty volume."""
    backup(lesson, lesson.name("ledgre"), "tar", "cf", "/backup/ledger.tar", "-C", "/ledger", ".")
    res = exercises.run(ID, lesson)
    assert "holds no files at all; did -v name another volume?" in unmet(res, "every file of the volume")


def test_an_older_backup(lesson, ledger):
    backup(lesson, ledger, "tar", "cf", "/backup/ledger.tar", "-C", "/ledger", ".")
    docker("run", "--rm", "-v", f"{ledger}:/ledger", "busybox:1.37", "sh", "-c", 'echo "bob 40" >> /ledger/accounts.txt')
    res = exercises.run(ID, lesson)
    assert "accounts.txt in the archive differs from the volume's" in unmet(res, "every file of the volume")


def test_the_container_is_left_behind(lesson, ledger, container_name):
    """Looks right: the archive is perfect; but the container that made it stays (no --rm)."""
    name = container_name("backer")
    backup(lesson, ledger, "tar", "cf", "/backup/ledger.tar", "-C", "/ledger", ".", rm=False, name=name)
    res = exercises.run(ID, lesson)
    assert res.met_count == len(res.requirements) - 1
    assert f"{name} still exists and mounts {ledger}" in unmet(res, "is left behind")
    assert "--rm" in unmet(res, "is left behind")


def test_the_volume_emptied_after_the_backup(lesson, ledger):
    backup(lesson, ledger, "sh", "-c", "tar cf /backup/ledger.tar -C /ledger . && rm -r /ledger/*")
    res = exercises.run(ID, lesson)
    assert "holds no files any more; run the cell that fills it again" in unmet(res, "every file of the volume")
