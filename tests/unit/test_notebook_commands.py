"""The commands in the notebooks: Compose v2 only, compose files without ``version:``, and the command log.

Each notebook's code cells are read as IPython runs them (a ``!`` line is a shell command; comments and
strings are not), with the bodies of ``%%solution`` and shell cells, and every file a notebook writes
with ``%%writefile``. Markdown may name ``docker-compose``: that is where the notes' errors are
corrected. Every rule is tried on bad samples too, so that it can fail.

The command log (notebook 09's summary table) runs in a real kernel, with ``store_history`` off as
nbval runs cells.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient

from dockerlab.classroom.kernels import SocketFileKernelManager
from dockerlab.jupyter.commandlog import describe, ipython_calls, is_ipython, shell_commands, verb

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))

#: Compose v1's command; not docker-compose.yml (a file name) nor docker-compose-plugin (v2's package).
V1 = re.compile(r"(?<![\w.-])docker-compose(?![\w.-])")
#: Python functions that run a command (subprocess.run, os.system, ...).
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "system", "getoutput", "getstatusoutput"}
#: Cell magics whose body is shell.
SHELL_MAGICS = {"bash", "sh", "script"}
#: File names Compose reads (a written file with another name counts as compose YAML if it holds services:).
COMPOSE_NAME = re.compile(r"(?:^|/)(?:docker-)?compose[^/]*\.ya?ml$")


def cell_parts(code: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """A code cell's shell commands, its Python strings, and the files it writes as (target, body)."""
    commands = shell_commands(code)
    strings = _run_from_python(code)
    written = []
    for name, line, body in ipython_calls(code, {"run_cell_magic"}):
        if name in ("solution", "needs"):  # bodies that run as cells of their own
            more = cell_parts(body)
            commands, strings, written = commands + more[0], strings + more[1], written + more[2]
        elif name == "writefile":
            written.append((line.split()[-1], body))
        elif name in SHELL_MAGICS:
            commands += [line for line in body.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return commands, strings, written


def _run_from_python(code: str) -> list[str]:
    """What Python code runs as a command: subprocess.run(["docker-compose", "up"]) or os.system("...") (not IPython's own calls)."""
    found = []
    for node in ast.walk(ast.parse(TransformerManager().transform_cell(code))):
        if not (isinstance(node, ast.Call) and node.args and getattr(node.func, "attr", getattr(node.func, "id", "")) in RUNNERS):
            continue
        if isinstance(node.func, ast.Attribute) and is_ipython(node.func.value):
            continue  # a ! line: read as a shell command
        first = node.args[0].elts[0] if isinstance(node.args[0], (ast.List, ast.Tuple)) and node.args[0].elts else node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append(first.value)
    return found


def compose_file(target: str, body: str) -> dict | None:
    """The parsed compose file a ``%%writefile`` writes, or None if it writes something else."""
    try:
        data = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        if COMPOSE_NAME.search(target):
            raise AssertionError(f"{target} is not valid YAML: {exc}") from None
        return None
    if isinstance(data, dict) and ("services" in data or COMPOSE_NAME.search(target)):
        return data
    return None


def problems(nb) -> list[str]:
    """What in a notebook's code cells uses Compose v1 or writes a compose file with a version: key."""
    found = []
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        commands, strings, written = cell_parts(cell.source)
        where = f"cell {number}"
        found += [f"{where} runs Compose v1: {c}" for c in commands if V1.search(c)]
        found += [f"{where} runs Compose v1 from Python: {s!r}" for s in strings if s.split()[:1] == ["docker-compose"]]
        for target, body in written:
            code_lines = [line for line in body.splitlines() if not line.lstrip().startswith("#")]
            found += [f"{where} writes {target} that runs Compose v1: {line.strip()}" for line in code_lines if V1.search(line)]
            data = compose_file(target, body)
            if data is not None and "version" in data:
                found.append(f"{where} writes the compose file {target} with the obsolete top-level version: {data['version']!r}")
    return found


def notebook(*cells: str, markdown: str = "The notes write `docker-compose up`.") -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(markdown)] + [nbformat.v4.new_code_cell(c) for c in cells])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_uses_compose_v2_without_version_key(path):
    assert problems(nbformat.read(path, as_version=4)) == []


def test_the_scan_sees_the_compose_lessons():
    """The scan is not vacuous: it finds the compose files and docker compose commands of notebooks 09 and 10."""
    for stem in ("09-many-containers", "10-compose-in-depth"):
        nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        parts = [cell_parts(c.source) for c in nb.cells if c.cell_type == "code"]
        files = [compose_file(t, b) for _, _, written in parts for t, b in written]
        verbs = {verb(c) for commands, _, _ in parts for c in commands}
        assert sum(f is not None for f in files) >= 2, stem
        assert {"compose up", "compose down"} <= verbs, (stem, verbs)


