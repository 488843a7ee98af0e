"""python -m matrix: run the course on other engines than the machine's own.

    python -m matrix run [ROW ...]        run rows (default: c p d, as CI); results in build/matrix/
    python -m matrix report               docs/engine-matrix.md from build/matrix/*.json
    python -m matrix up ROW [--name N]    start a row's engine and leave it running
    python -m matrix exec N -- COMMAND    run COMMAND against engine N (in its network namespace)
    python -m matrix down N ...           stop engines and remove everything they had
    python -m matrix list                 the rows, and the engines running now
    python -m matrix test [--workers N]   make test's set split over engines side by side (matrix/split.py)
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import threading
import time

from . import netns
from .dockerd import Engine
from .rows import ROWS


def _engine_of(row_key: str, name: str) -> Engine:
    row = ROWS[row_key]
    if row.kind != "separate":
        raise SystemExit(f"row {row_key} ({row.title}) is not an engine started on this machine")
    return row.engine(name)


def _saved(name: str) -> tuple[str, str]:
    text = (netns.RUN / name / "row").read_text().split()
    return text[0], text[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matrix", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("rows", nargs="*", default=["c", "p", "d"], help="rows to run (default c p d, as CI; b: a brand-new 20.10; e: the VM)")
    run.add_argument("--pytest", default="", help="extra pytest arguments, e.g. '-x' or '-k 05'")
    run.add_argument("--suite", action="store_true", help="run the whole of make test on each row, not only the "
                     "notebooks and the engine claims (rows b-d; about 15 minutes a row)")
    run.add_argument("--jobs", type=int, default=1, help="rows run side by side (each has its own engine; "
                     "notebooks mostly wait on the engine, so 2-3 fit on 2 cores)")
    sub.add_parser("report")
    up = sub.add_parser("up")
    up.add_argument("row", choices=sorted(ROWS))
    up.add_argument("--name")
    ex = sub.add_parser("exec")
    ex.add_argument("name")
    ex.add_argument("cmd", nargs=argparse.REMAINDER)
    down = sub.add_parser("down")
    down.add_argument("names", nargs="+")
    sub.add_parser("list")
    test = sub.add_parser("test")
    test.add_argument("--workers", type=int, default=None, help="engines side by side, the machine's own "
                      "included (default: DOCKERLAB_TEST_WORKERS, else one per core; 1: one pytest run, as before)")
    test.add_argument("--pytest", default="", help="extra pytest arguments for every job, e.g. '-x'")
    test.add_argument("--suite", choices=("test", "reliability"), default="test", help="make test's suite (default) "
                      "or make reliability's (idempotence runs on every engine, the other scenarios on the machine's)")
    args = parser.parse_args(argv)

    if args.command == "run":
        from .run import run_row

        from concurrent.futures import ThreadPoolExecutor

        say_lock = threading.Lock()

        def say(line: str) -> None:
            with say_lock:
                print(line, flush=True)

        def one(key: str):
            started = time.monotonic()
            try:
                return run_row(ROWS[key], extra=shlex.split(args.pytest), say=say, suite=args.suite)
            except Exception as exc:  # a row that cannot start is a failed row, not the end of the others
                say(f"[{key}] could not run: {exc}")
                from .run import Result

                failed = Result(key, ROWS[key].title, tests={"passed": 0, "failed": [f"could not run: {exc}"]})
                failed.seconds["total"] = round(time.monotonic() - started, 1)
                return failed

        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            results = list(pool.map(one, args.rows))
        print()
        for r in results:
            bad = {nb: n["failed"] for nb, n in r.notebooks.items() if n["failed"]}
            unsolved = [nb for nb, n in r.notebooks.items() if not n["solution"]]
            print(f"row {r.row} ({r.title}): {'passed' if r.passed else 'FAILED'} in {r.seconds.get('total', 0):.0f} s"
                  f" {r.seconds}" + (f"; cells failed: {bad}" if bad else "") + (f"; solution mode failed: {unsolved}" if unsolved else "")
                  + (f"; tests failed: {r.tests['failed']}" if r.tests.get("failed") else ""))
        return 0 if all(r.passed for r in results) else 1
    if args.command == "report":
        from .report import write

        print(write())
        return 0
    if args.command == "up":
        name = args.name or f"dev-{args.row}"
        engine = _engine_of(args.row, name)
        engine.start()
        (netns.RUN / name / "row").write_text(f"{args.row} {name}\n")
        print(f"engine {name} (row {args.row}) answers on {engine.socket}")
        print(f"run a command against it, as on a learner's machine: python -m matrix exec {name} -- COMMAND")
        print(f"(or DOCKER_HOST=unix://{engine.socket} from here, without its published ports)")
        return 0
    if args.command == "exec":
        row_key, name = _saved(args.name)
        engine = _engine_of(row_key, name)
        cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
        hidden = ["unshare", "--pid", "--fork", "--mount-proc", "--"] if ROWS[row_key].hidden else []
        return subprocess.run([*engine.enter(), *hidden, *cmd], env=engine.env()).returncode
    if args.command == "down":
        for name in args.names:
            # A Podman service leaves its containers running when it stops: its row's engine removes them first.
            podman = (netns.RUN / name / "podman.pid").exists()
            (ROWS["p"].engine(name) if podman else Engine(name, [])).remove()
            print(f"engine {name} removed")
        return 0
    if args.command == "test":
        return _test(args)
    if args.command == "list":
        for row in ROWS.values():
            print(f"{row.key}  {row.title}: {row.why}")
        running = sorted(p.parent.name for p in netns.RUN.glob("*/slot")) if netns.RUN.exists() else []
        print("running now:", ", ".join(running) or "none")
        return 0
    return 2


def _test(args) -> int:
    import os

    from . import split

    workers = args.workers or int(os.environ.get("DOCKERLAB_TEST_WORKERS") or split.default_workers())
    why_not = split.can_start_engines() if workers > 1 else "one worker asked for"
    reliability = args.suite == "reliability"
    if why_not:
        print(f"[split] one pytest run on the machine's engine ({why_not})", flush=True)
        if reliability:
            command = [split.PYTHON, "-m", "pytest", split.RELIABILITY, "-v", "-p", "no:cacheprovider",
                       *(f"--ignore={f}" for f in split.NOT_IN_MAKE_RELIABILITY), *shlex.split(args.pytest)]
        else:
            command = [split.PYTHON, "-m", "pytest", "tests", "notebooks", *split.NBVAL, "-p", "no:cacheprovider",
                       *(f"--ignore={d}" for d in split.NOT_IN_MAKE_TEST), *shlex.split(args.pytest)]
        return subprocess.run(command, cwd=split.ROOT).returncode

    def say(line: str) -> None:
        print(time.strftime("%H:%M:%S"), line, flush=True)

    if reliability:
        modes = os.environ.get("DOCKERLAB_IDEMPOTENCE_MODES", "learner solution").split()
        os.environ["DOCKERLAB_RELIABILITY_RUN"] = time.strftime("%Y%m%dT%H%M%S")  # the parts write one results table
        jobs = split.reliability_jobs(modes)
        side_by_side = [job for job in jobs if job.name not in split.ALONE]
        alone = [job for job in jobs if job.name in split.ALONE]
        reports = [split.run(side_by_side, workers, shlex.split(args.pytest), say=say, names="r",
                             results=split.RELIABILITY_RESULTS)]
        if alone:
            say(f"[split] now alone on the machine's engine: {', '.join(job.name for job in alone)}")
            reports.append(split.run(alone, 1, shlex.split(args.pytest), say=say, results=split.RELIABILITY_RESULTS))
    else:
        reports = [split.run(split.all_jobs(), workers, shlex.split(args.pytest), say=say)]
    for report in reports:
        split.print_report(report, say=print)
    return 1 if any(report.failed for report in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
