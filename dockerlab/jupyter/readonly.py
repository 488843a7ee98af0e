"""Read-only mode: the course where no Docker engine can run (Binder, a locked-down laptop).

The notebooks keep the outputs of a real run, so they still read well. When a cell is run anyway,
whatever needs the engine shows a short banner (what the cell would do, and how to run it for
real) instead of a traceback; everything else in the cell, such as reading this machine's own
namespaces and cgroups, runs as usual.

Two hooks do it, installed by :func:`enable`:

* ``!docker ...`` shell lines are answered with the banner instead of being run;
* an AST transformer runs each top-level statement of a cell under a guard that turns the
  failure into the banner (once per cell) and skips the rest of that cell.

The same mode starts when a learner's own engine is merely stopped (or their user may not use it):
the notice then also says why no engine answers and the fix. Before each cell the mode checks (a
ping of at most 2 s) whether an engine answers now, and switches itself off if one does, so after
starting the engine the lesson goes on in the same kernel.
"""

from __future__ import annotations

import ast
import contextlib
import re

from IPython.display import HTML, display

from dockerlab import engine, errors
from dockerlab.engine import session
from dockerlab.views import readonly as views

#: In this mode any failure of a statement is taken for "needs the engine": a cell that parses the
#: output of a `docker` line, calls a container's URL or uses a name an engine statement would have
#: set fails for want of the engine, and the learner should see why, not a traceback. (The test
#: suite runs every notebook with an engine too, so real bugs still fail there.)
NO_ENGINE = (Exception,)

_state = {"enabled": False, "shown": False, "hooked": False, "original": None, "guard": None}


def banner(what: str) -> HTML:
    """The notice an engine cell shows in read-only mode."""
    return HTML(views.banner_html(what))


def _show_once(what: str) -> None:
    if not _state["shown"]:
        _state["shown"] = True
        display(banner(what))


def enabled() -> bool:
    return _state["enabled"]


def enable(shell, problem=None) -> None:
    """Switch this kernel to read-only mode (idempotent).

    Args:
        problem: Why no engine answers (a :class:`dockerlab.errors.DockerlabError`), shown with its fix.
    """
    if _state["enabled"]:
        return
    _state["enabled"] = True
    original_system, original_getoutput = shell.system, shell.getoutput
    _state["original"] = (original_system, original_getoutput)

    def system(cmd: str):
        if _is_docker(cmd):
            display(banner(cmd.strip()))
            return None
        return original_system(cmd)

    def getoutput(cmd: str, *args, **kwargs):
        if _is_docker(cmd):
            display(banner(cmd.strip()))
            return original_getoutput("true", *args, **kwargs)
        return original_getoutput(cmd, *args, **kwargs)

    shell.system, shell.getoutput = system, getoutput
    shell.user_ns["_dockerlab_guard"] = guard
    shell.user_ns["_dockerlab_show"] = _show_once
    shell.user_ns["_dockerlab_skip"] = lambda: _state["shown"]
    shell.user_ns["_dockerlab_no_engine"] = NO_ENGINE
    _state["guard"] = EngineGuard()
    shell.ast_transformers.append(_state["guard"])
    if not _state["hooked"]:
        _state["hooked"] = True
        shell.events.register("pre_run_cell", lambda *_: _before_cell(shell))
    display(HTML(views.notice_html(problem)))


def _before_cell(shell) -> None:
    _state.update(shown=False)
    if _state["enabled"] and engine.answers():
        disable(shell)


def disable(shell) -> None:
    """Leave read-only mode: an engine answers (again), so cells run for real from now on."""
    if not _state["enabled"]:
        return
    _state["enabled"] = False
    shell.system, shell.getoutput = _state["original"]
    if _state["guard"] in shell.ast_transformers:
        shell.ast_transformers.remove(_state["guard"])
    with contextlib.suppress(errors.DockerlabError, OSError):
        session.sweep_dead()  # skipped when the lesson started without an engine
    display(HTML(views.engine_back_html()))


def _is_docker(cmd: str) -> bool:
    """True when a shell line runs ``docker`` anywhere: first, after ``&&``/``|``/``;``, or inside
    ``sh -c '...'`` or ``timeout 10 ...`` (the word ``docker`` as a command, not in a path)."""
    return re.search(r"(?:^|[\s;&|('\"`])(?:docker|docker-compose)(?=\s|$)", cmd) is not None


def guard(thunk, what: str):
    """Run ``thunk``; an engine-less failure becomes the banner (once per cell) and None.

    After such a failure the rest of the cell is skipped: its statements would only fail on the
    names the failed one did not set.
    """
    if _state["shown"]:
        return None
    try:
        return thunk()
    except NO_ENGINE:
        _show_once(what)
        return None


class EngineGuard(ast.NodeTransformer):
    """Wrap each top-level statement of a cell so that "no engine" does not stop the cell."""

    def visit_Module(self, node: ast.Module) -> ast.Module:
        body = []
        for statement in node.body:
            what = ast.unparse(statement).splitlines()[0][:120]
            if isinstance(statement, ast.Expr):
                # Keep a bare expression bare, so Jupyter still displays its value.
                call = ast.Call(
                    func=ast.Name("_dockerlab_guard", ast.Load()),
                    args=[ast.Lambda(_no_args(), statement.value), ast.Constant(what)],
                    keywords=[],
                )
                body.append(ast.copy_location(ast.Expr(call), statement))
            elif isinstance(statement, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                body.append(statement)
            else:
                body.append(ast.copy_location(_try(statement, what), statement))
        node.body = body
        return ast.fix_missing_locations(node)


def _no_args() -> ast.arguments:
    return ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])


def _try(statement: ast.stmt, what: str) -> ast.If:
    """``if <no failure yet in this cell>: try: STATEMENT except <no engine>: show the banner``."""
    attempt = ast.Try(
        body=[statement],
        handlers=[
            ast.ExceptHandler(
                type=ast.Name("_dockerlab_no_engine", ast.Load()),
                name=None,
                body=ast.parse(f"_dockerlab_show({what!r})").body,
            )
        ],
        orelse=[],
        finalbody=[],
    )
    return ast.If(test=ast.parse("not _dockerlab_skip()", mode="eval").body, body=[attempt], orelse=[])
