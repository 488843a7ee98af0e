"""`dockerlab class watch` in a real browser: the page shows the class and follows it by itself.

The real command (a subprocess, a free port, refreshing every second) on a folder of three synthetic learners
written as checks write them; headless Debian chromium opens the page once. Then a learner's exercise turns
done in their file and the page must show it within the refresh interval, without being reloaded; then the
server stops and the page must say it lost contact. A few seconds in all.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockerlab.checks import CheckResult, Requirement
from dockerlab.record import progress

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's, as in conftest.py (which skips this test without it)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
REFRESH = 1  # s, the page's interval in this test
WAIT = (REFRESH + 2) * 1000  # ms: one interval, and the fetch's own time, with room to spare on 2 busy cores


def check(folder, monkeypatch, learner: str, exercise: str, passed: bool, seconds_ago: float = 0) -> None:
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(folder / f"{learner}.json"))
    progress.record(CheckResult(exercise, f"Title of {exercise}", [Requirement("r", passed, "" if passed else "no")],
                                checked_at=time.time() - seconds_ago))


@pytest.fixture
def class_folder(tmp_path, monkeypatch):
    """ada stuck on 04.exit-code (three "not yet" in a row), bob trying 04.keep-running, carl done with 04.auto-remove."""
    folder = tmp_path / "class"
    folder.mkdir()
    for seconds in (90, 60, 30):
        check(folder, monkeypatch, "ada", "04.exit-code", False, seconds)
    check(folder, monkeypatch, "bob", "04.auto-remove", True, 120)
    check(folder, monkeypatch, "bob", "04.keep-running", False, 20)
    check(folder, monkeypatch, "carl", "04.auto-remove", True, 10)
    return folder


@pytest.fixture
def server(class_folder):
    proc = subprocess.Popen([sys.executable, "-m", "dockerlab", "class", "watch", str(class_folder), "--port", "0",
                             "--refresh", str(REFRESH)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=dict(os.environ))
    try:
        line = proc.stdout.readline()  # "class view of FOLDER: http://127.0.0.1:PORT/  (...)"
        assert "http://127.0.0.1:" in line, line + proc.stdout.read() if proc.poll() is not None else line
        yield proc, line.split("http://", 1)[1].split()[0]
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=10)
        proc.stdout.close()


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as manager:
        browser = manager.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 700})
        finally:
            browser.close()


def rows(page) -> list[tuple[str, str, str, str]]:
    """(learner, state as shown, done, on) per row, top to bottom."""
    return [tuple(row) for row in page.eval_on_selector_all("table.dockerlab-classview tbody tr", """rows => rows.map(r => [
        r.querySelector('th').textContent, r.querySelector('td.state').textContent,
        r.querySelector('td.done').textContent, r.querySelector('td.on').textContent])""")]


def test_the_class_view_follows_the_class(server, browser_page, class_folder, monkeypatch):
    proc, address = server
    page = browser_page
    page.goto(f"http://{address}", wait_until="domcontentloaded")
    assert rows(page) == [("ada", "STUCK", "0/3", "04.exit-code"), ("bob", "not yet", "1/3", "04.keep-running"),
                          ("carl", "passed", "1/3", "04.auto-remove")]
    assert page.text_content('tr[data-learner="ada"] td.in-row') == "3"
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again

    check(class_folder, monkeypatch, "bob", "04.keep-running", True)  # bob's exercise turns done
    page.wait_for_selector('tr[data-learner="bob"][data-state="passed"]', timeout=WAIT)
    assert rows(page)[1] == ("bob", "passed", "2/3", "04.keep-running")
    assert page.text_content('tr[data-learner="bob"] td.cell[data-exercise="04.keep-running"]') == "✓"
    assert page.evaluate("window.notReloaded") is True

    proc.terminate()
    proc.wait(timeout=10)
    page.wait_for_selector("#contact.lost", timeout=WAIT)
    assert "Lost contact" in page.text_content("#contact") and rows(page)[1][0] == "bob"  # the last table stays
