"""How soon a build's log line reaches the caller: dockerlab's stream against docker-py.

The Dockerfile's RUN step prints a line stamped with the time it was printed, sleeps, and prints
another. Container and host share one clock, so the delay is the host's time when the caller
receives the line minus the stamp. dockerlab (``build.build`` with ``on_event``, what the build
widget uses) gets lines as BuildKit prints them; docker-py's ``images.build`` (the legacy builder)
returns the whole log when the build has ended.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

from dockerlab import engine
from dockerlab import labels
from dockerlab.jupyter.lesson import Lesson

from .common import say
from .stats import Row, Target, ratio, ratios

SLEEP = 3
DOCKERFILE = f"""FROM debian:trixie-slim
RUN echo "stamp $(date +%s.%N)"; sleep {SLEEP}; echo "stamp $(date +%s.%N)"
"""
STAMP = re.compile(r"(?:^|\s)stamp (\d+\.\d+)\s*$")


def first_stamp_delay(received: list[tuple[float, str]]) -> float | None:
    """Delay of the first stamped line: receipt time minus the stamp printed in it."""
    for at, line in received:
        match = STAMP.search(line)
        if match:
            return at - float(match.group(1))
    return None


def _with_dockerlab(lesson: Lesson, context: Path, tag: str) -> tuple[float | None, str]:
    received: list[tuple[float, str]] = []
    result = lesson.build(context, tag, no_cache=True, on_event=lambda e: received.append((time.time(), e.line)))
    return first_stamp_delay(received), result.image_id


def _with_docker_py(lesson: Lesson, context: Path, tag: str) -> tuple[float | None, str]:
    image, log = engine.client().images.build(
        path=str(context), tag=tag, nocache=True, rm=True, forcerm=True,
        labels=labels.for_image(lesson.session.id, "bench"),
    )
    at = time.time()  # the whole log arrives now
    return first_stamp_delay([(at, entry.get("stream", "")) for entry in log]), image.id


def measure(runs: int) -> list[Row]:
    work = Path(tempfile.mkdtemp(prefix="dockerlab-bench-stream-"))
    (work / "Dockerfile").write_text(DOCKERFILE)
    lesson = Lesson("bench", workdir=work)
    ours, theirs, made = [], [], []
    tag = lesson.name("stream") + ":bench"
    try:
        for run in range(runs):
            for how, into in ((_with_dockerlab, ours), (_with_docker_py, theirs)):
                delay, image_id = how(lesson, work, tag)
                made.append(image_id)
                if delay is not None:
                    into.append(delay)
            say(f"  run {run + 1}/{runs}: dockerlab {ours[-1] if ours else float('nan'):.3f} s, "
                f"docker-py {theirs[-1] if theirs else float('nan'):.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        api = engine.client().api
        for image_id in dict.fromkeys(reversed(made)):
            try:
                api.remove_image(image_id, force=True)
            except Exception as exc:
                say(f"  could not remove {image_id[7:19]}: {exc}")
        lesson.session.cleanup(lesson="bench")
    how = (f"A RUN step prints a line stamped with `date +%s.%N`, sleeps {SLEEP} s, prints another; "
           "delay = host clock on receipt − stamp, first line, `--no-cache`.")
    return [
        Row("stream", "dockerlab build: log line → widget", "s", ours, Target(0.5),
            note=how + " dockerlab: build.build's on_event (BuildKit's `--progress=rawjson`), what the build view shows."),
        Row("stream", "docker-py `images.build`: log line → caller", "s", theirs,
            note="Same Dockerfile, legacy builder; the log comes back only when the build has ended, so the "
                 f"delay is about the rest of the build (the {SLEEP} s sleep and the commit)."),
        Row("stream", "dockerlab delay / docker-py delay", "×", ratios(ours, theirs), value=ratio(ours, theirs),
            note="Below 1: the learner sees the line that much sooner."),
    ]
