"""A classroom on one engine: ``DOCKERLAB_CROWD`` learners (default 10) run notebooks 03, 04 and 05
in solution mode at the same time, each as a separate user would: their own copy of the course
folder, their own state directory (so no lock file is shared by accident) and progress file, a
fresh kernel per notebook (papermill).

Passes when every run ends, every exercise passes for everyone, no cell met a name or port that
another learner held (the Conflict / port-allocated messages a collision causes appear nowhere
except in notebook 05's cell that provokes one on purpose, and where a learner's own name is reused
on purpose, as notebook 04 does to show exit code 125), and nothing of any learner's session is left
on the engine. Nobody sees or removes another's things: no cell's output names another learner's
session (except notebook 04's live table of every course container, which does so by design), and two
sentinel learners outside the crowd (one on this machine, its live session in every learner's state
folder; one as if on another machine) keep their container, network, volume and image tag untouched.

Measured and written to ``crowd-N.json`` in the report folder: each notebook's run time (min, median,
max over the learners), each learner's, the whole run's, and the box's memory in use (MemTotal -
MemAvailable, sampled every second) with dockerd's and containerd's RSS. ``make crowd`` runs it with
30 learners. No timing is asserted; only the bound that detects a hang (``DOCKERLAB_CROWD_BOUND``).

The engine is watched throughout: a ping every few seconds, each bounded. If pings stop answering
(the libnetwork deadlock seen on this machine once), the test captures dockerd's goroutine stacks
(SIGUSR1) and fails with them, rather than waiting or working around it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

import harness
from dockerlab import exercises

LEARNERS = int(os.environ.get("DOCKERLAB_CROWD", "10"))
NOTEBOOKS = [nb for nb in ("03-first-image.ipynb", "04-running-containers.ipynb", "05-ports-and-web-apps.ipynb")
             if (harness.NOTEBOOKS / nb).exists()]
BOUND = float(os.environ.get("DOCKERLAB_CROWD_BOUND", "1500"))
#: Cells that list every learner's course containers on purpose (notebook 04's live table of the engine's course
#: containers, `ContainersTable(course_only=True)`): their output names classmates' sessions by design.
LISTS_EVERYONE = ("ContainersTable(",)
COLLISION = re.compile(r"Conflict\. The container name|port is already allocated|address already in use")


class EngineWatch(threading.Thread):
    """Pings the engine every 3 s (10 s bound each); on a stuck ping, dumps dockerd's goroutines."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.slowest = 0.0
        self.stuck: str | None = None

    def run(self) -> None:
        while not self.stop.wait(3):
            started = time.monotonic()
            ok = harness.ping(timeout=10)
            took = time.monotonic() - started
            self.slowest = max(self.slowest, took)
            if not ok and self.stuck is None:
                pid = harness._engine_pid()
                dump = harness.goroutine_dump(pid) if pid else "(no dockerd pid to signal)"
                self.stuck = f"the engine did not answer a ping within 10 s ({took:.0f} s); goroutine stacks: {dump}"


def _taken_by_itself(text: str, own: set[str]) -> bool:
    """A name conflict with a container of the same session (notebook 04 reuses a name on purpose to show
    exit code 125): the learner's own doing, not another learner's name. Another learner's container
    would carry that learner's session id, and a name without one is a collision waiting to happen."""
    names = re.findall(r'The container name "/([^"]+)" is already in use', text)
    return bool(names) and all(harness.session_ids_in(name) and harness.session_ids_in(name) <= own for name in names)


def _outputs(nb_path: Path) -> list[tuple[str, str]]:
    cells = []
    for cell in nbformat.read(nb_path, as_version=4).cells:
        if cell.cell_type == "code":
            text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) + "\n".join(o.get("traceback", []))
                           for o in cell.outputs)
            cells.append((cell.source, text))
    return cells


def _report_dir() -> Path:
    import tempfile

    path = Path(os.environ.get("DOCKERLAB_RELIABILITY_REPORT") or Path(tempfile.gettempdir()) / "dockerlab-reliability")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.mark.skipif(not NOTEBOOKS, reason="notebooks 03-05 are not there")
