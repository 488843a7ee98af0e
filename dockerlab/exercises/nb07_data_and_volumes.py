"""Exercises of notebook 07-data-and-volumes: data that outlives its container.

``07.persist-volume``  the learner creates the named volume ``lesson.name("diary")``, writes
                       ``entries.txt`` (with the words "dear diary") into it from a first container,
                       and starts a second, long-running container ``lesson.name("reader")`` that
                       mounts the same volume read-only at ``/diary``. The check looks inside the
                       volume itself (with a throw-away read-only container), at the reader's mounts,
                       and reads the file from inside the reader.
``07.backup-volume``   (transfer) the learner backs up the named volume ``lesson.name("ledger")``, which the
                       notebook fills, into ``backups/ledger.tar`` in the lesson's work folder, with a
                       throw-away container that mounts the volume and the folder. The check opens the
                       archive on the host and compares it, file by file, with the volume (read by a
                       throw-away container), wants the paths to start at the volume's top, and no
                       container left behind that mounts the volume.
``07.fix-lost-data``   (debug-and-fix) the notebook "upgrades" the app container ``lesson.name("visits")``
                       with a typo in the volume's name: ``docker run -v`` silently made a new, empty volume
                       and the app counts from 1 again. The learner starts it again on the right volume
                       (writable, at ``/data``) so that it counts on, and removes the stray volume.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
from pathlib import Path

import docker.errors

from dockerlab import engine
from dockerlab.checks import Unmet, block, containers, exercise

#: The volume and the reader container the exercise asks for, before the session id (``lesson.name(VOLUME)``).
VOLUME = "diary"
READER = "reader"
TARGET = "/diary"
FILE = "entries.txt"
WORDS = "dear diary"


@block("a volume named {name} exists")
def volume_exists(name: str):
    try:
        engine.client().volumes.get(name)
    except docker.errors.NotFound:
        return f"there is no volume named {name}; create it with docker volume create {name}"
    return None


def _in_volume(lesson, name: str, command: list[str], at: str = TARGET) -> tuple[int, str]:
    """Run ``command`` in a throw-away container that mounts the volume ``name`` read-only at ``at``:
    (exit code, output)."""
    container = lesson.run("busybox:1.37", command, volumes={name: {"bind": at, "mode": "ro"}})
    return containers.wait_then_remove(container, "busybox:1.37", 30, "it should finish at once")


def _read_volume(lesson, name: str) -> tuple[int, str]:
    """``cat`` the file from the volume in a throw-away container that mounts it read-only."""
    return _in_volume(lesson, name, ["cat", f"{TARGET}/{FILE}"])


@block(lambda lesson, name: f"the volume {name} holds {FILE} with the words {WORDS!r}")
def volume_holds_entry(lesson, name: str):
    try:
        engine.client().volumes.get(name)
    except docker.errors.NotFound:
        raise Unmet("there is no volume to look into yet (see the line above)") from None
    code, output = _read_volume(lesson, name)
    write = f"docker run --rm -v {name}:{TARGET} busybox:1.37 sh -c 'echo {WORDS} > {TARGET}/{FILE}'"
    if code != 0:
        return f"the volume has no {FILE} yet; write it from a first container: {write}"
    if WORDS not in output.lower():
        return f"{FILE} in the volume holds {output[:80]!r}, without the words {WORDS!r}; write them: {write}"
    return None


@block(lambda reader: f"{FILE} can be read inside {reader}")
def reader_sees_entry(reader: str):
    container = containers.already_running(reader)
    code, output = container.exec_run(["cat", f"{TARGET}/{FILE}"])
    text = output.decode("utf-8", "replace").strip()
    if code == 0 and WORDS in text.lower():
        return None
    if code != 0:
        return f"inside {reader}, {TARGET}/{FILE} cannot be read ({text[:120]}); mount the volume there with -v VOLUME:{TARGET}:ro"
    return f"inside {reader}, {TARGET}/{FILE} holds {text[:80]!r}, without {WORDS!r}"


@exercise(
    "07.persist-volume",
    title="Keep a diary in a named volume, read it from a second container",
    hints=[
        "A named volume is created with docker volume create NAME, and mounted with -v NAME:/path.",
        "First container: docker run --rm -v VOLUME:/diary busybox:1.37 sh -c 'echo dear diary > /diary/entries.txt'",
        "Second container, kept running: docker run -d --name READER -v VOLUME:/diary:ro busybox:1.37 sleep 3600",
    ],
)
def persist_volume(lesson):
    volume, reader = lesson.name(VOLUME), lesson.name(READER)
    there = volume_exists(volume)
    yield there
    if there.met:
        yield volume_holds_entry(lesson, volume)
    running = containers.running(reader)
    yield running
    if containers.there_is(reader):  # a reader that does not exist has nothing more to judge
        yield containers.mounts_volume(reader, volume, TARGET, read_only=True)
    if running.met:
        yield reader_sees_entry(reader)


# -- 07.backup-volume (transfer): a volume backed up to a tar file on the host -----------------------------

#: The volume the notebook fills, the folder (in the lesson's work folder) and the archive the exercise asks for.
LEDGER = "ledger"
BACKUPS = "backups"
ARCHIVE = "ledger.tar"
BACKUP_HOW = "docker run --rm -v VOLUME:/ledger -v FOLDER:/backup busybox:1.37 tar cf /backup/ledger.tar -C /ledger ."


def _archive_path(lesson) -> Path:
    return Path(lesson.path(BACKUPS, ARCHIVE))


@block(lambda lesson: f"{BACKUPS}/{ARCHIVE} in the lesson's work folder is a tar archive")
def archive_is_tar(lesson):
    path = _archive_path(lesson)
    if not path.exists():
        there = sorted(p.name for p in path.parent.iterdir()) if path.parent.is_dir() else []
        if there:
            return (f"there is no {ARCHIVE} in {BACKUPS}, which holds {', '.join(there)}; the archive must be named "
                    f"{ARCHIVE}")
        return (f"there is no {ARCHIVE} in {BACKUPS} yet; a file written inside a container stays in that container: "
                "mount the folder too, by its absolute path (-v /.../backups:/backup), and write the archive there")
    if path.is_dir():
        return f"{BACKUPS}/{ARCHIVE} is a folder, not a file; remove it and write the archive with tar cf"
    if not tarfile.is_tarfile(path):
        return (f"{BACKUPS}/{ARCHIVE} is not a tar archive ({path.stat().st_size} bytes that tar cannot read); "
                f"make it with tar cf /backup/{ARCHIVE} ...")
    return None


def _archived_files(path: Path) -> dict[str, str]:
    """Each regular file in the archive (its path without ``./`` or a leading ``/``) -> md5 of its content."""
    found = {}
    with tarfile.open(path, "r:*") as archive:
        for member in archive:
            if member.isfile():
                data = archive.extractfile(member).read()
                found[member.name.lstrip("/").removeprefix("./")] = hashlib.md5(data).hexdigest()  # noqa: S324 - a checksum, as busybox's md5sum
    return found


def _volume_files(lesson, volume: str) -> dict[str, str]:
    """Each file in the volume (its path from the volume's top) -> md5 of its content, read by a throw-away container."""
    try:
        engine.client().volumes.get(volume)
    except docker.errors.NotFound:
        raise Unmet(f"there is no volume named {volume} any more; run the cell that makes and fills it again") from None
    code, output = _in_volume(lesson, volume, ["sh", "-c", "cd /v && find . -type f -exec md5sum {} +"], at="/v")
    if code != 0:
        raise Unmet(f"the files of {volume} could not be listed: {output[:200]}")
    files = {}
    for line in output.splitlines():
        digest, _, name = line.partition("  ")
        if name:
            files[name.removeprefix("./")] = digest
    if not files:
        raise Unmet(f"the volume {volume} holds no files any more; run the cell that fills it again, then back it up")
    return files


def _prefix(archived: dict[str, str], wanted: dict[str, str]) -> str | None:
    """The folder the archive puts every wanted file under (``ledger/`` for ``tar cf ... /ledger``), if any."""
    first = sorted(wanted)[0]
    for name in archived:
        if name.endswith("/" + first):
            prefix = name[: -len(first)]
            if all(prefix + w in archived for w in wanted):
                return prefix
    return None


def _compare(lesson, volume: str) -> tuple[dict[str, str], dict[str, str], str]:
    """(the volume's files, the archive's files, the folder the archive puts them under, "" for none)."""
    wanted = _volume_files(lesson, volume)
    try:
        archived = _archived_files(_archive_path(lesson))
    except (OSError, tarfile.TarError) as exc:
        raise Unmet(f"the archive cannot be read ({exc}; see the line above)") from None
    if all(w in archived for w in wanted):
        return wanted, archived, ""
    return wanted, archived, _prefix(archived, wanted) or ""


@block(lambda lesson, volume: f"the archive holds every file of the volume {volume}, with the same content")
def archive_matches_volume(lesson, volume: str):
    wanted, archived, prefix = _compare(lesson, volume)
    if not archived:
        return (f"the archive holds no files at all; did -v name another volume? docker run -v makes a missing volume, "
                f"empty, without a word (docker volume ls); mount {volume} itself")
    missing = sorted(w for w in wanted if prefix + w not in archived)
    if missing:
        return (f"the archive lacks {', '.join(missing)} (it holds {', '.join(sorted(archived))}); archive the whole "
                f"volume: tar cf /backup/{ARCHIVE} -C /ledger .")
    changed = sorted(w for w in wanted if archived[prefix + w] != wanted[w])
    if changed:
        return (f"{', '.join(changed)} in the archive differs from the volume's (an older backup?); back the volume up "
                f"again, as it is now")
    return None


@block(f"the paths in the archive start at the volume's top ({ARCHIVE} holds accounts.txt, not ledger/accounts.txt)")
def archive_paths_at_top(lesson, volume: str):
    wanted, archived, prefix = _compare(lesson, volume)
    if prefix:
        example = sorted(wanted)[0]
        return (f"the archive holds {prefix}{example}, not {example}: restored into a volume, everything would land in a "
                f"folder {prefix.rstrip('/')}; let tar start in the volume's folder: tar cf /backup/{ARCHIVE} -C /ledger .")
    if not all(w in archived for w in wanted):
        raise Unmet("the volume's files are not all in the archive (see the line above)")
    return None


@block("no container that mounts the volume {volume} is left behind")
def no_container_left(volume: str):
    left = []
    for found in engine.client().api.containers(all=True):
        if any(m.get("Name") == volume for m in found.get("Mounts") or []):
            left.append((found.get("Names") or ["/?"])[0].lstrip("/"))
    if left:
        return (f"{', '.join(sorted(left))} still exists and mounts {volume}; a throw-away container is started with "
                f"--rm (remove this one with docker rm)")
    return None


@exercise(
    "07.backup-volume",
    title="Back a volume up into a tar file on your machine",
    hints=[
        "A container can mount two things at once: the volume, and a folder of your machine (a bind mount). "
        "What it writes into the folder stays on your machine when it is gone.",
        "busybox has tar: tar cf ARCHIVE -C FOLDER . archives what is in FOLDER, with paths starting at FOLDER's top.",
        BACKUP_HOW + "  (VOLUME is the ledger's volume name, FOLDER the absolute path printed for backups)",
    ],
)
def backup_volume(lesson):
    volume = lesson.name(LEDGER)
    archive = archive_is_tar(lesson)
    yield archive
    if archive.met:
        yield archive_matches_volume(lesson, volume)
        yield archive_paths_at_top(lesson, volume)
    yield no_container_left(volume)


# -- 07.fix-lost-data (debug-and-fix): a typo in a volume's name ---------------------------------------------

#: The app container, its volume, and the volume the notebook's typo made (``visit-data``, an s short).
APP = "visits"
APP_DATA = "visits-data"
TYPO_DATA = "visit-data"
APP_TARGET = "/data"
EARLIER_STARTS = 2  # the notebook starts the app twice on its volume before the typo
_COUNT = re.compile(r"starts so far: *(\d+)")


@block(lambda app, starts: f"{app} counted on from the earlier starts (it printed starts so far: {starts} or more)")
def counts_on(app: str, starts: int):
    container = containers.already_running(app, so="so it counts nothing")
    output = container.logs(stdout=True, stderr=True, tail=50).decode("utf-8", "replace")
    counts = _COUNT.findall(output)
    if not counts:
        if f"can't create {APP_TARGET}/" in output:
            first = output.strip().splitlines()[0]
            return (f"{app} printed no count: it could not write {APP_TARGET}/starts.log ({first}); the app keeps its "
                    f"log in {APP_TARGET}, so mount the volume there")
        return f"{app} printed no count (its output: {output.strip()[:160]!r}); start it with the app's command from the cells above"
    got = int(counts[-1])
    if got >= starts:
        return None
    if "Read-only file system" in output:
        return f"{app} printed starts so far: {got}: it could not write its log (Read-only file system); mount the volume writable"
    mounted = [m.get("Name") for m in container.attrs.get("Mounts") or [] if m.get("Destination") == APP_TARGET]
    if mounted and mounted[0] and mounted[0].startswith(APP_DATA + "-"):
        return (f"{app} printed starts so far: {got}: the volume {mounted[0]} has lost the earlier starts (was it removed "
                f"and made again?); run the story's cells again, then repair")
    return f"{app} printed starts so far: {got}: it does not see the earlier starts, which are in the volume {APP_DATA}-..."


@block("the stray volume that the typo made is removed")
def stray_volume_gone(stray: str):
    try:
        engine.client().volumes.get(stray)
    except docker.errors.NotFound:
        return None
    users = [(c.get("Names") or ["/?"])[0].lstrip("/") for c in engine.client().api.containers(all=True)
             if any(m.get("Name") == stray for m in c.get("Mounts") or [])]
    still = f" (first remove the container that uses it: {', '.join(users)})" if users else ""
    return f"the volume {stray}, which the typo made, is still there{still}; remove it with docker volume rm {stray}"


@exercise(
    "07.fix-lost-data",
    title="Repair an upgrade that lost the data",
    hints=[
        "Compare the volume names in the two docker run lines, letter by letter, and in docker volume ls: "
        "docker run -v NAME:PATH makes a volume that does not exist, empty, without a word.",
        "A running container's mounts cannot be changed: remove it (docker rm -f) and run it again, with the same command.",
        "docker rm -f VISITS, then the first cell's docker run line again (-v VISITS_DATA:/data, with the s), "
        "then docker volume rm visit-data-... (the stray one).",
    ],
)
def fix_lost_data(lesson):
    app, data = lesson.name(APP), lesson.name(APP_DATA)
    running = containers.running(app)
    yield running
    if containers.there_is(app):
        yield containers.mounts_volume(app, data, APP_TARGET, read_only=False)
    if running.met:
        yield counts_on(app, EARLIER_STARTS + 1)
    yield stray_volume_gone(lesson.name(TYPO_DATA))
