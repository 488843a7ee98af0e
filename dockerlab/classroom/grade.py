"""``dockerlab grade DIR``: run every learner's notebooks in learner mode, report learner x exercise.

Layout of DIR, one entry per learner (hidden entries and names starting with ``_`` are skipped)::

    DIR/<learner>/*.ipynb     a folder per learner: every notebook directly in it
    DIR/<learner>.ipynb       or a single notebook, named after the learner

Each notebook runs as handed in (the learner's own cells are what is graded) with ``MODE =
"learner"`` forced and the course's ``%%solution`` cells emptied, in a fresh kernel, in a working
folder of its own (with the course's ``figures/``), every cell even after one fails. A learner's
notebooks share one progress file (their kernels' ``$DOCKERLAB_PROGRESS``), as on their own
machine. An exercise is *passed* or *not yet* by its latest check, *solved with help* when it passed after
the learner's notebook ran its worked solution (``lesson.solve``); *not attempted* when its check
never ran (no notebook of that lesson, or the notebook stopped before the check cell); *could not
check* when no engine answered.

Concept questions (``lesson.ask``) are columns like exercises, judged by the same record: only an answer
given in code, ``lesson.ask("02.q-docker-group", answer="b")``, is graded (a re-run notebook has nobody
to click its buttons); a question of a handed-in lesson never answered in code is *not attempted*, 0 points.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dockerlab import errors
from dockerlab.checks import questions
from dockerlab.classroom import runner
from dockerlab.classroom.points import SOLVED_WITH_HELP

STATES = ("passed", SOLVED_WITH_HELP, "not yet", "not attempted", "could not check")


@dataclass
class Cell:
    """One learner's standing on one exercise."""

    state: str
    met: int = 0
    total: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Learner:
    name: str
    notebooks: list[Path]
    runs: list[runner.Run] = field(default_factory=list)
    records: dict[str, dict] = field(default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    built: list[str] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for cell in self.cells.values() if cell.state == state)

    @property
    def errors(self) -> list[str]:
        problems = [f"{run.notebook}: {error}" for run in self.runs for error in run.errors]
        if not self.notebooks:
            problems.append("no notebook found")
        return problems


@dataclass
class Grades:
    learners: list[Learner]
    exercises: list[tuple[str, str]]
    seconds: float
    notes: list[str] = field(default_factory=list)


def submissions(folder: Path) -> dict[str, list[Path]]:
    """Learner name -> notebooks, from the layout described above."""
    if not folder.is_dir():
        raise errors.DockerlabError(f"{folder} is not a folder.", "Give the folder that holds one sub-folder (or notebook) per learner.")
    found: dict[str, list[Path]] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            found[entry.name] = sorted(p for p in entry.glob("*.ipynb") if p.is_file())
        elif entry.suffix == ".ipynb":
            found.setdefault(entry.stem, []).append(entry)
    if not found:
        raise errors.DockerlabError(
            f"There is no learner's work in {folder}.",
            "Put each learner's notebooks in DIR/<learner>/ (or one notebook as DIR/<learner>.ipynb), then grade DIR.",
        )
    return found


def grade(folder: str | Path, out: str | Path, *, timeout: int = 600, course: Path | None = None,
          report: Callable[[str], None] = print) -> Grades:
    """Grade every learner in ``folder``; executed notebooks and progress files go to ``out``.

    Args:
        course: The course's notebooks, for their ``figures/`` (default :func:`runner.course_dir`).
    """
    from dockerlab.record import progress

    course = course or runner.course_dir()
    started = time.monotonic()
    learners = [Learner(name, notebooks) for name, notebooks in submissions(Path(folder)).items()]
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tags_before = runner.image_tags()
    with tempfile.TemporaryDirectory(prefix="dockerlab-grade-") as tmp:
        for position, learner in enumerate(learners, 1):
            report(f"[{position}/{len(learners)}] {learner.name}: {len(learner.notebooks)} notebook(s)")
            work = Path(tmp) / learner.name
            work.mkdir()
            if (course / "figures").is_dir():
                (work / "figures").symlink_to(course / "figures")
            progress_file = work / "progress.json"
            tags = runner.image_tags()
            for notebook in learner.notebooks:
                place = runner.Place(cwd=work, log=work / "checks.jsonl", progress=progress_file)
                run = runner.execute(notebook, out / "executed" / learner.name / notebook.name, runner.GRADING, place, timeout=timeout)
                learner.runs.append(run)
                extra = f"; {len(run.errors)} error(s), first: {run.errors[0]}" if run.errors else ""
                extra += f"; removed what its dead kernel left: {', '.join(run.swept)}" if run.swept else ""
                extra += f"; LEFT ON THE ENGINE: {', '.join(run.left)}" if run.left else ""
                report(f"      {notebook.name}: {len(run.checks)} check(s) in {run.seconds:.0f} s{extra}")
            learner.built = sorted(t for t, image in runner.image_tags().items() if tags.get(t) != image)
            learner.records = progress.load(progress_file)
            if progress_file.exists():
                (out / "progress").mkdir(exist_ok=True)
                shutil.copy(progress_file, out / "progress" / f"{learner.name}.json")
    exercises = _columns(learners)
    for learner in learners:
        learner.cells = {ex: _cell(learner, ex) for ex, _title in exercises}
    return Grades(learners, exercises, time.monotonic() - started, _image_notes(learners, tags_before))


