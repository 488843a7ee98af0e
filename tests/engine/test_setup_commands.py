"""Notebook 02's claims about `sudo usermod -aG docker $USER` and `newgrp docker`, checked for real.

The notebook writes ``docker-group.sh`` (a ``%%writefile`` cell) and runs it in a throwaway
container from the course's ``debian:trixie-slim``. This test takes that very script out of the
notebook, runs it the same way (a container named with this session's id, removed after) and
checks each claim the notebook's text makes from its output, one by one:

* as an ordinary user, ``usermod`` is refused (hence ``sudo``);
* after ``usermod -aG docker learner`` the user list says learner is in ``docker``;
* a new login gets the group; a shell that was already running does not;
* ``newgrp docker`` in that old shell starts a shell that has it, as its main group.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dockerlab.engine import session
from support import docker, remove

pytestmark = pytest.mark.engine

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "02-setup.ipynb"
SCRIPT_CELL = "%%writefile {lesson.workdir}/docker-group.sh"
IMAGE = "debian:trixie-slim"


def _code_cells() -> list[str]:
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def notebook_script() -> str:
    """The body of the notebook's ``%%writefile .../docker-group.sh`` cell."""
    [cell] = [c for c in _code_cells() if c.startswith(SCRIPT_CELL)]
    return cell.split("\n", 1)[1] + "\n"


@pytest.fixture(scope="module")
def lines(docker_client, tmp_path_factory) -> dict[str, str]:
    """Run the notebook's script as the notebook does; its output lines as {label: groups}."""
    [run] = [c for c in _code_cells() if "/docker-group.sh:ro" in c]
    assert f" {IMAGE} sh /docker-group.sh" in run, "the notebook runs the script in another image or way"
    script = tmp_path_factory.mktemp("groups") / "docker-group.sh"
    script.write_text(notebook_script())
    name = session.current().name("groups")
    remove(name)
    try:
        out = docker("run", "--rm", "--name", name, "-v", f"{script}:/docker-group.sh:ro", IMAGE, "sh", "/docker-group.sh", timeout=120).stdout
    finally:
        remove(name)
    found = dict(re.findall(r"(?m)^([^:\n]+):\s+(.*)$", out))
    assert len(found) == 6, out
    return found


def groups(text: str) -> list[str]:
    return text.split()


def test_usermod_needs_root(lines):
    assert lines["usermod as learner, no sudo"] == "usermod: Permission denied."


def test_before_the_change_learner_has_only_its_own_group(lines):
    assert groups(lines["learner's groups before"]) == ["learner"]


def test_the_user_list_changes_at_once(lines):
    assert "docker" in groups(lines["the user list (id learner)"])


def test_a_new_login_has_the_group(lines):
    assert "docker" in groups(lines["a new login (su learner)"])


def test_a_shell_already_running_does_not(lines):
    assert groups(lines["the shell already running"]) == ["learner"]


def test_newgrp_gives_that_shell_the_group_as_its_main_group(lines):
    assert groups(lines["that shell, after newgrp"])[0] == "docker"
    assert "learner" in groups(lines["that shell, after newgrp"])


def test_nothing_is_left(lines, docker_client):
    name = session.current().name("groups")
    assert not docker_client.containers.list(all=True, filters={"name": f"^/{name}$"})
