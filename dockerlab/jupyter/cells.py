"""Run something after each cell of the kernel: the one place other layers hook into cell runs."""

from __future__ import annotations

from collections.abc import Callable

from IPython import get_ipython


def after_each(callback: Callable[[object], None], before: Callable[[object], None] | None = None, shell=None) -> bool:
    """Call ``callback(result)`` after every cell this kernel runs (IPython's ``post_run_cell``;
    ``result`` has ``execution_count`` and ``error_in_exec``), and ``before(info)``, if given, as each starts
    (``pre_run_cell``). ``shell``: the IPython shell to hook into (default: the running one).

    Returns:
        False outside IPython (nothing to hook into).
    """
    shell = shell if shell is not None else get_ipython()
    if shell is None:
        return False
    shell.events.register("post_run_cell", callback)
    if before is not None:
        shell.events.register("pre_run_cell", before)
    return True
