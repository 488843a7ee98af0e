"""The pieces every check is made of: :func:`block` and the helpers blocks share.

A *building block* is a function that inspects one thing (a file, an image, a container, a URL)
and returns a :class:`Requirement`. Blocks are wrapped with :func:`block`, which guarantees the
rule of the house: a wrong answer never raises. Whatever goes wrong inside a block (a missing
file, binary junk, a container that does not exist, a bug) becomes an unmet requirement with a
plain reason. The one exception is an engine that cannot be reached at all: that is not the
learner's answer being wrong, so it travels up as :class:`dockerlab.errors.DockerlabError` and
:func:`dockerlab.checks.registry.run` turns it into a result that says "could not check".
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
from collections.abc import Callable
from pathlib import Path

from dockerlab import engine, errors, sizes
from dockerlab.engine import quiet
from dockerlab.checks.result import Requirement

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
            except quiet.NotQuietly as exc:  # a quiet check (the progress strip) leaves this to the check cell
                return Requirement(desc, False, f"checked when you run the check cell (it would {exc.what})", unchecked=True)
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
        known = engine.classify(exc)
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

    Read from ``lesson.namespace``: the kernel's namespace for a notebook's lesson
    (:class:`dockerlab.jupyter.lesson.Lesson`), a plain dict in tests.
    """
    namespace = getattr(lesson, "namespace", None) or {}
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
            f"{show(path)} is {sizes.decimal(size)}: far too big for a {what} (at most {sizes.decimal(limit)} here); "
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
