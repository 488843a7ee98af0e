"""The ``%%solution`` and ``%%needs`` cell magics, and the kernel's set-up when a lesson starts."""

from __future__ import annotations

import os

from IPython import get_ipython
from IPython.display import Markdown, display

from dockerlab.engine import kind as enginekind
from dockerlab.errors import DockerlabError
from dockerlab.jupyter import display as displays
from dockerlab.jupyter import readonly as readonly_mode

_done: set[int] = set()


def setup(readonly: bool = False, problem: DockerlabError | None = None) -> None:
    """Install the displays and the ``%%solution`` and ``%%needs`` cell magics (once per kernel).

    Args:
        readonly: No engine answers: switch to read-only mode (:mod:`dockerlab.jupyter.readonly`).
        problem: Why no engine answers, shown with its fix in the read-only notice.
    """
    shell = get_ipython()
    if shell is None:  # not in IPython: nothing to set up
        return
    displays.install(shell)
    if id(shell) not in _done:
        shell.register_magic_function(solution, magic_kind="cell")
        shell.register_magic_function(needs, magic_kind="cell")
        _done.add(id(shell))
    if readonly:
        readonly_mode.enable(shell, problem)


def engine_settings() -> None:
    """Set the kernel's environment for the engine in use (the notebook's ``!docker`` lines inherit it), and
    say so where the engine is not Docker's.

    Every engine: ``BUILDKIT_PROGRESS=plain`` (unless set), since a cell's ``!`` line runs in a pseudo-terminal
    where BuildKit would draw its animated display. An engine without BuildKit (Podman): ``DOCKER_BUILDKIT=0``,
    so ``docker build`` reaches the engine's own builder instead of a BuildKit it cannot start.
    """
    os.environ.setdefault("BUILDKIT_PROGRESS", "plain")
    kind = enginekind.current()
    if kind.lacks("buildkit") is None:
        return
    os.environ["DOCKER_BUILDKIT"] = "0"
    display(Markdown(
        f"*This notebook runs on **{kind.product} {kind.version}** through its Docker-compatible API, not on Docker's "
        f"engine. {kind.product} has no BuildKit, so the course set `DOCKER_BUILDKIT=0` in this notebook: `docker build` "
        f"goes to {kind.product}'s own builder, whose log looks different from the one the text describes. Images show as "
        "`localhost/NAME`. Cells that need what this engine lacks say so and are skipped.*"))


def solution(line: str, cell: str) -> None:
    """``%%solution`` runs its cell only in solution mode; in learner mode it says so and skips."""
    shell = get_ipython()
    mode = shell.user_ns.get("MODE", "learner")
    if mode != "solution":
        display(Markdown("*A worked solution is in this cell (click to expand); it runs only in solution mode.*"))
        return
    result = shell.run_cell(cell)
    if result.error_in_exec is not None:
        raise result.error_in_exec


def needs(line: str, cell: str) -> None:
    """``%%needs FEATURE`` runs its cell where the engine can do FEATURE (:data:`dockerlab.engine.kind.FEATURES`);
    on an engine that cannot, it shows why in plain words instead. The one way a notebook says that a cell
    cannot work on some engine; the engine matrix's row p finds those lines (tests/other_engines/test_notebooks_cells_run.py)
    and docs/engine-matrix.md lists the cells."""
    shell = get_ipython()
    feature = line.strip()
    if feature not in enginekind.FEATURES:
        raise ValueError(f"%%needs {feature}: not a feature the course knows ({', '.join(sorted(enginekind.FEATURES))})")
    try:
        kind = enginekind.current()
    except DockerlabError:  # no engine (read-only mode shows the stored outputs): nothing to decide here
        kind = None
    why = kind.lacks(feature) if kind is not None else None
    if why is not None:
        display(Markdown(f"**This cell cannot work on {kind.product} {kind.version}**, the engine in use: {why}. "
                         "It is skipped; the lesson goes on without it."))
        return
    result = shell.run_cell(cell)
    if result.error_in_exec is not None:
        raise result.error_in_exec
