"""The cells a notebook skipped because the engine cannot do what they need, and why.

A cell that starts with ``%%needs FEATURE`` (:mod:`dockerlab.jupyter.magics`) runs only where the engine
can do FEATURE; elsewhere it shows the reason and :func:`record` keeps it here, so the engine matrix can
list what each engine skipped (docs/engine-matrix.md) and an instructor can see what a learner's engine
could not show. One JSON file in the state folder, ``skipped-cells.json``:
``{lesson: {feature: {"engine": ..., "reason": ..., "cells": [first line, ...]}}}``.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from dockerlab.engine import session


def path() -> Path:
    return session.state_dir() / "skipped-cells.json"


def read() -> dict:
    """What was skipped, by lesson and feature (empty when nothing was, or the file cannot be read)."""
    try:
        found = json.loads(path().read_text())
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def record(lesson: str, feature: str, engine: str, reason: str, cell: str) -> None:
    """Keep that ``lesson``'s cell (named by its first line) was skipped for ``feature`` on ``engine``."""
    with session.lock(path().with_suffix(".lock"), timeout=10):
        found = read()
        entry = found.setdefault(lesson, {}).setdefault(feature, {"engine": engine, "reason": reason, "cells": []})
        entry.update(engine=engine, reason=reason)
        if cell not in entry["cells"]:
            entry["cells"].append(cell)
        handle, temporary = tempfile.mkstemp(dir=path().parent, prefix=".skipped-")
        with os.fdopen(handle, "w") as out:
            json.dump(found, out, indent=1, sort_keys=True)
        os.replace(temporary, path())
