"""Which docker commands a learner ran: counted from the cells the kernel runs.

Notebook 09's summary table (manual run vs Compose) is built from these counts, and a unit test
reads every notebook's commands with the same parser.
"""

from __future__ import annotations

import ast
import re
from collections import Counter


#: Last words of commands that only show something; the summary table counts the others (those that make, start or remove).
SHOW_ONLY = frozenset({"port", "logs", "ps", "ls", "inspect", "version", "config", "images"})
#: docker and docker compose options that take a value (``-p NAME``): the value is not the subcommand.
_TAKES_VALUE = frozenset({
    "-p", "--project-name", "-f", "--file", "--progress", "--env-file", "--profile", "--project-directory", "--ansi",
    "-H", "--host", "-c", "--context", "--config", "-l", "--log-level",
})
#: docker commands that take a subcommand (``docker network create``).
_GROUPS = frozenset({"compose", "network", "volume", "image", "container", "buildx", "builder", "system"})


def ipython_calls(code: str, methods: set[str]) -> list[tuple]:
    """The calls a cell makes to IPython, read from the Python that IPython turns the cell into.

    ``!cmd`` becomes ``get_ipython().system('cmd')``, ``x = !cmd`` ``get_ipython().getoutput('cmd')`` and a
    ``%%name line`` cell ``get_ipython().run_cell_magic('name', 'line', body)``; comments and strings are not calls.

    Returns:
        The arguments of each call to one of ``methods``, in the order they stand in the cell.
    """
    from IPython.core.inputtransformer2 import TransformerManager

    calls = [
        node for node in ast.walk(ast.parse(TransformerManager().transform_cell(code)))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods
        and is_ipython(node.func.value) and node.args and all(isinstance(arg, ast.Constant) for arg in node.args)
    ]
    return [tuple(arg.value for arg in call.args) for call in sorted(calls, key=lambda c: (c.lineno, c.col_offset))]


def is_ipython(node: ast.AST) -> bool:
    """The expression is ``get_ipython()``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "get_ipython"


def shell_commands(code: str) -> list[str]:
    """The shell commands of a cell's ``!`` lines as typed (``{name}`` not filled in); ``a && b`` is two."""
    return [part.strip() for (line, *_) in ipython_calls(code, {"system", "getoutput"})
            for part in re.split(r"&&|\|\||[;|]", line) if part.strip()]


def verb(command: str) -> str:
    """What a docker command does, in its own words ("run", "network create", "compose up"); "" if not docker."""
    words = command.split()
    if not words or words[0] != "docker":
        return ""
    found, value_next = [], False
    for word in words[1:]:
        if value_next or word.startswith("-"):
            value_next = word in _TAKES_VALUE
            continue
        found.append(word)
        if word not in _GROUPS:
            break
    return " ".join(found)


def describe(commands: list[str]) -> str:
    """What the commands were, in a few words: "`network create`, `volume create`, `run` ×2"."""
    verbs = Counter(verb(command) for command in commands)
    return ", ".join(f"`{name}`" + (f" ×{n}" if n > 1 else "") for name, n in verbs.items())


class CommandLog:
    """Every cell the kernel runs from now on, to count the docker commands in them.

    IPython's own list of inputs, ``In``, would do at a desktop, but nbval runs cells with
    ``store_history=False``, which keeps them out of ``In``. The ``pre_run_cell`` event sees every cell.
    A new log replaces the previous one (a cell that makes one may run again).
    """

    _current: CommandLog | None = None

    def __init__(self, shell=None):
        if shell is None:
            from IPython import get_ipython

            shell = get_ipython()
        self.cells: list[str] = []
        old, CommandLog._current = CommandLog._current, self
        if old is not None and old._remember in old._shell.events.callbacks["pre_run_cell"]:
            old._shell.events.unregister("pre_run_cell", old._remember)
        self._shell = shell
        shell.events.register("pre_run_cell", self._remember)

    def _remember(self, info) -> None:
        self.cells.append(info.raw_cell)

    def mark(self) -> int:
        """Where the log is now (the current cell included): count from or up to here with :meth:`commands`."""
        return len(self.cells)

    def commands(self, start: int = 0, end: int | None = None, *, looking_too: bool = False) -> list[str]:
        """The docker commands of the cells between two marks, in order.

        Args:
            start: A :meth:`mark`: cells run after it.
            end: A later mark: cells up to it (the cell that took it included).
            looking_too: Also those that only show something (``docker port``, ``docker compose logs``).
        """
        found = [c for cell in self.cells[start:end] for c in _parsed_commands(cell) if verb(c)]
        return found if looking_too else [c for c in found if verb(c).split()[-1] not in SHOW_ONLY]


def _parsed_commands(cell: str) -> list[str]:
    try:
        return shell_commands(cell)
    except SyntaxError:  # a cell that did not run ran no command
        return []


__all__ = ["CommandLog", "describe", "ipython_calls", "is_ipython", "shell_commands", "verb"]
