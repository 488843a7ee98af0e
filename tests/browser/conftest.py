"""The browser tests' harness: JupyterLab started by scripts/lab.sh, driven by headless Chromium.

Not part of `make test` (its pytest call ignores this folder); `make browser` installs what it
needs and runs it. Every test here is skipped unless Debian's chromium (/usr/bin/chromium) and
PyPI playwright are installed, and unless this folder is named on the command line (so a plain
`pytest tests` stays quick). Playwright's own browser downloads are never used.

JupyterLab runs with a throw-away Jupyter config folder, so it starts with JupyterLab's defaults
plus what a test run needs and nothing of the machine's user settings or saved workspaces:
autosave off (a run must never write the stored notebooks), no news toast, every cell attached to
the page (full-page screenshots), and ``window.jupyterapp`` exposed so the test reads cell models
(execution counts, error outputs) instead of guessing from the rendered page.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
LAB_START_TIMEOUT = 90  # s: lab.sh runs the doctor first, then JupyterLab (about 4 s here)

# User settings for the run (JupyterLab reads them from $JUPYTER_CONFIG_DIR/lab/user-settings).
SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
}


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no {CHROMIUM} (Debian: apt-get install chromium; `make browser` does it)"
    if importlib.util.find_spec("playwright") is None:
        return "no playwright in this Python (.venv/bin/pip install playwright; `make browser` does it)"
    return None


def asked_for(config) -> bool:
    """True when this folder (or a file in it) was named on the command line, as `make browser` does.

    A plain `pytest tests` in the shared venv then skips these minutes-long tests.
    """
    here = Path(__file__).parent.resolve()
    for arg in config.args:
        path = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if path == here or here in path.parents:
            return True
    return False


def pytest_collection_modifyitems(config, items):
    reason = missing() or (None if asked_for(config) else "browser tests run only when named: make browser, "
                           "or pytest tests/browser")
    if reason:
        here = Path(__file__).parent
        for item in items:
            if here in Path(str(item.fspath)).parents:
                item.add_marker(pytest.mark.skip(reason=reason))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A JupyterLab server started by scripts/lab.sh, and its REST API."""

    def __init__(self, workdir: Path):
        self.token = secrets.token_hex(16)
        self.config_dir = workdir / "jupyter-config"
        self.log_path = workdir / "lab.log"
        self.proc: subprocess.Popen | None = None
        self.port = 0
        for name, values in SETTINGS.items():
            path = self.config_dir / "lab" / "user-settings" / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        (self.config_dir / "jupyter_lab_config.json").write_text(json.dumps({"LabApp": {"expose_app_in_browser": True}}))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # A port picked with bind(0) can be taken before JupyterLab binds it (lab.sh sets
        # port_retries=0, so that is a quick exit): try a few.
        for _ in range(3):
            self.port = free_port()
            env = dict(os.environ, LAB_PORT=str(self.port), LAB_TOKEN=self.token, JUPYTER_CONFIG_DIR=str(self.config_dir))
            env.pop("JUPYTERLAB_SETTINGS_DIR", None)
            env.pop("JUPYTERLAB_WORKSPACES_DIR", None)
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "lab.sh")], cwd=ROOT, env=env,
                                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + LAB_START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                with contextlib.suppress(OSError, urllib.error.URLError):
                    if self.api("GET", "/api/status") is not None:
                        return
                time.sleep(0.5)
            self.stop()
        raise RuntimeError(f"JupyterLab did not start; its log:\n{self.log_path.read_text()[-3000:]}")

    def api(self, method: str, path: str, timeout: float = 30):
        request = urllib.request.Request(f"{self.url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else {}

    def kernels(self) -> list[dict]:
        return self.api("GET", "/api/kernels")

    def shut_down_kernels(self, timeout: float = 60) -> None:
        """Shut every kernel of this server down through the REST API (sessions first).

        The server asks each kernel to shut down, so its atexit handlers run: the dockerlab
        session removes what it made and releases its files.
        """
        for s in self.api("GET", "/api/sessions"):
            with contextlib.suppress(urllib.error.HTTPError):
                self.api("DELETE", f"/api/sessions/{s['id']}", timeout=timeout)
        for k in self.kernels():
            with contextlib.suppress(urllib.error.HTTPError):
                self.api("DELETE", f"/api/kernels/{k['id']}", timeout=timeout)
        deadline = time.monotonic() + timeout
        while self.kernels() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not self.kernels(), f"kernels still running after shutdown: {self.kernels()}"

    def saved_files(self) -> list[str]:
        """Lines of the server log that say it wrote a file (a run must write none)."""
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if "Saving file at" in line]

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None


@pytest.fixture(scope="session")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="dockerlab-browser-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def lab(workdir):
    server = Lab(workdir)
    try:
        server.start()
        yield server
    finally:
        try:
            if server.proc is not None and server.proc.poll() is None:
                server.shut_down_kernels()
        finally:
            server.stop()


@pytest.fixture(scope="session")
def page(lab, workdir):
    """One headless Chromium page, logged in to the lab (token cookie), with a fresh profile."""
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    context = None
    try:
        context = manager.chromium.launch_persistent_context(
            str(workdir / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
        )
        page = context.pages[0] if context.pages else context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "leave this page?" when a notebook has unsaved outputs
        page.goto(f"{lab.url}/lab?token={lab.token}", wait_until="domcontentloaded")
        page.wait_for_selector("#jp-main-dock-panel", timeout=60_000)
        yield page
    finally:
        if context is not None:
            context.close()
        manager.stop()


# -- what each notebook's run measured: screenshots/browser-run.json and the terminal summary -----
RUNS: list = []


@pytest.fixture(scope="session")
def runs():
    """The test appends one record per notebook (timings, session, views' places in the screenshot)."""
    yield RUNS
    if RUNS:
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / "browser-run.json").write_text(json.dumps([vars(r) for r in RUNS], indent=2, default=str))


def pytest_terminal_summary(terminalreporter):
    if not RUNS:
        return
    terminalreporter.section("notebooks in the browser (seconds)")
    for r in RUNS:
        s = r.seconds
        terminalreporter.write_line(f"{r.notebook:32} open {s.get('open', '-'):>5}  run all {s.get('run_all', '-'):>6}  "
                                    f"total {s.get('total', '-'):>6}  screenshot {SCREENSHOTS.name}/{Path(r.notebook).stem}.png")
    terminalreporter.write_line(f"{'all':32} {sum(r.seconds.get('total', 0) for r in RUNS):.0f} s")
