"""Run a row: start its engine, give it the course images, run the notebooks, keep the results.

Every row runs the same stored notebooks, under nbval (learner mode: the stored outputs are
compared) and with papermill in solution mode (every exercise must pass), plus the row's own
test files. Results go to build/matrix/ROW.json (and ROW.xml, pytest's JUnit file).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .dockerd import Engine
from .rows import Row

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "build" / "matrix"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
NBVAL = ["--nbval", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "--nbval-current-env"]


@dataclass
class Result:
    row: str
    title: str
    engine: dict = field(default_factory=dict)
    notebooks: dict = field(default_factory=dict)  # name -> {"cells": n, "failed": [..], "solution": bool|None}
    tests: dict = field(default_factory=dict)  # {"passed": n, "failed": [...]}
    seconds: dict = field(default_factory=dict)  # part -> seconds
    passed: bool = False
    machine: str = ""


def notebooks_of(row: Row) -> list[Path]:
    every = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    return [p for p in every if not row.notebooks or p.name.startswith(row.notebooks)]


def test_files(row: Row) -> list[str]:
    """The row's test files, patterns expanded (``tests/engine/test_claims_*.py``)."""
    found: list[str] = []
    for pattern in row.tests:
        found += sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(pattern)) if "*" in pattern else [pattern]
    return found


#: Learner mode for a row that does not compare stored outputs (Row.outputs False).
CELLS_RUN = "tests/other_engines/test_notebooks_cells_run.py"

#: What `make test` runs, for a row run with ``suite=True``: the whole suite on the row's engine.
WHOLE_SUITE = ["tests", "--ignore=tests/browser", "--ignore=tests/reliability"]


def pytest_command(row: Row, junit: Path, extra: list[str] = (), python: str = PYTHON, suite: bool = False) -> list[str]:
    chosen = notebooks_of(row)
    solution = [f"tests/test_notebooks_solution_mode.py::test_solution_mode[{p.stem}]" for p in chosen]
    tests = WHOLE_SUITE if suite else [*solution, *test_files(row)]
    if row.outputs:
        learner = [str(p.relative_to(ROOT)) for p in chosen]
    else:  # every cell run and judged without the stored outputs; nbval's comparison is not wanted
        learner = [f"{CELLS_RUN}::test_cell[{p.stem}-cell{n}]" for p in chosen for n in range(_code_cells(p))]
        learner += [f"{CELLS_RUN}::test_checks_say_not_yet[{p.stem}]" for p in chosen]
    return [python, "-m", "pytest", *learner, *tests, *NBVAL,
            "-p", "no:cacheprovider", "-q", f"--junitxml={junit}", *extra]


def _code_cells(notebook: Path) -> int:
    return sum(cell["cell_type"] == "code" for cell in json.loads(notebook.read_text())["cells"])


def unmet(row: Row, facts: dict) -> list[str]:
    """How the engine differs from what the row claims it is (empty: it is that engine)."""
    return [f"row {row.key} expects {name} to contain {wanted!r}, the engine says {facts.get(name)!r}"
            for name, wanted in row.expect.items() if wanted not in str(facts.get(name))]


def engine_facts(env: dict, prefix: list[str] = ()) -> dict:
    """What the engine and CLI say of themselves (docker version / info, plugin versions)."""
    def ask(*args: str) -> str:
        done = subprocess.run([*prefix, "docker", *args], env=env, capture_output=True, text=True, timeout=60)
        return done.stdout.strip()

    version = json.loads(ask("version", "--format", "{{json .}}") or "{}")
    info = json.loads(ask("info", "--format", "{{json .}}") or "{}")
    server = version.get("Server") or {}
    store = dict(info.get("DriverStatus") or [])
    return {
        "engine": server.get("Version"),
        "api": server.get("ApiVersion"),
        "components": {c["Name"]: c["Version"] for c in server.get("Components") or []},
        "cli": (version.get("Client") or {}).get("Version"),
        "buildx": ask("buildx", "version"),
        "compose": ask("compose", "version", "--short"),
        "storage": info.get("Driver"),
        "image_store": "containerd" if store.get("driver-type") == "io.containerd.snapshotter.v1" else "classic (graph driver)",
        "cgroup": f"v{info.get('CgroupVersion')} ({info.get('CgroupDriver')})",
        "os": info.get("OperatingSystem"),
        "kernel": info.get("KernelVersion"),
        "where": ask_where(env, prefix),
    }


