"""Quiet checks: the engine is read, never changed.

The progress strip at the top of a notebook re-runs the lesson's checks after each cell, so that an exercise
turns done without its check cell. Those runs must change nothing a learner could see: no container started or
removed, no image built, no command run inside a container, no request to the learner's app (its log would show
it). Inside :func:`quietly`, the docker-py client refuses every request that is not a read (GET or HEAD), the
``docker`` CLI refuses every sub-command that changes something, and the course's HTTP fetch refuses to run;
each refusal raises :class:`NotQuietly`, which a check's block turns into "checked when you run its check
cell" (:mod:`dockerlab.checks.blocks`). The check cell itself runs outside :func:`quietly` and checks everything.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

_quiet: ContextVar[bool] = ContextVar("dockerlab_quiet", default=False)

#: ``docker`` CLI sub-commands that only read (first word, or first two for a management command).
READS = {
    "version", "info", "inspect", "ps", "images", "logs", "port", "history",
    "container ls", "container inspect", "container logs", "container port",
    "image ls", "image inspect", "image history", "network ls", "network inspect", "volume ls", "volume inspect",
    "context ls", "context inspect", "context show", "buildx version", "buildx ls", "buildx history",
    "compose config", "compose ps", "compose ls", "compose images", "compose port", "compose version", "compose logs",
}


class NotQuietly(BaseException):
    """A quiet check reached something that would change what the learner sees.

    A BaseException, so that an exercise's own ``except Exception`` (which turns engine failures into
    reasons) lets it through to the block that says the requirement is left to the check cell.
    """

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


def active() -> bool:
    return _quiet.get()


@contextlib.contextmanager
def quietly() -> Iterator[None]:
    """Everything inside (in this thread or task) may read the engine and nothing more."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def refuse(what: str) -> None:
    """Raise :class:`NotQuietly` if this runs quietly; ``what`` says what would have happened."""
    if _quiet.get():
        raise NotQuietly(what)


#: Options before or between the sub-command's words that take a value (``docker compose -f FILE config``).
_VALUED = {"-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile", "-H", "--host",
           "-c", "--context", "--config", "--log-level"}


def cli_reads(args: list[str]) -> bool:
    """True when ``docker ARGS`` only reads (its sub-command is in :data:`READS`)."""
    words, skip = [], False
    for arg in args:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("-"):
            words.append(arg)
    return bool(words) and (words[0] in READS or " ".join(words[:2]) in READS)


def guard_api(api) -> None:
    """Make a docker-py ``APIClient`` refuse writes while :func:`quietly` is active (reads pass)."""
    for method in ("_post", "_put", "_delete"):
        original = getattr(api, method)

        def guarded(url, *args, _original=original, _method=method, **kwargs):
            refuse(f"{_method[1:].upper()} {url.rsplit('/v1.', 1)[-1] if isinstance(url, str) else url}")
            return _original(url, *args, **kwargs)

        setattr(api, method, guarded)
