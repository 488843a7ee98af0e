"""Container and HTTP blocks against real containers (session-named, removed afterwards), and a
whole exercise run through check() the way a notebook runs it."""

from __future__ import annotations

import contextlib
import json

import docker.errors
import pytest
from docker.types import Mount

from dockerlab import engine
from dockerlab.engine import session
from dockerlab import checks
from dockerlab.checks import containers, http
from dockerlab.jupyter.lesson import Lesson
from dockerlab import exercises
from support import reason

pytestmark = pytest.mark.engine

SERVE = ["sh", "-c", "mkdir -p /www && echo 'Hello dockerlab' > /www/index.html && echo server ready && exec httpd -f -p 80 -h /www"]
SLEEP = ["sh", "-c", "echo just sleeping; exec sleep 300"]


@pytest.fixture(scope="module")
def world(docker_client, tmp_path_factory):
    """A right container and several wrong ones, with the network and volume they use."""
    s = session.current()
    names = {key: s.name(f"chk-{key}") for key in ("good", "wrong", "exited", "created", "anon")}
    net, vol = s.name("chk-net"), s.name("chk-data")
    bind_dir = tmp_path_factory.mktemp("bind")
    made_network = made_volume = None
    try:
        made_network = s.network(net)
        made_volume = s.volume(vol)
        good = s.run(
            "busybox:1.37", SERVE, name=names["good"], ports={"80/tcp": ("127.0.0.1", None)}, network=net,
            mounts=[Mount("/data", vol, type="volume")], environment={"DEBUG": "1"},
            restart_policy={"Name": "unless-stopped"},
        )
        wrong = s.run(
            "busybox:1.37", SLEEP, name=names["wrong"], ports={"80/tcp": ("0.0.0.0", None)}, mem_limit=None, pids_limit=None,
            mounts=[Mount("/data", str(bind_dir), type="bind")], environment={"debug": "1", "LOG_LEVL": "info"},
        )
        exited = s.run(
            "busybox:1.37", ["sh", "-c", "echo 'oops: config missing' >&2; exit 3"], name=names["exited"],
            network_mode="none", mounts=[Mount("/srv", vol, type="volume")],
        )
        exited.wait(timeout=30)
        docker_client.containers.create(
            "busybox:1.37", "true", name=names["created"], labels=s.labels(),
            ports={"8080/tcp": ("127.0.0.1", 80)}, restart_policy={"Name": "always"},
        )
        s.run("busybox:1.37", SLEEP, name=names["anon"], mounts=[Mount("/data", None, type="volume")])
        for c in (good, wrong):
            c.reload()
        ports = {
            "good": int(good.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]),
            "wrong": int(wrong.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"]),
        }
        yield {**names, "net": net, "vol": vol, "ports": ports, "bind": bind_dir}
    finally:
        api = engine.client().api
        for name in names.values():
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_container(name, force=True, v=True)
        if made_network is not None:
            with contextlib.suppress(docker.errors.NotFound):
                made_network.remove()
        if made_volume is not None:
            with contextlib.suppress(docker.errors.NotFound):
                made_volume.remove(force=True)


# -- exists / running / exited ------------------------------------------------------------------------------


def test_exists(world):
    assert containers.exists(world["good"]).met
    missing = session.current().name("chk-nobody")
    assert f"no container named {missing} exists; did you pass --name {missing} to docker run?" in reason(containers.exists(missing))
    assert f"(there is a container named {world['good']}: a typo?)" in reason(containers.exists(world["good"].replace("good", "goood")))
    assert "a container started with --rm is also removed as soon as it stops" in reason(containers.exists(missing))
    # The name the lesson asked for is the existing name plus a session suffix (here: a second one).
    suffixed = world["good"] + "-dl123456"
    assert f"no container named {suffixed} exists, but there is one named {world['good']}: the lesson's names end in the session id, so use --name {suffixed}" in reason(
        containers.exists(suffixed)
    )


def test_running(world):
    assert containers.running(world["good"]).met
    assert "the container exited with code 3; its last output: oops: config missing" in reason(containers.running(world["exited"]))
    assert f"the container was created but never started; start it with docker start {world['created']}" in reason(
        containers.running(world["created"])
    )
    assert "no container named" in reason(containers.running(session.current().name("chk-nobody")))


def test_exited(world):
    assert containers.exited(world["exited"], code=3).met
    assert "the container exited with code 3; its last output: oops: config missing; expected code 0" in reason(
        containers.exited(world["exited"])
    )
    assert "the container is still running; wait for it to finish" in reason(containers.exited(world["good"]))
    assert "created but never started" in reason(containers.exited(world["created"]))


# -- image / output -----------------------------------------------------------------------------------------


