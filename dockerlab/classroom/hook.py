"""The cell ``dockerlab prepare`` and ``dockerlab grade`` add to every notebook they run.

It runs in the notebook's own kernel, right after the ``parameters`` cell, and keeps in a JSON-lines
file (``$DOCKERLAB_CLASSROOM_LOG``) what the progress file does not hold: each check's requirements
with the reason of every unmet one, and the id of the kernel's session (so the instructor's side
can verify that nothing of that session is left on the engine once the kernel has exited), and each
cell that raised (a DockerlabError shows as its message, so the saved notebook alone does not say so).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from dockerlab import config
from dockerlab.engine import session
from dockerlab.jupyter import cells
from dockerlab.record import events

ENV = config.CLASSROOM_LOG.name

#: Tag of the added cell, so it is easy to tell from the learner's own cells in an executed notebook.
TAG = "added-by-dockerlab-classroom"


def cell_source(mode: str) -> str:
    """The code of the added cell; ``mode`` overrides whatever the notebook set."""
    lines = ["# Added by `dockerlab prepare` / `dockerlab grade`: keeps each check's full result for the report."]
    lines.append(f"MODE = {json.dumps(mode)}")
    lines.append("import dockerlab.classroom.hook as _dockerlab_hook; _dockerlab_hook.install()")
    return "\n".join(lines)


def _write(path: Path, entry: dict) -> None:
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def _entry(result, lesson) -> dict:
    session = getattr(getattr(lesson, "session", None), "id", None)
    problem = result.engine_error
    return {
        "type": "check",
        "exercise": result.exercise,
        "title": result.title,
        "lesson": getattr(lesson, "key", None) or result.lesson,
        "passed": bool(result.passed),
        "helped": bool(getattr(result, "helped", False)),
        "verdict": result.verdict(),
        "met": result.met_count,
        "total": len(result.requirements),
        "unmet": [{"description": r.description, "reason": r.reason} for r in result.unmet],
        "engine_error": f"{problem.message} {problem.fix}".strip() if problem is not None else None,
        "session": session,
        "time": time.time(),
    }


_installed: dict[str, object] = {}


def install(log: str | os.PathLike | None = None) -> None:
    """Write every check's result to the log (a listener of :mod:`dockerlab.record.events`), and
    after each cell the session's id and any error the cell raised (once per kernel and log)."""
    path = Path(log) if log else config.CLASSROOM_LOG.path()
    if path is None:
        raise ValueError(f"no log to write to: pass one, or set {ENV} (dockerlab prepare and grade do)")
    if str(path) in _installed:
        return

    def on_check(result, lesson) -> None:
        with contextlib.suppress(Exception):  # the report is a convenience; the learner's cell must not fail over it
            _write(path, _entry(result, lesson))

    _installed[str(path)] = on_check
    events.subscribe(on_check)
    noted: set[str] = set()

    def after_cell(result=None) -> None:
        sid = session.current_id()
        if sid and sid not in noted:
            noted.add(sid)
            with contextlib.suppress(OSError):
                _write(path, {"type": "session", "session": sid, "pid": os.getpid()})
        problem = getattr(result, "error_in_exec", None)
        if problem is not None:  # a DockerlabError is shown as a message, so the notebook alone does not say it failed
            text = getattr(problem, "message", None) or str(problem)
            with contextlib.suppress(OSError):
                _write(path, {"type": "error", "count": getattr(result, "execution_count", None),
                              "error": f"{type(problem).__name__}: {text.strip().splitlines()[0] if text.strip() else ''}"})

    cells.after_each(after_cell)


def read(path: str | os.PathLike) -> list[dict]:
    """The entries of a log (a missing file or a torn last line count as nothing)."""
    entries = []
    with contextlib.suppress(FileNotFoundError):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
    return entries
