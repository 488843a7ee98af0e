"""The reliability suite (`make reliability`): classroom scenarios against the real engine.

Each test records what it did and what it measured with the ``record`` fixture; at the end the
suite writes the results table (markdown and JSON) to ``$DOCKERLAB_RELIABILITY_REPORT`` (default:
a folder under /tmp), which docs/reliability.md is made from. The learner's own container,
network, volume and image made before the suite and checked after it come from the plugin every
suite loads, tests/plugin_engine_safety.py (the same safety check as `make test`).

Every test is bounded: each kernel cell, subprocess and API call has its own timeout, and a
watchdog dumps every thread's stack and ends the run if a test outlives ``DOCKERLAB_RELIABILITY_BOUND``
seconds (a hung engine call would otherwise hang the suite silently).
"""

from __future__ import annotations

import faulthandler
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pytest
from filelock import FileLock

import harness

_results: list[dict] = []
BOUND = float(os.environ.get("DOCKERLAB_RELIABILITY_BOUND", "1500"))


@pytest.fixture(scope="session", autouse=True)
def engine_answers():
    if not harness.ping(10):
        pytest.exit("No Docker engine answers (within 10 s). Run `bash scripts/ensure-engine.sh`.", returncode=3)
    _sweep_earlier_runs()


def _sweep_earlier_runs() -> None:
    """Sweep the dead sessions of earlier runs of this suite.

    The scenarios give each learner a state folder of its own under pytest's temporary folders, where
    no later kernel looks. A run ended from outside (SIGTERM, a closed terminal) leaves its kernels'
    resources behind; `dockerlab sweep` with each such folder removes those of sessions that are
    dead (lock free) and nothing else.
    """
    import getpass

    base = Path(tempfile.gettempdir()) / f"pytest-of-{getpass.getuser()}"
    for sessions in base.glob("pytest-*/**/state/sessions"):
        if any(sessions.glob("dl*.json")):
            done = harness.sh([sys.executable, "-m", "dockerlab", "sweep"], timeout=120,
                              env={**os.environ, "DOCKERLAB_STATE": str(sessions.parent)})
            if "nothing" not in done.stdout:
                print(f"earlier run's leftovers in {sessions.parent}: {done.stdout.strip()} {done.stderr.strip()[-200:]}")


@pytest.fixture(autouse=True)
def watchdog():
    faulthandler.dump_traceback_later(BOUND, exit=True, file=sys.stderr)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def record(request):
    """``record(scenario, done, result, seconds)``: one row of the results table."""
    rows: list[dict] = []

    def add(scenario: str, done: str, result: str, seconds: float | None = None) -> None:
        rows.append({"test": request.node.nodeid, "scenario": scenario, "done": done, "result": result,
                     "seconds": None if seconds is None else round(seconds, 1)})

    started = time.monotonic()
    yield add
    outcome = getattr(request.node, "_outcome", "?")
    total = time.monotonic() - started
    for row in rows:
        _results.append({**row, "outcome": outcome, "test_seconds": round(total, 1)})
    if not rows:
        _results.append({"test": request.node.nodeid, "scenario": request.node.name, "done": "", "result": "",
                         "seconds": None, "outcome": outcome, "test_seconds": round(total, 1)})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    report = (yield).get_result()
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        item._outcome = "known issue (xfail)" if hasattr(report, "wasxfail") else report.outcome
    if report.failed:  # written at once, so a run that is cut short still says why
        with open(report_dir() / "failures.txt", "a") as out:
            out.write(f"==== {item.nodeid} ({report.when})\n{report.longreprtext}\n\n")


def report_dir() -> Path:
    path = Path(os.environ.get("DOCKERLAB_RELIABILITY_REPORT") or Path(tempfile.gettempdir()) / "dockerlab-reliability")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.hookimpl(trylast=True)  # after plugin_engine_safety's bystander check
def pytest_sessionfinish(session, exitstatus):
    if not _results:
        return
    end = _end_of(session)
    if _bystanders:
        problems = _bystanders[-1]
        _results.append({"test": end, "scenario": "Nothing touched", "done": "a container, network, volume and "
                         "image made without labels before the suite (tests/plugin_engine_safety.py), checked after it",
                         "result": "intact: same id, state, labels, attachments" if not problems else "; ".join(problems),
                         "seconds": None, "outcome": "passed" if not problems else "failed", "test_seconds": 0})
    # Nothing of any session the suite used may remain (the tests check their own as they go; this
    # catches what a failed or interrupted test left). plugin_engine_safety checks the bystanders.
    from dockerlab.engine import session as sessions

    if sessions.current_id():
        harness.SEEN.add(sessions.current_id())
    try:
        left = harness.resources_of(harness.SEEN)
    except Exception as exc:  # noqa: BLE001
        left = {"could not list": {str(exc)}}
    _results.append({"test": end, "scenario": "Nothing left", "done": f"course resources of the {len(harness.SEEN)} "
                     "sessions the suite used, listed after the last test", "result": "none" if not left else f"LEFT: {left}",
                     "seconds": None, "outcome": "passed" if not left else "failed", "test_seconds": 0})
    if left:
        print(f"\nRELIABILITY SUITE LEFT COURSE RESOURCES: {left}")
        session.exitstatus = 1
    out = report_dir()
    started = getattr(session.config, "_reliability_started", None) or time.time()
    with FileLock(out / "results.lock", timeout=60):
        payload = _with_earlier_parts(out / "results.json", {"machine": harness.machine(), "run": RUN,
                                                              "started": started, "rows": list(_results)})
        payload["seconds"] = time.time() - payload["started"]
        (out / "results.json").write_text(json.dumps(payload, indent=1))
        _write_table(out, payload)
    print(f"\nreliability results: {out / 'results.md'}")


