"""The pieces every check is made of: :class:`Requirement`, :class:`CheckResult`, :func:`block`.

A *building block* is a function that inspects one thing (a file, an image, a container, a URL)
and returns a :class:`Requirement`. Blocks are wrapped with :func:`block`, which guarantees the
rule of the house: a wrong answer never raises. Whatever goes wrong inside a block (a missing
file, binary junk, a container that does not exist, a bug) becomes an unmet requirement with a
plain reason. The one exception is an engine that cannot be reached at all: that is not the
learner's answer being wrong, so it travels up as :class:`dockerlab.errors.DockerlabError` and
:func:`dockerlab.checks.run_exercise` turns it into a result that says "could not check".
"""

from __future__ import annotations

import functools
import html
import inspect
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import errors

log = logging.getLogger(__name__)

#: Errors that mean "no engine to ask", not "the answer is wrong".
ENGINE_ERRORS = (errors.EngineNotRunning, errors.EnginePermissionDenied, errors.EngineTooOld, errors.EngineTimeout)

#: Largest text file a block reads (a Dockerfile or a compose file is a few kB).
MAX_TEXT_BYTES = 512 * 1024


class Unmet(Exception):
    """Raised inside a block (or a helper it calls) to stop with a specific reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class Requirement:
    """One thing an exercise asks for, and whether the learner's work has it.

    Attributes:
        description: What is asked, phrased as a fact ("a container named web-dl3f9a1c is running").
        met: Whether it holds.
        reason: When unmet, what exactly is wrong and how to fix it; empty when met.
    """

    description: str
    met: bool
    reason: str = ""

    @classmethod
    def ok(cls, description: str) -> Requirement:
        return cls(description, True)

    @classmethod
    def fail(cls, description: str, reason: str) -> Requirement:
        return cls(description, False, reason)

    def __str__(self) -> str:
        mark = "✓" if self.met else "✗"
        text = f"{mark} {self.description}"
        if not self.met and self.reason:
            text += "\n    " + self.reason.replace("\n", "\n    ")
        return text

    def to_dict(self) -> dict:
        return {"description": self.description, "met": self.met, "reason": self.reason}


@dataclass
class CheckResult:
    """The outcome of checking one exercise.

    Attributes:
        exercise: The exercise id, e.g. ``"04.name-container"``.
        title: The exercise's title.
        requirements: What was checked, in order.
        hints: General hints, revealed one at a time with :meth:`next_hint`.
        lesson: The lesson key the check ran in (``"04-running-containers"``), if known.
        engine_error: Set when the engine could not be reached; nothing was judged then.
        checked_at: When the check ran (seconds since the epoch).
        hints_shown: How many hints have been revealed so far.
    """

    exercise: str
    title: str
    requirements: list[Requirement] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    lesson: str | None = None
    engine_error: errors.DockerlabError | None = None
    checked_at: float = field(default_factory=time.time)
    hints_shown: int = 0

    # -- verdict ------------------------------------------------------------------------------
    @property
    def passed(self) -> bool:
        """True when there is at least one requirement and every one is met."""
        return self.engine_error is None and bool(self.requirements) and all(r.met for r in self.requirements)

    @property
    def met_count(self) -> int:
        return sum(1 for r in self.requirements if r.met)

    @property
    def unmet(self) -> list[Requirement]:
        return [r for r in self.requirements if not r.met]

    def __bool__(self) -> bool:
        return self.passed

    # -- hints --------------------------------------------------------------------------------
    def next_hint(self) -> str | None:
        """Reveal the next general hint and return it (None when all are shown)."""
        if self.hints_shown >= len(self.hints):
            return None
        self.hints_shown += 1
        return self.hints[self.hints_shown - 1]

    @property
    def revealed_hints(self) -> list[str]:
        return self.hints[: self.hints_shown]

    @property
    def hints_left(self) -> int:
        return len(self.hints) - self.hints_shown

    # -- text forms ---------------------------------------------------------------------------
    def verdict(self) -> str:
        if self.engine_error is not None:
            return "could not check"
        if self.passed:
            return "done"
        return f"not yet ({self.met_count} of {len(self.requirements)} met)"

    def __str__(self) -> str:
        lines = [f"{self.exercise}: {self.title} - {self.verdict()}"]
        if self.engine_error is not None:
            lines.append("  " + self.engine_error.message)
            if self.engine_error.fix:
                lines.append("  Fix: " + self.engine_error.fix)
        for req in self.requirements:
            lines.append("  " + str(req).replace("\n", "\n  "))
        for number, hint in enumerate(self.revealed_hints, 1):
            lines.append(f"  Hint {number}: {hint}")
        if self.hints_left and not self.passed:
            lines.append(f"  ({self.hints_left} more hint{'s' if self.hints_left != 1 else ''}: result.next_hint())")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<CheckResult {self.exercise} {self.verdict()}>"

    def _repr_html_(self) -> str:
        return self.html()

    def html(self, hint_note: bool = True) -> str:
        """The static HTML form (what a saved notebook shows on GitHub)."""
        esc = html.escape
        if self.engine_error is not None:
            colour, badge = "#b9770e", "Could not check"
        elif self.passed:
            colour, badge = "#1e8449", "Done"
        else:
            colour, badge = "#c0392b", f"Not yet: {self.met_count} of {len(self.requirements)} met"
        parts = [
            f'<div class="dockerlab-check" style="border-left:4px solid {colour};padding:6px 12px">',
            f'<b>{esc(self.title)}</b> <code>{esc(self.exercise)}</code> '
            f'<span style="color:{colour};font-weight:bold">{esc(badge)}</span>',
        ]
        if self.engine_error is not None:
            parts.append(f"<p>{esc(self.engine_error.message)}</p>")
            if self.engine_error.fix:
                parts.append(f"<p><b>What to do:</b> {esc(self.engine_error.fix)}</p>")
        if self.requirements:
            parts.append('<ul style="list-style:none;padding-left:0;margin:4px 0">')
            for req in self.requirements:
                mark = '<span style="color:#1e8449">&#10003;</span>' if req.met else '<span style="color:#c0392b">&#10007;</span>'
                item = f"<li>{mark} {esc(req.description)}"
                if not req.met and req.reason:
                    item += f'<div style="margin-left:1.4em;color:#555">{esc(req.reason)}</div>'
                parts.append(item + "</li>")
            parts.append("</ul>")
        for number, hint in enumerate(self.revealed_hints, 1):
            parts.append(f'<div class="dockerlab-hint"><b>Hint {number}:</b> {esc(hint)}</div>')
        if hint_note and self.hints_left and not self.passed:
            parts.append(
                f'<div style="color:#777"><small>{self.hints_left} hint{"s" if self.hints_left != 1 else ""} '
                "available (the Show a hint button in a live notebook)</small></div>"
            )
        parts.append("</div>")
        return "".join(parts)

    def to_dict(self) -> dict:
        """A JSON-ready record of the result."""
        return {
            "exercise": self.exercise,
            "title": self.title,
            "lesson": self.lesson,
            "passed": self.passed,
            "checked_at": self.checked_at,
            "met": self.met_count,
            "unmet": len(self.requirements) - self.met_count,
            "requirements": [r.to_dict() for r in self.requirements],
            "hints_shown": self.hints_shown,
            "engine_error": self.engine_error.message if self.engine_error is not None else None,
        }

    # In IPython, check() has already displayed the live view in this cell: do not show it twice
    # when the result is also the cell's value. Anywhere else the static forms are shown.
    _shown_in_cell: int | None = field(default=None, repr=False, compare=False)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self._shown_in_cell is not None and self._shown_in_cell == _execution_count():
            return
        display({"text/plain": str(self), "text/html": self.html()}, raw=True)


def _execution_count() -> int | None:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    return getattr(shell, "execution_count", None) if shell is not None else None


# -- blocks -----------------------------------------------------------------------------------


def block(description: str | Callable[..., str]):
    """Make a function a building block: it returns a :class:`Requirement` and never raises.

    Args:
        description: What the block checks, as a format string over the function's arguments
            (``"a container named {name} is running"``) or a function of them.

    The wrapped function may return None (met), a string (unmet, the string is the reason), or a
    :class:`Requirement`; it may raise :class:`Unmet` with the reason. Any other exception becomes
    an unmet requirement with a plain reason, except an unreachable engine (see :data:`ENGINE_ERRORS`),
    which is raised for :func:`run_exercise` to report.
    """

    def wrap(func: Callable[..., object]) -> Callable[..., Requirement]:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def run(*args, **kwargs) -> Requirement:
            desc = _describe(description, signature, func, args, kwargs)
            try:
                outcome = func(*args, **kwargs)
            except Unmet as exc:
                return Requirement(desc, False, exc.reason)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - the point: a wrong answer never raises
                engine_problem = as_engine_error(exc)
                if engine_problem is not None:
                    raise engine_problem from exc
                return Requirement(desc, False, plain_reason(exc))
            if outcome is None or outcome is True:
                return Requirement(desc, True)
            if outcome is False:
                return Requirement(desc, False, "not met")
            if isinstance(outcome, str):
                return Requirement(desc, False, outcome)
            if isinstance(outcome, Requirement):
                return outcome
            return Requirement(desc, False, f"the check returned {outcome!r} (a bug in the exercise)")

        run.__dockerlab_block__ = True  # type: ignore[attr-defined]
        return run

    return wrap


def _describe(description, signature: inspect.Signature, func, args, kwargs) -> str:
    try:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        if callable(description):
            wanted = inspect.signature(description).parameters
            takes_all = any(p.kind is p.VAR_KEYWORD for p in wanted.values())
            return description(**{k: v for k, v in bound.arguments.items() if takes_all or k in wanted})
        return description.format(**{k: show(v) for k, v in bound.arguments.items()})
    except Exception:  # noqa: BLE001 - a description must never be what fails
        return func.__name__.replace("_", " ")


def as_engine_error(exc: BaseException) -> errors.DockerlabError | None:
    """The engine-unreachable error ``exc`` stands for, or None if it is something else."""
    if isinstance(exc, ENGINE_ERRORS):
        return exc
    if isinstance(exc, errors.DockerlabError):
        return None
    try:
        known = errors.classify(exc)
    except Exception:  # noqa: BLE001
        return None
    return known if isinstance(known, ENGINE_ERRORS) else None


def plain_reason(exc: BaseException) -> str:
    """One sentence about what went wrong, for an exception raised while checking."""
    import docker.errors

    if isinstance(exc, Unmet):
        return exc.reason
    if isinstance(exc, errors.DockerlabError):
        return exc.message + (f" ({exc.fix})" if exc.fix else "")
    if isinstance(exc, FileNotFoundError):
        return f"{show(exc.filename) if exc.filename else 'the file'} does not exist"
    if isinstance(exc, IsADirectoryError):
        return f"{show(exc.filename)} is a folder, not a file"
    if isinstance(exc, NotADirectoryError):
        return f"{show(exc.filename)}: part of that path is a file, not a folder"
    if isinstance(exc, PermissionError):
        return f"cannot read {show(exc.filename)}: permission denied"
    if isinstance(exc, UnicodeDecodeError):
        return "the file is not text: it contains bytes that are not UTF-8 (binary data?)"
    if isinstance(exc, docker.errors.NotFound):
        return f"the engine has no such thing: {_explanation(exc)}"
    if isinstance(exc, docker.errors.APIError):
        return f"the engine refused the request: {_explanation(exc)}"
    log.warning("a check raised %s", type(exc).__name__, exc_info=exc)
    return f"the check could not finish ({type(exc).__name__}: {exc}); this is probably a bug in the exercise"


def _explanation(exc) -> str:
    text = getattr(exc, "explanation", None) or str(exc)
    return str(text)


def show(value) -> str:
    """A value as a learner should read it in a message (paths relative to the working folder)."""
    if isinstance(value, os.PathLike) or (isinstance(value, str) and os.sep in value and Path(value).is_absolute()):
        path = Path(value)
        try:
            return str(path.resolve().relative_to(Path.cwd().resolve()))
        except (ValueError, OSError):
            return str(path)
    return str(value)


#: What :func:`learner_value` returns when the learner has not set the variable at all.
MISSING = object()


def learner_value(lesson, variable: str):
    """A variable the learner set in the notebook, or :data:`MISSING`.

    Read from the kernel's namespace; tests put a dict in ``lesson.namespace`` instead.
    """
    namespace = getattr(lesson, "namespace", None)
    if namespace is None:
        try:
            from IPython import get_ipython
        except ImportError:
            get_ipython = None
        shell = get_ipython() if get_ipython else None
        namespace = shell.user_ns if shell is not None else {}
    return namespace.get(variable, MISSING)


def read_text(path: str | os.PathLike, what: str = "file", limit: int = MAX_TEXT_BYTES) -> str:
    """Read a learner's text file, or raise :class:`Unmet` saying exactly why it cannot be used.

    Args:
        path: The file.
        what: What the file is, for messages ("Dockerfile", "compose file").
        limit: Largest size accepted, in bytes.
    """
    path = Path(path)
    if not path.exists():
        near = near_names(path)
        extra = f"; there is {near}: is that it? Rename it to {path.name}" if near else ""
        raise Unmet(f"there is no {what} at {show(path)}{extra}")
    if path.is_dir():
        raise Unmet(f"{show(path)} is a folder, not a {what}")
    size = path.stat().st_size
    if size > limit:
        raise Unmet(
            f"{show(path)} is {human_bytes(size)}: far too big for a {what} (at most {human_bytes(limit)} here); "
            "is it the right file?"
        )
    data = path.read_bytes()
    if b"\x00" in data:
        raise Unmet(f"{show(path)} is not a text file (it contains binary data); a {what} is plain text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise Unmet(
            f"{show(path)} is not UTF-8 text (unreadable bytes on line {line}); save it as UTF-8 plain text"
        ) from None


def near_names(path: Path) -> str:
    """A file next to ``path`` whose name looks like a misspelling of it (``dockerfile``, ``Dockerfile.txt``)."""
    try:
        siblings = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
    except OSError:
        return ""
    wanted = path.name.lower()
    for name in sorted(siblings):
        lowered = name.lower()
        if lowered == wanted or lowered.startswith(wanted + ".") or lowered.rsplit(".", 1)[0] == wanted:
            if name != path.name:
                return name
    return ""


def human_bytes(size: float) -> str:
    """Sizes as ``docker images`` prints them (decimal units)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1000
    return f"{size} B"


def parse_size(value: int | float | str) -> int:
    """``"200MB"``, ``"200 MB"``, ``"1.5g"``, ``"256m"`` or a number of bytes, as bytes.

    Units with a single letter (``m``, ``g``, as in ``docker run --memory``) are binary; ``MB`` and
    ``GB`` are decimal, as ``docker images`` prints them.
    """
    if isinstance(value, (int, float)):
        return int(value)
    text = value.strip().replace(" ", "")
    units = {
        "": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3,
        "kb": 1000, "mb": 1000**2, "gb": 1000**3,
        "kib": 1024, "mib": 1024**2, "gib": 1024**3,
    }
    number = text.rstrip("bBkKmMgGiI")
    unit = text[len(number):].lower()
    if unit not in units or not number:
        raise ValueError(f"not a size: {value!r}")
    return int(float(number) * units[unit])


def edit_distance(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) that turn ``a`` into ``b``."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[len(b)]


def typo_of(word: str, candidates) -> str | None:
    """The candidate ``word`` looks like a typo of (one edit away; two for words of 8+ letters)."""
    allowed = 2 if len(word) >= 8 else 1
    best = None
    for candidate in candidates:
        if candidate == word:
            continue
        distance = edit_distance(word, candidate)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None
