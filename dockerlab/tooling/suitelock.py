"""One test run per engine at a time: the test suites' and the benchmarks' lock.

The suites compare the whole engine before and after each notebook (and the reliability suite
stops it), and a benchmark measured beside a suite measures both. Each therefore holds an
exclusive lock named after the engine, in the user's state folder, while it runs: after the
engine's own id where it answers (two engines behind one address, as the matrix's rows each at
/run/docker.sock in their own mount namespace, are two engines), else after its address.

The lock is a ``flock`` (through ``filelock``, :func:`dockerlab.engine.session.lock`), so a run that
is killed releases it. Older versions kept it in ``~/.cache/dockerlab``: while that folder exists, the
lock of the same name there is taken too (second), so a run of this version and a run of an older
checkout on the same machine and engine still wait for each other.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock

from dockerlab import config, engine
from dockerlab.engine.session import engine_address, lock, state_dir


class Held:
    """The engine's lock, held until :meth:`close` (or until the process ends)."""

    def __init__(self, locks: list[filelock.BaseFileLock]):
        self._locks = locks

    def close(self) -> None:
        for held in reversed(self._locks):
            held.release(force=True)
        self._locks = []


def engine_key() -> str:
    """The engine's own id where it answers, else its address, as a file name's part."""
    try:
        return "-" + engine.client().info()["ID"].replace(":", "")
    except Exception:  # noqa: BLE001 - no engine yet: the address still names it
        return engine_address().replace("/", "_").replace(":", "_")


def lock_files() -> list[Path]:
    """The lock files of this process's engine: in the state folder, then in the legacy folder if it exists."""
    name = f"suite{engine_key()}.lock"
    files = [state_dir() / name]
    legacy = config.legacy_state_dir()
    if legacy.is_dir() and legacy.resolve() != state_dir().resolve():
        files.append(legacy / name)
    return files


def acquire(wait_minutes: float = 90, on_wait: Callable[[str], None] = print) -> Held:
    """Take the engine's lock, waiting (and saying so once) while another run holds it.

    Returns:
        The held lock: it lasts until its ``close()``, or the end of the process.

    Raises:
        SystemExit: after ``wait_minutes`` without the lock.
    """
    deadline = time.monotonic() + wait_minutes * 60
    taken: list[filelock.BaseFileLock] = []
    told = False
    for path in lock_files():
        held = lock(path)
        while True:
            try:
                held.acquire(timeout=0 if not told else 2)
                break
            except filelock.Timeout:
                if not told:
                    on_wait(f"another dockerlab test run is using the engine {engine_address()}; waiting for it to finish")
                    told = True
                if time.monotonic() > deadline:
                    Held(taken).close()
                    raise SystemExit(f"gave up after {wait_minutes} minutes waiting for the other test run") from None
        taken.append(held)
    return Held(taken)


@contextlib.contextmanager
def held(wait_minutes: float = 90, on_wait: Callable[[str], None] = print) -> Iterator[None]:
    """:func:`acquire` for a ``with`` block."""
    handle = acquire(wait_minutes, on_wait)
    try:
        yield
    finally:
        handle.close()