#: Set by ``make reliability`` when the suite runs as several pytest runs side by side (matrix/split.py): each
#: run adds its rows to the same table instead of replacing it.
RUN = os.environ.get("DOCKERLAB_RELIABILITY_RUN")


def _end_of(session) -> str:
    """The name of this pytest run's closing rows: the suite, or (one part of a split run) its test or file."""
    if not RUN:
        return "(end of suite)"
    items = [item.nodeid for item in session.items]
    return f"(end of {items[0] if len(items) == 1 else ', '.join(sorted({i.split('::')[0] for i in items}))})"


def _with_earlier_parts(path: Path, payload: dict) -> dict:
    """``payload`` with the rows that earlier parts of the same split run wrote (none for a whole run)."""
    if not RUN:
        return payload
    try:
        earlier = json.loads(path.read_text())
    except (OSError, ValueError):
        return payload
    if earlier.get("run") != RUN:
        return payload
    mine = {row["test"] for row in payload["rows"]}
    return {**payload, "started": min(earlier.get("started") or payload["started"], payload["started"]),
            "rows": [row for row in earlier["rows"] if row["test"] not in mine] + payload["rows"]}


def _write_table(out: Path, payload: dict) -> None:
    whole = payload["seconds"]
    lines = [f"Machine: {payload['machine']}", "",
             "| scenario | what was done | result | measured | test time |", "|---|---|---|---|---|"]
    for row in payload["rows"]:
        measured = "" if row["seconds"] is None else f"{row['seconds']:g} s"
        mark = {"passed": "pass", "failed": "FAIL", "skipped": "skipped", "error": "ERROR"}.get(row["outcome"], row["outcome"])
        lines.append(f"| {row['scenario']} | {row['done']} | {mark}: {row['result']} | {measured} | {row['test_seconds']:g} s |")
    if whole:
        lines += ["", f"Whole suite: {whole:.0f} s"]
    (out / "results.md").write_text("\n".join(lines) + "\n")


_bystanders: list[list[str]] = []


def pytest_configure(config):
    config._reliability_started = time.time()
    (report_dir() / "failures.txt").unlink(missing_ok=True)
    if os.environ.get("DOCKERLAB_RELIABILITY_IGNORE_TERM") == "1":
        # On a shared machine a colleague's `pkill -f pytest` ends a long run half-way. Opt in to
        # shrug SIGTERM off (logged); Ctrl-C (SIGINT) and SIGKILL still stop the run. Only this
        # process: kernels and engines it starts get the default handler back when they exec.
        import signal

        def note(signum, _frame):
            print(f"\n[reliability] SIGTERM received and ignored at {time.strftime('%H:%M:%S')} "
                  "(DOCKERLAB_RELIABILITY_IGNORE_TERM=1)", file=sys.stderr, flush=True)

        signal.signal(signal.SIGTERM, note)
    # The learner's own container, network, volume and image come from the plugin every suite loads
    # (tests/plugin_engine_safety.py), which checks them at the very end; note its verdict for the results table.
    plugin = config.pluginmanager.get_plugin("plugin_engine_safety")
    if plugin is not None:
        original = plugin._check_bystanders

        def checked():
            problems = original()
            _bystanders.append(problems)
            return problems

        plugin._check_bystanders = checked


#: Run last, in this order: they disturb the engine the most (a stop and start; ten learners at once).
LAST = ("test_engine_down.py", "test_crowd.py")


def pytest_collection_modifyitems(session, config, items):
    def rank(item) -> int:
        name = item.path.name
        return LAST.index(name) + 1 if name in LAST else 0

    items.sort(key=rank)  # stable: the rest keep their order
    # A bare `pytest` (testpaths = tests) must not stop the engine by surprise: only when this
    # folder is asked for by name (make reliability) do these tests run.
    if not any("reliability" in str(arg) for arg in config.args):
        skip = pytest.mark.skip(reason="the reliability suite runs only when asked for: make reliability")
        for item in items:
            if item.path.parent.name == "reliability":
                item.add_marker(skip)