def _columns(learners: list[Learner]) -> list[tuple[str, str]]:
    """Every exercise and question of every lesson handed in (by anyone), and any other exercise someone checked."""
    from dockerlab import exercises

    lessons = {run.lesson for learner in learners for run in learner.runs if run.lesson}
    titles = {e.id: e.title for lesson in lessons for e in [*exercises.of_lesson(lesson), *questions.of_lesson(lesson)]}
    for learner in learners:
        for ex, record in learner.records.items():
            titles.setdefault(ex, record.get("title", ex))
    return sorted(titles.items())


def _cell(learner: Learner, exercise: str) -> Cell:
    record = learner.records.get(exercise)
    logged = [c for run in learner.runs for c in run.checks if c.get("exercise") == exercise]
    last = logged[-1] if logged else None
    if record is not None:
        passed = bool(record.get("passed"))
        reasons = []
        if last is not None and bool(last.get("passed")) == passed:
            reasons = [f"{u['description']}: {u['reason']}" if u.get("reason") else u["description"] for u in last.get("unmet", [])]
        met = int(record.get("met", 0))
        state = (SOLVED_WITH_HELP if record.get("helped") else "passed") if passed else "not yet"
        return Cell(state, met, met + int(record.get("unmet", 0)), reasons)
    if last is not None and last.get("engine_error"):
        return Cell("could not check", reasons=[f"no engine answered: {last['engine_error']}"])
    prefix = exercise.split(".", 1)[0]
    ran = [run for run in learner.runs if run.lesson and (run.lesson == prefix or run.lesson.startswith(prefix + "-"))]
    # a notebook that could not be read has no lesson: it was handed in all the same (matched by its file name)
    unread = [run for run in learner.runs if not run.lesson and run.errors and run.notebook.startswith(prefix + "-")]
    if ran and exercise in questions.registered():
        why = f'not answered in the notebook: lesson.ask("{exercise}", answer="...") keeps an answer for grading'
    elif ran:
        why = "its check cell did not run" + (f" ({ran[-1].errors[-1]})" if ran[-1].errors else "")
    elif unread:
        why = f"{unread[-1].notebook}: {unread[-1].errors[0]}"
    else:
        why = "no notebook of this lesson was handed in"
    return Cell("not attempted", reasons=[why])


def _image_notes(learners: list[Learner], before: dict[str, str]) -> list[str]:
    """Images a learner's run made under a name without its sessions' ids: those names are shared.

    The course's image names end in the session id (``greeter-dl3f9a1c``), and every kernel has a
    new session, so an image under such a name was built by that learner's run and nobody else's.
    A name without it (a notebook from before that change, or one of the learner's own) belongs to
    no one: whoever builds last on the engine owns it.
    """
    notes = []
    for learner in learners:
        sessions = {sid for run in learner.runs for sid in run.sessions}
        for tag in learner.built:
            if any(sid in tag for sid in sessions):
                continue
            note = f"{tag}: new or changed while the notebooks of {learner.name} ran, under a name without their session id"
            if tag in before:
                note += "; that name existed before grading"
            notes.append(note)
    if notes:
        notes.append(
            "The exercises check images named after the learner's session (greeter-dl3f9a1c), which only that "
            "learner's kernel builds. A name without a session id is shared by everyone on the engine: it does not "
            "count for an exercise, and a learner graded after another finds it already there."
        )
    return notes
