"""`import dockerlab` where Python has no fcntl (Windows' own Python): a plain message that sends the learner
to WSL 2, not a traceback from deep inside. Native Windows is not made to work with portable locks: the
course's `!docker` cells use a POSIX shell's quoting and redirections, its set-up scripts are bash, and its
kernel cells read Linux's /proc, so WSL 2 (where all of that is Linux) is the way on Windows."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Windows' Python, as far as this test can play it: no fcntl (a None in sys.modules makes its import fail).
WITHOUT_FCNTL = "import sys; sys.modules['fcntl'] = None\n"


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_without_fcntl_the_import_says_to_use_wsl2():
    done = _python(WITHOUT_FCNTL + "import dockerlab")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: dockerlab runs on Linux and macOS, and on Windows inside WSL 2, not on Windows itself")
    for words in ("wsl --install", "https://learn.microsoft.com/windows/wsl/install", "https://docs.docker.com/desktop/features/wsl/",
                  "Docker Engine inside the distribution", "run make lab"):
        assert words in last, words
    assert "During handling of the above exception" not in done.stderr  # one error, not fcntl's and then ours
    assert len(done.stderr.strip().splitlines()) <= 6, done.stderr  # a short traceback: the message is the point


def test_without_fcntl_the_command_line_says_the_same():
    done = _python(WITHOUT_FCNTL + "import runpy; runpy.run_module('dockerlab', run_name='__main__')")
    assert done.returncode == 1
    assert "not on Windows itself" in done.stderr and "WSL 2" in done.stderr


def test_with_fcntl_it_imports_and_the_lesson_module_loads():
    done = _python("import dockerlab, dockerlab.jupyter.lesson; print(dockerlab.__version__, callable(dockerlab.start))")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[1] == "True"
