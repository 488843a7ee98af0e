"""dockerlab/jupyter/terminal.py and scripts/lab-terminal.sh: what the kernel writes for the lab's terminal, how a
pasted `!` line becomes the command the notebook ran, and bash doing it in a real pseudo-terminal.
(tests/test_setup_scripts.py types the notebooks' own commands into a JupyterLab terminal on the engine.)"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import signal
import subprocess
import time
from pathlib import Path, PurePosixPath

import pytest

from dockerlab.jupyter import terminal

ROOT = Path(__file__).resolve().parents[2]


def test_plain_variables_are_lower_case_names_of_strings_numbers_and_paths():
    found = terminal.plain_variables({
        "web": "web-dl1", "port": 8080, "ratio": 0.5, "folder": PurePosixPath("/w/04"), "MODE": "learner", "_x": "y",
        "flag": True, "lesson": object(), "address": ["a"], "histchars": "!^#", "big": "x" * 5000, "nul": "a\0b",
    })
    assert found == {"web": "web-dl1", "port": "8080", "ratio": "0.5", "folder": "/w/04"}


def test_the_shell_file_gives_bash_the_values_as_they_are(tmp_path):
    values = {"web": "web-dl1", "fmt": "{{.Names}}\t{{.Status}}", "odd": "it's $HOME `id` \"q\"\nline 2"}
    script = tmp_path / "lesson.sh"
    script.write_text(terminal.shell_text(values, {"COUNTER_IMAGE": "counter-dl1"}))
    shown = subprocess.run(["bash", "-c", f'. {script}; printf "%s|" "$web" "$fmt" "$odd" "$__dockerlab_names"; bash -c \'echo "$COUNTER_IMAGE"\''],
                           capture_output=True, text=True, check=True).stdout
    assert shown == "web-dl1|{{.Names}}\t{{.Status}}|it's $HOME `id` \"q\"\nline 2|fmt odd web|counter-dl1\n"


@pytest.mark.parametrize(("text", "commands"), [
    ("!docker logs {web}", ["docker logs {web}"]),
    ("  !docker ps  ", ["docker ps"]),
    ("ids = !docker ps -q --filter name={web}", ["docker ps -q --filter name={web}"]),
    ("!!docker ps", ["docker ps"]),
    ("web = lesson.name('web')\n!docker run -d --name {web} x\n!docker logs {web}", ["docker run -d --name {web} x", "docker logs {web}"]),
    ("%%needs buildkit\n!docker build -t {tag} .", ["docker build -t {tag} ."]),
    ("docker ps", None), ("ls", None), ("echo hi!", None), ("for i in {1..3}; do echo $i; done", None),
])
def test_the_commands_of_ipython_input_as_ipython_hands_them_to_the_shell(text, commands):
    assert terminal.commands_of(text) == commands


EXPORTED = {
    "lesson": "04-running-containers",
    "variables": {"web": "web-dl1", "fmt": "{{.Names}}"},
    "commands": {"docker inspect {address[0]}": "docker inspect 10.0.0.2", "docker logs {web}": "docker logs web-dl0"},
}


@pytest.mark.parametrize(("text", "line", "missing"), [
    ("!docker logs {web}", "docker logs web-dl0", []),  # as the notebook ran it, the latest time
    ("x = !docker inspect {address[0]}", "docker inspect 10.0.0.2", []),  # an expression: from the run
    ("!docker logs --tail 2 {web}", "docker logs --tail 2 web-dl1", []),  # not run yet: from the variables
    ("!docker ps --format '{fmt}' --filter name={web}", "docker ps --format '{{.Names}}' --filter name=web-dl1", []),
    ("!docker ps --format '{{{{.Names}}}}'", "docker ps --format '{{.Names}}'", []),  # IPython's doubled braces
    ("!docker inspect {box} {{x}}", "docker inspect {box} {{x}}", ["{box}"]),  # IPython leaves a failed line as written
    ("!docker ps\n!docker logs {web}", "docker ps\ndocker logs web-dl0", []),
])
def test_a_pasted_line_becomes_the_command_the_notebook_ran(text, line, missing):
    assert terminal.rewrite(text, EXPORTED) == (line, missing)


def test_a_shell_line_is_left_to_the_shell():
    assert terminal.rewrite("docker logs $web", EXPORTED) is None


def test_the_kernel_writes_its_names_and_commands_after_each_cell(tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path))
    shell = InteractiveShell.instance()
    try:
        export = terminal.Export.install(shell, "04-running-containers")
        assert terminal.Export.install(shell, "05-ports") is export and export.lesson == "05-ports"  # once per kernel
        shell.run_cell('web = "web-dl1"\nfmt = "{{.Names}}"\nwords = ["a", "b"]', store_history=False)
        shell.run_cell("!echo {web} '{fmt}' {words[1]}\ndone = !echo {web}-{len(words)}", store_history=False)
        shell.run_cell("%env COUNTER_IMAGE=counter-dl1", store_history=False)
        assert shell.user_ns["done"] == ["web-dl1-2"]  # the kernel's own expansion is untouched
        data = json.loads((tmp_path / "terminal" / "lesson.json").read_text())
        assert data["lesson"] == "05-ports"
        assert data["variables"]["web"] == "web-dl1" and "words" not in data["variables"]
        assert data["commands"]["echo {web} '{fmt}' {words[1]}"] == "echo web-dl1 '{{.Names}}' b"
        assert data["commands"]["echo {web}-{len(words)}"] == "echo web-dl1-2"
        sh = (tmp_path / "terminal" / "lesson.sh").read_text()
        assert "web=web-dl1\n" in sh and "export COUNTER_IMAGE=counter-dl1\n" in sh
        assert (tmp_path / "terminal" / "lesson.sh").stat().st_mode & 0o777 == 0o600
    finally:
        terminal.Export._by_shell.pop(id(shell), None)
        shell.events.unregister("post_run_cell", export.after_cell)
        del shell.var_expand
        monkeypatch.delenv("COUNTER_IMAGE", raising=False)
        InteractiveShell.clear_instance()


def test_bash_with_the_lab_s_start_up_file_runs_a_pasted_line_as_the_notebook_ran_it(tmp_path):
    """scripts/lab-terminal.sh in a real pseudo-terminal: Enter on `!echo {web}` runs `echo web-dl1`, shown first."""
    (tmp_path / "terminal").mkdir()
    (tmp_path / "terminal" / "lesson.json").write_text(json.dumps({"variables": {"web": "web-dl1"}, "commands": {}}))
    (tmp_path / "terminal" / "lesson.sh").write_text(terminal.shell_text({"web": "web-dl1"}, {}))
    env = {"DOCKERLAB_STATE": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "TERM": "xterm"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: bash on the pseudo-terminal, as terminado starts it
        os.chdir(tmp_path)
        os.execvpe("bash", ["bash", "--rcfile", str(ROOT / "scripts" / "lab-terminal.sh"), "-i"], env)
    shown = ""

    def until(pattern: str, timeout: float = 20) -> None:
        nonlocal shown
        deadline = time.monotonic() + timeout
        while not re.search(pattern, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)):
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{shown}"
            if select.select([fd], [], [], 0.5)[0]:
                shown += os.read(fd, 4096).decode(errors="replace")

    try:
        until(r"[$#] $")  # the prompt
        os.write(fd, b"!echo {web} is $web\r")
        until(r"web-dl1 is web-dl1\r?\n")
        assert "echo web-dl1 is $web" in shown  # the line, rewritten, before it ran
        os.write(fd, b"echo plain {web}\r")  # no `!`: a shell line, as bash runs it
        until(r"[\r\n]plain \{web\}\r?\n")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)
