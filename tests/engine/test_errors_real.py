"""Each typed error, produced by causing the real fault on the real engine."""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading

import docker
import docker.errors
import pytest

from dockerlab.services import build
from dockerlab import engine
from dockerlab import errors
from dockerlab.services.images import kit


def test_engine_not_running_when_the_socket_is_missing(tmp_path, docker_client):
    code = textwrap.dedent(
        """
        from dockerlab import engine, errors
        try:
            engine.client()
        except errors.EngineNotRunning as exc:
            print("typed:", type(exc.__cause__).__name__, "|", exc.fix)
        """
    )
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/nothing.sock"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("typed: DockerException"), out.stdout + out.stderr
    assert "make lab" in out.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch to an unprivileged user")
def test_permission_denied_for_a_user_outside_the_docker_group(tmp_path, docker_client):
    code = "from dockerlab import engine, errors\ntry:\n    engine.client()\nexcept errors.EnginePermissionDenied as exc:\n    print('typed:', exc.fix)\n"
    env = {**os.environ, "HOME": str(tmp_path), "DOCKERLAB_STATE": str(tmp_path)}
    env.pop("DOCKER_HOST", None)
    tmp_path.chmod(0o777)
    out = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c", code],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert out.stdout.startswith("typed:"), out.stdout + out.stderr
    assert "usermod -aG docker" in out.stdout


@pytest.fixture
def occupied_port():
    """A port held by a plain program (not a container), as a learner's other server would."""
    holder = socket.socket()
    holder.bind(("0.0.0.0", 0))
    holder.listen()
    yield holder.getsockname()[1]
    holder.close()


def containers_named(name):
    return [c.name for c in engine.client().containers.list(all=True, filters={"name": name})]


def test_port_taken_is_explained_and_leaves_no_container(course_session, occupied_port):
    name = course_session.name("port-taken")
    with pytest.raises(errors.PortInUse) as raised:
        course_session.run("busybox:1.37", "sleep 30", name=name, ports={"80/tcp": occupied_port})
    assert str(occupied_port) in raised.value.message
    assert raised.value.__cause__ is not None
    assert containers_named(name) == []  # the failed start was removed


def test_port_taken_by_another_container(course_session, docker_client):
    """The port is held by a running container publishing 127.0.0.1:P, as a learner's earlier run would."""
    lesson = "test-port-held"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    holder = course_session.run("busybox:1.37", "sleep 60", lesson=lesson, name=course_session.name("holder"), ports={"80/tcp": port})
    name = course_session.name("port-second")
    try:
        with pytest.raises(errors.PortInUse) as raised:
            course_session.run("busybox:1.37", "sleep 30", lesson=lesson, name=name, ports={"80/tcp": port})
        assert raised.value.port == str(port)
        assert f"Host port {port} is already in use" in raised.value.message
        assert f"docker ps --filter publish={port}" in raised.value.fix
        cause = raised.value.__cause__
        assert isinstance(cause, docker.errors.APIError) and "port is already allocated" in cause.explanation
        assert containers_named(name) == []  # the failed start was removed
        assert holder.reload() is None and holder.status == "running"  # the holder is untouched
    finally:
        course_session.cleanup(lesson=lesson)


def test_name_in_use(course_session):
    name = course_session.name("twice")
    first = course_session.run("busybox:1.37", "sleep 30", name=name)
    try:
        with pytest.raises(errors.NameInUse) as raised:
            course_session.run("busybox:1.37", "sleep 30", name=name)
        assert raised.value.name == name
        assert raised.value.__cause__.response.status_code == 409
        assert f"docker rm -f {name}" in raised.value.fix
    finally:
        first.remove(force=True)


def test_missing_image(course_session):
    with pytest.raises(errors.ImageMissing) as raised:
        course_session.run("dockerlab-no-such-image:1")
    assert "dockerlab-no-such-image" in raised.value.message
    # Session.run only creates: no pull was tried, and the message does not claim one.
    assert raised.value.pulled is False and "could not be pulled" not in raised.value.message
    assert isinstance(raised.value.__cause__, docker.errors.ImageNotFound)


def test_registry_unreachable_on_pull(docker_client):
    # This machine has no registry: the real pull fails with a DNS error.
    with pytest.raises(errors.RegistryUnreachable) as raised, engine.translated(image="alpine:3.20"):
        docker_client.images.pull("alpine", tag="3.20")
    assert "dockerlab images ensure" in raised.value.fix


