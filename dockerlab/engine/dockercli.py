"""Running the real ``docker`` CLI as a subprocess.

BuildKit builds (``docker buildx build``) and Compose (``docker compose``) are only reachable
through the CLI; docker-py drives neither. Everything here has a timeout and returns text, so
the service modules above it stay simple.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator, Sequence

from dockerlab import errors
from dockerlab.engine import quiet


def docker_binary() -> str:
    path = shutil.which("docker")
    if path is None:
        raise errors.ToolMissing("docker")
    return path


def _only_reads_when_quiet(args: Sequence[str]) -> None:
    if quiet.active() and not quiet.cli_reads(list(args)):
        raise quiet.NotQuietly("run docker " + " ".join(args[:2]))


def run(args: Sequence[str], timeout: float = 120, cwd: str | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    """Run ``docker ARGS`` and return the finished process (stdout and stderr as text).

    Raises:
        errors.EngineTimeout: if the command takes longer than ``timeout`` seconds.
        quiet.NotQuietly: in a quiet check (:mod:`dockerlab.engine.quiet`), for a command that changes something.
    """
    _only_reads_when_quiet(args)
    try:
        return subprocess.run(
            [docker_binary(), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd, input=input
        )
    except subprocess.TimeoutExpired as exc:
        raise errors.EngineTimeout("finish `docker " + " ".join(args[:3]) + "`", timeout) from exc


_plugins_found: set[str] = set()


def has_plugin(name: str) -> bool:
    """True when ``docker NAME version`` answers (buildx, compose).

    A plugin found stays found for the process (each check is a ``docker`` process, which made a
    cached build through the helper slower than the CLI's); one not found is asked again, so
    installing it mid-lesson is noticed.
    """
    if name in _plugins_found:
        return True
    try:
        found = run([name, "version"], timeout=20).returncode == 0
    except errors.DockerlabError:
        return False
    if found:
        _plugins_found.add(name)
    return found


def plugin_version(name: str) -> str | None:
    try:
        done = run([name, "version"], timeout=20)
    except errors.DockerlabError:
        return None
    return done.stdout.strip().splitlines()[0] if done.returncode == 0 and done.stdout.strip() else None


def stream(args: Sequence[str], cwd: str | None = None, env: dict | None = None, timeout: float | None = None) -> Iterator[str]:
    """Yield the merged stdout/stderr lines of ``docker ARGS`` as they are printed.

    The generator's return value (``StopIteration.value``) is the process's return code.

    Raises:
        errors.EngineTimeout: the command ran longer than ``timeout`` seconds (it is killed).
        quiet.NotQuietly: in a quiet check, for a command that changes something (a build).
    """
    _only_reads_when_quiet(args)
    proc = subprocess.Popen(
        [docker_binary(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        cwd=cwd,
        env=env,
    )
    # A watchdog, because a silent command would otherwise never reach a timeout check.
    fired = threading.Event()

    def stop() -> None:
        fired.set()
        proc.kill()

    timer = threading.Timer(timeout, stop) if timeout else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            yield line.rstrip("\n")
    finally:
        if timer:
            timer.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    if fired.is_set():
        raise errors.EngineTimeout("finish `docker " + " ".join(args[:2]) + "`", timeout)
    return proc.returncode
