"""``make bench``: what the course costs a learner's machine, measured on the real engine.

Writes docs/benchmarks.md (tables with the machine's description) and docs/benchmarks.json.
Every number is a median of several runs; every comparison is a ratio of two things timed in the
same run. No test asserts a timing: the tables say whether a target is met, or by how much not.

Options (environment variables):
    BENCH_RUNS=5          repetitions of the small operations (helper vs CLI, streaming, lab warm,
                          kit re-run, kernel memory: at most 3 of those, a notebook each)
    BENCH_COLD_RUNS=3     repetitions of the cold image kit
    BENCH_SUITE_RUNS=1    repetitions of each full-suite run and of make lab cold (a warm suite
                          is about 10 min on 2 cores, a cold one 11)
    BENCH_ONLY=cli,disk   only these groups: suite, kit, cli, stream, lab, memory, disk, waits (the
                          page keeps the other groups' rows from the last run, marked as such)
    BENCH_QUICK=1         a fast development pass: no full suite, no make lab cold; the page says so
    BENCH_NOTEBOOK=06     the notebook the memory group runs

The engine lock of the test suites (root conftest.py) is held while a group measures, so no
suite runs meanwhile; ``make test`` runs take it themselves. Everything the bench creates carries
the course's labels or its session's name and is removed; the cold runs remove the course's
images only (bench/course_images.py).
"""

from __future__ import annotations

import os
import sys
import time

from . import machine, report
from .common import ROOT, course_leftovers, engine_lock, say
from .stats import Row

GROUPS = ("cli", "stream", "memory", "disk", "waits", "lab", "kit", "suite")


def options() -> dict[str, str]:
    env = os.environ.get
    return {
        "BENCH_RUNS": env("BENCH_RUNS", "5"),
        "BENCH_COLD_RUNS": env("BENCH_COLD_RUNS", "3"),
        "BENCH_SUITE_RUNS": env("BENCH_SUITE_RUNS", "1"),
        "BENCH_ONLY": env("BENCH_ONLY", ",".join(GROUPS)),
        "BENCH_QUICK": env("BENCH_QUICK", "0"),
        "BENCH_NOTEBOOK": env("BENCH_NOTEBOOK", "06"),
    }


def steps(opts: dict[str, str]) -> list[tuple[str, str, bool, object]]:
    """(group, step name, needs the engine lock, function returning rows), in the order they run.

    Warm measurements come first; the cold ones last, since they remove the course's images.
    """
    from . import disk, helper_vs_cli, kit, lab, memory, streaming, suite, waits

    runs, cold, heavy = int(opts["BENCH_RUNS"]), int(opts["BENCH_COLD_RUNS"]), int(opts["BENCH_SUITE_RUNS"])
    quick = opts["BENCH_QUICK"] == "1"
    chosen = [
        ("cli", "helper vs CLI", True, lambda: helper_vs_cli.measure(runs)),
        ("stream", "build-log streaming", True, lambda: streaming.measure(runs)),
        ("memory", "kernel memory", True, lambda: memory.measure(min(runs, 3), opts["BENCH_NOTEBOOK"])),
        ("disk", "disk used by images", True, lambda: disk.measure()),
        ("waits", "what a learner waits for", True, lambda: waits.measure(min(runs, 3))),
        ("lab", "make lab, warm", True, lambda: [lab.warm(runs)]),
        ("kit", "image kit, re-run", True, lambda: [kit.rerun(runs)]),
        ("suite", "make test, warm", False, lambda: suite.warm(heavy)),
        ("kit", "image kit, cold", True, lambda: [kit.cold(cold)]),
        ("lab", "make lab, cold", True, lambda: [lab.cold(heavy)]),
        ("suite", "make test, cold", False, lambda: [suite.cold(heavy)]),
    ]
    only = set(opts["BENCH_ONLY"].split(","))
    skipped_when_quick = {"make test, warm", "make test, cold", "make lab, cold"}
    return [s for s in chosen if s[0] in only and not (quick and s[1] in skipped_when_quick)]


def main() -> int:
    opts = options()
    plan = steps(opts)
    rows: list[Row] = []
    failed: list[str] = []
    described = machine.describe()
    say("machine: " + "; ".join(f"{k} {v}" for k, v in described.items()))
    for group, name, locked, measure in plan:
        say(f"{name} ...")
        started = time.monotonic()
        try:
            if locked:
                with engine_lock():
                    before = course_leftovers()
                    rows += measure()
                    left = course_leftovers() - before
                    if left:
                        failed.append(f"{name} left {sorted(left)}")
                        say(f"  LEFT BEHIND: {sorted(left)}")
            else:
                rows += measure()
        except Exception as exc:  # one broken group must not lose the others' numbers
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            say(f"  FAILED: {exc}")
        say(f"{name} done in {time.monotonic() - started:.0f} s")
    partial = []
    if opts["BENCH_QUICK"] == "1":
        partial.append("quick pass (`BENCH_QUICK=1`): the full suite and `make lab` cold were not measured.")
    if {s[0] for s in plan} != set(GROUPS) and opts["BENCH_QUICK"] != "1":
        partial.append(f"only {opts['BENCH_ONLY']}.")
    partial += [f"not measured: {r.what}." for r in rows if r.median is None]
    partial += [f"failed: {f}" for f in failed]
    kept, when = report.earlier(ROOT / "docs" / "benchmarks.json", set(GROUPS) - {s[0] for s in plan})
    if kept:
        rows += kept
        partial.append(f"the {', '.join(sorted({r.group for r in kept}))} rows are from the run of {when}, kept.")
    report.write(rows, described, opts, ROOT / "docs" / "benchmarks.md", ROOT / "docs" / "benchmarks.json", " ".join(partial))
    say(f"wrote docs/benchmarks.md and docs/benchmarks.json ({len(rows)} rows)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
