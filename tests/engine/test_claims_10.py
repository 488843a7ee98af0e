"""Notebook 10's claims about Docker Compose, checked with the Compose plugin and engine at hand.

In a terminal ``docker compose logs`` colours each service's prefix and ``--no-color`` leaves the colour
codes out (Compose 2.26 still starts each line with an erase-line code, 2.40 does not); the short form
of ``depends_on`` is ``condition: service_started``; a variable set in the shell wins over ``.env``,
and ``${NAME:?message}`` stops with the message; a service with a fixed host port cannot scale: Compose
creates the second container and the engine refuses to start it. On Podman 4.3 (row p) Compose recreates the running
containers first, as every ``up`` does there (notebook 09), and starts both web containers: the second to start
is refused, with Podman's words ("cannot listen on the TCP port: ... address already in use").
"""

from __future__ import annotations

import os
import pty
import re
import socket
import subprocess
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
