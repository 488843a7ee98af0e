"""A notebook's commands taken to the lab's terminal: the lesson's names there, and a `!` line made runnable.

A cell's ``!docker logs {web}`` is no command for a shell: ``{web}`` is Python (the session's name,
``web-dl3f9a1c``) and ``!`` is IPython's. So the kernel keeps, after each cell, what a terminal needs in the
user's state folder (``terminal/lesson.json`` and ``lesson.sh``): the notebook's plain variables (strings,
numbers, paths) and every command its ``!`` lines ran, as written and as run. The terminal of ``make lab``
(scripts/lab-terminal.sh, bash) reads them:

* before each prompt it loads ``lesson.sh``: ``web`` and the others are shell variables (``docker logs $web``),
  and what ``%env`` set in the notebook is exported (Compose files read it);
* a line pasted as the notebook has it (``!docker logs {web}``, ``x = !docker ps``) is replaced, when Enter is
  pressed, by the command the notebook ran (``docker logs web-dl3f9a1c``), shown, then run.

The terminal follows the notebook where a cell ran last. A line whose cell has not run is filled in from the
variables; a ``{...}`` that is more than a name (``{address[0]}``) is left as it is, with a note.

This module's top imports only the standard library: the terminal runs ``python -m dockerlab.jupyter.terminal``
at each pasted line.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import sys
from pathlib import Path, PurePath

log = logging.getLogger(__name__)

#: A Python name that is also a plain shell variable's name (lower case: no PATH, HOME, PS1 ...).
_SHELL_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
#: Lower-case names bash itself reads.
_BASH_OWN = frozenset({"histchars", "auto_resume"})
#: Longest value kept (a file's text read into a variable is no name for a command).
_LONGEST = 4096
#: Commands kept, the latest last.
_KEEP = 500
#: A ``{...}`` field of a ``!`` line, or a doubled brace.
_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}")


def folder() -> Path:
    """``terminal/`` in the user's state folder."""
    from dockerlab.engine.session import state_dir

    return state_dir() / "terminal"


def plain_variables(namespace: dict) -> dict[str, str]:
    """The notebook's variables a shell can hold: lower-case names of strings, numbers and paths."""
    found = {}
    for name, value in namespace.items():
        if not _SHELL_NAME.match(name) or name in _BASH_OWN:
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float, PurePath)):
            continue
        text = str(value)
        if len(text) <= _LONGEST and "\0" not in text:
            found[name] = text
    return found


def shell_text(variables: dict[str, str], environment: dict[str, str]) -> str:
    """``lesson.sh``: the variables as shell variables, the environment the notebook set, exported."""
    lines = ["# dockerlab: the latest notebook's names, for the lab's terminal (scripts/lab-terminal.sh). Rewritten after each cell."]
    lines += [f"{name}={shlex.quote(value)}" for name, value in sorted(variables.items())]
    lines += [f"export {name}={shlex.quote(value)}" for name, value in sorted(environment.items())
              if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)]
    lines.append(f"__dockerlab_names={shlex.quote(' '.join(sorted(variables)))}")
    return "\n".join(lines) + "\n"


