"""A notebook's handle on the course: its names, ports, files, mode, checks and reset.

Each notebook starts with ``lesson = dockerlab.start("04-running-containers", mode=MODE)``. The
lesson gives session-unique names for the containers the learner creates with the CLI (so a
classroom sharing one engine has no collisions, and cleanup knows what is the course's), a free
host port for publishing, a work folder for the files the lesson writes, :meth:`Lesson.check`
(the one way a check cell checks an exercise) and :meth:`Lesson.reset`.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
from pathlib import Path

from IPython import get_ipython

from dockerlab import config, errors, exercises
from dockerlab.checks.result import CheckResult
from dockerlab.engine import session as sessions
from dockerlab.exercises import course
from dockerlab.jupyter import display
from dockerlab.record import events, progress

log = logging.getLogger(__name__)

MODES = ("learner", "solution")


class Lesson:
    """One notebook's view of the session.

    Args:
        key: The notebook's name, e.g. ``"04-running-containers"``; used as the lesson label.
        mode: ``"learner"`` (exercises are the learner's) or ``"solution"`` (solution cells run).
        workdir: Folder for the files the lesson writes (default ``./work/<key>``).
    """

    def __init__(self, key: str, mode: str = "learner", workdir: str | Path | None = None):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.key = key
        self.mode = mode
        self.session = sessions.current()
        self.workdir = Path(workdir) if workdir else Path.cwd() / "work" / key
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._port_locks: dict[int, object] = {}  # port -> its held lock file
        self._ports: dict[int, int] = {}  # preferred port asked for -> port given
        self._namespace: dict | None = None
        self._helped: set[str] = set()  # exercises whose worked solution lesson.solve ran
        self.strip = None  # the progress strip (jupyter/strip.py), once start() has shown it

    @property
    def solution(self) -> bool:
        return self.mode == "solution"

    def name(self, base: str) -> str:
        """Session-unique name for something the learner creates: ``web`` -> ``web-dl3f9a1c``."""
        return self.session.name(base)

    def path(self, *parts: str) -> Path:
        """A path inside the lesson's work folder."""
        return self.workdir.joinpath(*parts)

    def port(self, preferred: int = 8080, tries: int = 200) -> int:
        """A host port that is free now and reserved for this session: ``preferred`` if possible.

        Asking again with the same ``preferred`` (a re-run cell) gives the same port; asking with
        another never gives a port this lesson already handed out. The reservation is a lock file
        held by this process, so two learners on one machine never get the same port, even if they
        ask at the same moment.
        """
        if preferred in self._ports:
            return self._ports[preferred]
        folder = ports_dir()
        for port in range(preferred, preferred + tries):
            if port in self._port_locks:
                continue
            handle = _open_lock(folder / f"{port}.lock")
            if handle is None:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            if port_is_free(port):
                self._port_locks[port] = handle
                self._ports[preferred] = port
                return port
            handle.close()
        raise RuntimeError(f"no free host port in {preferred}..{preferred + tries - 1}")

    def run(self, image: str, command=None, **kwargs):
        """Start a container with the course's safe defaults (see :meth:`Session.run`)."""
        return self.session.run(image, command, lesson=self.key, **kwargs)

    def build(self, context, tag: str | None = None, **kwargs):
        """Build an image with BuildKit (see :func:`dockerlab.build.build`)."""
        from dockerlab.services import build

        return build.build(context, tag, lesson=self.key, **kwargs)

    @property
    def namespace(self) -> dict:
        """The notebook's variables (the kernel's namespace): exercises read the learner's answers
        there. Outside a kernel (tests, a script) it is whatever was set, else empty."""
        if self._namespace is not None:
            return self._namespace
        shell = get_ipython()
        return shell.user_ns if shell is not None else {}

    @namespace.setter
    def namespace(self, values: dict) -> None:
        self._namespace = values

    def check(self, exercise_id: str, *, show: bool = True) -> CheckResult:
        """Check one of this lesson's exercises, the one way a notebook's check cell does it:
        run the check against the real state, record the result in the learner's progress, tell
        the listeners (:mod:`dockerlab.record.events`), and show the result's view.

        Returns:
            The result (also when the engine could not be reached: ``result.engine_error``).
        """
        result = exercises.run(exercise_id, self)
        result.helped = exercise_id in self._helped
        self._record(result)
        if show:
            shell = get_ipython()
            if shell is not None:
                display.show_check(result, shell)
            else:
                print(result)
        return result

    def solve(self, exercise_id: str) -> CheckResult:
        """Stuck: run the exercise's worked solution, then its check, so the notebook can go on.

        The solution is the course's own (its ``%%solution`` cells, :func:`dockerlab.exercises.course.worked_solution`),
        also when this notebook is the learner edition without them. It runs in this kernel, with the names and ports
        of this lesson, as if the learner had typed it; the check's result, and the learner's progress, say
        "solved with help" from then on. A notebook handed in with this line is graded the same way.

        Raises:
            DockerlabError: Not in a notebook's kernel, no such exercise in this lesson, or a solution cell failed
                (most often because a cell above it, which it builds on, has not run).
        """
        exercise = exercises.get(exercise_id)
        cells = course.worked_solution(self.key, exercise.id)
        shell = get_ipython()
        if shell is None:
            raise errors.DockerlabError("lesson.solve runs the worked solution's cells in the notebook's kernel.",
                                        "Call it in a cell of the notebook.")
        self._helped.add(exercise.id)
        for number, source in enumerate(cells, 1):
            outcome = shell.run_cell(source, store_history=False)
            problem = outcome.error_before_exec or outcome.error_in_exec
            if problem is not None:
                raise errors.DockerlabError(
                    f"Part {number} of {len(cells)} of the worked solution of {exercise.id} failed: {problem}",
                    "Run the notebook's cells above this exercise first (the solution builds on them), then lesson.solve again.")
        return self.check(exercise.id)

    def ask(self, question_id: str, answer: str | None = None, *, show: bool = True) -> CheckResult | None:
        """Ask one of the course's concept questions: radio buttons and a "Check my answer" button.

        A click judges the answer and goes the way a check does (recorded in the learner's progress, the
        listeners told, the strip told), then shows the explanation, and the line that keeps the answer in
        the notebook: ``lesson.ask("02.q-docker-group", answer="b")``. Grading re-runs a notebook and clicks
        nothing, so only an answer given in code counts there; a question never answered in code grades
        "not attempted" (no points), as an exercise whose check cell never ran.

        Returns:
            The answer's result when ``answer`` is given (also a letter that is no choice: "not yet", never an
            exception), else None.

        Raises:
            KeyError: no question has that id (a typo in the notebook).
        """
        from dockerlab.checks import questions
        from dockerlab.views.questions import QuestionView

        question = questions.get(question_id)

        def judge(key: str) -> CheckResult:
            result = question.judge(key, lesson=self.key)
            self._record(result)
            return result

        result = judge(answer) if answer is not None else None
        view = QuestionView(question, judge, answer, result)
        if show:
            shell = get_ipython()
            if shell is not None:
                view.show()
                if result is not None:  # the cell's value, the result, is not shown a second time as a check's view
                    display.mark_shown(result, shell)
            else:
                print(view.text())
        return result

    def _record(self, result: CheckResult) -> None:
        """Keep a check's or an answer's result: the learner's progress (unless no engine answered: nothing was
        judged), the listeners, the strip."""
        if result.engine_error is None:
            try:
                progress.record(result, lesson=self.key)
            except (OSError, ValueError) as exc:  # progress is a convenience; never lose the result over it
                log.warning("could not save progress: %s", exc)
        events.checked(result, self)
        if self.strip is not None:
            self.strip.checked(result)

    def reset(self) -> sessions.Removed:
        """Remove what this lesson made in this session: containers, networks and volumes, and the
        images tagged with the session's name (``greeter-dl3f9a1c``), so a notebook's tidy-up is one call."""
        removed = self.session.cleanup(lesson=self.key, images=True)
        for handle in self._port_locks.values():
            with contextlib.suppress(OSError):
                handle.close()
        self._port_locks.clear()
        self._ports.clear()
        return removed


def ports_dir() -> Path:
    """Where port reservations live: one folder for the whole machine (``$DOCKERLAB_PORTS``, else
    ``/tmp/dockerlab-ports``), not the user's state folder, because host ports belong to the
    machine: learners with their own accounts (their own state) on one shared machine must not
    be handed the same port. The folder is sticky and world-writable, like /tmp.

    The reservations are plain ``flock`` calls, not ``filelock`` (which the progress file and the
    sessions use): a port's lock file may belong to another learner's account, and in a sticky folder
    only a read-only open of it works (``fs.protected_regular`` refuses even an ``O_CREAT`` open of
    another user's file there), which is enough for ``flock``. filelock opens its lock files for
    writing, and refuses on purpose a lock file of another account in a sticky folder."""
    path = config.PORTS.path()
    if not path.is_dir():
        path.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            path.chmod(0o1777)
    return path


def _open_lock(path: Path):
    """The lock file, opened for flock (created if missing; another user's file is opened read-only,
    which is enough for flock), or None if it cannot be opened at all."""
    for flags in (os.O_RDONLY, os.O_RDONLY | os.O_CREAT | os.O_EXCL, os.O_RDONLY):  # last: lost a race to create it
        try:
            return os.fdopen(os.open(path, flags, 0o644), "rb")  # noqa: SIM115 - held while reserved
        except (FileNotFoundError, FileExistsError):
            continue
        except OSError:
            return None
    return None


def port_is_free(port: int) -> bool:
    """True when nothing listens on ``port`` on any address of this machine."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Closed connections linger in TIME_WAIT for a minute; they do not stop docker-proxy (which
        # sets SO_REUSEADDR) and should not make us skip the port. A listener still makes bind fail.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def start(key: str, mode: str = "learner", **kwargs) -> Lesson:
    """Begin a lesson: connect, sweep what dead kernels left, set up the notebook's displays and the kernel's
    environment for the engine (:func:`dockerlab.jupyter.magics.engine_settings`), and say so at the top when
    the engine is not Docker's or images the lesson uses are offline stand-ins.

    Returns:
        The :class:`Lesson` for this notebook.
    """
    from IPython.display import display as show

    from dockerlab import engine
    from dockerlab.jupyter import magics, strip, terminal
    from dockerlab.services.images import load_manifest
    from dockerlab.views.doctor import standin_notice

    problem = engine.problem()  # None when an engine answers
    magics.setup(readonly=problem is not None, problem=problem)
    lesson = Lesson(key, mode=mode, **kwargs)
    if problem is None:
        lesson.strip = strip.attach(lesson)
        magics.engine_settings()
        terminal.Export.install(get_ipython(), key)  # the lab's terminal gets the notebook's names and commands
        notice = standin_notice([spec.name for spec in load_manifest() if key in spec.notebooks])
        if notice is not None:
            show(notice)
    return lesson
