"""One test run per engine at a time: the test suites' and the benchmarks' lock.

The suites compare the whole engine before and after each notebook (and the reliability suite
stops it), and a benchmark measured beside a suite measures both. Each therefore holds an
exclusive lock named after the engine's address, in the user's state folder, while it runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from typing import IO

from dockerlab.engine.session import engine_address, state_dir


def acquire(wait_minutes: float = 90, on_wait: Callable[[str], None] = print) -> IO:
    """Take the engine's lock, waiting (and saying so once) while another run holds it.

    Returns:
        The open lock file: the lock lasts as long as it stays open.

    Raises:
        SystemExit: after ``wait_minutes`` without the lock.
    """
    name = engine_address().replace("/", "_").replace(":", "_")
    handle = open(state_dir() / f"suite{name}.lock", "w")  # noqa: SIM115 - the caller holds it
    deadline = time.monotonic() + wait_minutes * 60
    told = False
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if not told:
                on_wait(f"another dockerlab test run is using the engine {engine_address()}; waiting for it to finish")
                told = True
            if time.monotonic() > deadline:
                handle.close()
                raise SystemExit(f"gave up after {wait_minutes} minutes waiting for the other test run") from None
            time.sleep(2)


@contextlib.contextmanager
def held(wait_minutes: float = 90, on_wait: Callable[[str], None] = print) -> Iterator[None]:
    """:func:`acquire` for a ``with`` block."""
    handle = acquire(wait_minutes, on_wait)
    try:
        yield
    finally:
        handle.close()
