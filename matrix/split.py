"""``make test`` split over engines side by side: the machine's own engine and one or more brand-new ones.

The suite checks the whole engine before and after every notebook (nothing new may remain) and
keeps a learner's own container, network, volume and image through the whole run, so two runs
cannot share an engine. Here each worker has one: worker 0 is the machine's engine (the one
``make test`` always tested, in the machine's own namespaces), the others are separate engines
started from the same programs (:class:`matrix.dockerd.Engine`: own data, socket, bridge and
network namespace) with the course images loaded into them from one saved bundle. The work is cut
into jobs (a notebook under nbval together with its solution-mode run; test files packed into
chunks of about a minute and a half), handed out longest first, each job its own pytest run with
the project's safety plugin, so every check a serial run makes is made in each worker.

Where separate engines cannot be started (not root, no ``ip``/``unshare``/``nsenter``, no dockerd
on this machine: a Mac, Docker Desktop, a hub container) the same jobs run one after another on the
machine's engine, which is what ``make test`` did before.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "build" / "test"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
NBVAL = ["--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "--nbval-current-env"]
#: Suites ``make test`` leaves out (their own make targets run them).
#: tests/other_engines: for engines whose outputs the notebooks' stored ones are not (matrix row p), run by the matrix.
#: tests/hub: KubeSpawner's manifests from deploy/kubernetes/values.yaml, in the hub's venv (make hub-smoke).
NOT_IN_MAKE_TEST = ("tests/browser", "tests/reliability", "tests/other_engines", "tests/hub")
SOLUTION_TESTS = "tests/test_notebooks_solution_mode.py"
#: Tests that are about the machine itself (its set-up scripts, its engine, engines started beside
#: it): they run on worker 0 only, in the machine's own namespaces.
ON_THE_MACHINE = ("tests/test_setup_scripts.py", "tests/test_script_portability.py", "tests/engine/test_setup_idempotent.py",
                  "tests/engine/test_setup_commands.py", "tests/engine/test_split.py", "tests/engine/test_mirror.py")
#: Test files are packed into jobs of about this many seconds (each job is one pytest start-up
#: and one round of the safety plugin's set-up, a few seconds).
CHUNK_SECONDS = 90
DURATIONS = RESULTS / "durations.json"


@dataclass
class Job:
    """One pytest run: a notebook (nbval and solution mode) or a chunk of test files."""

    name: str
    paths: list[str]
    estimate: float
    on_the_machine: bool = False


@dataclass
class Outcome:
    job: Job
    worker: str
    code: int
    seconds: float
    summary: str
    log: Path


@dataclass
class Report:
    workers: list[str]
    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0
    set_up: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.code != 0]


# -- the jobs ---------------------------------------------------------------------------------

def _known_durations(path: Path | None = None) -> dict[str, float]:
    try:
        return json.loads((path or DURATIONS).read_text())
    except (OSError, ValueError):
        return {}


def _guess(path: Path) -> float:
    """Without a measured duration: a notebook's code cells, a test file's tests, scaled to seconds
    by rough rates (a scheduling hint only; the first run records real durations)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        return 4.0 * text.count('"cell_type": "code"')
    return 1.5 * len(re.findall(r"^\s*(?:async )?def test_", text, re.M))


def notebook_jobs(known: dict[str, float]) -> list[Job]:
    jobs = []
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        paths = [f"notebooks/{notebook.name}", f"{SOLUTION_TESTS}::test_solution_mode[{notebook.stem}]"]
        jobs.append(Job(notebook.stem, paths, known.get(notebook.stem, 2 * _guess(notebook))))
    return jobs


def test_files() -> list[str]:
    found = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        relative = str(path.relative_to(ROOT))
        if relative != SOLUTION_TESTS and not relative.startswith(NOT_IN_MAKE_TEST):
            found.append(relative)
    return found