BAD = {
    "a ! line": "!docker-compose up -d",
    "captured, after cd": "x = !cd {folder} && docker-compose ps",
    "in a loop": "for n in (1, 2):\n    !docker-compose logs web",
    "by its path": "!/usr/local/bin/docker-compose version",
    "from Python": 'import subprocess\nsubprocess.run(["docker-compose", "up", "-d"])',
    "from os.system": 'import os\nos.system("docker-compose down -v")',
    "a bash cell": "%%bash\necho starting\ndocker-compose down",
    "a solution cell": "%%solution\n!docker-compose up -d",
    "a written script": "%%writefile {folder}/up.sh\n#!/bin/sh\ndocker-compose up -d\n",
    "version: in compose.yaml": '%%writefile {folder}/compose.yaml\nversion: "3.8"\nservices:\n  web:\n    image: nginx\n',
    "version: in a solution's file without .yaml": '%%solution\n%%writefile {exercise_file}\nversion: "3"\nservices: {}\n',
    "version: in docker-compose.yml": "%%writefile {folder}/docker-compose.yml\nversion: '2'\nservices:\n  db:\n    image: redis\n",
}


@pytest.mark.parametrize("cell", BAD.values(), ids=BAD.keys())
def test_bad_samples_fail(cell):
    found = problems(notebook(cell))
    assert len(found) == 1, found
    assert "Compose v1" in found[0] or "obsolete top-level version" in found[0]


def test_a_compose_file_that_is_not_yaml_fails():
    with pytest.raises(AssertionError, match="is not valid YAML"):
        problems(notebook("%%writefile {folder}/compose.yaml\nservices: [\n"))


GOOD = {
    "v2": "!cd {folder} && docker compose -p {project} up -d",
    "a comment": "# The notes' docker-compose up is v1.\n!docker compose up -d",
    "a file name": "!cat docker-compose.yml",
    "v2's package": "!apt-get install -y docker-compose-plugin",
    "prose in a string": 'print("the notes write docker-compose")',
    "a commented-out line": "# !docker-compose up",
    "a comment in a written file": "%%writefile {folder}/compose.yaml\n# not docker-compose: no version: line\nservices:\n  web:\n    image: nginx\n",
    "version in a service": "%%writefile {folder}/compose.yaml\nservices:\n  web:\n    image: nginx\n    labels:\n      version: '2'\n",
    "version: in a Python file": '%%writefile {folder}/app.py\nversion = {"version": 1}\n',
    "a Dockerfile": "%%writefile {folder}/Dockerfile\nFROM python:3.13-slim\nCMD [\"python\"]\n",
}


@pytest.mark.parametrize("cell", GOOD.values(), ids=GOOD.keys())
def test_good_samples_pass(cell):
    assert problems(notebook(cell)) == []


def test_markdown_may_name_v1():
    assert problems(notebook("!docker compose version", markdown="Run `docker-compose up` (v1, retired).")) == []


def test_verbs_and_description():
    assert verb("docker network create {net}") == "network create"
    assert verb("docker compose -f {file} -p {project} --progress plain up -d --scale web=3") == "compose up"
    assert verb("docker compose -p {project} port --index {n} web 8000") == "compose port"
    assert verb("docker --context remote rm -f a b") == "rm"
    assert verb("{curl} http://127.0.0.1/") == verb("docker") == ""
    commands = ["docker network create n", "docker volume create v", "docker run -d a", "docker run -d b"]
    assert describe(commands) == "`network create`, `volume create`, `run` ×2"


def test_shell_commands_as_typed():
    cell = "# !docker rm x\nids = !docker ps -q\nfor n in (1, 2):\n    !cd {d} && docker compose up -d | tail -1\nprint('!docker rm y')"
    assert shell_commands(cell) == ["docker ps -q", "cd {d}", "docker compose up -d", "tail -1"]


LOG_CELLS = [
    "from dockerlab.jupyter.commandlog import CommandLog\nlog = CommandLog()\nstart = log.mark()",
    "_ = !docker network create --help",
    "# !docker rm gone   (a comment runs nothing)\nhelp_text = !docker ps --help",
    "%%writefile /dev/null\n!docker rm not-a-command",
    "for n in (1, 2):\n    _ = !docker volume create --help",
    "middle = log.mark()",
    "_ = !docker run --help",
    "import json\nprint(json.dumps([log.commands(start), log.commands(start, looking_too=True), log.commands(middle)]))",
]


def run_in_kernel(cells: list[str], folder: Path, store_history: bool = True) -> nbformat.NotebookNode:
    """Run the cells in a real kernel, one by one; fail on an error in any of them."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(folder)}},
                            kernel_manager_class=SocketFileKernelManager)
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index, store_history=store_history)
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    return nb


@pytest.mark.slow
@pytest.mark.parametrize("store_history", [False, True], ids=["as nbval runs cells", "as papermill runs cells"])
def test_command_log_in_a_kernel(tmp_path, store_history):
    """Docker's own --help: real docker commands that need no engine."""
    nb = run_in_kernel(LOG_CELLS, tmp_path, store_history)
    changing, everything, since_middle = json.loads(nb.cells[-1].outputs[0].text)
    assert changing == ["docker network create --help", "docker volume create --help", "docker run --help"]
    assert everything == ["docker network create --help", "docker ps --help", "docker volume create --help", "docker run --help"]
    assert since_middle == ["docker run --help"]


@pytest.mark.slow
def test_command_log_made_again_replaces_the_old_one(tmp_path):
    """Running the cell that makes the log twice leaves one log listening, not two."""
    cells = [LOG_CELLS[0], LOG_CELLS[0], "print(sum(getattr(cb, '__self__', None).__class__.__name__ == 'CommandLog' "
             "for cb in get_ipython().events.callbacks['pre_run_cell']))"]
    assert run_in_kernel(cells, tmp_path).cells[-1].outputs[0].text.strip() == "1"
