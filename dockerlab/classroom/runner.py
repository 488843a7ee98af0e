"""Running one notebook for an instructor: papermill, its own kernel and progress file, timed,
every error noted, and the engine checked afterwards for anything its session left behind.

Each notebook runs in a fresh kernel that exits normally at the end (papermill asks it to shut
down), so its session removes what it made, as on a learner's machine. A kernel that dies cannot
clean up: its session is then dead, and :func:`dockerlab.session.sweep_dead` removes what it left.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dockerlab import config
from dockerlab.classroom import hook, kernels
from dockerlab.exercises import course

# Where the course is: exercises/course.py (the lesson's solve needs it too); kept importable from here.
course_dir = course.course_dir

_START = re.compile(r"dockerlab\.start\(\s*[\"']([^\"']+)[\"']")
_LESSON_FILE = re.compile(r"^\d\d-[a-z0-9-]+$")


@dataclass
class Run:
    """One notebook's run.

    Attributes:
        notebook: The notebook's file name.
        lesson: Its lesson key (``"04-running-containers"``), from its ``dockerlab.start`` call.
        output: The executed notebook.
        seconds: Wall time, kernel start included.
        errors: Every error, ``"cell 12: ValueError: ..."``; the kernel dying or a cell timing out too.
        sessions: The dockerlab session ids its kernel used.
        checks: The check results its kernel logged (see :mod:`hook`), in order.
        swept: Resources its dead kernel left, removed afterwards.
        left: Resources of its sessions still on the engine at the end (should be empty).
    """

    notebook: str
    lesson: str | None
    output: Path
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    checks: list[dict] = field(default_factory=list)
    swept: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class Way:
    """How a notebook is run: the mode set in the added cell, and what to do with solutions and errors.

    Attributes:
        mode: ``MODE`` in the added cell: a learner who changed it in their parameters cell is
            still graded in learner mode.
        drop_solutions: Empty every ``%%solution`` cell (grading never runs the course's solutions).
        keep_going: Run every cell even after one fails (grading), instead of stopping at the first.
    """

    mode: str
    drop_solutions: bool
    keep_going: bool


#: ``dockerlab prepare``: the course's own solutions, stopping at the first error.
PREPARING = Way("solution", drop_solutions=False, keep_going=False)
#: ``dockerlab grade``: a learner's hand-in as they left it, every cell run whatever fails.
GRADING = Way("learner", drop_solutions=True, keep_going=True)


@dataclass(frozen=True)
class Place:
    """Where a run's kernel works and what it writes there.

    Attributes:
        cwd: The kernel's working folder (the lesson's ``work/`` folder is made there).
        log: The :mod:`hook` log of the run (appended to).
        progress: The progress file the kernel records checks in (its ``$DOCKERLAB_PROGRESS``).
    """

    cwd: Path
    log: Path
    progress: Path


@contextlib.contextmanager
def environment(**values: str | None) -> Iterator[None]:
    """Set (or, with None, unset) environment variables for the kernels started inside."""
    saved = {key: os.environ.get(key) for key in values}
    try:
        _set_environment(values)
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: dict[str, str | None]) -> None:
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def lesson_of(nb, path: Path) -> str | None:
    """The lesson key a notebook starts (``dockerlab.start("04-...")``), else its file name if it looks like one."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            found = _START.search(cell.source)
            if found:
                return found.group(1)
    return path.stem if _LESSON_FILE.match(path.stem) else None


