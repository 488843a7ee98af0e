"""scripts/ensure-engine.sh and scripts/setup.sh fail fast, in plain words, wherever no engine can be had; and
`make lab`'s script serves JupyterLab with notebook 00, its kernels run (over socket files), and
its terminals run what notebook 04 asks the learner to type there (`docker run -it`), and the `!` lines of
notebooks pasted into them as the notebook ran them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
import types
import urllib.request
import uuid
from pathlib import Path

import pytest

from support import docker, write_files

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "ensure-engine.sh"


def _run(env: dict, user: str | None = None, timeout: int = 60, script: Path = SCRIPT) -> tuple[subprocess.CompletedProcess, float]:
    """Run a set-up script; ``timeout`` is the bound on "fails fast" (the test fails if it is reached)."""
    prefix = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups"] if user else []
    started = time.monotonic()
    done = subprocess.run([*prefix, "bash", str(script)], env=env, capture_output=True, text=True, timeout=timeout)
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
    done, _ = _run(env, timeout=30)
    assert done.returncode == 1
    assert "did not answer within 3s" in done.stderr
    assert "simulated for the test" in done.stderr  # the engine's own log is shown


def _os_release(tmp_path: Path, text: str) -> str:
    path = tmp_path / "os-release"
    path.write_text(text)
    return str(path)


@needs_root
def test_not_debian_or_ubuntu_stops_at_once_with_the_install_docs(tmp_path):
    """As root, so only the system decides: an os-release of another distribution (DOCKERLAB_OS_RELEASE)."""
    fedora = 'NAME="Fedora Linux"\nID=fedora\nPRETTY_NAME="Fedora Linux 41 (Workstation Edition)"\n'
    env = {"PATH": _only_docker_on_path(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/none.sock", "HOME": str(tmp_path),
           "DOCKERLAB_OS_RELEASE": _os_release(tmp_path, fedora)}
    done, _ = _run(env, timeout=30)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "This machine is Fedora Linux 41 (Workstation Edition)" in done.stderr
    assert "not Debian or Ubuntu" in done.stderr and "https://docs.docker.com/engine/install/" in done.stderr
    assert "apt-get" not in done.stdout  # nothing was tried


@needs_root
@pytest.mark.skipif(shutil.which("apt-get") is None, reason="needs apt-get")
def test_a_failing_apt_ends_in_plain_words(tmp_path):
    """The real apt-get, given sources that cannot answer and a package list of its own (APT_CONFIG),
    so the docker.io install fails; apt only simulates, and nothing of the machine's apt is touched."""
    apt = tmp_path / "apt"
    for folder in ("lists/partial", "cache/archives/partial", "parts"):
        (apt / folder).mkdir(parents=True)
    (apt / "status").write_text("")
    (apt / "sources.list").write_text("deb http://127.0.0.1:9/debian bookworm main\n")
    (apt / "apt.conf").write_text(
        f'Dir::Etc::SourceList "{apt}/sources.list"; Dir::Etc::SourceParts "{apt}/parts";\n'
        f'Dir::State::Lists "{apt}/lists"; Dir::State::status "{apt}/status"; Dir::Cache "{apt}/cache";\n'
        'APT::Get::Simulate "true";\n'
    )
    env = {"PATH": _only_docker_on_path(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/none.sock", "HOME": str(tmp_path),
           "APT_CONFIG": str(apt / "apt.conf"), "DOCKERLAB_OS_RELEASE": _os_release(tmp_path, "ID=debian\n"),
           "DOCKERLAB_ENGINE_WAIT": "1", "DOCKERLAB_DOCKERD_LOG": str(tmp_path / "dockerd.log")}
    done, _ = _run(env, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "==> apt-get install docker.io" in done.stdout
    assert "Unable to locate package docker.io" in done.stderr  # apt's own words, then ours
    assert "ERROR: apt-get install docker.io failed (its messages are above)." in done.stderr
    assert "sudo apt-get install docker.io" in done.stderr and "https://docs.docker.com/engine/install/" in done.stderr
    assert not (tmp_path / "dockerd.log").exists()  # no engine was started


@pytest.fixture
def open_folder():
    """A folder under /tmp that an unprivileged user can reach and write (pytest's tmp_path is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="dockerlab-test-"))
    folder.chmod(0o777)
    yield folder
    shutil.rmtree(folder)


@needs_root
def test_setup_fails_before_any_pip_install_where_no_engine_can_be_had(open_folder):
    """scripts/setup.sh (what `make lab` and `make test` run first) in a clone without a .venv, as a user
    who may create one, with no engine and no way to get one: it stops at step 1, in plain words."""
    clone = open_folder / "clone"
    (clone / "scripts").mkdir(parents=True)
    for name in ("scripts/setup.sh", "scripts/ensure-engine.sh", "pyproject.toml", "requirements.lock"):
        shutil.copy(ROOT / name, clone / name)
    for folder in (clone, clone / "scripts"):
        folder.chmod(0o777)
    system_python = "/usr/bin/python3"  # the test's own lives under /root here, out of nobody's reach
    check = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", system_python, "-c",
             "import sys; sys.exit(sys.version_info < (3, 11))"]
    if not os.access(system_python, os.X_OK) or subprocess.run(check, timeout=30).returncode != 0:
        pytest.skip("needs a Python 3.11+ at /usr/bin/python3 that an unprivileged user can run")
    env = {"PATH": _only_docker_on_path(open_folder), "DOCKER_HOST": f"unix://{open_folder}/none.sock",
           "HOME": str(open_folder), "PYTHON": system_python}
    done, seconds = _run(env, user="nobody", timeout=60, script=clone / "scripts" / "setup.sh")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[1/3] Docker engine" in done.stdout and "[2/3]" not in done.stdout
    assert "No Docker engine answers" in done.stderr and "https://docs.docker.com/engine/install/" in done.stderr
    assert not (clone / ".venv").exists()
    print(f"setup.sh failed in {seconds:.1f} s")


def test_a_failing_step_without_a_message_of_its_own_still_ends_in_plain_words(tmp_path):
    """A clone that lost its pyproject.toml: the engine step passes, the venv is made, then the
    checksum of pyproject.toml fails. No step has a message for that; the script's net names it."""
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    for name in ("setup.sh", "ensure-engine.sh"):
        shutil.copy(ROOT / "scripts" / name, clone / "scripts" / name)
    done, _ = _run({**os.environ}, timeout=300, script=clone / "scripts" / "setup.sh")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[2/3] Python environment" in done.stdout
    assert "sha256sum: pyproject.toml: No such file or directory" in done.stderr
    assert re.search(r"ERROR: scripts/setup.sh stopped: `wanted=\$\(checksum pyproject.toml.*` \(line \d+\) failed.", done.stderr)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def _lab(tmp_path: Path, **env_vars: str):
    """scripts/lab.sh on a free port, yielded once it serves notebook 00 (``contents``: the API's answer).

    ``output``, what the script printed, is there once the lab has stopped (after the ``with``).
    ``env_vars`` are set for the script besides this process's environment.
    """
    port, token = _free_port(), secrets.token_hex(8)
    env = {**os.environ, "LAB_PORT": str(port), "LAB_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(tmp_path), **env_vars}
    proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "lab.sh")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lab = types.SimpleNamespace(port=port, token=token, url=f"http://127.0.0.1:{port}", contents="", output="")
    try:
        url = f"{lab.url}/api/contents/00-welcome.ipynb?token={token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as answer:
                    lab.contents = answer.read().decode()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        yield lab
    finally:
        os.killpg(proc.pid, 15)
        lab.output = proc.communicate(timeout=30)[0]


def test_lab_serves_notebook_00(tmp_path):
    with _lab(tmp_path) as lab:
        assert '"name": "00-welcome.ipynb"' in lab.contents or '"name":"00-welcome.ipynb"' in lab.contents
        with urllib.request.urlopen(f"{lab.url}/lab/tree/00-welcome.ipynb?token={lab.token}", timeout=10) as page:
            assert page.status == 200 and "JupyterLab" in page.read().decode()
        said = _run_in_a_kernel(lab.port, lab.token, "from ipykernel.kernelapp import IPKernelApp as A; print(A.instance().transport)")
        assert said == "ipc", f"the kernel said {said!r}"
    assert f"http://127.0.0.1:{lab.port}/lab/tree/00-welcome.ipynb?token={lab.token}" in lab.output


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


# -- notebook 04's hand-off: File -> New -> Terminal, then `docker run -it` --------------------

GREETING = "Hello, World from Docker!"
BASH_PROMPT = re.compile(r"root@([0-9a-f]{12}):/app# ")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


class _LabTerminal:
    """A JupyterLab terminal driven over its websocket, as the browser's terminal tab drives it.

    The protocol is terminado's: JSON lists, ``["stdin", text]`` typed in, ``["stdout", text]`` shown.
    """

    def __init__(self, ws):
        self.ws = ws
        self.shown = ""  # everything the terminal printed so far
        self.pos = 0  # where the next expect starts looking, in the text without escape codes

    def text(self) -> str:
        return ANSI.sub("", self.shown).replace("\r\n", "\n")

    async def expect(self, pattern: str | re.Pattern, timeout: float = 60) -> re.Match:
        regex = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
        deadline = time.monotonic() + timeout
        while not (match := regex.search(self.text(), self.pos)):
            try:
                message = await asyncio.wait_for(self.ws.read_message(), max(deadline - time.monotonic(), 0))
            except asyncio.TimeoutError:
                message = None
            if message is None:  # waited long enough, or the terminal closed
                raise AssertionError(f"did not see {regex.pattern!r}; the terminal showed:\n{self.text()}")
            kind, *data = json.loads(message)
            if kind == "stdout":
                self.shown += data[0]
        self.pos = match.end()
        return match

    async def line(self, text: str) -> None:
        await self.ws.write_message(json.dumps(["stdin", text + "\r"]))


def _api(lab, method: str, path: str) -> dict | None:
    request = urllib.request.Request(f"{lab.url}{path}?token={lab.token}", method=method, data=b"{}" if method == "POST" else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        body = answer.read()
    return json.loads(body) if body else None


@pytest.mark.engine
def test_lab_terminal_runs_notebook_04s_interactive_shell(tmp_path, course_session):
    """What notebook 04 tells the learner to type in File -> New -> Terminal, typed into a real one.

    The image is notebook 04's ``my-python-app`` under this session's name, built as the notebook
    builds it; the container is known by its id, which the prompt shows, since the learner's command
    names none.
    """
    from tornado.websocket import websocket_connect

    image = course_session.name("my-python-app")
    folder = write_files(tmp_path / "my-python-app", {
        "app.py": f'print("{GREETING}")\n',
        "Dockerfile": 'FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n',
    })
    docker("build", "-q", "-t", image, str(folder), timeout=120)
    seen: dict[str, str] = {}

    async def type_the_notebooks_commands(lab, name: str) -> None:
        ws = await websocket_connect(f"ws://127.0.0.1:{lab.port}/terminals/websocket/{name}?token={lab.token}")
        term = _LabTerminal(ws)
        try:
            await term.line(f"docker run -it --rm {image} bash")
            seen["id"] = (await term.expect(BASH_PROMPT)).group(1)
            seen["state"] = docker("inspect", "--format", "{{.State.Status}}", seen["id"], check=False, timeout=120).stdout.strip()
            await term.line("ls")
            await term.expect("app.py")
            await term.expect(BASH_PROMPT)
            await term.line("python app.py")
            await term.expect(GREETING)
            await term.expect(BASH_PROMPT)
            await term.line("exit")
            await term.expect("exit")
        finally:
            ws.close()

    try:
        with _lab(tmp_path) as lab:
            terminal = _api(lab, "POST", "/api/terminals")["name"]
            try:
                asyncio.run(type_the_notebooks_commands(lab, terminal))
            finally:
                _api(lab, "DELETE", f"/api/terminals/{terminal}")
            # DELETE answers before the terminal's process has gone (jupyter_server ends it in the
            # background); it must leave the list soon after.
            deadline = time.monotonic() + 15
            while terminal in [t["name"] for t in _api(lab, "GET", "/api/terminals")] and time.monotonic() < deadline:
                time.sleep(0.5)
            assert terminal not in [t["name"] for t in _api(lab, "GET", "/api/terminals")]
        assert seen["state"] == "running", "the prompt came from a running container"
        deadline = time.monotonic() + 30
        while docker("inspect", seen["id"], check=False, timeout=120).returncode == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert docker("inspect", seen["id"], check=False, timeout=120).returncode != 0, "exit ended the container and --rm removed it"
    finally:
        if "id" in seen:
            docker("rm", "-f", seen["id"], check=False, timeout=120)
        docker("rmi", image, check=False, timeout=120)


# -- a notebook's commands, pasted into the lab's terminal (scripts/lab-terminal.sh) ------------------

#: Notebooks whose commands the terminal is given: session names (04), Go templates in variables and `x = !cmd`
#: (04, 08), Compose with `-p {project}` and a compose file reading what `%env` set (09).
PASTED_FROM = ("04-running-containers", "08-networks", "09-many-containers")


def _showing_commands(cell: str) -> list[str]:
    """A cell's `!` lines (as written, `x = !cmd` included) whose every docker command only shows something,
    by the command log's own rule (commandlog.SHOW_ONLY: ps, inspect, logs, port, ...), without following (`-f`)."""
    from dockerlab.jupyter.commandlog import SHOW_ONLY, ipython_calls, shell_commands, verb

    found = []
    for line in cell.splitlines():
        text = line.strip()
        if not re.match(r"(\w+\s*=\s*)?!", text) or re.search(r"\s(-f|--follow)\b", text):
            continue
        try:
            docker_verbs = [verb(c) for c in shell_commands(text) if verb(c)]
        except SyntaxError:
            continue
        if docker_verbs and all(v.split()[-1] in SHOW_ONLY for v in docker_verbs) and ipython_calls(text, {"system", "getoutput"}):
            found.append(text)
    return found


class _LabKernel:
    """A kernel of the lab, run cell by cell over its websocket as the browser runs a notebook's cells."""

    def __init__(self, ws):
        self.ws = ws

    async def run(self, code: str, timeout: float = 300) -> tuple[str, str | None]:
        """Run one cell; what it printed, and its error's name (None when it ran through)."""
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                  "version": "5.3", "date": ""}
        await self.ws.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {}, "channel": "shell",
                                                "content": {"code": code, "silent": False, "store_history": True}}))
        printed, error = "", None
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.read_message(), timeout))
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message["msg_type"] == "stream":
                printed += message["content"]["text"]
            elif message["msg_type"] == "error":
                error = f"{message['content']['ename']}: {message['content']['evalue']}"
            elif message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return printed, error