def test_a_classroom_on_one_engine(tmp_path, record):
    homes = []
    for number in range(LEARNERS):
        home = tmp_path / f"learner{number:02d}"
        homes.append((home, harness.learner_folder(home, [harness.NOTEBOOKS / nb for nb in NOTEBOOKS])))
    # Two learners outside the crowd work beside it: one on this machine (its live session is in every
    # learner's state folder, its lock held), one on another machine (no state file). Neither may lose anything.
    sentinels = [harness.Sentinel([home / "state" for home, _ in homes], live=True), harness.Sentinel(live=False)]
    watch = EngineWatch()
    procs = []
    try:
        for sentinel in sentinels:
            sentinel.make()
        watch.start()
        with harness.MemorySampler() as memory:
            started = time.monotonic()
            for home, folder in homes:
                env = {**os.environ, "DOCKERLAB_STATE": str(home / "state"), "DOCKERLAB_PROGRESS": str(home / "progress.json")}
                log = open(home / "papermill.log", "w")  # noqa: SIM115 - closed below
                proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("crowd_learner.py")), str(folder),
                                         str(home / "runs.json"), *NOTEBOOKS], env=env, stdout=log, stderr=subprocess.STDOUT)
                procs.append((home, folder, proc, log))
            for home, _folder, proc, log in procs:
                left = BOUND - (time.monotonic() - started)
                try:
                    proc.wait(timeout=max(left, 1))
                except subprocess.TimeoutExpired:
                    proc.kill()
                log.close()
                if watch.stuck:
                    break
            wall = time.monotonic() - started
        untouched = [change for sentinel in sentinels for change in sentinel.changes()]
    finally:
        for _home, _folder, proc, _log in procs:
            if proc.poll() is None:
                proc.kill()
        watch.stop.set()
        watch.join(timeout=15)
        for sentinel in sentinels:
            sentinel.remove()
    assert watch.stuck is None, f"ENGINE HUNG under {LEARNERS} learners: {watch.stuck}"

    problems, sids, seconds = list(untouched), set(), []
    per_notebook: dict[str, list[float]] = {nb: [] for nb in NOTEBOOKS}
    per_learner: list[float] = []
    owners: dict[str, str] = {s.id: f"sentinel {s.names['container']}" for s in sentinels}
    texts: list[tuple[str, str, str, str]] = []  # (learner, notebook, first line of the cell, its output)
    listings = 0  # outputs of LISTS_EVERYONE cells (they show others' container names by design)
    for home, folder, proc, _log in procs:
        who = home.name
        runs = json.loads((home / "runs.json").read_text()) if (home / "runs.json").exists() else []
        if proc.returncode != 0 or len(runs) != len(NOTEBOOKS):
            problems.append(f"{who}: did not finish (exit {proc.returncode}, {len(runs)} notebooks); see {home / 'papermill.log'}")
        per_learner.append(sum(run["seconds"] for run in runs))
        for run in runs:
            seconds.append(run["seconds"])
            per_notebook[run["notebook"]].append(run["seconds"])
            if run["error"]:
                problems.append(f"{who} {run['notebook']}: {run['error'][:400]}")
            out = folder / f"out-{run['notebook']}"
            if not out.exists():
                continue
            own: set[str] = set()  # this run's session ids
            for source, text in _outputs(out):
                if "lesson.name(" in source or "lesson.session" in source:  # the learner's own names, not a listing
                    own |= harness.session_ids_in(text)
                if COLLISION.search(text) and not _taken_by_itself(text, own) and "clash = lesson.name" not in source:
                    problems.append(f"{who} {run['notebook']}: a collision in {source.splitlines()[0][:60]!r}: "
                                    f"{COLLISION.search(text).group(0)}")
                if any(marker in source for marker in LISTS_EVERYONE):
                    listings += 1
                else:
                    texts.append((who, run["notebook"], (source.splitlines() or [""])[0][:60], text))
            sids |= own
            owners.update({sid: who for sid in own})
        records = json.loads((home / "progress.json").read_text()).get("exercises", {}) if (home / "progress.json").exists() else {}

        wanted = {e.id for nb in NOTEBOOKS for e in exercises.of_lesson(nb.removesuffix(".ipynb"))}
        missing = wanted - {e for e, r in records.items() if r.get("passed")}
        if missing:
            problems.append(f"{who}: exercises not passed: {sorted(missing)}")
    # Nobody sees another's things: no output of a learner names a session of another learner (or a sentinel's).
    for who, notebook, first, text in texts:
        foreign = {sid: owners[sid] for sid in harness.session_ids_in(text) if sid in owners and owners[sid] != who}
        if foreign:
            problems.append(f"{who} {notebook}: {first!r} shows another's session(s): {foreign}")
    harness.SEEN.update(sids)
    left = harness.resources_of(sids)
    if left:
        problems.append(f"left on the engine: {left}")
    mem = memory.summary()
    if mem.get("peak_mib") is not None and mem["peak_mib"] >= mem["total_mib"]:
        problems.append(f"memory: peak {mem['peak_mib']} MiB reached the box's {mem['total_mib']} MiB")
    measured = {"learners": LEARNERS, "notebooks": NOTEBOOKS, "wall_s": round(wall, 1),
                "per_notebook_s": {nb: harness.spread(v) for nb, v in per_notebook.items()},
                "per_learner_s": harness.spread(per_learner), "memory": mem, "slowest_ping_s": round(watch.slowest, 1),
                "machine": harness.machine(), "problems": problems, "when": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    (_report_dir() / f"crowd-{LEARNERS}.json").write_text(json.dumps(measured, indent=1))
    runs = LEARNERS * len(NOTEBOOKS)
    outcome = (f"all {runs} runs passed every exercise; no name or port collision; no learner's output showed "
               f"another's session (except {listings} live table(s) of every course container, by design); both sentinels untouched" if not problems else
               f"{len(problems)} problem(s): " + "; ".join(p[:160] for p in problems[:20]))
    times = "; ".join(f"{nb[:2]} {v['min']:.0f}/{v['median']:.0f}/{v['max']:.0f} s" for nb, v in measured["per_notebook_s"].items() if v)
    record(f"Crowd: {LEARNERS} learners", f"{LEARNERS} parallel papermill runs of {', '.join(n[:2] for n in NOTEBOOKS)} (solution "
           "mode), each with its own folder, state and progress file, beside two sentinel learners' things",
           f"{outcome}; nothing of {len(sids)} sessions left; slowest engine ping {watch.slowest:.1f} s; notebook times "
           f"min/median/max {times}; per learner {measured['per_learner_s'].get('median', 0):.0f} s median; memory in use "
           f"{mem.get('baseline_mib')} -> peak {mem.get('peak_mib')} of {mem.get('total_mib')} MiB, dockerd RSS "
           f"{mem.get('dockerd_start_mib')} -> {mem.get('dockerd_peak_mib')} MiB", wall)
    assert not problems, f"{len(problems)} problem(s) with {LEARNERS} learners:\n" + "\n".join(problems)
