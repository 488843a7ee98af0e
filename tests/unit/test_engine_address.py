"""Which engine dockerlab talks to: DOCKER_HOST, else the docker CLI's current context, else the default.

The contexts are made by the real `docker context create` in a config folder of the test's own (no
engine is needed for that); dockerlab reads the store the CLI wrote.
"""

from __future__ import annotations

import shutil
import subprocess

import docker
import pytest

from dockerlab import engine
from dockerlab import errors
from support import docker as docker_cli

pytestmark = pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI")


@pytest.fixture
def config(tmp_path, monkeypatch):
    folder = tmp_path / "docker-config"
    monkeypatch.setenv("DOCKER_CONFIG", str(folder))
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT"):
        monkeypatch.delenv(name, raising=False)
    return folder, docker_cli


def test_without_anything_it_is_the_default_socket(config):
    assert engine.address() == engine.Address(engine.DEFAULT_HOST, "the default socket")


def test_precedence_is_the_clis(config, monkeypatch):
    _folder, docker_cli = config
    docker_cli("context", "create", "elsewhere", "--docker", "host=unix:///run/elsewhere.sock")
    # A context that exists but is not current changes nothing.
    assert engine.address().source == "the default socket"
    monkeypatch.setenv("DOCKER_CONTEXT", "elsewhere")
    assert engine.address() == engine.Address("unix:///run/elsewhere.sock", "docker context elsewhere")
    assert engine.address().socket == "/run/elsewhere.sock"
    monkeypatch.delenv("DOCKER_CONTEXT")
    docker_cli("context", "use", "elsewhere")  # currentContext in config.json
    assert engine.address().source == "docker context elsewhere"
    monkeypatch.setenv("DOCKER_CONTEXT", "default")  # the variable beats config.json
    assert engine.address().source == "the default socket"
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:2375")  # and DOCKER_HOST beats both
    assert engine.address() == engine.Address("tcp://127.0.0.1:2375", "DOCKER_HOST")
    assert engine.address().socket is None


def test_a_tls_context_gives_its_certificates(config, tmp_path, monkeypatch):
    _folder, docker_cli = config
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=dl-test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    pem = {name: tmp_path / f"{name}.pem" for name in ("cert", "key")}
    docker_cli("context", "create", "remote", "--docker",
               f"host=tcp://127.0.0.1:2376,ca={pem['cert']},cert={pem['cert']},key={pem['key']}")
    monkeypatch.setenv("DOCKER_CONTEXT", "remote")
    where = engine.address()
    assert where.url == "tcp://127.0.0.1:2376"
    assert isinstance(where.tls, docker.tls.TLSConfig) and where.tls.verify
    assert where.tls.cert[0].endswith("/docker/cert.pem") and where.tls.cert[1].endswith("/docker/key.pem")
    assert where.tls.ca_cert.endswith("/docker/ca.pem")


def test_a_missing_context_says_how_to_list_them(config, monkeypatch):
    monkeypatch.setenv("DOCKER_CONTEXT", "dl-test-missing")
    with pytest.raises(errors.DockerlabError) as raised:
        engine.address()
    assert "'dl-test-missing' (chosen by DOCKER_CONTEXT) does not exist" in raised.value.message
    assert "docker context ls" in raised.value.fix


def test_the_current_contexts_socket_counts_as_the_engines(config, monkeypatch):
    """Mounting the socket a context points at (rootless, Docker Desktop) is refused like the default one."""
    from dockerlab.engine import safety
    from dockerlab.engine import session

    _folder, docker_cli = config
    docker_cli("context", "create", "rootless", "--docker", "host=unix:///run/user/1000/docker.sock")
    assert safety.host_path_danger("/run/user/1000") is None  # not the engine's: an ordinary folder
    monkeypatch.setenv("DOCKER_CONTEXT", "rootless")
    assert session.engine_address() == "unix:///run/user/1000/docker.sock"
    assert "/run/user/1000/docker.sock" in safety.engine_sockets()
    assert safety.host_path_danger("/run/user/1000") == "folder:/run/user/1000/docker.sock"
