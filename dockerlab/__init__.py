"""dockerlab: the helper behind the interactive Docker course.

The notebooks teach the real ``docker`` CLI; this package shows what the engine did and checks the
learner's work. Layers, each importing only from the ones below it:

    views/                 ipywidgets (each with a text/HTML form); no Docker calls of their own
    checks/                exercise checks returning results, never raising on a wrong answer
    doctor, lesson         what notebook 00 and every lesson start with
    build, images/, ...    services over the engine and the CLI
    session                session id, labels, safe creation, cleanup and sweep
    engine, dockercli      the docker-py client and the CLI subprocess, errors translated
    errors, labels         no imports from the rest

A notebook starts with::

    import dockerlab
    lesson = dockerlab.start("03-first-image", mode=MODE)
"""

from .errors import DockerlabError

__version__ = "0.1.0"


def start(key: str, mode: str = "learner", **kwargs):
    """Begin a lesson: connect, sweep what dead kernels left, set up notebook display.

    Returns:
        The :class:`dockerlab.lesson.Lesson` for this notebook.
    """
    from . import checks, engine, notebook  # noqa: F401 - checks: so `dockerlab.checks.check` works
    from .lesson import Lesson

    problem = engine.problem()  # None when an engine answers
    notebook.setup(readonly=problem is not None, problem=problem)
    lesson = Lesson(key, mode=mode, **kwargs)
    if problem is None:
        _show_standin_notice(key)
    return lesson


def _show_standin_notice(key: str) -> None:
    """Say so at the top of a lesson when images it uses are offline stand-ins."""
    from IPython.display import display

    from .images import load_manifest
    from .views.doctor import standin_notice

    notice = standin_notice([spec.name for spec in load_manifest() if key in spec.notebooks])
    if notice is not None:
        display(notice)


__all__ = ["DockerlabError", "start", "__version__"]