def ask_where(env: dict, prefix: list[str]) -> str:
    """Where the notebooks' processes find the engine, as the course itself decides it (the doctor's line)."""
    done = subprocess.run([*prefix, PYTHON, "-c", "from dockerlab.engine import kind as k; print(k.LOCATIONS[k.current().location])"],
                          env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    return done.stdout.strip() or done.stderr.strip()[-200:]


def read_junit(path: Path, result: Result) -> None:
    """Per notebook: cells compared and the ones that failed; solution mode passed or not; other tests."""
    failed_tests, passed_tests = [], 0
    for case in ET.parse(path).getroot().iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        name, classname = case.get("name", ""), case.get("classname", "")
        if classname.startswith("notebooks.") or "ipynb" in classname:
            stem = classname.removeprefix("notebooks.").removesuffix(".ipynb")
            entry = result.notebooks.setdefault(stem, {"cells": 0, "failed": [], "solution": None})
            entry["cells"] += 1
            if bad:
                entry["failed"].append(name)
        elif name.startswith("test_cell["):  # a row that runs the cells without comparing their outputs
            stem, _, number = name[len("test_cell["):-1].rpartition("-cell")
            entry = result.notebooks.setdefault(stem, {"cells": 0, "failed": [], "solution": None})
            entry["cells"] += 1
            if bad:
                entry["failed"].append(f"Cell {number}")
            elif skipped:
                entry.setdefault("skipped", []).append({"cell": f"Cell {number}", "why": case.find("skipped").get("message", "")})
        elif name.startswith("test_checks_say_not_yet[") and bad:
            stem = name.split("[", 1)[1].rstrip("]")
            result.notebooks.setdefault(stem, {"cells": 0, "failed": [], "solution": None})["failed"].append("its checks in learner mode")
        elif "test_solution_mode[" in name:
            stem = name.split("[", 1)[1].rstrip("]")
            result.notebooks.setdefault(stem, {"cells": 0, "failed": [], "solution": None})["solution"] = not bad and not skipped
        elif bad:
            failed_tests.append(f"{classname}::{name}")
        elif not skipped:
            passed_tests += 1
    result.tests = {"passed": passed_tests, "failed": failed_tests}


def give_images(row: Row, engine: Engine, say=print) -> None:
    env = engine.env()
    if row.images == "ensure":
        command = [PYTHON, "-m", "dockerlab", "images", "ensure"]
    else:
        command = [PYTHON, "-m", "dockerlab", "images", "load", str(course_bundle(say))]
    if stream([*engine.enter(), *command], env=env, tag=row.key, say=say) != 0:
        raise RuntimeError(f"row {row.key}: the course images could not be put on the engine (see above)")


def course_bundle(say=print) -> Path:
    """The default engine's course images in one file (``dockerlab images save``), made once per set of
    image ids: rows side by side share it, and a rebuilt stand-in makes a new one."""
    env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    names = subprocess.run([PYTHON, "-c", "from dockerlab.services.images.manifest import load_manifest; "
                            "print(' '.join(s.name for s in load_manifest()))"], env=env, cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    ids = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", *names], env=env,
                         capture_output=True, text=True, check=True).stdout
    RESULTS.mkdir(parents=True, exist_ok=True)
    bundle = RESULTS / f"course-images-{hashlib.sha256(ids.encode()).hexdigest()[:12]}.tar"
    with open(RESULTS / "course-images.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not bundle.exists():
            for old in RESULTS.glob("course-images-*.tar"):
                old.unlink()
            partial = bundle.with_suffix(".partial")
            subprocess.run([PYTHON, "-m", "dockerlab", "images", "save", str(partial)], env=env, check=True, cwd=ROOT)
            partial.rename(bundle)
    return bundle


def run_row(row: Row, name: str | None = None, extra: list[str] = (), say=print, suite: bool = False) -> Result:
    """Run one row start to end; the engine (if the row starts one) is removed afterwards.

    Args:
        suite: Run the whole of ``make test`` there, not only the notebooks and the engine claims.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = Result(row.key, row.title, machine=_machine())
    junit = RESULTS / f"{row.key}.xml"
    for old in (junit, RESULTS / f"{row.key}.log"):
        old.unlink(missing_ok=True)
    started = time.monotonic()
    if row.kind == "default":
        result.engine = engine_facts(dict(os.environ))
        code = _pytest(row, junit, extra, dict(os.environ), [], result, say, suite)
    elif row.kind == "separate":
        engine = row.engine(name or f"row-{row.key}", say)
        say(f"[{row.key}] starting the engine ({', '.join(p.name for p in engine.programs)})")
        with engine.running():
            result.seconds["engine start"] = round(time.monotonic() - started, 1)
            # Row d's notebooks run in a PID namespace of their own: the engine's processes are not theirs to see.
            prefix = [*engine.enter(), *(["unshare", "--pid", "--fork", "--mount-proc", "--"] if row.hidden else [])]
            result.engine = engine_facts(engine.env(), prefix)
            mark = time.monotonic()
            give_images(row, engine, say)
            result.seconds["images"] = round(time.monotonic() - mark, 1)
            code = _pytest(row, junit, extra, engine.env(), prefix, result, say, suite)
    else:
        from . import vm

        code = vm.run_row(row, junit, extra, result, say)
    result.seconds["total"] = round(time.monotonic() - started, 1)
    if junit.exists():
        read_junit(junit, result)
    result.tests.setdefault("failed", []).extend(unmet(row, result.engine))
    result.passed = (code == 0 and not result.tests["failed"] and bool(result.notebooks)
                     and all(not n["failed"] and n["solution"] for n in result.notebooks.values()))
    (RESULTS / f"{row.key}.json").write_text(json.dumps(asdict(result), indent=1))
    return result


def _pytest(row: Row, junit: Path, extra, env: dict, prefix: list[str], result: Result, say, suite: bool = False) -> int:
    command = [*prefix, *pytest_command(row, junit, list(extra), suite=suite)]
    say(f"[{row.key}] {' '.join(command[len(prefix):])}")
    mark = time.monotonic()
    code = stream(command, env={**env, "PYTHONUNBUFFERED": "1"}, tag=row.key, say=say)
    result.seconds["tests"] = round(time.monotonic() - mark, 1)
    return code


def stream(command: list[str], env: dict, tag: str, say=print) -> int:
    """Run ``command``, saying each line of its output as it comes, prefixed ``[tag]`` (rows run side by
    side print into one log), and keeping it all in build/matrix/TAG.log."""
    with open(RESULTS / f"{tag}.log", "a") as log, subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            say(f"[{tag}] {line.rstrip()}")
    return process.returncode


def _machine() -> str:
    cores = os.cpu_count()
    memory = int(Path("/proc/meminfo").read_text().split()[1]) // (1024 * 1024)
    system = "unknown"
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                system = line.split("=", 1)[1].strip('"')
    return f"{system}, {cores} cores, {memory} GiB, kernel {os.uname().release}, Python {sys.version.split()[0]}"
