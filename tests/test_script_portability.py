"""The scripts a learner runs (scripts/setup.sh, ensure-engine.sh, lab.sh) on a PATH like a Mac's: the
tools they need, without GNU's `timeout` and `sha256sum`, and with a `readlink` and a `sed` that refuse
GNU's `readlink -f` and `sed -i` without a suffix, as BSD's do. Against the engine already running here
(nothing is installed, started or stopped); a Mac's `uname` is played by a script that says Darwin.

What bash 3.2 (macOS's /bin/bash) lacks is checked by reading the scripts: tests/unit/test_shell_static.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from test_setup_scripts import _lab

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
MAC_DOCS = "https://docs.docker.com/desktop/setup/install/mac-install/"

#: What the three scripts, and the docker CLI and JupyterLab they start, call by name; a Mac has each.
TOOLS = ["bash", "sh", "env", "id", "uname", "grep", "cut", "cat", "head", "tail", "tr", "wc", "dirname", "basename", "ls",
         "rm", "mkdir", "mktemp", "chmod", "cp", "find", "sleep", "sort", "awk", "shasum", "perl", "docker", "python3"]
#: GNU's, absent from a Mac (and from this PATH).
GNU_ONLY = ["timeout", "sha256sum", "sha1sum", "md5sum"]

#: BSD's readlink before macOS 12.3: no -f.
READLINK = """#!/bin/sh
for arg in "$@"; do
  case "$arg" in -*f*|--canonicalize*) echo "readlink: illegal option -- f" >&2; echo "usage: readlink [-n] [file ...]" >&2; exit 1 ;; esac
done
exec {real} "$@"
"""
#: BSD's sed: -i takes the next word as the backup suffix, so `sed -i 's/a/b/' file` fails.
SED = """#!/bin/sh
for arg in "$@"; do
  case "$arg" in -i|--in-place) echo "sed: 1: \\"$2\\": invalid command code (BSD sed: -i needs a suffix)" >&2; exit 1 ;; esac
done
exec {real} "$@"
"""
DARWIN_UNAME = """#!/bin/sh
case "$1" in -s|"") echo Darwin ;; -r) echo 24.6.0 ;; -m) echo arm64 ;; *) echo Darwin ;; esac
"""


def _script(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(0o755)


def mac_like_path(folder: Path, *, without: tuple[str, ...] = (), darwin: bool = False) -> str:
    """A PATH of one folder: links to :data:`TOOLS` (less ``without``), BSD-like readlink and sed, and
    with ``darwin`` a uname that says Darwin."""
    folder.mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        found = "/usr/bin/python3" if tool == "python3" and os.access("/usr/bin/python3", os.X_OK) else shutil.which(tool)
        assert found, f"this machine has no {tool}"
        if tool not in without:
            (folder / tool).symlink_to(found)
    _script(folder / "readlink", READLINK.format(real=shutil.which("readlink")))
    _script(folder / "sed", SED.format(real=shutil.which("sed")))
    if darwin:
        (folder / "uname").unlink()
        _script(folder / "uname", DARWIN_UNAME)
    return str(folder)


@pytest.fixture
def mac_path(tmp_path) -> str:
    return mac_like_path(tmp_path / "bin")


def _run(script: Path, path: str, timeout: int = 120, **env) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(script)], env={**os.environ, "PATH": path, **env}, capture_output=True, text=True,
                          timeout=timeout)


def test_the_mac_like_path_has_no_gnu_only_tool(mac_path, tmp_path):
    for tool in GNU_ONLY:
        assert shutil.which(tool, path=mac_path) is None, tool
    shell = {"PATH": mac_path}
    done = subprocess.run(["bash", "-c", "timeout 5 true"], env=shell, capture_output=True, text=True, timeout=30)
    assert done.returncode == 127 and "timeout: command not found" in done.stderr
    done = subprocess.run(["bash", "-c", 'readlink -f "$0"', str(tmp_path)], env=shell, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and "illegal option -- f" in done.stderr
    file = tmp_path / "file.txt"
    file.write_text("a\n")
    done = subprocess.run(["bash", "-c", "sed -i 's/a/b/' \"$0\"", str(file)], env=shell, capture_output=True, text=True, timeout=30)
    assert done.returncode == 1 and file.read_text() == "a\n"
    done = subprocess.run(["bash", "-c", "sed -i.bak 's/a/b/' \"$0\"", str(file)], env=shell, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and file.read_text() == "b\n"  # the portable form works
    done = subprocess.run(["bash", "-c", "shasum -a 256 \"$0\"", str(file)], env=shell, capture_output=True, text=True, timeout=30)
    assert done.stdout.split()[0] == hashlib.sha256(b"b\n").hexdigest()


# -- ensure-engine.sh --------------------------------------------------------------------------------


@pytest.mark.engine
def test_ensure_engine_finds_the_running_engine_without_timeout(mac_path):
    """The engine at hand answers `docker info` within run_for's limit: found, as Docker Desktop is on a Mac."""
    done = _run(SCRIPTS / "ensure-engine.sh", mac_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"^==> Docker engine answers: \S+ \(API \d+\.\d+\)$", done.stdout, re.M), done.stdout
    assert "==> docker buildx: " in done.stdout and "==> docker compose: " in done.stdout
    assert "command not found" not in done.stderr, done.stderr


