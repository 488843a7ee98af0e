"""The helper against the ``docker`` CLI doing the same thing, alternately, in one loop.

Each operation is done once by dockerlab (what a notebook's view or check calls) and once by the
CLI as a subprocess (what the learner types), ``runs`` times, after one untimed warm-up of each.
The ratio is median(helper) / median(CLI): below 1.0 the helper is the faster.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from statistics import median

from dockerlab.services import containers
from dockerlab.services import kernel
from dockerlab import labels
from dockerlab.jupyter.lesson import Lesson
from dockerlab.engine.session import DEFAULT_MEMORY, DEFAULT_PIDS

from .common import say
from .stats import Row, Target, ratio, ratios

IMAGE = "busybox:1.37"


def _docker(*args: str) -> None:
    subprocess.run(["docker", *args], check=True, capture_output=True, timeout=300)


def _clock(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _compare(what: str, helper, cli, runs: int, note: str, why_slower: str = "") -> Row:
    helper(), cli()  # warm-up: first-use costs (connections, page cache) are not what is compared
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(_clock(helper))
        theirs.append(_clock(cli))
    row = Row("cli", what, "×", ratios(mine, theirs), Target(1.0), value=ratio(mine, theirs),
              extra={"helper_s": mine, "cli_s": theirs})
    row.note = f"helper {median(mine) * 1000:.0f} ms, CLI {median(theirs) * 1000:.0f} ms. {note}"
    if why_slower and row.verdict != "met":
        row.note += f" Why slower: {why_slower}"
    say(f"  {what}: ratio {row.median:.2f}")
    return row


def measure(runs: int) -> list[Row]:
    """Four operations: run+remove a container, exec, a cached build, listing containers."""
    work = Path(tempfile.mkdtemp(prefix="dockerlab-bench-cli-"))
    lesson = Lesson("bench", workdir=work)
    own = [f"--label={k}={v}" for k, v in lesson.session.labels("bench").items()]
    limits = [f"--memory={DEFAULT_MEMORY}", f"--pids-limit={DEFAULT_PIDS}", "--log-opt=max-size=1m", "--log-opt=max-file=2"]
    rows, count = [], iter(range(10**6))
    try:
        def helper_run():
            container = lesson.run(IMAGE, ["true"], name=lesson.name(f"h{next(count)}"))
            container.wait()
            containers.remove(container.id)

        def cli_run():
            _docker("run", "--rm", f"--name={lesson.name(f'c{next(count)}')}", *own, *limits, IMAGE, "true")

        rows.append(_compare("run + remove a container", helper_run, cli_run, runs,
                             "Helper: Session.run (create, start, reload), wait, containers.remove; "
                             "CLI: `docker run --rm` with the same labels and limits.",
                             "six API round trips (create, start, reload, wait, list, remove) against the CLI's "
                             "create, attach, start, wait with the removal done by the engine (--rm); the container's "
                             "own start dominates both."))

        target = lesson.run(IMAGE, ["sleep", "3600"], name=lesson.name("exec")).name
        rows.append(_compare("exec `sh -c true`", lambda: kernel.exec_sh(target, "true"),
                             lambda: _docker("exec", target, "sh", "-c", "true"), runs,
                             "Helper: kernel.exec_sh (inspect, exec create/start/inspect); CLI: `docker exec`."))

        (work / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN echo cached > /cached\n")
        tag = lesson.name("cached") + ":bench"
        image_labels = [f"--label={k}={v}" for k, v in labels.for_image(lesson.session.id, "bench").items()]
        rows.append(_compare("cached build", lambda: lesson.build(work, tag),
                             lambda: _docker("build", "--progress=plain", *image_labels, "-t", tag, str(work)), runs,
                             "Every step from the cache. Helper: build.build (`docker buildx build --progress=rawjson`, "
                             "then inspects the image for its size; whether buildx exists, and its version, are asked once "
                             "per process); "
                             "CLI: `docker build` (BuildKit) with the same labels, so both make the same image.",
                             "the build is the same CLI process; after it, build.build inspects the image for its size. "
                             "(Until 2026-11-28 it also started `docker buildx version` before every build: 1.2x.)"))
        _docker("rmi", tag)

        rows.append(_compare("list containers", lambda: containers.list_containers(),
                             lambda: _docker("ps", "-a"), runs,
                             "Helper: containers.list_containers (one list call); CLI: `docker ps -a`."))
    finally:
        lesson.session.cleanup(lesson="bench")
        shutil.rmtree(work, ignore_errors=True)
    return rows
