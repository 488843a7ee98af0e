"""Each typed error, produced by causing the real fault on the real engine."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap

import pytest

from dockerlab import build, engine, errors


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


def test_name_in_use(course_session):
    name = course_session.name("twice")
    first = course_session.run("busybox:1.37", "sleep 30", name=name)
    try:
        with pytest.raises(errors.NameInUse) as raised:
            course_session.run("busybox:1.37", "sleep 30", name=name)
        assert raised.value.name == name
        assert f"docker rm -f {name}" in raised.value.fix
    finally:
        first.remove(force=True)


def test_missing_image(course_session):
    with pytest.raises(errors.ImageMissing) as raised:
        course_session.run("dockerlab-no-such-image:1")
    assert "dockerlab-no-such-image" in raised.value.message


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


@pytest.mark.parametrize(
    "text, expected",
    [
        # Docker Hub's answer when the anonymous limit is reached: no way to cause it offline.
        ("toomanyrequests: You have reached your pull rate limit.", errors.PullRateLimited),
        ("client version 1.45 is too new. Maximum supported API version is 1.41", errors.EngineTooOld),
    ],
)
def test_classify_texts_that_cannot_be_caused_here(text, expected):
    assert isinstance(errors.classify(RuntimeError(text)), expected)


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