@pytest.mark.engine
def test_ensure_engine_as_it_was_with_timeout_finds_no_engine_there(mac_path, tmp_path):
    """The control: the same script calling GNU's timeout, as it did, takes the running engine for none on this PATH."""
    before = tmp_path / "ensure-engine.sh"
    text = (SCRIPTS / "ensure-engine.sh").read_text()
    assert text.count("run_for 15 docker info") == 1
    before.write_text(text.replace("run_for 15 docker info", "timeout 15 docker info"))
    done = _run(before, mac_path, timeout=60)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "No Docker engine answers" in done.stderr


def test_on_a_mac_without_an_engine_it_says_what_to_start(tmp_path):
    path = mac_like_path(tmp_path / "bin", darwin=True)
    started = time.monotonic()
    done = _run(SCRIPTS / "ensure-engine.sh", path, timeout=60, DOCKER_HOST=f"unix://{tmp_path}/none.sock", HOME=str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ERROR: No Docker engine answers." in done.stderr
    assert "Docker Desktop, Colima ('colima start')" in done.stderr and "OrbStack or Rancher Desktop" in done.stderr
    assert "'docker context ls' lists them" in done.stderr and "'docker context use NAME'" in done.stderr
    assert MAC_DOCS in done.stderr
    assert "apt-get" not in done.stdout + done.stderr and "Debian" not in done.stderr  # nothing a Mac cannot do
    assert time.monotonic() - started < 30


def test_on_a_mac_without_the_docker_command_it_says_where_it_comes_from(tmp_path):
    path = mac_like_path(tmp_path / "bin", without=("docker",), darwin=True)
    done = _run(SCRIPTS / "ensure-engine.sh", path, timeout=60, HOME=str(tmp_path))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "ERROR: The 'docker' command is not installed." in done.stderr
    assert f"Docker Desktop ({MAC_DOCS})" in done.stderr and "brew install colima docker" in done.stderr


def _run_for(path: str, *command: str, seconds: int) -> tuple[subprocess.CompletedProcess, float]:
    """ensure-engine.sh's run_for on its own, under the script's own shell options."""
    function = re.search(r"^run_for\(\) \{\n.*?^\}\n", (SCRIPTS / "ensure-engine.sh").read_text(), re.M | re.S)
    assert function, "scripts/ensure-engine.sh has no run_for"
    code = f'set -Eeuo pipefail\n{function.group(0)}\nrun_for "$@"'
    started = time.monotonic()
    done = subprocess.run(["bash", "-c", code, "run_for", str(seconds), *command], env={"PATH": path},
                          capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - started


def test_run_for_ends_a_command_that_runs_too_long_and_leaves_nothing_behind(mac_path, tmp_path):
    pid_file = tmp_path / "pid"
    done, seconds = _run_for(mac_path, "sh", "-c", f'echo $$ > {pid_file}; exec sleep 60', seconds=1)
    assert done.returncode == 143, done.stderr  # 128 + TERM, as GNU's timeout ends it (its own status is 124)
    assert 0.9 < seconds < 10, seconds
    pid = int(pid_file.read_text())
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_run_for_passes_a_quick_commands_status_on_at_once(mac_path):
    done, seconds = _run_for(mac_path, "sh", "-c", "echo said; exit 3", seconds=20)
    assert (done.returncode, done.stdout) == (3, "said\n")
    assert seconds < 5, f"took {seconds:.1f} s: the watcher held it up"  # it ends the watcher's sleep of 20 s
    done, _ = _run_for(mac_path, "true", seconds=20)
    assert done.returncode == 0


# -- setup.sh and lab.sh -----------------------------------------------------------------------------


def _marker() -> str:
    """What setup.sh writes in .venv/.dockerlab-installed: the SHA-256 of `sha256sum pyproject.toml requirements.lock`."""
    lines = "".join(f"{hashlib.sha256((ROOT / name).read_bytes()).hexdigest()}  {name}\n" for name in ("pyproject.toml", "requirements.lock"))
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


@pytest.mark.engine
def test_setup_checks_everything_without_gnu_tools(mac_path):
    """A second run of setup.sh, as `make lab` and `make test` start: the .venv's marker, made with sha256sum,
    comes out the same with shasum (else it would reinstall), and the engine and the images are found."""
    installed = (ROOT / ".venv" / ".dockerlab-installed").read_text().strip()
    assert installed == _marker(), "the .venv is not up to date with pyproject.toml and requirements.lock: run make setup first"
    done = _run(SCRIPTS / "setup.sh", mac_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "==> Docker engine answers: " in done.stdout
    assert "==> .venv is up to date" in done.stdout
    assert "[3/3] Course images" in done.stdout
    assert "command not found" not in done.stderr and "ERROR" not in done.stderr, done.stderr


def test_lab_serves_notebook_00_without_gnu_tools(mac_path, tmp_path):
    with _lab(tmp_path, PATH=mac_path) as lab:
        assert '"name": "00-welcome.ipynb"' in lab.contents or '"name":"00-welcome.ipynb"' in lab.contents
    assert f"http://127.0.0.1:{lab.port}/lab/tree/00-welcome.ipynb?token={lab.token}" in lab.output
    assert "command not found" not in lab.output, lab.output

