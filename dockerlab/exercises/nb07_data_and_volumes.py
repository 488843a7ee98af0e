"""Exercise of notebook 07-data-and-volumes: data that outlives its container.

``07.persist-volume``  the learner creates the named volume ``lesson.name("diary")``, writes
                       ``entries.txt`` (with the words "dear diary") into it from a first container,
                       and starts a second, long-running container ``lesson.name("reader")`` that
                       mounts the same volume read-only at ``/diary``. The check looks inside the
                       volume itself (with a throw-away read-only container), at the reader's mounts,
                       and reads the file from inside the reader.
"""

from __future__ import annotations

import contextlib

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


def _read_volume(lesson, name: str) -> tuple[int, str]:
    """``cat`` the file from the volume in a throw-away container that mounts it read-only."""
    container = lesson.run("busybox:1.37", ["cat", f"{TARGET}/{FILE}"], volumes={name: {"bind": TARGET, "mode": "ro"}})
    try:
        status = container.wait(timeout=30)
        output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace").strip()
    finally:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
    return int(status.get("StatusCode") or 0), output


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
