"""A kernel killed mid-lesson (SIGKILL: the laptop lid closed, the OOM killer, "Kernel died") leaves
its containers, network and volume behind, because nothing of it runs any more to clean up. The
next kernel that starts a lesson on the same machine sweeps them, by their session's marks only:
what a live kernel made, and a resource named like a session that this machine does not know
(another machine's, or another user's, on a shared engine), stay.
"""

from __future__ import annotations

import os
import signal
import time

import harness

SETUP = """
import dockerlab
lesson = dockerlab.start("05-ports-and-web-apps", mode="learner")
web, net, box, vol = lesson.name("web"), lesson.name("net"), lesson.name("box"), lesson.name("vol")
helper = lesson.run("busybox:1.37", ["sleep", "600"], name=lesson.name("helper"))
labelled = lesson.session.network(lesson.name("labelled"), lesson=lesson.key)
!docker network create {net} > /dev/null
!docker volume create {vol} > /dev/null
!docker run -d --name {box} --network {net} -v {vol}:/data busybox:1.37 sleep 600 > /dev/null
print(lesson.session.id)
"""


def test_a_killed_kernels_leftovers_are_swept_by_the_next_one(tmp_path, record):
    folder = harness.learner_folder(tmp_path, [])
    env = {"DOCKERLAB_STATE": str(tmp_path / "state"), "DOCKERLAB_PROGRESS": str(tmp_path / "progress.json")}
    foreign = "web-dl" + os.urandom(3).hex()  # a session this machine has no file for
    made = harness.docker("run", "-d", "--name", foreign, "busybox:1.37", "sleep", "600")
    assert made.returncode == 0, made.stderr
    victim = harness.Kernel(folder, env)
    alive = harness.Kernel(folder, env)
    successor = None
    try:
        setup = victim.run(SETUP, timeout=180)
        assert setup.status == "ok", setup.shown
        dead_sid = setup.text.strip().splitlines()[-1]
        harness.SEEN.add(dead_sid)
        live = alive.run("import dockerlab\nlesson = dockerlab.start('04-running-containers')\n"
                         "c = lesson.run('busybox:1.37', ['sleep', '600'], name=lesson.name('live'))\nprint(lesson.session.id)")
        live_sid = live.text.strip().splitlines()[-1]
        harness.SEEN.add(live_sid)
        left = harness.resources_of([dead_sid])
        assert len(left.get("containers", ())) == 2 and len(left.get("networks", ())) == 2 and left.get("volumes"), left

        pid = victim.pid
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while victim.alive() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not victim.alive(), "the kernel survived SIGKILL"
        assert harness.resources_of([dead_sid]) == left, "a SIGKILLed kernel cannot clean up: its resources must still be there"

        successor = harness.Kernel(folder, env)
        started = successor.run("import dockerlab\nlesson = dockerlab.start('05-ports-and-web-apps')", timeout=180)
        assert started.status == "ok", started.shown
        swept = started.seconds
        assert harness.resources_of([dead_sid]) == {}, f"left after the sweep: {harness.resources_of([dead_sid])}"
        assert not list((tmp_path / "state" / "sessions").glob(f"{dead_sid}.*")), "the dead session's files remain"
        assert harness.resources_of([live_sid]).get("containers") == {f"live-{live_sid}"}, "a live kernel's container was swept"
        assert harness.docker("inspect", foreign).returncode == 0, "a session unknown to this machine was swept"

        # The new kernel's own names never collide with the dead one's: same base name, new session.
        web = successor.run("web = lesson.name('web')\n!docker run -d --name {web} busybox:1.37 sleep 60 > /dev/null\nprint(web)")
        assert web.status == "ok" and "Conflict" not in web.text, web.shown
        assert successor.run("lesson.reset()").status == "ok"
        assert alive.run("lesson.reset()").status == "ok"
    finally:
        for kernel in (victim, alive, successor):
            if kernel is not None:
                kernel.shutdown()
        harness.docker("rm", "-f", foreign)
    record("Kernel killed mid-lesson", "SIGKILL to a kernel holding 2 containers (lesson.run, CLI), 2 networks "
           "(labelled, CLI) and a volume; a new kernel starts a lesson", "new kernel's start swept all five by name, "
           "removed the dead session's files; a live kernel's container and a foreign session-named one stayed", swept)