@pytest.mark.engine
def test_commands_pasted_from_notebooks_into_the_lab_terminal_run_as_in_the_notebook(tmp_path):
    """Each notebook of PASTED_FROM runs in a kernel of `make lab`'s JupyterLab, cell by cell, up to its
    `lesson.reset()`. After each cell, every `!` line of it that only shows something (`_showing_commands`) is typed, as the
    notebook has it (`!docker logs {hello}`, `ids = !docker ps ...`), into a terminal of the same lab, and run again
    in the kernel, right after its cell. The terminal must show the line as the notebook ran it (its session names
    and templates filled in, no `{` field left), and end it with the kernel's exit status; most of them succeed."""
    from tornado.websocket import websocket_connect

    from dockerlab.jupyter.terminal import commands_of

    state = tmp_path / "state"
    results: list[tuple[str, str, int, int]] = []  # notebook, line, the kernel's status, the terminal's
    seen: list[str] = []  # what the terminal showed

    async def paste_the_notebooks_commands(lab, terminal: str) -> None:
        term = _LabTerminal(await websocket_connect(f"ws://127.0.0.1:{lab.port}/terminals/websocket/{terminal}?token={lab.token}"))
        await term.ws.write_message(json.dumps(["set_size", 50, 1000]))  # wide: readline wraps no line
        for key in PASTED_FROM:
            notebook = ROOT / "notebooks" / f"{key}.ipynb"
            opened = urllib.request.Request(f"{lab.url}/api/sessions?token={lab.token}", method="POST", data=json.dumps(
                {"path": notebook.name, "type": "notebook", "kernel": {"name": "python3"}}).encode())  # as the browser opens it
            with urllib.request.urlopen(opened, timeout=60) as answer:
                opened = json.load(answer)
            kernel_id = opened["kernel"]["id"]
            kernel = _LabKernel(await websocket_connect(f"ws://127.0.0.1:{lab.port}/api/kernels/{kernel_id}/channels?token={lab.token}"))
            cells = ["".join(c["source"]) for c in json.loads(notebook.read_text())["cells"] if c["cell_type"] == "code"]
            tidy = [c for c in cells if "lesson.reset()" in c]
            try:
                for cell in cells:
                    if cell in tidy:
                        continue
                    _, error = await kernel.run(cell)
                    assert error is None, f"{key}: a cell failed ({error}):\n{cell}"
                    for line in _showing_commands(cell):  # pasted right after its cell ran, as a learner would
                        (command,) = commands_of(line)
                        shown, _ = await kernel.run(f"print('__run=' + get_ipython().var_expand({command!r}) + '__')\n"
                                                    f"!{command}\nprint('__rc=%d__' % _exit_code)")
                        ran, status = re.search(r"__run=(.*)__", shown).group(1), int(re.search(r"__rc=(\d+)__", shown).group(1))
                        await term.line(line)
                        # Enter put the command the notebook ran in the line's place (readline shows a tab as spaces)
                        await term.expect(re.compile(r"\s+".join(re.escape(word) for word in ran.split())))
                        await term.line('echo "__rc=$?__"')
                        pasted = int((await term.expect(re.compile(r"__rc=(\d+)__"))).group(1))
                        results.append((key, line, status, pasted))
            finally:
                for cell in tidy:
                    await kernel.run(cell)
                kernel.ws.close()
                _api(lab, "DELETE", f"/api/sessions/{opened['id']}")
        seen.append(term.text())
        term.ws.close()

    with _lab(tmp_path, DOCKERLAB_STATE=str(state)) as lab:
        terminal = _api(lab, "POST", "/api/terminals")["name"]
        try:
            asyncio.run(paste_the_notebooks_commands(lab, terminal))
        finally:
            _api(lab, "DELETE", f"/api/terminals/{terminal}")
    table = "\n".join(f"{key[:2]} kernel {k} terminal {t}: {line}" for key, line, k, t in results)
    assert {key for key, *_ in results} == set(PASTED_FROM), table
    assert all(k == t for _, _, k, t in results), f"the terminal ended a command otherwise than the kernel:\n{table}"
    assert sum(t == 0 for *_, t in results) >= 0.8 * len(results), f"most commands succeed:\n{table}"
    assert not [text for text in seen if "not filled in" in text], "every `{...}` of the lines was filled in"
