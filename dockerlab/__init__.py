"""dockerlab: the helper behind the interactive Docker course.

The notebooks teach the real ``docker`` CLI; this package shows what the engine did and checks the
learner's work. Its folders are its layers, each importing only from those below it (DEVELOPERS.md
draws them; tests/unit/test_architecture.py holds the package to it):

    jupyter/      a lesson and its one check entry point, magics, display, read-only mode
    views/        widgets, each with an HTML and a text form
    record/       the learner's progress, and events listeners subscribe to
    exercises/    one module per notebook, and the catalogue of them
    checks/       judging real state: results, building blocks, the exercise registry
    services/     what the course does with the engine: builds, containers, Compose, images, ...
    engine/       the client, the CLI, the kind of engine, safety rules, sessions
    errors.py, labels.py, sizes.py, config.py   the base: nothing of dockerlab below them

(classroom/ and cli.py sit on top: an instructor's tools and the command line.)

A notebook starts with::

    import dockerlab
    lesson = dockerlab.start("03-first-image", mode=MODE)
"""

try:  # POSIX's file locks: only Windows' own Python lacks them; WSL 2 and macOS have them
    import fcntl  # noqa: F401 - imported to find out, used by the port reservations (jupyter/lesson.py)
except ImportError:
    raise ImportError(
        "dockerlab runs on Linux and macOS, and on Windows inside WSL 2, not on Windows itself: this Python has no "
        "fcntl (the file locks dockerlab needs), and the course's `!docker` cells and set-up scripts need a Linux or "
        "macOS shell. On Windows: install WSL 2 (in PowerShell as administrator: wsl --install; "
        "https://learn.microsoft.com/windows/wsl/install), then either Docker Desktop with its WSL 2 engine and WSL "
        "integration turned on for your distribution (https://docs.docker.com/desktop/features/wsl/) or Docker Engine "
        "inside the distribution. Then, in the distribution's terminal (e.g. Ubuntu): clone the course there and run make lab."
    ) from None

from dockerlab.errors import DockerlabError  # noqa: E402 - after the platform check

#: The one version source: pyproject.toml reads it (``[tool.setuptools.dynamic]``) for the package's metadata.
__version__ = "0.1.0"


def start(key: str, mode: str = "learner", **kwargs):
    """Begin a lesson (see :func:`dockerlab.jupyter.lesson.start`); returns its :class:`Lesson`."""
    from dockerlab.jupyter.lesson import start as start_lesson

    return start_lesson(key, mode=mode, **kwargs)


__all__ = ["DockerlabError", "start", "__version__"]
