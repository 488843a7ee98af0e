"""The class mirror end to end on one machine: the machine's engine serves, a brand-new engine pulls.

The instructor's side is the machine's own engine (`dockerlab images serve`); the learner's is a second,
separate engine started beside it (:class:`matrix.dockerd.Engine`, as `make test`'s workers are: own data,
socket and network namespace). That engine's network namespace reaches the host at ``10.213.SLOT.1``
(:mod:`matrix.netns`: one veth pair, ``.1`` the host's side); the machine's 127.0.0.1, where docker-proxy
listens by default, is another namespace's loopback for it. So the mirror is published on that host-side
address, as an instructor publishes on the room's address, and the second engine meets it as a learner's
engine meets a mirror on the LAN: not on its loopback, so plain HTTP is refused until the engine lists it
under ``insecure-registries``. The test sees the refusal (the engine's words and the CLI's plain-words
error), applies the documented fix (``insecure-registries`` in daemon.json; a reload, SIGHUP, applies it
as a restart would), then `dockerlab images ensure --mirror` on that engine gets every course image, with
the same image ID as on the machine's engine. No registry outside the machine is involved.

Runs on the machine's engine only (``matrix.split.ON_THE_MACHINE``): it starts an engine beside it.
Measured here: 60 s in all, on 2 cores shared with other runs (serving and the pulls most of it; stopping
the second engine a second or two); the registry image is built once, about 30 s more, and then kept.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import docker
import docker.errors
import pytest

from dockerlab.services.images import registry, serve
from dockerlab.services.images.manifest import load_manifest
from matrix import netns, split
from matrix.dockerd import Engine

pytestmark = pytest.mark.engine


@pytest.fixture
def second_engine():
    why_not = split.can_start_engines()
    if why_not:
        pytest.skip(f"no separate engine here: {why_not}")
    started = Engine(f"mirror{os.getpid() % 100000}", [split._machine_programs()])
    try:
        started.start()
        yield started
    finally:
        started.remove()


def _ensure(engine: Engine, mirror: str) -> subprocess.CompletedProcess:
    return subprocess.run([*engine.enter(), sys.executable, "-m", "dockerlab", "images", "ensure", "--mirror", mirror],
                          env=engine.env(), capture_output=True, text=True, timeout=600)


def _trust(engine: Engine, mirror: str) -> None:
    """The fix the error names: "insecure-registries" in the engine's daemon.json, applied (SIGHUP reloads it)."""
    config = {**engine.config, "insecure-registries": [mirror]}
    (engine.base / "daemon.json").write_text(json.dumps(config, indent=2))
    os.kill(int((engine.base / "docker.pid").read_text()), signal.SIGHUP)
    deadline = time.monotonic() + 30
    client = docker.DockerClient(base_url=engine.host, timeout=30)
    try:
        while (client.info()["RegistryConfig"]["IndexConfigs"].get(mirror) or {}).get("Secure") is not False:
            assert time.monotonic() < deadline, "the engine did not take insecure-registries on a reload"
            time.sleep(0.3)
    finally:
        client.close()  # its connection pool: nothing of the test holds the engine's socket


def _mirror_leftovers(api) -> list[str]:
    left = [f"container {c['Names'][0]}" for c in api.containers(all=True, filters={"label": serve.MIRROR})]
    left += [f"volume {v['Name']}" for v in api.volumes(filters={"label": serve.MIRROR}).get("Volumes") or []]
    names = {s.name for s in load_manifest()}
    left += [f"name {t}" for i in api.images() for t in (i.get("RepoTags") or []) + (i.get("RepoDigests") or [])
             if t.startswith("127.0.0.1:") and t.split("/", 1)[1].split("@")[0].split(":")[0] in {n.split(":")[0] for n in names}]
    return left


def test_a_new_engine_takes_every_course_image_from_the_mirror(docker_client, second_engine):
    started = time.monotonic()
    api = docker_client.api
    specs = load_manifest()
    source = {s.name: api.inspect_image(s.name)["Id"] for s in specs}  # the suite's engine has them (make test ensures)
    host_side = f"{netns.PREFIX}.{netns.existing(second_engine.name).slot}.1"
    lines: list[str] = []
    served = serve.serve(listen=host_side, port=0, report=lines.append)
    try:
        assert served.address.startswith(f"{host_side}:") and served.room
        assert [p.name for p in served.images] == [s.name for s in specs]
        assert any(line.startswith(f"[{len(specs)}/{len(specs)}] ") and "pushed in" in line for line in lines)
        assert any("layer" in line and "%" in line for line in lines)  # progress while pushing

        # A learner's engine as installed: the mirror is not on its loopback, so plain HTTP is refused.
        learner = docker.DockerClient(base_url=second_engine.host, timeout=60)
        with pytest.raises(docker.errors.APIError) as raw:
            learner.api.pull(f"{served.address}/busybox", tag="1.37")
        assert "server gave HTTP response to HTTPS client" in raw.value.explanation  # the engine's own words
        assert isinstance(registry.explain(raw.value, served.address, "busybox:1.37"), registry.MirrorNotTrusted)
        refused = _ensure(second_engine, served.address)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "does not pull from the class mirror yet" in refused.stderr
        assert f'"insecure-registries": ["{served.address}"]' in refused.stderr and "daemon.json" in refused.stderr

        _trust(second_engine, served.address)
        pulled = _ensure(second_engine, served.address)
        assert pulled.returncode == 0, pulled.stdout[-2000:] + pulled.stderr[-2000:]
        assert pulled.stdout.count(f"pulled from the class mirror {served.address}") == len(specs)
        for spec in specs:
            arrived = learner.api.inspect_image(spec.name)
            assert arrived["Id"] == source[spec.name], spec.name
            assert arrived["RepoTags"] == [spec.name] and arrived["RepoDigests"] == []  # the mirror's names went
        # A second engine's push into the served mirror is refused: the room cannot replace a course image.
        learner.api.tag("busybox:1.37", f"{served.address}/busybox", "1.37")
        pushed = "".join(str(e) for e in learner.api.push(f"{served.address}/busybox", tag="1.37", stream=True, decode=True))
        assert "405" in pushed or "Method Not Allowed" in pushed or "method not allowed" in pushed.lower(), pushed
    finally:
        if "learner" in locals():
            learner.close()  # its connection pool: nothing of the test holds the engine's socket
        removed = serve.stop(report=lambda _line: None)
    assert "container dockerlab-mirror" in removed and "volume dockerlab-mirror" in removed
    assert _mirror_leftovers(api) == []
    assert {s.name: api.inspect_image(s.name)["Id"] for s in specs} == source  # the instructor's images untouched
    print(f"\nmirror test: {time.monotonic() - started:.0f} s (serve {served.seconds:.0f} s)")
