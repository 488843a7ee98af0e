"""The whole course suite, as the README says to run it (``make test``): warm, and cold; and, in the same
run, warm once more as one pytest run on the machine's engine (``DOCKERLAB_TEST_WORKERS=1``), so the
side-by-side split (matrix/split.py) and the serial run are measured on the same machine, state and day."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from . import course_images
from .common import engine_lock, say, timed
from .stats import Row, Target

WHY_SLOW = ("Why: the suite is more than the course once: unit and engine tests, then every notebook twice (nbval in "
            "learner mode, papermill in solution mode), each in a new kernel that really builds images and starts "
            "containers; 06 (builds) and 10 (Compose's start-up race) take longest. Side by side, each engine still "
            "runs one notebook at a time (each is checked against the whole engine before and after), and the "
            "workers share the machine's cores.")
SERIAL = {"DOCKERLAB_TEST_WORKERS": "1"}

_SUMMARY = re.compile(r"^=+ (.*\d+ (?:passed|failed|error).*) in [\d.]+s.*=+$", re.M)


def summary(log_text: str) -> str:
    """pytest's last summary line (``850 passed, 2 skipped``), or ''."""
    found = _SUMMARY.findall(log_text)
    return found[-1].strip() if found else ""


def _make_test(name: str, env: dict | None = None) -> tuple[float, str]:
    log = Path(tempfile.gettempdir()) / f"dockerlab-bench-{name}.log"
    seconds, done = timed(["make", "test"], log=log, env=env, timeout=4 * 3600)
    result = summary(log.read_text(errors="replace")) or f"no pytest summary, exit {done.returncode}"
    say(f"  {name}: {seconds:.0f} s, {result} (log: {log})")
    return seconds, result


def warm(runs: int) -> list[Row]:
    """Side by side (the default) and serial, alternating run by run, so drift on the machine hits both."""
    split, serial = [], []
    for i in range(runs):
        split.append(_make_test(f"suite-warm-{i + 1}"))
        serial.append(_make_test(f"suite-warm-serial-{i + 1}", SERIAL))
    side_by_side = Row("suite", "`make test`, warm engine", "s", [s for s, _ in split], Target(240),
                       note="Everything in place; jobs side by side on the machine's engine and new ones, one per "
                            "core (matrix/split.py). Results: " + "; ".join(r for _, r in split) + ".",
                       extra={"results": [r for _, r in split]})
    one_run = Row("suite", "`make test`, warm, one pytest run (`DOCKERLAB_TEST_WORKERS=1`)", "s", [s for s, _ in serial],
                  note="The same suite as one pytest run on the machine's engine, measured in the same bench run, "
                       "for comparison. Results: " + "; ".join(r for _, r in serial) + ".",
                  extra={"results": [r for _, r in serial]})
    return [_explained(side_by_side), one_run]


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
