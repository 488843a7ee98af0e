"""Notebook 10's claims about Docker Compose, checked with the Compose plugin and engine at hand.

In a terminal ``docker compose logs`` colours each service's prefix and ``--no-color`` leaves the colour
codes out (Compose 2.26 still starts each line with an erase-line code, 2.40 does not); the short form
of ``depends_on`` is ``condition: service_started``; a variable set in the shell wins over ``.env``,
and ``${NAME:?message}`` stops with the message; a service with a fixed host port cannot scale: Compose
creates the second container and the engine refuses to start it. On Podman 4.3 (row p) Compose recreates the running
containers first, as every ``up`` does there (notebook 09), and starts both web containers: the second to start
is refused, with Podman's words ("cannot listen on the TCP port: ... address already in use").
The exercises' claims: python:3.13-slim has no curl, so a ``curl ... || exit 1`` health check makes the
container unhealthy ("curl: not found") and Compose refuses to start what waits for it (on Podman 4.3 the check
never runs: "starting"); a job that exits 0 satisfies ``service_completed_successfully`` on every engine.
"""

from __future__ import annotations

import os
import pty
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from support import compose, docker

pytestmark = pytest.mark.engine

COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def in_terminal(folder: Path, *command: str) -> str:
    """What a command prints to a terminal (a pseudo-terminal, as IPython's ! lines have)."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(command, cwd=folder, stdin=follower, stdout=follower, stderr=follower)
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the program has closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0, b"".join(chunks)
        return b"".join(chunks).decode(errors="replace")
    finally:
        os.close(leader)


def test_logs_are_coloured_in_a_terminal_and_no_color_leaves_the_colours_out(compose_project):
    folder, name = compose_project
    (folder / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox:1.37\n    command: [\"sh\", \"-c\", \"echo hello; echo world\"]\n"
    )
    compose(folder, name, "up", "-d")
    docker("wait", f"{name}-web-1", check=False, timeout=60)
    coloured = in_terminal(folder, "docker", "compose", "-p", name, "logs", "web")
    assert COLOUR.search(coloured), repr(coloured)
    plain = in_terminal(folder, "docker", "compose", "-p", name, "logs", "--no-color", "web")
    assert not COLOUR.search(plain), repr(plain)
    # What the notebook's sanitizer allows for: Compose 2.26's erase-line code before each line, nothing else.
    assert plain.replace("\x1b[2K", "").splitlines() == ["web-1  | hello", "web-1  | world"], repr(plain)


def test_settings_short_depends_on_and_a_fixed_port_that_cannot_scale(compose_project, kind):
    folder, name = compose_project
    with socket.socket() as probe:  # a free port of this machine, for the fixed host port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (folder / "compose.yaml").write_text(
        "services:\n"
        "  web:\n    image: busybox:1.37\n    init: true\n"
        '    command: ["httpd", "-f", "-p", "8000"]\n'
        "    environment:\n      GREETING: ${GREETING:-Hello}\n"
        '    ports:\n      - "127.0.0.1:${WEB_PORT:?set WEB_PORT in .env}:8000"\n'
        "    depends_on:\n      - db\n"
        "  db:\n    image: busybox:1.37\n    init: true\n    command: [\"sleep\", \"300\"]\n"
    )
    missing = compose(folder, name, "config", check=False)
    assert missing.returncode != 0 and "set WEB_PORT in .env" in missing.stderr, missing.stderr

    (folder / ".env").write_text(f"GREETING=Bonjour\nWEB_PORT={port}\n")
    config = compose(folder, name, "config").stdout
    assert "GREETING: Bonjour" in config and f'published: "{port}"' in config, config
    assert re.search(r"depends_on:\n\s+db:\n\s+condition: service_started", config), config
    shell = compose(folder, name, "config", env={**os.environ, "GREETING": "Hola"}).stdout
    assert "GREETING: Hola" in shell, "a variable set in the shell should win over .env"

    compose(folder, name, "up", "-d")
    scaled = compose(folder, name, "up", "-d", "--scale", "web=2", check=False)
    assert scaled.returncode != 0, scaled
    states = docker("ps", "-a", "--filter", f"name={name}-web-", "--format", "{{.Names}} {{.State}}", check=False,
                    timeout=60).stdout.split("\n")
    states = sorted(line for line in states if line)
    if kind.product == "Podman":
        # Compose recreates db-1 and web-1 first (every up does on Podman 4.3: notebook 09), then starts web-1 and the
        # new web-2 side by side; the one that comes second is refused, in Podman's words, and which one varies
        for service in ("db-1", "web-1"):
            assert re.search(rf"Container {name}-{service}\s+Recreated\n", scaled.stderr), scaled.stderr
        assert re.search(rf"Container {name}-web-2\s+Created\n", scaled.stderr), scaled.stderr
        assert (f"Error response from daemon: cannot listen on the TCP port: listen tcp4 127.0.0.1:{port}: bind: "
                "address already in use") in scaled.stderr, scaled.stderr
        assert states in ([f"{name}-web-1 running", f"{name}-web-2 created"],
                          [f"{name}-web-1 created", f"{name}-web-2 running"]), states
        return
    assert "port is already allocated" in scaled.stderr, scaled.stderr
    assert states == [f"{name}-web-1 running", f"{name}-web-2 created"], states


def test_a_curl_health_check_in_the_python_image_and_a_one_off_job(compose_project, kind):
    """python:3.13-slim (the counter app's base) has no curl, so `curl ... || exit 1` fails in the shell with "curl: not
    found" and exit code 1; Docker marks the container unhealthy after `retries` checks and Compose refuses to start
    what waits for it ("dependency failed to start: container ... is unhealthy"), leaving it Created. On Podman 4.3
    (row p) health checks never run: the container stays "starting". A one-off job that exits 0 satisfies
    `service_completed_successfully` on every engine: what waits for it then starts."""
    folder, name = compose_project
    which = docker("run", "--rm", "python:3.13-slim", "sh", "-c", "command -v curl || echo no curl", timeout=120)
    assert which.stdout.strip() == "no curl", which.stdout
    (folder / "compose.yaml").write_text(
        "services:\n"
        "  job:\n    image: busybox:1.37\n    command: [\"true\"]\n"
        "  after:\n    image: busybox:1.37\n    init: true\n    command: [\"sleep\", \"300\"]\n"
        "    depends_on:\n      job:\n        condition: service_completed_successfully\n"
    )
    compose(folder, name, "up", "-d")
    states = docker("ps", "-a", "--filter", f"label=com.docker.compose.project={name}", "--format", "{{.Names}} {{.State}}",
                    timeout=60).stdout.split()
    assert states and dict(zip(states[::2], states[1::2])) == {f"{name}-job-1": "exited", f"{name}-after-1": "running"}, states
    compose(folder, name, "down", "-t", "0")
    (folder / "compose.yaml").write_text(
        "services:\n"
        "  web:\n    image: python:3.13-slim\n    init: true\n"
        '    command: ["python", "-m", "http.server", "8000"]\n'
        "    healthcheck:\n"
        '      test: ["CMD-SHELL", "curl -f http://127.0.0.1:8000/ || exit 1"]\n'
        "      interval: 1s\n      retries: 2\n"
        "  lb:\n    image: busybox:1.37\n    command: [\"true\"]\n"
        "    depends_on:\n      web:\n        condition: service_healthy\n"
    )
    if kind.lacks("healthcheck") is not None:
        # Podman without systemd: the check never runs, so Compose would wait for ever: start web alone
        compose(folder, name, "up", "-d", "web")
        time.sleep(4)
        status = docker("inspect", "--format", "{{.State.Health.Status}}", f"{name}-web-1", timeout=60).stdout.strip()
        assert status == "starting", status
        return
    up = compose(folder, name, "up", "-d", check=False)
    assert up.returncode != 0 and f"dependency failed to start: container {name}-web-1 is unhealthy" in up.stderr, up.stderr
    health = docker("inspect", "--format", "{{.State.Health.Status}} {{(index .State.Health.Log 0).ExitCode}} "
                    "{{(index .State.Health.Log 0).Output}}", f"{name}-web-1", timeout=60).stdout.strip()
    assert health == "unhealthy 1 /bin/sh: 1: curl: not found", health
    lb = docker("inspect", "--format", "{{.State.Status}}", f"{name}-lb-1", timeout=60).stdout.strip()
    assert lb == "created", lb