class Export:
    """The kernel's side: remembers each command its ``!`` lines run, and writes the files after each cell.

    Args:
        shell: The kernel's IPython shell.
        lesson: The notebook's lesson key (written down, to say which notebook the terminal follows).
    """

    _by_shell: dict[int, Export] = {}

    def __init__(self, shell, lesson: str):
        self.shell = shell
        self.lesson = lesson
        self.commands: dict[str, str] = {}  # as written -> as run, the latest last
        self.environment = dict(os.environ)  # what %env changes from here on is exported to the terminal
        original = shell.var_expand

        def var_expand(cmd, depth=0, *args, **kwargs):
            expanded = original(cmd, depth + 1, *args, **kwargs)  # +1: this frame stands between IPython and its caller
            self.remember(cmd, expanded)
            return expanded

        shell.var_expand = var_expand
        from dockerlab.jupyter import cells  # here, not at the top: the terminal's side imports no IPython

        cells.after_each(self.after_cell, shell=shell)

    @classmethod
    def install(cls, shell, lesson: str) -> Export | None:
        """Once per kernel (a lesson started again only changes the key); None outside IPython."""
        if shell is None:
            return None
        found = cls._by_shell.get(id(shell))
        if found is None:
            found = cls._by_shell[id(shell)] = cls(shell, lesson)
        found.lesson = lesson
        return found

    def remember(self, written, expanded) -> None:
        if isinstance(written, str) and isinstance(expanded, str):
            self.commands.pop(written.strip(), None)
            self.commands[written.strip()] = expanded.strip()
            while len(self.commands) > _KEEP:
                self.commands.pop(next(iter(self.commands)))

    def after_cell(self, result=None) -> None:
        try:
            self.write(folder())
        except Exception as exc:  # noqa: BLE001 - a convenience: it must never fail a cell
            log.warning("could not write the terminal's names: %s", exc)

    def write(self, where: Path) -> None:
        where.mkdir(parents=True, exist_ok=True)
        variables = plain_variables(self.shell.user_ns)
        changed = {k: v for k, v in os.environ.items() if self.environment.get(k) != v}
        data = {"lesson": self.lesson, "pid": os.getpid(), "variables": variables, "commands": self.commands}
        _replace(where / "lesson.json", json.dumps(data, indent=1))
        _replace(where / "lesson.sh", shell_text(variables, changed))


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` at once (a terminal never reads half a file), readable by the user only."""
    part = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.replace(part, path)


# -- the terminal's side -------------------------------------------------------------------------

def commands_of(text: str) -> list[str] | None:
    """The shell commands of IPython input (``!cmd``, ``!!cmd``, ``x = !cmd``, also inside a ``%%`` cell),
    as IPython hands them to the shell before filling in ``{...}``; None when ``text`` is no such input
    (a plain shell line, which the terminal runs as it is)."""
    from dockerlab.jupyter.commandlog import ipython_calls

    try:
        calls = ipython_calls(text, {"system", "getoutput", "run_cell_magic"})
    except SyntaxError:
        return None
    found: list[str] = []
    for call in calls:
        if len(call) == 3:  # a %%magic cell: its body's ! lines
            found += commands_of(call[2]) or []
        else:
            found.append(call[0])
    return found or None


def fill(command: str, variables: dict[str, str]) -> tuple[str, list[str]]:
    """``command`` with each ``{name}`` filled in from ``variables``, as IPython would.

    Returns:
        The command, and the fields it could not fill in (expressions, unknown names): those stay as written,
        and, as IPython does when a field fails, so do the doubled braces.
    """
    missing = [m.group(0) for m in _FIELD.finditer(command) if m.group(1) is not None and m.group(1).strip() not in variables]

    def one(match: re.Match) -> str:
        if match.group(1) is None:
            return match.group(0) if missing else match.group(0)[0]
        return variables.get(match.group(1).strip(), match.group(0))

    return _FIELD.sub(one, command), missing


def rewrite(text: str, exported: dict) -> tuple[str, list[str]] | None:
    """What the terminal runs for ``text`` pasted from a notebook: each command as the notebook ran it (the
    latest run of that line), else filled in from the notebook's variables; one line each.

    Returns:
        The commands and the fields left unfilled, or None when ``text`` is no IPython shell input.
    """
    commands = commands_of(text)
    if commands is None:
        return None
    ran, variables = exported.get("commands", {}), exported.get("variables", {})
    lines, missing = [], []
    for command in commands:
        if command.strip() in ran:
            lines.append(ran[command.strip()])
        else:
            line, unknown = fill(command, variables)
            lines.append(line)
            missing += unknown
    return "\n".join(lines), missing


def main(argv: list[str]) -> int:
    """``where``: the folder's ``lesson.sh``; ``rewrite TEXT``: print what to run instead (exit 1: run it as it is)."""
    if argv[:1] == ["where"]:
        print(folder() / "lesson.sh")
        return 0
    if len(argv) == 2 and argv[0] == "rewrite":
        try:
            exported = json.loads((folder() / "lesson.json").read_text())
        except (OSError, ValueError):
            exported = {}
        done = rewrite(argv[1], exported)
        if done is None:
            return 1
        line, missing = done
        if missing:
            print(f"dockerlab: {' '.join(dict.fromkeys(missing))} not filled in: run the notebook's cell with this line first"
                  + (f" (the terminal follows {exported['lesson']})" if exported.get("lesson") else ""), file=sys.stderr)
        print(line)
        return 0
    print("usage: python -m dockerlab.jupyter.terminal where | rewrite TEXT", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
