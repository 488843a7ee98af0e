"""Jupyter integration: plain-words errors instead of tracebacks, and the ``%%solution`` magic."""

from __future__ import annotations

from IPython.display import HTML, Markdown, display

from .errors import DockerlabError

_done = False


def setup(readonly: bool = False, problem: DockerlabError | None = None) -> None:
    """Install the error display and the ``%%solution`` cell magic (once per kernel).

    Args:
        readonly: No engine answers: switch to read-only mode (:mod:`dockerlab.readonly`).
        problem: Why no engine answers, shown with its fix in the read-only notice.
    """
    global _done
    try:
        from IPython import get_ipython
    except ImportError:  # not in IPython: nothing to set up
        return
    shell = get_ipython()
    if shell is None:
        return
    if not _done:
        shell.set_custom_exc((DockerlabError,), _show_error)
        shell.register_magic_function(solution, magic_kind="cell")
        _done = True
    if readonly:
        from . import readonly as readonly_mode

        readonly_mode.enable(shell, problem)


def _show_error(shell, etype, evalue, tb, tb_offset=None):
    """Show a DockerlabError as its message and fix; the traceback stays out of the learner's way."""
    display(evalue)
    return [f"{etype.__name__}: {evalue.message}"]


def solution(line: str, cell: str) -> None:
    """``%%solution`` runs its cell only in solution mode; in learner mode it says so and skips."""
    from IPython import get_ipython

    shell = get_ipython()
    mode = shell.user_ns.get("MODE", "learner")
    if mode != "solution":
        display(Markdown("*A worked solution is in this cell (click to expand); it runs only in solution mode.*"))
        return
    result = shell.run_cell(cell)
    if result.error_in_exec is not None:
        raise result.error_in_exec


__all__ = ["setup", "solution", "HTML"]
