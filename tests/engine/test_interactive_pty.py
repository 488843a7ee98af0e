"""The interactive commands of notebook 04, typed into a real pseudo-terminal.

A notebook's ``!`` line runs in a pseudo-terminal that nothing typed ever reaches, so notebook 04
sends the learner to a JupyterLab terminal for ``docker run -it`` and ``docker exec -it`` and shows
what they will see there. These tests run
the same commands on a pseudo-terminal (``os.openpty``) and check the prompts and the output the
notebook shows, and the claims it makes (Ctrl+C does not stop ``tail -f /dev/null`` as PID 1;
Ctrl+P Ctrl+Q detaches; leaving ``docker exec``'s shell leaves the container running; Ctrl+C stops
``docker logs -f`` and not the container).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time

import pytest

from support import docker, remove

pytestmark = pytest.mark.engine

IMAGE = "my-python-app"  # notebook 04 builds it as my-python-app-<session> (its app_image)
GREETING = "Hello, World from Docker!"
BASH_PROMPT = re.compile(rb"root@([0-9a-f]{12}):/app# ")
SH_PROMPT = re.compile(rb"[~/]\S* # ")
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class Terminal:
    """A command running on a pseudo-terminal, with expect/send like a person at a keyboard."""

    def __init__(self, args: list[str], rows: int = 24, cols: int = 100):
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        # A session of its own with the pty as its controlling terminal, as in a terminal window:
        # then Ctrl+C typed into a program that does not read raw keys (docker logs -f) is SIGINT.
        self.proc = subprocess.Popen(
            args, stdin=slave, stdout=slave, stderr=slave, start_new_session=True, close_fds=True,
            preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
        )
        os.close(slave)
        self.master = master
        self.seen = b""  # everything read so far
        self.pos = 0  # where the next expect starts looking

    def expect(self, pattern: bytes | re.Pattern, timeout: float = 20) -> re.Match:
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.clean(), self.pos)
            if match:
                self.pos = match.end()
                return match
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"did not see {regex.pattern!r}; the terminal showed:\n{self.text()}")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], min(timeout, 0.5))
        if not ready:
            return self.proc.poll() is None or timeout > 0.5
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the other side closed
            return False
        if not chunk:
            return False
        self.seen += chunk
        return True

    def clean(self) -> bytes:
        return ANSI.sub(b"", self.seen).replace(b"\r\n", b"\n")

    def text(self) -> str:
        return self.clean().decode("utf-8", "replace")

    def send(self, data: str | bytes) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def line(self, text: str) -> None:
        self.send(text + "\r")

    def wait(self, timeout: float = 20) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        try:
            return self.proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        with contextlib.suppress(OSError):
            os.close(self.master)


def status(name: str) -> str:
    done = docker("inspect", "--format", "{{.State.Status}}", name, check=False, timeout=60)
    return done.stdout.strip() if done.returncode == 0 else "gone"


@pytest.fixture(scope="module")
def app_image(build_image, course_session):
    """my-python-app-<session>, built as notebooks 03 and 04 build it (from cache when it exists), removed after."""
    return build_image(course_session.name(IMAGE), {
        "app.py": f'print("{GREETING}")\n',
        "Dockerfile": 'FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n',
    })


@pytest.fixture
def names(course_session):
    """Session-unique container names; each is removed afterwards."""
    made: list[str] = []

    def make(base: str) -> str:
        name = course_session.name(f"pty-{base}")
        made.append(name)
        return name

    yield make
    if made:
        remove(*made)


def test_it_without_a_terminal_is_refused(app_image):
    """What notebook 04 says of scripts that run without any terminal: -t is refused."""
    done = subprocess.run(["docker", "run", "-it", "--rm", app_image], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "the input device is not a TTY" in done.stderr


def test_run_it_app_prints_and_ends(app_image, names):
    name = names("app")
    term = Terminal(["docker", "run", "-it", "--rm", "--name", name, app_image])
    term.expect(GREETING.encode())
    assert term.wait() == 0
    assert status(name) == "gone", "--rm should have removed the container"


def test_run_it_bash_prompt_ls_python_exit(app_image, names):
    name = names("bash")
    term = Terminal(["docker", "run", "-it", "--rm", "--name", name, app_image, "bash"])
    try:
        prompt = term.expect(BASH_PROMPT)
        container_id = docker("inspect", "--format", "{{.Id}}", name, timeout=60).stdout.strip()
        assert container_id.startswith(prompt.group(1).decode()), "the prompt's host name is the container's short id"
        term.line("ls")
        term.expect(b"app.py")
        term.expect(BASH_PROMPT)
        term.line("python app.py")
        term.expect(GREETING.encode())
        term.expect(BASH_PROMPT)
        term.line("exit")
        term.expect(b"exit")
        assert term.wait() == 0
    finally:
        term.close()
    assert status(name) == "gone"


def test_run_it_python_repl(app_image, names):
    name = names("repl")
    term = Terminal(["docker", "run", "-it", "--rm", "--name", name, app_image, "python"])
    try:
        term.expect(b">>> ")
        term.line("6 * 7")
        term.expect(b"42")
        term.expect(b">>> ")
        term.send(b"\x04")  # Ctrl+D
        assert term.wait() == 0
    finally:
        term.close()


def test_exec_it_bash_leaves_container_running(app_image, names):
    name = names("keeper")
    docker("run", "-d", "--name", name, app_image, "sleep", "infinity", timeout=60)
    term = Terminal(["docker", "exec", "-it", name, "bash"])
    try:
        term.expect(BASH_PROMPT)
        term.line("pwd")
        term.expect(b"/app")
        term.line("exit")
        assert term.wait() == 0
    finally:
        term.close()
    assert status(name) == "running", "leaving docker exec's shell must not stop the container"


def test_exec_it_sh_in_busybox_and_bash_missing(names):
    name = names("box")
    docker("run", "-d", "--name", name, "busybox:1.37", "sleep", "3600", timeout=60)
    missing = Terminal(["docker", "exec", "-it", name, "bash"])
    missing.expect(b'exec: "bash": executable file not found in $PATH')
    assert missing.wait() != 0
    term = Terminal(["docker", "exec", "-it", name, "sh"])
    try:
        term.expect(SH_PROMPT)  # BusyBox's ash: "/ # " or "~ # " (root's home is /)
        term.line("echo sh works")
        term.expect(b"sh works")
        term.line("exit")
        assert term.wait() == 0
    finally:
        term.close()


def test_notes_tail_ignores_ctrl_c_and_ctrl_p_ctrl_q_detaches(app_image, names):
    """The notes' `docker run -it --name X my-python-app tail -f /dev/null` holds the terminal (here with the session's image)."""
    name = names("tail")
    term = Terminal(["docker", "run", "-it", "--name", name, app_image, "tail", "-f", "/dev/null"])
    try:
        deadline = time.monotonic() + 20
        while status(name) != "running" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert status(name) == "running"
        term.send(b"\x03")  # Ctrl+C: SIGINT to tail, PID 1 without a handler: ignored
        time.sleep(1.5)
        assert term.proc.poll() is None, "docker run should still hold the terminal after Ctrl+C"
        assert status(name) == "running"
        term.send(b"\x10")  # Ctrl+P
        term.send(b"\x11")  # Ctrl+Q: detach
        assert term.wait() == 0
    finally:
        term.close()
    assert status(name) == "running", "detaching leaves the container running"


def test_logs_f_follows_new_output_until_ctrl_c_and_the_container_keeps_running(app_image, names):
    """Notebook 04: `docker logs -f` prints new output as it comes; Ctrl+C ends it, not the container."""
    name = names("follow")
    docker("run", "-d", "--name", name, app_image, "sh", "-c", "echo first; exec sleep infinity", timeout=60)
    term = Terminal(["docker", "logs", "-f", name])
    try:
        term.expect(b"first")
        # A line written after docker logs started: only following shows it.
        docker("exec", name, "sh", "-c", "echo later > /proc/1/fd/1", timeout=60)
        term.expect(b"later")
        assert term.proc.poll() is None, "docker logs -f keeps following a running container"
        term.send(b"\x03")  # Ctrl+C
        term.wait()  # raises TimeoutExpired if docker logs -f went on following
    finally:
        term.close()
    assert status(name) == "running", "Ctrl+C stops following, not the container"
