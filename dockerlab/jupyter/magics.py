"""The ``%%solution`` cell magic, and the kernel's set-up when a lesson starts."""

from __future__ import annotations

from IPython import get_ipython
from IPython.display import Markdown, display

from dockerlab.errors import DockerlabError
from dockerlab.jupyter import display as displays
from dockerlab.jupyter import readonly as readonly_mode

_done: set[int] = set()


def setup(readonly: bool = False, problem: DockerlabError | None = None) -> None:
    """Install the displays and the ``%%solution`` cell magic (once per kernel).

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
        _done.add(id(shell))
    if readonly:
        readonly_mode.enable(shell, problem)


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
