"""The whole course suite, as the README says to run it (``make test``): warm, and cold."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from . import course_images
from .common import engine_lock, say, timed
from .stats import Row, Target

WHY_SLOW = ("Why: the suite is more than the course once: unit and engine tests, then every notebook twice (nbval in "
            "learner mode, papermill in solution mode), each in a new kernel that really builds images and starts "
            "containers, one notebook at a time (each is checked against the whole engine before and after); 06 "
            "(builds) and 10 (Compose's start-up race) take longest. Running notebooks in parallel would need an "
            "engine per worker: the checks compare the whole engine.")

_SUMMARY = re.compile(r"^=+ (.*\d+ (?:passed|failed|error).*) in [\d.]+s.*=+$", re.M)


def summary(log_text: str) -> str:
    """pytest's last summary line (``850 passed, 2 skipped``), or ''."""
    found = _SUMMARY.findall(log_text)
    return found[-1].strip() if found else ""


def _make_test(name: str) -> tuple[float, str]:
    log = Path(tempfile.gettempdir()) / f"dockerlab-bench-{name}.log"
    seconds, done = timed(["make", "test"], log=log, timeout=4 * 3600)
    result = summary(log.read_text(errors="replace")) or f"no pytest summary, exit {done.returncode}"
    say(f"  {name}: {seconds:.0f} s, {result} (log: {log})")
    return seconds, result


def warm(runs: int) -> Row:
    results = [_make_test(f"suite-warm-{i + 1}") for i in range(runs)]
    row = Row("suite", "`make test`, warm engine", "s", [s for s, _ in results], Target(240),
              note="Everything in place. Results: " + "; ".join(r for _, r in results) + ".",
              extra={"results": [r for _, r in results]})
    return _explained(row)


def _explained(row: Row) -> Row:
    if row.verdict.startswith("missed"):
        row.note += " " + WHY_SLOW
    return row


def cold(runs: int) -> Row:
    results = []
    for i in range(runs):
        with engine_lock():
            removed = course_images.remove_all()
        say(f"  removed {len(removed)} course tags")
        results.append(_make_test(f"suite-cold-{i + 1}"))
    return _explained(Row(
        "suite", "`make test`, cold (course images removed)", "s", [s for s, _ in results], Target(600),
        note="Course images removed as for the cold kit (below), then `make test`, whose set-up rebuilds them "
             "offline (the venv stays). Results: " + "; ".join(r for _, r in results) + ".",
        extra={"results": [r for _, r in results]}))
