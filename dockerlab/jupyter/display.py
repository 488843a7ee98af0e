"""How the course's objects show in Jupyter: errors as message and fix, results as their view.

:func:`install` registers, once per kernel, IPython formatters that hand each kind of object to
its view (:mod:`dockerlab.views`), and shows a :class:`~dockerlab.errors.DockerlabError` raised by
a cell as its message and fix instead of a traceback. The objects themselves know nothing of
Jupyter.
"""

from __future__ import annotations

from IPython.display import display

from dockerlab.checks.result import CheckResult
from dockerlab.errors import DockerlabError
from dockerlab.record.progress import Summary
from dockerlab.services.doctor import Report
from dockerlab.views import checks, doctor, errors, progress

_installed: set[int] = set()
#: The cell in which each result was shown by its check, so it is not shown twice when the
#: result is also the cell's value (id of the result -> execution count).
_shown_in: dict[int, int] = {}


def install(shell) -> None:
    """Register the formatters and the error display in ``shell`` (once)."""
    if id(shell) in _installed:
        return
    _installed.add(id(shell))
    formatters = shell.display_formatter.formatters
    html, plain = formatters["text/html"], formatters["text/plain"]
    html.for_type(DockerlabError, errors.error_html)
    plain.for_type(DockerlabError, lambda error, printer, cycle: printer.text(errors.error_text(error)))
    html.for_type(Report, doctor.report_html)
    plain.for_type(Report, lambda report, printer, cycle: printer.text(report.as_text()))
    html.for_type(Summary, progress.summary_html)
    plain.for_type(Summary, lambda summary, printer, cycle: printer.text(summary.as_text()))
    shell.display_formatter.ipython_display_formatter.for_type(CheckResult, lambda result: _show_result(shell, result))
    shell.set_custom_exc((DockerlabError,), _show_error)


def show_check(result: CheckResult, shell) -> None:
    """Show a check's live view in the running cell (once: the cell's value, if it is the result, is not shown again)."""
    display(checks.CheckView(result))
    mark_shown(result, shell)


def mark_shown(result: CheckResult, shell) -> None:
    """``result`` is shown in the running cell already (as another view): the cell's value does not show it again."""
    _shown_in[id(result)] = shell.execution_count


def _show_result(shell, result: CheckResult) -> bool:
    if _shown_in.get(id(result)) != shell.execution_count:
        display(checks.CheckView(result))
    return True  # handled: no other form of it


def _show_error(shell, etype, evalue, tb, tb_offset=None):
    """Show a DockerlabError as its message and fix; the traceback stays out of the learner's way."""
    display(evalue)
    return [f"{etype.__name__}: {evalue.message}"]
