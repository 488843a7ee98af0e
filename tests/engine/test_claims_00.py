"""What notebook 00 says about the engine and the doctor's lines, checked on the engine this test runs against.

The notebook explains each line of the doctor's report; the claims that depend on the engine (which
socket, the release line's support, the image store, where the engine runs, Compose's number) are
asserted here against what the engine and the CLI themselves say, for this engine's kind, so every
row of the matrix checks its own branch.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from dockerlab.services import doctor
from dockerlab.engine import kind as enginekind
from support import docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("00-welcome")]


@pytest.fixture(scope="module")
def findings(docker_client) -> dict[str, doctor.Finding]:
    return {f.name: f for f in doctor.run_checks(with_images=False).findings}


def current_context() -> dict:
    contexts = [json.loads(line) for line in docker("context", "ls", "--format", "json").stdout.splitlines() if line.strip()]
    return next(c for c in contexts if c["Current"])


def test_the_socket_line_names_the_socket_the_cli_uses(findings):
    """/var/run/docker.sock for Docker Engine on Linux; another context's socket, and its name, where one is current."""
    context = current_context()
    found = findings["engine socket"]
    assert found.ok is True, found
    if os.environ.get("DOCKER_HOST"):
        pytest.skip("DOCKER_HOST overrides the context")
    assert found.detail.startswith(context["DockerEndpoint"].removeprefix("unix://") + " usable by"), (context, found)
    assert (f"(docker context {context['Name']})" in found.detail) == (context["Name"] != "default"), found


def test_an_end_of_life_engine_gets_a_note_with_the_upgrade_link(kind, findings):
    """Debian 12's 20.10 reached its end of life (December 2023): a note whose fix links a current engine;
    Engine 28 and 29 are maintained: ok."""
    found = findings["Docker engine"]
    version = docker("version", "--format", "{{.Server.Version}}").stdout.strip()
    assert f"{kind.product} {version} on " in found.detail
    if kind.release_line == (20, 10):
        assert found.ok is None and "reached its end of life on 2023-12-10" in found.detail, found
        assert enginekind.UPGRADE in found.fix
    elif kind.release_line[0] in (28, 29):
        assert found.ok is True and "is maintained" in found.detail, found
    else:
        assert found.ok in (True, None), found


def test_the_image_store_line_is_the_engines_store(findings):
    """classic (overlay2) or containerd, as the engine's own storage driver says."""
    status = json.loads(docker("info", "--format", "{{json .DriverStatus}}").stdout)
    driver = docker("info", "--format", "{{.Driver}}").stdout.strip()
    containerd = ["driver-type", "io.containerd.snapshotter.v1"] in status
    found = findings["image store"]
    assert found.detail.startswith(f"containerd ({driver} snapshotter)" if containerd else f"classic ({driver})"), found


def test_the_location_line_says_whether_the_engines_processes_are_in_sight(findings, container_name):
    """ok where this machine's /proc shows the engine's containers (Docker Engine on Linux), a note where not."""
    name = container_name("claims00-sight")
    docker("run", "-d", "--name", name, "busybox:1.37", "sleep", "60")
    pid, cid = docker("inspect", "--format", "{{.State.Pid}} {{.Id}}", name).stdout.split()
    try:
        in_sight = cid in Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        in_sight = False
    found = findings["engine location"]
    assert (found.ok is True) == in_sight, found


def test_compose_is_docker_compose_v2_or_v5(findings):
    """`docker compose` (the plugin) is Compose v2, renumbered v5 in December 2025: the doctor names which."""
    done = docker("compose", "version", "--short", check=False)
    found = findings["Compose (docker compose)"]
    if done.returncode != 0:  # no plugin: the doctor says so, with the fix
        assert found.ok is False and "ensure-engine.sh" in found.fix, found
        return
    short = done.stdout.strip()
    major = doctor.compose_version(short)[0]
    assert major == 2 or major >= 5, short
    assert f"(Compose v{2 if major == 2 else 5};" in found.detail, found


def test_the_client_lowers_its_api_version_to_the_engines(docker_client):
    """The client and the engine agree on the newest API version both understand."""
    fields = docker("version", "--format", "{{.Client.APIVersion}} {{.Client.DefaultAPIVersion}} {{.Server.APIVersion}}").stdout.split()
    used, client_max, engine_max = (tuple(int(n) for n in v.split(".")) for v in fields)
    assert used == min(client_max, engine_max), fields


def test_hello_world_prints_and_leaves_nothing(course_session):
    name = course_session.name("claims00-hello")
    out = docker("run", "--rm", "--name", name, "hello-world").stdout
    assert "Hello from Docker!" in out
    assert docker("ps", "-a", "--filter", f"name={name}", "--format", "{{.Names}}").stdout.strip() == ""
