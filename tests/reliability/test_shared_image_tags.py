"""Two learners on one engine, both in notebook 03, each building the image ``greeter``.

This was a known issue, kept as a strict xfail until it was fixed: notebook 03 told everyone to
build the fixed tag ``greeter``, so the second learner's build took the tag from the first, and
learner A, who did everything right, got "not yet" from 03.build (the image tagged ``greeter`` was
B's, built from another Dockerfile). Containers, networks and volumes were already session-named;
the image tags of notebooks 03, 04, 05, 09 and 10 were not.

The fix: those notebooks name their images from the lesson, like notebooks 06-11 do
(``greeter = lesson.name("greeter")`` and ``!docker build -t {greeter} ...``), and the exercises
expect that name (``nb03_first_image.tag(lesson)`` is ``greeter-<session>``). This test plays the
same scenario with two sessions: A and B each build "greeter" under their own session's name from
different Dockerfiles, and A's check still passes after B's build, while B's check judges B's image.
Both tags are removed at the end.
"""

from __future__ import annotations

import harness
from dockerlab import exercises

GREET = 'print("Hello from my own image!")\n'
RIGHT = 'FROM python:3.13-slim\nWORKDIR /app\nCOPY greet.py .\nCMD ["python", "greet.py"]\n'
OTHER = 'FROM python:3.13-slim\nWORKDIR /srv\nCOPY greet.py .\nCMD ["python", "greet.py"]\n'


def test_two_learners_building_greeter(tmp_path, course_session, record):
    from dockerlab import checks
    from dockerlab.engine import session as sessions
    from dockerlab.exercises import nb03_first_image as ex
    from dockerlab.jupyter.lesson import Lesson

    a = Lesson("03-first-image", workdir=tmp_path / "a")  # this process's session
    b = Lesson("03-first-image", workdir=tmp_path / "b")
    b.session = sessions.Session()  # a second learner: another session on the same engine
    tags = {ex.tag(a), ex.tag(b)}
    try:
        assert len(tags) == 2 and all(t.startswith("greeter-dl") for t in tags), tags
        for lesson, dockerfile in ((a, RIGHT), (b, OTHER)):
            lesson.path("greeter").mkdir()
            lesson.path("greeter", "greet.py").write_text(GREET)
            lesson.path("greeter", "Dockerfile").write_text(dockerfile)
        assert harness.docker("build", "-q", "-t", ex.tag(a), str(a.path("greeter")), timeout=300).returncode == 0
        assert exercises.run("03.build", a).passed  # A alone: done
        assert harness.docker("build", "-q", "-t", ex.tag(b), str(b.path("greeter")), timeout=300).returncode == 0  # B, a moment later
        result = exercises.run("03.build", a)
        record("Shared engine: two learners build greeter", "learner A builds `greeter` right, learner B builds `greeter` "
               "from another Dockerfile on the same engine, A checks 03.build",
               "A: " + ("done" if result.passed else "not yet: " + (result.unmet[0].reason[:120] if result.unmet else "?")), None)
        assert result.passed, f"learner A did everything right:\n{result}"
        assert exercises.run("03.build", b).passed  # B's own check judges B's image (WORKDIR /srv in both)
    finally:
        for tag in tags:
            harness.docker("rmi", tag)
        a.reset()
        b.reset()
        b.session.release()