def file_jobs(known: dict[str, float], chunk: float = CHUNK_SECONDS) -> list[Job]:
    """Test files packed into chunks of about ``chunk`` seconds, longest files first; the machine's own
    tests in chunks of their own."""
    jobs: list[Job] = []
    for on_the_machine in (False, True):
        files = [f for f in test_files() if (f in ON_THE_MACHINE) is on_the_machine]
        files.sort(key=lambda f: -known.get(f, _guess(ROOT / f)))
        current: list[str] = []
        total = 0.0
        for name in files:
            seconds = known.get(name, _guess(ROOT / name))
            if current and total + seconds > chunk:
                jobs.append(Job(_chunk_name(current), current, total, on_the_machine))
                current, total = [], 0.0
            current.append(name)
            total += seconds
        if current:
            jobs.append(Job(_chunk_name(current), current, total, on_the_machine))
    return jobs


def _chunk_name(files: list[str]) -> str:
    first = Path(files[0]).stem.removeprefix("test_")
    return first if len(files) == 1 else f"{first}+{len(files) - 1}"


def all_jobs() -> list[Job]:
    known = _known_durations()
    return sorted(notebook_jobs(known) + file_jobs(known), key=lambda j: -j.estimate)


#: ``make reliability`` split the same way: each notebook's idempotence run (a notebook twice in one kernel)
#: is a job for any engine; the other scenarios stop the machine's engine, kill its kernels or crowd it, so
#: they run on worker 0, one file a job. (The workshop scenario has its own target, ``make crowd``.)
RELIABILITY = "tests/reliability"
IDEMPOTENCE = f"{RELIABILITY}/test_idempotence.py"
RELIABILITY_RESULTS = RESULTS.parent / "reliability"
NOT_IN_MAKE_RELIABILITY = (f"{RELIABILITY}/test_workshop.py",)
#: Jobs that run after all others, with no second engine beside them. Stopping the machine's dockerd removes
#: /run/docker.sock, and Linux then detaches the other engines' sockets bind-mounted on that path in their clients'
#: mount namespaces; once it starts again, those clients reach the machine's engine (seen 6 December: notebooks
#: of a second engine built images on the machine's).
ALONE = ("engine_down",)


def reliability_jobs(modes: list[str], known: dict[str, float] | None = None) -> list[Job]:
    """The idempotence runs (one job per notebook and mode in ``modes``) and the machine's scenarios."""
    known = _known_durations(RELIABILITY_RESULTS / "durations.json") if known is None else known
    jobs = []
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        for mode in modes:
            name = f"idempotence-{notebook.stem}-{mode}"
            node = f"{IDEMPOTENCE}::test_run_twice_in_one_kernel[{notebook.stem}-{mode}]"
            jobs.append(Job(name, [node], known.get(name, 2 * _guess(notebook))))
    for path in sorted((ROOT / RELIABILITY).glob("test_*.py")):
        relative = str(path.relative_to(ROOT))
        if relative != IDEMPOTENCE and relative not in NOT_IN_MAKE_RELIABILITY:
            jobs.append(Job(path.stem.removeprefix("test_"), [relative], known.get(relative, _guess(path)), on_the_machine=True))
    return sorted(jobs, key=lambda j: -j.estimate)


# -- the workers ------------------------------------------------------------------------------

def can_start_engines() -> str | None:
    """None when separate engines can be started here, else why not (in words)."""
    if sys.platform != "linux":
        return "separate engines need Linux namespaces"
    if os.geteuid() != 0:
        return "separate engines need root (network and mount namespaces)"
    missing = [tool for tool in ("ip", "unshare", "nsenter", "iptables") if shutil.which(tool) is None]
    if missing:
        return f"missing {', '.join(missing)}"
    if _machine_programs() is None:
        return "no dockerd in /usr/bin or /usr/sbin to start a second engine from"
    if os.environ.get("DOCKER_HOST") or os.environ.get("DOCKER_CONTEXT"):
        return "DOCKER_HOST or DOCKER_CONTEXT names another engine; that engine alone is tested"
    return None


def _machine_programs() -> Path | None:
    """The folder whose usr/bin and usr/sbin hold the machine's engine (dockerd, containerd, runc)."""
    return Path("/") if any(Path(p).is_file() for p in ("/usr/sbin/dockerd", "/usr/bin/dockerd")) else None