def test_build_failed_names_the_step(tmp_path, course_session):
    (tmp_path / "Dockerfile").write_text("FROM busybox:1.37\nRUN echo fine\nRUN echo broken && exit 3\n")
    with pytest.raises(errors.BuildFailed) as raised:
        build.build(tmp_path, None)
    assert "exit 3" in raised.value.step
    assert "[3/3]" in raised.value.step
    assert "exit code: 3" in raised.value.log


def test_engine_timeout(course_session):
    container = course_session.run("busybox:1.37", "sleep 20")
    try:
        with pytest.raises(errors.EngineTimeout), engine.translated():
            container.wait(timeout=1)
    finally:
        container.remove(force=True)


def test_engine_too_old_for_the_api_version_asked(docker_client):
    """A client pinned to an API version newer than the engine speaks (this engine: 1.41)."""
    pinned = docker.APIClient(version="1.99", timeout=30)
    try:
        with pytest.raises(errors.EngineTooOld) as raised, engine.translated():
            pinned.version()
    finally:
        pinned.close()
    assert isinstance(raised.value.__cause__, docker.errors.APIError)
    assert raised.value.__cause__.response.status_code == 400
    assert "1.99 is too new" in raised.value.message and "Maximum supported API version" in raised.value.message
    assert "http+docker" not in raised.value.message  # the engine's words, not docker-py's URL
    assert "DOCKER_API_VERSION" in raised.value.fix


@pytest.fixture
def registry():
    """A stand-in registry on 127.0.0.1 that answers like Docker Hub does, with an HTTP status and body we pick.

    The engine treats registries on 127.0.0.0/8 as insecure (plain HTTP) and runs in the host's
    network namespace here, so ``docker pull 127.0.0.1:PORT/...`` reaches it.
    """
    answers = {}

    class Registry(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            # /v2/ is the engine's "do you speak the v2 API" probe; manifests get the answer picked.
            status, body = (200, {}) if self.path == "/v2/" else answers["manifest"]
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Docker-Distribution-API-Version", "registry/2.0")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_HEAD = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield answers, f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_pull_rate_limit(registry):
    """Docker Hub's answer when the anonymous limit is reached: HTTP 429, code TOOMANYREQUESTS."""
    answers, address = registry
    answers["manifest"] = (429, {"errors": [{"code": "TOOMANYREQUESTS", "message": "You have reached your pull rate limit."}]})
    with pytest.raises(errors.PullRateLimited) as raised:
        kit._pull(f"{address}/some/image:1", lambda _line: None)  # the helper's own pull path
    assert isinstance(raised.value.__cause__, docker.errors.APIError)
    assert "toomanyrequests" in raised.value.__cause__.explanation  # the engine's real words
    assert "docker login" in raised.value.fix


def test_image_missing_says_a_pull_was_tried(registry):
    answers, address = registry
    answers["manifest"] = (404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
    with pytest.raises(errors.ImageMissing) as raised:
        kit._pull(f"{address}/some/image:1", lambda _line: None)
    assert raised.value.pulled is True and "could not be pulled" in raised.value.message
    assert f"{address}/some/image:1" in raised.value.message


def test_a_registry_that_refuses_connections_is_not_a_stopped_engine(docker_client):
    """The engine's "connection refused" from a registry: the engine answered, so it is running."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(errors.RegistryUnreachable) as raised, engine.translated(image=f"127.0.0.1:{closed}/x:1"):
        docker_client.api.pull(f"127.0.0.1:{closed}/x", tag="1")
    assert "connection refused" in raised.value.__cause__.explanation


def test_unknown_failures_are_not_disguised():
    assert errors.classify(ValueError("something else entirely")) is None


def test_no_such_container(docker_client, course_session):
    missing = course_session.name("never-made")
    with pytest.raises(errors.NoSuchContainer) as raised, engine.translated():
        docker_client.containers.get(missing)
    assert raised.value.name == missing and "docker ps -a" in raised.value.fix


def test_exec_in_a_container_that_has_exited(docker_client, course_session):
    container = course_session.run("busybox:1.37", "true", name=course_session.name("exited"))
    try:
        container.wait(timeout=30)
        with pytest.raises(errors.ContainerNotRunning) as raised, engine.translated():
            docker_client.api.exec_create(container.id, ["true"])
        assert "docker start" in raised.value.fix
    finally:
        container.remove(force=True)
