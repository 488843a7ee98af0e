"""What the test modules share that is not a fixture: the ``docker`` CLI as a learner runs it, files
written for a test, and reading a check's result. (The shared fixtures are in the conftest files.)

tests/ is on sys.path (pyproject.toml's ``pythonpath``), so any test module can write
``from support import docker, unmet``.
"""

from __future__ import annotations

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


def notebook_file(notebook: str, marker: str) -> str:
    """The text of the file a notebook writes with ``%%writefile`` (the first cell whose first line has ``marker``)."""
    nb = json.loads((ROOT / "notebooks" / notebook).read_text())
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        first, _, body = source.partition("\n")
        if cell["cell_type"] == "code" and first.startswith("%%writefile") and marker in first:
            return body + "\n"
    raise AssertionError(f"{notebook} has no %%writefile cell for {marker}")


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
