#!/usr/bin/python3
"""The engine matrix's job inside the VM (row e); systemd starts it after docker.service.

The host shares one folder over 9p (mount tag ``dockerlab``) holding ``repo.tar`` (the host's
working tree) and ``job.json`` (``{"command": [...], "env": {...}}``). This unpacks the tree into
/srv/dockerlab beside the .venv prepared there when the image was made, writes what the engine
says of itself to ``out/facts.json`` (matrix.run.engine_facts, as for the other rows), then runs
the command there (pytest with the .venv's python), its output going to ``out/pytest.log`` as it
comes, so the host can print it live.

``out/exit-code`` gets the command's exit status, ``out/marks`` a line per step reached
(``NAME SECONDS-SINCE-BOOT``), ``out/runner.log`` this program's own messages and ``out/journal.txt``
the guest's journal. Then the unit's SuccessAction/FailureAction powers the VM off. Only the
standard library: this runs on Debian's python3, outside the project's .venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

TAG = "dockerlab"
SHARE = Path("/mnt/host")
OUT = SHARE / "out"
PROJECT = Path("/srv/dockerlab")
VENV_PYTHON = PROJECT / ".venv" / "bin" / "python"
FACTS = "import json, os\nfrom matrix.run import engine_facts\nprint(json.dumps(engine_facts(dict(os.environ))))\n"


def log(message: str) -> None:
    """One line to the host (out/runner.log) and to the serial console (this unit's stdout)."""
    line = f"{message}\n"
    sys.stdout.write(line)
    sys.stdout.flush()
    if OUT.is_dir():
        with open(OUT / "runner.log", "a") as out:
            out.write(line)


def mark(name: str) -> None:
    uptime = float(Path("/proc/uptime").read_text().split()[0])
    with open(OUT / "marks", "a") as out:
        out.write(f"{name} {uptime:.1f}\n")


def mount_share() -> None:
    SHARE.mkdir(parents=True, exist_ok=True)
    if not os.path.ismount(SHARE):
        # msize: larger 9p messages make the one big read (repo.tar) several times faster.
        subprocess.run(["mount", "-t", "9p", "-o", "trans=virtio,version=9p2000.L,msize=524288", TAG, str(SHARE)], check=True)


def wait_for_docker(seconds: float = 300) -> None:
    """docker.service is active before this runs; its socket still may take a moment."""
    deadline = time.monotonic() + seconds
    while subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the engine did not answer within {seconds:.0f} s of boot (see out/journal.txt)")
        time.sleep(1)


def unpack_project() -> None:
    """The host's working tree replaces the copy the image was prepared with; the .venv stays."""
    for entry in PROJECT.iterdir():
        if entry.name != ".venv":
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    subprocess.run(["tar", "-xf", str(SHARE / "repo.tar"), "-C", str(PROJECT)], check=True)


def test(job: dict) -> int:
    unpack_project()
    mark("project")
    env = {**os.environ, **job.get("env", {})}
    facts = subprocess.run([str(VENV_PYTHON), "-c", FACTS], cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600)
    (OUT / "facts.json").write_text(facts.stdout if facts.returncode == 0 else "{}")
    if facts.returncode != 0:
        log(f"reading the engine's facts failed: {facts.stderr.strip()[-2000:]}")
    mark("facts")
    command = job["command"]
    log(f"running: {' '.join(command)}")
    with open(OUT / "pytest.log", "wb", buffering=0) as output:
        return subprocess.run(command, cwd=PROJECT, env=env, stdout=output, stderr=subprocess.STDOUT).returncode


def main() -> int:
    code = 1
    try:
        mount_share()
        OUT.mkdir(exist_ok=True)
        mark("started")
        job = json.loads((SHARE / "job.json").read_text())
        wait_for_docker()
        mark("docker")
        code = test(job)
    except Exception:  # noqa: BLE001 - whatever went wrong must reach the host, then the VM stops
        log(traceback.format_exc())
    finally:
        if OUT.is_dir():
            mark("done")
            journal = subprocess.run(["journalctl", "-b", "--no-pager", "-o", "short-monotonic"], capture_output=True, text=True)
            (OUT / "journal.txt").write_text(journal.stdout)
            (OUT / "exit-code").write_text(f"{code}\n")
            os.sync()
    return 0  # the job's own status is in out/exit-code; the unit's SuccessAction powers off


if __name__ == "__main__":
    sys.exit(main())
