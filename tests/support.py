"""What the test modules share that is not a fixture: the ``docker`` CLI as a learner runs it, files
written for a test, and reading a check's result. (The shared fixtures are in the conftest files.)

tests/ is on sys.path (pyproject.toml's ``pythonpath``), so any test module can write
``from support import docker, unmet``.
"""

from __future__ import annotations

import ast
import json
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


# -- the docker CLI --------------------------------------------------------------------------------


def docker(*args: str, check: bool = True, timeout: float = 300, **options) -> subprocess.CompletedProcess:
    """Run ``docker ARGS`` as a learner would; with ``check``, a failure fails the test with its stderr.

    ``options`` go to :func:`subprocess.run` (``cwd``, ``env``, ``input``).
    """
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, **options)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def output(*args: str, timeout: float = 60) -> str:
    """What ``docker ARGS`` printed, stripped; a failure fails the test."""
    return docker(*args, timeout=timeout).stdout.strip()


def remove(*names: str) -> None:
    """Remove containers by name, whether or not they exist."""
    docker("rm", "-f", *names, check=False, timeout=60)


def compose(folder: Path, project: str, *args: str, check: bool = True, **options) -> subprocess.CompletedProcess:
    """``docker compose -p PROJECT ARGS`` run in ``folder``, as a learner runs it from the project's folder."""
    return docker("compose", "-p", project, *args, cwd=folder, check=check, **options)


# -- files -----------------------------------------------------------------------------------------


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write each file (name -> text, or bytes as they are) into ``folder``, made if missing; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content)
    return folder


def notebook_file(notebook: str, marker: str, solution: bool = False) -> str:
    """The text of the file a notebook writes: with ``%%writefile`` (the first cell whose first line has
    ``marker``, such as ``{stars_dir}/Dockerfile``), or, with ``solution``, in its ``%%solution`` cell,
    written either way (``%%writefile``, or ``(stars_dir / "Dockerfile").write_text(...)``). The tests
    take an exercise's files from here, so the notebook is their one source."""
    nb = json.loads((ROOT / "notebooks" / notebook).read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or source.startswith("%%solution\n") != solution:
            continue
        source = source.removeprefix("%%solution\n")
        first, _, body = source.partition("\n")
        if first.startswith("%%writefile") and marker in first:
            return body + "\n"
        if solution and (text := _written_text(source, marker)) is not None:
            return text
    raise AssertionError(f"{notebook} has no {'%%solution ' if solution else ''}cell that writes {marker}")


def _written_text(source: str, marker: str) -> str | None:
    """The text ``(folder / "NAME").write_text("...")`` writes in a cell, where ``marker`` is ``{folder}/NAME``."""
    python = "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines())
    try:
        tree = ast.parse(python)
    except SyntaxError:  # a cell of shell lines or other magics writes no file this way
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "write_text"):
            continue
        path = node.func.value
        if (isinstance(path, ast.BinOp) and isinstance(path.left, ast.Name) and isinstance(path.right, ast.Constant)
                and f"{{{path.left.id}}}/{path.right.value}" == marker):
            return ast.literal_eval(node.args[0])
    return None


# -- a check's result ------------------------------------------------------------------------------


def reason(requirement) -> str:
    """The reason of one requirement, which must be unmet."""
    assert not requirement.met, f"expected unmet: {requirement}"
    return requirement.reason


def unmet(result, words: str) -> str:
    """The reason of the requirement whose description contains ``words``, which must be unmet."""
    for requirement in result.requirements:
        if words in requirement.description:
            return reason(requirement)
    raise AssertionError(f"no requirement about {words!r} in {result}")


def met(result, words: str) -> None:
    """The requirement whose description contains ``words`` must be met."""
    for requirement in result.requirements:
        if words in requirement.description:
            assert requirement.met, f"expected met: {requirement}"
            return
    raise AssertionError(f"no requirement about {words!r} in {result}")


def reason_with(result, words: str) -> str:
    """The first reason among the unmet requirements' that mentions ``words``."""
    reasons = {r.description: r.reason for r in result.requirements if not r.met}
    for text in reasons.values():
        if words in text:
            return text
    raise AssertionError(f"no reason mentions {words!r}: {reasons}")


#: What ``%%needs`` shows in place of a cell the engine cannot run (dockerlab/jupyter/magics.py).
SKIPPED = "This cell cannot work on"


def text_of(cell) -> str:
    """What an executed cell shows: its streams, its error's traceback, each display's markdown or plain text."""
    parts = []
    for shown in cell.get("outputs", []):
        if shown.get("output_type") == "stream":
            parts.append(shown.get("text", ""))
        elif shown.get("output_type") == "error":
            parts.append("\n".join(shown.get("traceback", [])))
        else:
            data = shown.get("data", {})
            parts.append(data.get("text/markdown") or data.get("text/plain") or "")
    return "\n".join(parts)


def skipped_checks(cells) -> set[str]:
    """The exercises whose check cell said it cannot work on this engine (``%%needs``), in an executed notebook."""
    import re

    return {found for cell in cells if cell.cell_type == "code" and cell.source.startswith("%%needs") and SKIPPED in text_of(cell)
            for found in re.findall(r'lesson\.check\("([^"]+)"', cell.source)}
