"""A learner's runaway program hurts only its own container: a fork bomb started with the course's
defaults (``lesson.run``: pids limit 128) is held at the limit while the host keeps answering, and
a memory hog is killed by the kernel at its limit (256 MiB by default), which the engine reports
as ``State.OOMKilled`` and the container checks explain.
"""

from __future__ import annotations

import contextlib
import threading
import time

import docker.errors

import harness
from dockerlab.engine import session as sessions

BOMB = "bomb() { bomb | bomb & }; bomb; sleep 60"
HOST_BOUND = 5.0  # seconds a trivial host command may take while the bomb runs (2 shared cores)
BOMB_SECONDS = 15


def test_fork_bomb_is_held_by_the_pids_limit(tmp_path, course_session, record):
    from dockerlab.jupyter.lesson import Lesson

    lesson = Lesson("01-architecture", workdir=tmp_path / "work")
    client = harness.api(30)
    container = lesson.run("busybox:1.37", ["sh", "-c", BOMB], name=lesson.name("bomb"))
    latencies, pings, pids = [], [], []
    done = threading.Event()

    def probe():  # a trivial command on the host and an engine ping, every 0.2 s, each bounded
        while not done.is_set():
            latencies.append(harness.host_answers_within(HOST_BOUND))
            before = time.monotonic()
            harness.ping(timeout=HOST_BOUND)
            pings.append(time.monotonic() - before)
            done.wait(0.2)

    prober = threading.Thread(target=probe, daemon=True)
    started = time.monotonic()
    try:
        assert container.attrs["HostConfig"]["PidsLimit"] == sessions.DEFAULT_PIDS
        prober.start()
        while time.monotonic() - started < BOMB_SECONDS:
            with contextlib.suppress(docker.errors.APIError):
                pids.append((client.stats(container.id, stream=False).get("pids_stats") or {}).get("current") or 0)
            time.sleep(0.5)
        logs = client.logs(container.id, tail=200).decode(errors="replace")
    finally:
        done.set()
        prober.join(timeout=2 * HOST_BOUND)
        killed_at = time.monotonic()
        with contextlib.suppress(docker.errors.APIError):
            client.remove_container(container.id, force=True)
        kill_seconds = time.monotonic() - killed_at
        lesson.reset()
    assert max(pids) <= sessions.DEFAULT_PIDS, f"more processes than the limit: {max(pids)}"
    assert max(pids) >= sessions.DEFAULT_PIDS * 0.9, f"the bomb never reached the limit ({max(pids)}): was it a bomb?"
    assert "can't fork" in logs or "Resource temporarily unavailable" in logs, logs[-500:]
    assert max(latencies) < HOST_BOUND and max(pings) < HOST_BOUND, (max(latencies), max(pings))
    record("Limits: fork bomb", f"busybox fork bomb via lesson.run (default pids limit {sessions.DEFAULT_PIDS}) for {BOMB_SECONDS} s; "
           f"meanwhile `true` on the host and an engine ping every 0.2 s ({len(latencies)} times)",
           f"held at {max(pids)} processes (\"can't fork\" in its log); slowest host command {max(latencies) * 1000:.0f} ms, "
           f"slowest ping {max(pings) * 1000:.0f} ms (bound {HOST_BOUND:g} s); removed in {kill_seconds:.1f} s", time.monotonic() - started)


def test_memory_hog_is_oom_killed_and_reported(tmp_path, course_session, record):
    from dockerlab import checks
    from dockerlab.jupyter.lesson import Lesson

    lesson = Lesson("01-architecture", workdir=tmp_path / "work")
    name = lesson.name("hog")
    hog = "chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))"
    started = time.monotonic()
    container = lesson.run("python:3.13-slim", ["python", "-c", hog], name=name)
    try:
        result = harness.api(120).wait(container.id, timeout=90)
        seconds = time.monotonic() - started
        state = harness.api(30).inspect_container(container.id)["State"]
        limit = container.attrs["HostConfig"]["Memory"]
        reason = checks.containers.running(name).reason
    finally:
        lesson.reset()
    assert state["OOMKilled"] is True and result["StatusCode"] == 137, state
    assert limit == 256 * 1024**2
    assert "OOMKilled" in reason and "more memory than its limit" in reason, reason
    record("Limits: memory hog", "python allocating 16 MiB chunks forever via lesson.run (default limit 256 MiB)",
           f"killed by the kernel: State.OOMKilled=true, exit code 137; the check says: {reason[:90]}", seconds)