def test_from_image(world):
    assert containers.from_image(world["good"], "busybox:1.37").met
    assert "the container was started from busybox:1.37, not python:3.13-slim; remove it and docker run python:3.13-slim again" in reason(
        containers.from_image(world["good"], "python:3.13-slim")
    )
    assert "the image nosuch-image-dl000000:1 is not on this engine" in reason(containers.from_image(world["good"], "nosuch-image-dl000000:1"))
    assert "no container named" in reason(containers.from_image(session.current().name("chk-nobody"), "busybox:1.37"))


def test_logs_contain(world):
    assert containers.logs_contain(world["good"], "server ready").met
    assert containers.logs_contain(world["exited"], "config missing").met  # stderr counts
    assert "the output does not contain 'Hello'; its last lines: server ready" in reason(containers.logs_contain(world["good"], "Hello"))
    assert "the output contains 'SERVER READY' but with other capital letters" in reason(containers.logs_contain(world["good"], "SERVER READY"))
    assert "the container was created but never started, so it printed nothing" in reason(containers.logs_contain(world["created"], "x"))


# -- ports ----------------------------------------------------------------------------------------------------


def test_publishes(world):
    port = world["ports"]["good"]
    assert containers.publishes(world["good"], 80, host_port=port).met
    assert containers.publishes(world["good"], 80).met
    assert containers.publishes(world["wrong"], 80, host_ip=None).met


def test_publishes_wrong(world):
    good, wrong = world["ports"]["good"], world["ports"]["wrong"]
    assert (
        f"the container publishes 80 on 0.0.0.0:{wrong}, every address of this machine, so other computers on the network "
        f"can reach it; bind it to 127.0.0.1 with -p 127.0.0.1:{wrong}:80"
    ) in reason(containers.publishes(world["wrong"], 80, host_port=wrong))
    assert f"the container publishes 80 on host port {good}, not on host port {good + 1}; use -p 127.0.0.1:{good + 1}:80" in reason(
        containers.publishes(world["good"], 80, host_port=good + 1)
    )
    assert "the container publishes container port 80/tcp but not 8080, the port the app listens on" in reason(
        containers.publishes(world["good"], 8080)
    )
    assert "the container publishes 80/tcp, not 80/udp; use -p 127.0.0.1::80/udp" in reason(containers.publishes(world["good"], 80, protocol="udp"))
    assert "the container publishes no ports; publish container port 80 with -p 127.0.0.1:8080:80" in reason(
        containers.publishes(world["exited"], 80, host_port=8080)
    )
    # Configured, never started: the numbers the learner typed the wrong way round.
    assert "publishes container port 8080 on host port 80: the two numbers are swapped" in reason(
        containers.publishes(world["created"], 80, host_port=8080)
    )


# -- limits, network, volumes, env, restart -------------------------------------------------------------------


def test_limits(world):
    assert containers.memory_limit(world["good"]).met
    assert containers.memory_limit(world["good"], at_most="256m").met
    assert containers.pids_limit(world["good"], at_most=128).met
    assert "the container has no memory limit, so it may use all of the machine's memory; start it with --memory 256m" in reason(
        containers.memory_limit(world["wrong"])
    )
    assert "the container's memory limit is 256m, more than 128m; use --memory 128m" in reason(
        containers.memory_limit(world["good"], at_most="128m")
    )
    assert "the container has no process limit, so a fork bomb inside it could exhaust the machine; start it with --pids-limit 100" in reason(
        containers.pids_limit(world["wrong"])
    )
    assert "the container's process limit is 128, more than 64; use --pids-limit 64" in reason(containers.pids_limit(world["good"], at_most=64))
    assert "no container named" in reason(containers.memory_limit(session.current().name("chk-nobody")))
    assert "no container named" in reason(containers.pids_limit(session.current().name("chk-nobody")))


def test_on_network(world):
    net = world["net"]
    assert containers.on_network(world["good"], net).met
    assert f"the container is attached to bridge, not {net}; connect it with docker network connect {net} {world['wrong']}" in reason(
        containers.on_network(world["wrong"], net)
    )
    assert f"the container runs with --network none; start it with --network {net} instead" in reason(
        containers.on_network(world["exited"], net)
    )
    nonet = session.current().name("chk-nonet")
    assert f"no network named {nonet} exists; create it with docker network create {nonet}" in reason(
        containers.on_network(world["good"], nonet)
    )


