"""matrix.dockerd._running: an engine this process started, once it has exited, is not running,
though it stays in /proc as a zombie until reaped (stopping used to wait out the whole grace period)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from matrix.dockerd import _running


def test_an_exited_child_is_not_running_and_is_reaped():
    child = subprocess.Popen(["sleep", "60"], start_new_session=True)
    pid = child.pid
    assert _running(pid)
    os.kill(pid, signal.SIGTERM)
    for _ in range(100):  # until the kernel has made it a zombie
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            break
        time.sleep(0.05)
    assert Path(f"/proc/{pid}").exists(), "a zombie stays in /proc until reaped"
    assert not _running(pid)
    assert not Path(f"/proc/{pid}").exists(), "reaped"
    child.returncode = -signal.SIGTERM  # already reaped: keep Popen from waiting on it


def test_a_process_that_is_gone_is_not_running():
    child = subprocess.Popen(["true"])
    child.wait()
    assert not _running(child.pid)