def default_workers() -> int:
    """One worker per core: notebooks wait on the engine much of the time, but every container the
    suite starts, and each kernel, needs a core while it works."""
    return max(1, os.cpu_count() or 1)


class Worker:
    """Runs jobs against one engine: the machine's (``enter`` empty) or a separate one."""

    def __init__(self, name: str, engine=None):
        self.name = name
        self.engine = engine

    @property
    def on_the_machine(self) -> bool:
        return self.engine is None

    def command(self, job: Job, junit: Path, extra: list[str]) -> tuple[list[str], dict[str, str]]:
        pytest = [PYTHON, "-m", "pytest", *job.paths, *NBVAL, "-p", "no:cacheprovider", "-q", "-rfE",
                  f"--junitxml={junit}", *extra]
        if self.engine is None:
            return pytest, dict(os.environ)
        return [*self.engine.enter(), *pytest], self.engine.env()


def _summary(log_text: str) -> str:
    """pytest's last line (``12 passed in 40.1s``) and, on failure, its short summary."""
    lines = log_text.rstrip().splitlines()
    last = lines[-1].strip("= ") if lines else "no output"
    failures = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    safety = [line for line in lines if "SAFETY CHECK FAILED" in line or line.startswith("course resource left")]
    return "\n".join([last, *failures[:20], *safety])


def run(jobs: list[Job], workers: int, extra: list[str] = (), say=print, machine: bool = True,
        names: str = "t", results: Path = RESULTS) -> Report:
    """Run ``jobs`` on ``workers`` engines (worker 0 the machine's when ``machine``), in the order given.

    Jobs marked ``on_the_machine`` go to worker 0 only (without it they are reported as not run).
    The separate engines are named ``NAMES1``, ``NAMES2``...; logs, JUnit files and the measured
    durations go to ``results``.
    """
    from .dockerd import Engine
    from .run import course_bundle

    results.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    pool: list[Worker] = [Worker("w0")] if machine else []
    separate = workers - len(pool)
    engines = [Engine(f"{names}{i}", [_machine_programs()]) for i in range(1, separate + 1)]
    report = Report([])
    try:
        if engines:
            bundle = course_bundle(say)
            threads = [threading.Thread(target=_start, args=(e, bundle, say)) for e in engines]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            pool += [Worker(f"w{i}", e) for i, e in enumerate(engines, start=1 if machine else 0) if e.answers()]
        report.workers = [w.name for w in pool]
        report.set_up = round(time.monotonic() - started, 1)
        say(f"[split] {len(jobs)} jobs on {len(pool)} engines ({', '.join(_describe(w) for w in pool)}); "
            f"set-up {report.set_up:.0f} s")
        _hand_out(jobs, pool, list(extra), report, say, results)
    finally:
        for engine in engines:
            engine.remove()
    report.seconds = round(time.monotonic() - started, 1)
    _remember(report, results)
    return report


def _describe(worker: Worker) -> str:
    return f"{worker.name}: the machine's engine" if worker.on_the_machine else f"{worker.name}: new engine {worker.engine.name}"


def _start(engine, bundle: Path, say) -> None:
    try:
        engine.start()
        loaded = subprocess.run([*engine.enter(), PYTHON, "-m", "dockerlab", "images", "load", str(bundle)],
                                env=engine.env(), cwd=ROOT, capture_output=True, text=True, timeout=600)
        if loaded.returncode != 0:
            raise RuntimeError(f"the course images did not load: {loaded.stdout[-300:]}{loaded.stderr[-300:]}")
    except Exception as exc:  # one engine fewer is slower, not wrong
        say(f"[split] engine {engine.name} left out: {exc}")
        engine.remove()


