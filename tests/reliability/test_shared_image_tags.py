"""Known issue, kept as a strict xfail so it is seen and so the day it is fixed is noticed.

Two learners on one engine, both in notebook 03: the notebook tells each to build the image
``greeter`` (a fixed tag, not a session-unique one, unlike the names of containers), so the
second build takes the tag from the first. Learner A did everything right, yet 03.build says the
image "was built before your last change", because the image tagged ``greeter`` is now B's.
Containers, networks and volumes are session-named; image tags of notebooks 03-05 (greeter,
my-python-app, simple-webapp) are not. A fix means session-unique tags in notebook 03's text
(``-t {greeter}`` with ``greeter = lesson.name("greeter")``) and in nb03_first_image.TAG.

At the end the tag is rebuilt from the notebook's own solution, so a colleague's run of notebook
03 on this engine finds the image it expects.
"""

from __future__ import annotations

import pytest

import harness

GREET = 'print("Hello from my own image!")\n'
RIGHT = 'FROM python:3.13-slim\nWORKDIR /app\nCOPY greet.py .\nCMD ["python", "greet.py"]\n'
OTHER = 'FROM python:3.13-slim\nWORKDIR /srv\nCOPY greet.py .\nCMD ["python", "greet.py"]\n'


@pytest.mark.xfail(strict=True, reason="image tags of notebook 03 are shared by every learner on an engine")
def test_two_learners_building_greeter(tmp_path, course_session, record):
    from dockerlab import checks
    from dockerlab.lesson import Lesson

    a = Lesson("03-first-image", workdir=tmp_path / "a")
    b_dir = tmp_path / "b" / "greeter"
    b_dir.mkdir(parents=True)
    (a.path("greeter")).mkdir()
    for folder, dockerfile in ((a.path("greeter"), RIGHT), (b_dir, OTHER)):
        (folder / "greet.py").write_text(GREET)
        (folder / "Dockerfile").write_text(dockerfile)
    try:
        assert harness.docker("build", "-q", "-t", "greeter", str(a.path("greeter")), timeout=300).returncode == 0
        assert checks.run_exercise("03.build", a).passed  # A alone: done
        assert harness.docker("build", "-q", "-t", "greeter", str(b_dir), timeout=300).returncode == 0  # B, a moment later
        result = checks.run_exercise("03.build", a)
        record("Known issue: shared image tags", "learner A builds `greeter` right, learner B builds `greeter` from another "
               "Dockerfile on the same engine, A checks 03.build",
               "A gets 'not yet': " + (result.unmet[0].reason[:120] if result.unmet else "?"), None)
        assert result.passed, f"learner A did everything right:\n{result}"
    finally:
        harness.docker("build", "-q", "-t", "greeter", str(a.path("greeter")), timeout=300)
        a.reset()
