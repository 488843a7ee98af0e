"""``dockerlab prepare``: an instructor's run before a workshop.

1. every course image present (:func:`dockerlab.images.ensure`: pulled, else built offline);
2. an image bundle for machines without a registry (:func:`dockerlab.images.save`);
3. every notebook once in solution mode (papermill, its own progress file): each must run to the
   end with every exercise passing and leave nothing on the engine; its time is measured;
4. a checklist: disk, memory, CPUs, the host ports the lessons ask for, time per notebook, the
   bundle and how learners load it.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dockerlab.classroom import runner
from dockerlab.exercises.course import PACKAGE
from dockerlab import sizes

Report = Callable[[str], None]


def select(notebooks: list[Path], wanted: str | None) -> list[Path]:
    """Notebooks whose number or name is in the comma list ``wanted`` (``"00,03"``), or all."""
    if not wanted:
        return notebooks
    keys = [w.strip() for w in wanted.split(",") if w.strip()]
    chosen = [nb for nb in notebooks if any(nb.stem == k or nb.stem.split("-", 1)[0] == k.zfill(2) for k in keys)]
    if not chosen:
        from dockerlab import errors

        raise errors.DockerlabError(f"No notebook matches --notebooks {wanted}.", "Give numbers like 00,03 or names like 03-first-image.")
    return chosen


def run_notebooks(notebooks: list[Path], *, timeout: int, report: Report) -> list[tuple[runner.Run, list[str]]]:
    """Run each notebook in solution mode; return each run with the exercises that did not pass."""
    from dockerlab.record import progress
    from dockerlab import exercises

    results = []
    scratch = Path(tempfile.mkdtemp(prefix="dockerlab-prepare-"))
    for position, notebook in enumerate(notebooks, 1):
        report(f"[{position}/{len(notebooks)}] {notebook.stem} (solution mode) ...")
        progress_file = scratch / f"{notebook.stem}.progress.json"
        place = runner.Place(cwd=_working_folder(notebook.parent, scratch), log=scratch / f"{notebook.stem}.jsonl", progress=progress_file)
        run = runner.execute(notebook, scratch / notebook.name, runner.PREPARING, place, timeout=timeout)
        records = progress.load(progress_file)
        failed = [e.id for e in exercises.of_lesson(run.lesson or notebook.stem) if not records.get(e.id, {}).get("passed")]
        verdict = "passed" if run.ok and not failed and not run.left else "FAILED"
        report(f"      {verdict} in {run.seconds:.0f} s")
        for problem in run.errors[:3]:
            report(f"      error: {problem}")
        if failed:
            report(f"      exercises not passing: {', '.join(failed)}")
            for check in [c for c in run.checks if c["exercise"] in failed and c.get("unmet")][-3:]:
                reason = check["unmet"][0]["reason"] or check["unmet"][0]["description"]
                report(f"      {check['exercise']}: {reason[:200]}")
        if run.left:
            report(f"      left on the engine: {', '.join(run.left)}")
        results.append((run, failed))
    if all(run.ok and not failed and not run.left for run, failed in results):
        shutil.rmtree(scratch, ignore_errors=True)
    else:
        report(f"      executed notebooks kept for a look in {scratch}")
    return results


def _working_folder(course: Path, scratch: Path) -> Path:
    """Where a course notebook runs: its own folder in a clone (as in JupyterLab; the lessons' ``work/``
    there is git-ignored), else, for the copy inside an installed package, a folder of the run's own with
    the course's ``figures/`` (an installed package is no place for a lesson's files)."""
    if not course.is_relative_to(PACKAGE):
        return course
    folder = scratch / "course"
    if not folder.exists():
        folder.mkdir()
        if (course / "figures").is_dir():
            (folder / "figures").symlink_to(course / "figures")
    return folder


def lesson_ports(course: Path | None = None) -> dict[int, list[str]]:
    """Host ports the lessons ask for by number (``lesson.port(8080)``), with the lessons asking."""
    course = course or runner.course_dir()
    found: dict[int, list[str]] = {}
    pattern = re.compile(r"\bport\((\d{2,5})\)|PREFERRED_PORT\s*=\s*(\d{2,5})")
    sources = [(nb.stem, nb.read_text(encoding="utf-8")) for nb in sorted(course.glob("[0-9][0-9]-*.ipynb"))]
    exercises = Path(__file__).resolve().parents[1] / "exercises"
    sources += [(py.stem, py.read_text(encoding="utf-8")) for py in sorted(exercises.glob("nb*.py"))]
    for name, source in sources:
        for match in pattern.finditer(source):
            port = int(match.group(1) or match.group(2))
            lesson = re.sub(r"^nb(\d\d)_(.*)$", lambda m: f"{m.group(1)}-{m.group(2).replace('_', '-')}", name)
            if lesson not in found.setdefault(port, []):
                found[port].append(lesson)
    return dict(sorted(found.items()))


def _memory() -> str:
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines() if ":" in line)
        total, available = (int(info[k].split()[0]) * 1024 for k in ("MemTotal", "MemAvailable"))
        return f"{available / 1e9:.1f} GB available of {total / 1e9:.1f} GB"
    except (OSError, KeyError, ValueError):
        return "unknown (no /proc/meminfo)"


def checklist(runs, bundle: Path | None, course: Path | None = None) -> list[str]:
    from dockerlab.services import build
    from dockerlab import engine
    from dockerlab.jupyter import lesson

    try:
        root = engine.client().info().get("DockerRootDir") or "/var/lib/docker"
    except Exception:  # noqa: BLE001 - the doctor reports the engine itself
        root = "/var/lib/docker"
    where = root if os.path.exists(root) else str(Path.home())
    lines = [
        f"free disk      {shutil.disk_usage(where).free / 1e9:.1f} GB at {where} (the course needs about 5 GB)",
        f"memory         {_memory()} (containers the helper starts are limited to 256 MB each)",
        f"CPUs           {os.cpu_count()}",
        "ports          the lessons ask for these host ports (127.0.0.1 only); a taken one makes the lesson use the next free one:",
    ]
    for port, lessons in lesson_ports(course).items():
        state = "free now" if lesson.port_is_free(port) else "TAKEN now"
        lines.append(f"                 {port:<6} {state:<10} {', '.join(lessons)}")
    lines.append("               JupyterLab (make lab) listens on 8888 (LAB_PORT changes it); other lessons publish on ephemeral ports")
    if runs:
        lines.append("time per notebook, measured in this run (kernel start included; a learner reading takes far longer):")
        for run, failed in runs:
            state = "ok" if run.ok and not failed and not run.left else "FAILED"
            lines.append(f"                 {run.output.stem:<28} {run.seconds:5.0f} s  {state}")
        lines.append(f"                 {'all':<28} {sum(r.seconds for r, _ in runs):5.0f} s")
    else:
        lines.append("time per notebook  not measured (--no-run)")
    if bundle is not None and bundle.exists():
        lines.append(f"image bundle   {bundle} ({sizes.decimal(bundle.stat().st_size)}). Copy it to each learner's machine "
                     f"(USB stick, file share), then there: dockerlab images load {bundle.name}   (or: docker load -i {bundle.name})")
    else:
        lines.append("image bundle   not written (--no-bundle)")
    return lines


def prepare(*, bundle: Path | None, run: bool, notebooks: str | None = None, timeout: int = 900,
            offline: bool = False, report: Report = print) -> int:
    """Do the four steps; return 0 when every notebook passed (or none ran), else 1."""
    from dockerlab.services import images

    started = time.monotonic()
    report("== 1. course images ==")
    final = images.ensure(offline=True if offline else None, report=lambda line: report("   " + line))
    missing = [s.spec.name for s in final if s.state == "missing"]
    if missing:
        report(f"   MISSING: {', '.join(missing)}")
    report("== 2. image bundle ==")
    if bundle is not None and not missing:
        images.save(bundle, report=lambda line: report("   " + line))
    else:
        report("   skipped" + (" (--no-bundle)" if bundle is None else " (images missing)"))
        bundle = None
    report("== 3. notebooks in solution mode ==")
    runs = []
    if run:
        chosen = select(sorted(runner.course_dir().glob("[0-9][0-9]-*.ipynb")), notebooks)
        runs = run_notebooks(chosen, timeout=timeout, report=lambda line: report("   " + line))
    else:
        report("   skipped (--no-run)")
    report("== 4. checklist ==")
    for line in checklist(runs, bundle):
        report("   " + line)
    failed = missing or any(not r.ok or f or r.left for r, f in runs)
    report(f"\n{'NOT READY: see the FAILED / MISSING lines above.' if failed else 'Ready for the workshop.'} "
           f"({time.monotonic() - started:.0f} s)")
    return 1 if failed else 0
