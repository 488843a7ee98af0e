"""scripts/ensure-engine.sh fails fast, in plain words, wherever no engine can be had; and
`make lab`'s script serves JupyterLab with notebook 00, and its kernels run (over socket files)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "ensure-engine.sh"


def _run(env: dict, user: str | None = None, timeout: int = 60) -> tuple[subprocess.CompletedProcess, float]:
    prefix = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups"] if user else []
    started = time.monotonic()
    done = subprocess.run([*prefix, "bash", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=timeout)
    return done, time.monotonic() - started


def _only_docker_on_path(tmp_path: Path) -> str:
    """A PATH with the docker CLI but no dockerd: a machine where the engine was never installed."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "docker").symlink_to(shutil.which("docker"))
    tmp_path.chmod(0o755)
    return f"{bin_dir}:/usr/bin:/bin"


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switches to an unprivileged user")


@needs_root
def test_no_engine_and_no_root_stops_with_the_install_docs(tmp_path):
    env = {"PATH": _only_docker_on_path(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/none.sock", "HOME": str(tmp_path)}
    done, seconds = _run(env, user="nobody")
    assert done.returncode == 1
    assert "can only install one on Debian/Ubuntu as root" in done.stderr
    assert "https://docs.docker.com/engine/install/" in done.stderr
    print(f"failed in {seconds:.1f} s")


@needs_root
def test_installed_but_stopped_engine_without_rights_says_how_to_start_it(tmp_path):
    env = {"PATH": os.environ["PATH"], "DOCKER_HOST": f"unix://{tmp_path}/none.sock", "HOME": str(tmp_path)}
    done, _ = _run(env, user="nobody")
    assert done.returncode == 1
    assert "installed but not running" in done.stderr and "systemctl start docker" in done.stderr


@needs_root
def test_an_engine_that_will_not_start_fails_after_the_wait_with_its_log(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dockerd").write_text("#!/bin/sh\necho 'failed to start daemon: simulated for the test' >&2\nexit 1\n")
    (fake / "dockerd").chmod(0o755)
    log = tmp_path / "dockerd.log"
    env = {
        "PATH": f"{fake}:{os.environ['PATH']}",
        "DOCKER_HOST": f"unix://{tmp_path}/none.sock",
        "DOCKERLAB_ENGINE_WAIT": "3",
        "DOCKERLAB_DOCKERD_LOG": str(log),
        "HOME": str(tmp_path),
    }
    done, seconds = _run(env)
    assert done.returncode == 1
    assert "did not answer within 3s" in done.stderr
    assert "simulated for the test" in done.stderr  # the engine's own log is shown
    assert seconds < 30


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_lab_serves_notebook_00(tmp_path):
    port, token = _free_port(), secrets.token_hex(8)
    env = {**os.environ, "LAB_PORT": str(port), "LAB_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    lab = subprocess.Popen(["bash", str(ROOT / "scripts" / "lab.sh")], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/api/contents/00-welcome.ipynb?token={token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    body = answer.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or lab.poll() is not None:
                    raise
                time.sleep(0.5)
        assert '"name": "00-welcome.ipynb"' in body or '"name":"00-welcome.ipynb"' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/lab/tree/00-welcome.ipynb?token={token}", timeout=10) as page:
            assert page.status == 200 and "JupyterLab" in page.read().decode()
        said = _run_in_a_kernel(port, token, "from ipykernel.kernelapp import IPKernelApp as A; print(A.instance().transport)")
        assert said == "ipc", f"the kernel said {said!r}"
    finally:
        os.killpg(lab.pid, 15)
        output = lab.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}/lab/tree/00-welcome.ipynb?token={token}" in output


def _run_in_a_kernel(port: int, token: str, code: str) -> str:
    """Start a kernel through JupyterLab's REST API, run ``code`` over its websocket, return what it printed."""
    from tornado.websocket import websocket_connect

    start = urllib.request.Request(f"http://127.0.0.1:{port}/api/kernels?token={token}", method="POST",
                                   data=json.dumps({"name": "python3"}).encode())
    with urllib.request.urlopen(start, timeout=30) as answer:
        kernel = json.load(answer)

    async def talk() -> str:
        ws = await websocket_connect(f"ws://127.0.0.1:{port}/api/kernels/{kernel['id']}/channels?token={token}")
        header = {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                  "version": "5.3", "date": ""}
        await ws.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "channel": "shell",
                                           "content": {"code": code, "silent": False}}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.read_message(), 60))
            if message["msg_type"] == "stream":
                return message["content"]["text"].strip()
            if message["msg_type"] == "error":
                return "error: " + message["content"]["ename"]

    return asyncio.run(talk())