def _hand_out(jobs: list[Job], pool: list[Worker], extra: list[str], report: Report, say, results: Path) -> None:
    waiting = list(jobs)
    lock = threading.Lock()

    def next_job(worker: Worker) -> Job | None:
        with lock:
            # Worker 0 takes the machine's own jobs first, so they never end the run alone.
            mine = [j for j in waiting if j.on_the_machine] if worker.on_the_machine else []
            fits = mine or [j for j in waiting if not j.on_the_machine]
            if not fits:
                return None
            waiting.remove(fits[0])
            return fits[0]

    def work(worker: Worker) -> None:
        while (job := next_job(worker)) is not None:
            outcome = _run_job(job, worker, extra, results)
            with lock:
                report.outcomes.append(outcome)
            verdict = "passed" if outcome.code == 0 else f"FAILED (exit {outcome.code}, log {outcome.log})"
            say(f"[{worker.name}] {job.name}: {verdict} in {outcome.seconds:.0f} s; {outcome.summary.splitlines()[0]}")

    threads = [threading.Thread(target=work, args=(w,)) for w in pool]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if waiting:  # only jobs that need the machine's engine, with no worker 0 to take them
        say(f"[split] not run (they need the machine's own engine): {', '.join(j.name for j in waiting)}")
        report.outcomes += [Outcome(j, "-", 4, 0.0, "not run: needs the machine's own engine", results / "none") for j in waiting]


def _run_job(job: Job, worker: Worker, extra: list[str], results: Path) -> Outcome:
    log, junit = results / f"{job.name}.log", results / f"{job.name}.xml"
    junit.unlink(missing_ok=True)
    command, env = worker.command(job, junit, extra)
    started = time.monotonic()
    with open(log, "w") as out:
        out.write(f"# {worker.name}: {' '.join(command)}\n")
        out.flush()
        code = subprocess.run(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT).returncode
    seconds = time.monotonic() - started
    return Outcome(job, worker.name, code, round(seconds, 1), _summary(log.read_text(errors="replace")), log)


def _remember(report: Report, results: Path) -> None:
    """Measured durations for the next run's order: per notebook job, per test file (from the JUnit files)."""
    known = _known_durations(results / DURATIONS.name)
    for outcome in report.outcomes:
        junit = results / f"{outcome.job.name}.xml"
        if outcome.job.paths[0].endswith(".ipynb") or "::" in outcome.job.paths[0]:  # a notebook, or one test
            known[outcome.job.name] = outcome.seconds
        elif junit.exists():
            cases = [(case.get("classname") or "", float(case.get("time") or 0)) for case in ET.parse(junit).getroot().iter("testcase")]
            for path in outcome.job.paths:
                module = path.removesuffix(".py").replace("/", ".")
                known[path] = round(sum(t for c, t in cases if c == module or c.startswith(module + ".")), 1)
    (results / DURATIONS.name).write_text(json.dumps(known, indent=1, sort_keys=True) + "\n")


def counts(report: Report) -> dict[str, int]:
    """Tests passed, failed (errors included) and skipped over every job, from their JUnit files."""
    found = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in report.outcomes:
        junit = outcome.log.with_suffix(".xml")
        if not junit.exists():
            continue
        for case in ET.parse(junit).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                found["failed"] += 1
            elif case.find("skipped") is not None:
                found["skipped"] += 1
            else:
                found["passed"] += 1
    return found


def print_report(report: Report, say=print) -> None:
    say("")
    for worker in report.workers:
        done = [o for o in report.outcomes if o.worker == worker]
        say(f"{worker}: {len(done)} jobs, busy {sum(o.seconds for o in done):.0f} s")
    for outcome in report.failed:
        say(f"\nFAILED {outcome.job.name} on {outcome.worker} ({', '.join(outcome.job.paths)}):\n{outcome.summary}")
    tally = ", ".join(f"{n} {what}" for what, n in counts(report).items() if n)
    where = report.outcomes[0].log.parent if report.outcomes else RESULTS
    say(f"\nlogs and JUnit files of every job: {where}")
    # pytest's own last-line shape, so whatever reads a pytest run's result (bench/suite.py) reads this one
    say(f"==== {tally or 'no tests ran'} in {report.seconds:.1f}s ({len(report.outcomes)} jobs, "
        f"{len(report.failed)} failed, on {len(report.workers)} engines side by side) ====")
