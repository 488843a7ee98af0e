"""Wrong learner answers across the course's exercises: each gets "not yet" with a reason about
*that* mistake, and none raises.

The corpus is ``bad_inputs/``: one file per case and ``cases.yaml`` (what to do with the file, the
exercise to check, and a fragment the reason must contain). Each case makes the wrong state for
real in a fresh lesson folder: the Dockerfile or compose file is written where the notebook asks
for it, the wrongly-flagged container is started with the session's name by the real CLI, the
variable is set to the wrong value. Then ``dockerlab.checks.run_exercise`` judges it.
"""

from __future__ import annotations

import ast
import re
import shlex
import time
from pathlib import Path

import pytest
import yaml

import harness
from dockerlab import exercises

HERE = Path(__file__).parent / "bad_inputs"
CASES = yaml.safe_load((HERE / "cases.yaml").read_text())["cases"]

#: Files the notebooks put next to the learner's file before the exercise starts.
GIVEN = {
    "03.": {"greeter/greet.py": 'print("Hello from my own image!")\n'},
}
#: The course images the run cases start (as ``{name_my-python-app}``: the notebooks name them after
#: the session), and the notebooks that build them (built here from the notebook's own files, so they
#: are the images a learner would have, under this process's session's names; removed after).
IMAGES = {"my-python-app": "04-running-containers.ipynb", "simple-webapp": "05-ports-and-web-apps.ipynb"}


def lesson_key(exercise: str) -> str:
    number = exercise.split(".", 1)[0]
    found = [nb.stem for nb in harness.ALL_NOTEBOOKS if nb.stem.startswith(number + "-")]
    return found[0] if found else f"{number}-lesson"


class Names(dict):
    """``{name_web}`` -> lesson.name("web"); other placeholders as given."""

    def __init__(self, lesson, **given):
        super().__init__(given)
        self.lesson = lesson

    def __missing__(self, key: str) -> str:
        if key.startswith("name_"):
            return self.lesson.name(key.removeprefix("name_"))
        raise KeyError(key)


def _made(words: list[str]) -> list[tuple[str, str]]:
    """(kind, name) of what a docker command creates, to remove it after the case."""
    if words[:2] in (["network", "create"], ["volume", "create"]):
        return [(words[0], words[-1])]
    if words[:1] == ["run"] and "--name" in words:
        return [("container", words[words.index("--name") + 1])]
    return []


@pytest.fixture(scope="module")
def course_images(course_session):
    """my-python-app-<session> and simple-webapp-<session>, as notebooks 04 and 05 build them."""
    import nbformat

    built = []
    for base, notebook in IMAGES.items():
        tag = course_session.name(base)
        folder = Path(__import__("tempfile").mkdtemp(prefix=f"dockerlab-{tag}-"))
        for cell in nbformat.read(harness.NOTEBOOKS / notebook, as_version=4).cells:
            written = re.match(r"%%writefile \{\w+\}/(\S+)\n", cell.source)
            if written:
                (folder / written.group(1)).write_text(cell.source.split("\n", 1)[1] + "\n")
        if base == "my-python-app":
            (folder / "app.py").write_text('print("Hello, World from Docker!")\n')
            (folder / "Dockerfile").write_text('FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n')
        built.append((tag, folder))
    ensure_images(built)
    yield built
    for tag, _ in built:
        harness.docker("rmi", tag)


def ensure_images(built: list[tuple[str, Path]]) -> None:
    """Build each image that is not there (again): a lesson's reset untags the session's images, so a
    case that ends with one removes them for the cases after it. From the cache, a rebuild takes a second."""
    for tag, folder in built:
        if harness.docker("image", "inspect", tag).returncode != 0:
            done = harness.docker("build", "-q", "-t", tag, str(folder), timeout=300)
            assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_bad_input_gets_not_yet_with_its_reason(case, tmp_path, course_images, record):
    from dockerlab import checks
    from dockerlab.exercises.nb05_ports_and_web_apps import exercise_port
    from dockerlab.jupyter.lesson import Lesson

    ensure_images(course_images)
    lesson = Lesson(lesson_key(case["exercise"]), mode="learner", workdir=tmp_path / "work")
    fill = Names(lesson, port=None, workdir=str(lesson.workdir))
    if case["exercise"].startswith("05."):
        fill["port"] = exercise_port(lesson)
    made: list[tuple[str, str]] = []
    data = (HERE / case["file"]).read_bytes()
    started = time.monotonic()
    try:
        for prefix, files in GIVEN.items():
            if case["exercise"].startswith(prefix):
                for rel, text in files.items():
                    lesson.path(rel).parent.mkdir(parents=True, exist_ok=True)
                    lesson.path(rel).write_text(text)
        commands = list(case.get("before", []))
        if case["kind"] == "docker":
            commands += [line for line in data.decode().splitlines() if line.strip()]
        for line in commands:
            words = shlex.split(line.format_map(fill))
            made += _made(words)
            if words[:1] == ["run"] and "{workdir}/shared" in line:
                lesson.path("shared").mkdir(exist_ok=True)
                lesson.path("shared").chmod(0o777)
            done = harness.docker(*words, timeout=120)
            assert done.returncode == 0 or "-d" not in words, f"could not set the case up: docker {line}: {done.stderr}"
        if case["kind"] == "file":
            target = lesson.path(case["to"])
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data * case.get("repeat", 1))
        if case["kind"] == "variable":
            lesson.namespace = {case["to"]: ast.literal_eval(data.decode())}

        result = exercises.run(case["exercise"], lesson)  # must not raise, whatever the input
        seconds = time.monotonic() - started
        reasons = [r.reason for r in result.unmet]
        assert result.engine_error is None, result.engine_error
        assert not result.passed, f"a wrong answer passed:\n{result}"
        assert not any("bug in the exercise" in r for r in reasons), f"the check itself broke:\n{result}"
        assert any(case["expect"].lower() in r.lower() for r in reasons), f"expected {case['expect']!r} in a reason:\n{result}"
    finally:
        lesson.reset()
        for kind, name in reversed(made):
            args = {"container": ["rm", "-f", name], "network": ["network", "rm", name], "volume": ["volume", "rm", "-f", name]}
            harness.docker(*args[kind])
    first = next(r for r in reasons if case["expect"].lower() in r.lower())
    record(f"Bad input: {case['file']}", f"{case['exercise']} ({case['kind']})", f"not yet: {first[:140]}", seconds)