def prepared(source: Path, destination: Path, way: Way) -> tuple[Path, str | None]:
    """Write a copy of ``source`` with the :mod:`hook` cell, which sets ``MODE``, after its ``parameters`` cell.

    Returns:
        The copy and the notebook's lesson key.
    """
    nb = nbformat.read(source, as_version=4)
    lesson = lesson_of(nb, source)
    nb = copy.deepcopy(nb)
    if way.drop_solutions:
        for cell in nb.cells:
            if cell.cell_type == "code" and cell.source.lstrip().startswith("%%solution"):
                cell.source = "# (a %%solution cell of the course: not run when grading)"
    added = nbformat.v4.new_code_cell(hook.cell_source(way.mode), metadata={"tags": [hook.TAG]})
    where = next((i + 1 for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells.insert(where, added)
    for cell in nb.cells:  # nbformat wants ids on 4.5 notebooks; old hand-ins may lack them
        if nb.nbformat_minor >= 5 and "id" not in cell:
            cell["id"] = os.urandom(4).hex()
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, destination)
    return destination, lesson


def errors_in(output: Path, raised: list[dict] | None = None) -> list[str]:
    """``"cell N: Name: value"`` for every cell of an executed notebook that raised.

    Args:
        raised: The :mod:`hook` log's error entries (execution count and error), for the cells whose
            error shows as a message rather than as an error output (a DockerlabError).
    """
    try:
        nb = nbformat.read(output, as_version=4)
    except Exception:  # noqa: BLE001 - nothing was written, or it is torn
        return []
    by_count = {e["count"]: e.get("error", "") for e in raised or [] if e.get("count") is not None}
    found = []
    # Numbered as the learner sees their notebook: from 1, without the cells papermill and the hook added.
    added = {hook.TAG, "papermill-error-cell-tag"}
    own = [c for c in nb.cells if not added & set(c.get("metadata", {}).get("tags", []))]
    for number, cell in enumerate(own, 1):
        if cell.cell_type != "code":
            continue
        errors = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
        for out in errors:
            value = str(out.get("evalue", "")).strip().splitlines()
            found.append(f"cell {number}: {out.get('ename')}: {value[0] if value else ''}"[:300])
        if errors:
            continue
        if cell.get("execution_count") in by_count:
            found.append(f"cell {number}: {by_count[cell['execution_count']]}"[:300])
        elif cell.get("metadata", {}).get("papermill", {}).get("exception"):
            found.append(f"cell {number}: failed")
    return found


def execute(source: Path, output: Path, way: Way, place: Place, *, timeout: int = 600) -> Run:
    """Run one notebook with papermill in a new kernel; never raises for what the notebook does.

    Args:
        source: The notebook.
        output: Where the executed notebook goes.
        timeout: Seconds a cell may run; a cell over it is interrupted and counts as an error.
    """
    import papermill

    log = place.log
    start_of_log = len(hook.read(log))
    try:
        copy_path, lesson = prepared(source, output.parent / f".{output.stem}.input.ipynb", way)
    except Exception as exc:  # noqa: BLE001 - not JSON, not a notebook
        return Run(source.name, None, output, errors=[f"the notebook could not be read: {type(exc).__name__}: {exc}"[:300]])
    run = Run(source.name, lesson, output)
    started = time.monotonic()
    env = {config.CLASSROOM_LOG.name: str(log), config.PROGRESS.name: str(place.progress), config.KEEP_ON_EXIT.name: None,
           config.STRIP.name: "off"}  # no quiet checks in the background while a notebook is graded or prepared
    try:
        with environment(**env):
            papermill.execute_notebook(
                str(copy_path),
                str(output),
                cwd=str(place.cwd),
                kernel_name="python3",
                progress_bar=False,
                execution_timeout=timeout,
                allow_errors=way.keep_going,
                interrupt_on_timeout=True,
                kernel_manager_class=kernels.SocketFileKernelManager,  # no TCP ports to race for
                # the kernel's own start-up notes (e.g. "running over TCP") are noise here; errors still show
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
    except papermill.PapermillExecutionError:
        pass  # the errors are read from the executed notebook below
    except Exception as exc:  # noqa: BLE001 - a dead kernel, a timeout, an unreadable notebook
        name = type(exc).__name__
        what = "the kernel died (or was killed)" if name == "DeadKernelError" else f"{name}: {str(exc).strip()[:300]}"
        run.errors.append(what)
    finally:
        run.seconds = time.monotonic() - started
        copy_path.unlink(missing_ok=True)
    entries = hook.read(log)[start_of_log:]
    run.errors = errors_in(output, [e for e in entries if e.get("type") == "error"]) + run.errors
    run.sessions = sorted({e["session"] for e in entries if e.get("type") == "session"})
    run.checks = [e for e in entries if e.get("type") == "check"]
    run.swept, run.left = tidy(run.sessions)
    return run


# -- what a run left on the engine ------------------------------------------------------------


def _owned(sessions: list[str]) -> list[tuple[str, str]]:
    """(session id, ``"container web-dl3f9a1c"``) for every container, network and volume of these sessions."""
    from dockerlab import engine
    from dockerlab.engine import session

    if not sessions:
        return []
    api = engine.client().api
    found = [("container", (c.get("Names") or ["/"])[0].lstrip("/"), c.get("Labels")) for c in api.containers(all=True)]
    found += [("network", n["Name"], n.get("Labels")) for n in api.networks()]
    found += [("volume", v["Name"], v.get("Labels")) for v in api.volumes().get("Volumes") or []]
    owned = [(session.owner_of(labels, name)[0], f"{kind} {name}") for kind, name, labels in found]
    return [(sid, item) for sid, item in owned if sid in sessions]


def owned_by(sessions: list[str]) -> list[str]:
    """``"container web-dl3f9a1c"`` for every container, network and volume of these sessions."""
    return [item for _sid, item in _owned(sessions)]


def tidy(sessions: list[str]) -> tuple[list[str], list[str]]:
    """After a run: remove what its sessions left once their kernel is gone; return (removed, still left).

    A kernel that exited normally has cleaned up already. One that died could not: taking over its
    session (which takes the session's lock, so it fails while any process still holds it) and
    cleaning up removes exactly what that session made, and nothing of anyone else's.
    """
    from dockerlab.engine import session

    owned = _owned(sessions)
    left = [item for _sid, item in owned]
    for sid in sorted({sid for sid, _item in owned}):
        try:
            orphaned = session.Session(sid)
        except BlockingIOError:  # still alive: not ours to touch
            continue
        try:
            orphaned.cleanup()
        finally:
            orphaned.release()
    still = owned_by(sessions) if left else []
    return [item for item in left if item not in still], still


def image_tags() -> dict[str, str]:
    """Every tagged image on the engine, ``{"greeter-dl3f9a1c:latest": "<image id>"}`` (one list call).

    A tag whose id changed or that appeared while a learner's notebooks ran was built (or pulled,
    or tagged) then; a rebuild that comes out identical keeps its id and does not show.
    """
    from dockerlab import engine

    tags = {}
    for image in engine.client().api.images():
        for name in image.get("RepoTags") or []:
            if name != "<none>:<none>":
                tags[name] = image["Id"]
    return tags