def test_mounts_volume(world):
    vol = world["vol"]
    assert containers.mounts_volume(world["good"], vol, "/data").met
    assert containers.mounts_volume(world["good"], vol, "/data/", read_only=False).met
    assert f"the container mounts the host folder {world['bind']} at /data (a bind mount), not the volume {vol}; give -v a volume name instead of a path: -v {vol}:/data" in reason(
        containers.mounts_volume(world["wrong"], vol, "/data")
    )
    assert f"the container mounts an anonymous volume at /data (Docker named it" in reason(containers.mounts_volume(world["anon"], vol, "/data"))
    assert f"the container mounts {vol} at /srv, not at /data; use -v {vol}:/data" in reason(containers.mounts_volume(world["exited"], vol, "/data"))
    assert f"the container mounts {vol} at /data, not at /backup; use -v {vol}:/backup" in reason(containers.mounts_volume(world["good"], vol, "/backup"))
    assert "the container mounts nothing at /backup (it mounts /data)" in reason(containers.mounts_volume(world["good"], "other", "/backup"))
    assert f"the volume {vol} is mounted writable; add :ro" in reason(containers.mounts_volume(world["good"], vol, "/data", read_only=True))
    assert "mounts nothing at /data, so what it writes there is lost with it" in reason(containers.mounts_volume(world["created"], vol, "/data"))


def test_has_env(world):
    assert containers.has_env(world["good"], "DEBUG").met
    assert containers.has_env(world["good"], "DEBUG", "1").met
    assert "the container has DEBUG=1, not DEBUG=0; start it with -e DEBUG=0" in reason(containers.has_env(world["good"], "DEBUG", "0"))
    assert "the container sets debug, not DEBUG (names are case-sensitive); use -e DEBUG=1" in reason(containers.has_env(world["wrong"], "DEBUG", "1"))
    assert "the container sets LOG_LEVL but not LOG_LEVEL (a typo?)" in reason(containers.has_env(world["wrong"], "LOG_LEVEL"))
    assert "the container has no TOKEN in its environment; start it with -e TOKEN=..." in reason(containers.has_env(world["good"], "TOKEN"))


def test_restart_policy(world):
    assert containers.restart_policy(world["good"]).met
    assert "the container has no restart policy, so it stays down after a crash or a reboot; start it with --restart unless-stopped" in reason(
        containers.restart_policy(world["wrong"])
    )
    assert f"the container's restart policy is always, not unless-stopped; use --restart unless-stopped (docker update --restart unless-stopped {world['created']} changes it in place)" in reason(
        containers.restart_policy(world["created"])
    )
    assert "the container's restart policy is unless-stopped, not on-failure" in reason(containers.restart_policy(world["good"], "on-failure:3"))


# -- HTTP into containers ---------------------------------------------------------------------------------------


def test_container_answers(world):
    port = world["ports"]["good"]
    assert http.container_answers(world["good"], 80, contains="Hello dockerlab").met
    assert http.answers(f"http://127.0.0.1:{port}/", contains="Hello dockerlab").met
    assert f"http://127.0.0.1:{port}/nope answered 404 Not Found, not 200 OK" in reason(http.container_answers(world["good"], 80, path="/nope"))
    assert "the container does not publish port 80, so it cannot be reached from here" in reason(http.container_answers(world["exited"], 80))
    # Published, but nothing listens inside: the engine's proxy accepts and hangs up.
    text = reason(http.container_answers(world["wrong"], 80, wait=0.5))
    assert "was closed without an answer" in text or "connection refused" in text


# -- a whole exercise, as a notebook runs it --------------------------------------------------------------------


def test_exercise_through_check(world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "progress.json"))
    lesson = Lesson("99-checks-engine", workdir=tmp_path / "work")

    @checks.exercise("99.web-on-localhost", title="Serve on localhost", hints=["-p 127.0.0.1:HOST:80"])
    def web_on_localhost(lesson, which="chk-good"):
        name = lesson.name(which)
        yield containers.running(name)
        yield containers.publishes(name, 80, host_ip="127.0.0.1")
        yield http.container_answers(name, 80, contains="Hello dockerlab")

    @checks.exercise("99.web-wrong", title="The wrong one")
    def web_wrong(lesson):
        return web_on_localhost(lesson, "chk-wrong")

    try:
        good = lesson.check("99.web-on-localhost")
        bad = exercises.run("99.web-wrong", lesson)
    finally:
        checks.unregister("99.web-on-localhost")
        checks.unregister("99.web-wrong")
    assert good.passed, str(good)
    assert "Serve on localhost - done" in capsys.readouterr().out
    assert not bad.passed and bad.met_count == 1
    assert "bind it to 127.0.0.1" in bad.requirements[1].reason
    saved = json.loads((tmp_path / "progress.json").read_text())["exercises"]["99.web-on-localhost"]
    assert saved["passed"] is True and saved["lesson"] == "99-checks-engine"
