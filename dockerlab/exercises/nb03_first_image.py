"""Exercises of notebook 03-first-image: write a Dockerfile, then build it.

``03.dockerfile``  the learner writes ``greeter/Dockerfile`` (in the lesson's folder) for the
                   ``greet.py`` the notebook put there: a supported ``python:X.Y-slim`` base, a
                   WORKDIR, ``COPY greet.py``, an exec-form CMD that runs greet.py, and nothing
                   hadolint warns about. Read with the real parser, linted with the real hadolint.
``03.build``       the learner builds that folder as the image ``greeter-<session>`` (the notebook's
                   ``greeter = lesson.name("greeter")``: on an engine classmates share, a fixed
                   name would be taken over by whoever builds last); the check compares the image
                   with the Dockerfile as it is now (a forgotten rebuild shows) and runs the image
                   once to see it greet.
"""

from __future__ import annotations

import json

from dockerlab.checks import Unmet, block, containers, dockerfile, exercise, images, prerequisite, registry
from dockerlab.checks.blocks import show
from dockerlab.services import dockerfile as dockerfiles

FOLDER = "greeter"
SCRIPT = "greet.py"
IMAGE = "greeter"
GREETING = "Hello from my own image!"

#: What ``greet.py`` holds; the notebook writes it, and the tests use it too.
GREET_PY = f'print("{GREETING}")\n'


def tag(lesson) -> str:
    """The image name 03.build looks for: ``greeter`` plus the session id (``greeter-dl3f9a1c``)."""
    return lesson.name(IMAGE)


def dockerfile_path(lesson):
    return lesson.path(FOLDER, "Dockerfile")


# -- 03.dockerfile ------------------------------------------------------------------------------


def _final_cmd(path) -> list[str] | None:
    """The words of the final stage's CMD (through FROM <stage>) when it is a JSON list, else None."""
    cmds = dockerfile.parse(path).inherited("CMD")
    if not cmds or not cmds[-1].value.strip().startswith("["):
        return None
    return dockerfiles.words(cmds[-1].value)  # None when the JSON is broken or not a list of strings


@block(lambda path, script: f"the CMD runs {script}")
def cmd_runs(path, script: str):
    """The exec-form CMD names the script the folder holds (not the example's app.py)."""
    cmd = _final_cmd(path)
    if cmd is None:
        raise Unmet("there is no exec-form CMD to look at yet (see the line above)")
    if any(word == script or word.endswith("/" + script) for word in cmd):
        if cmd[0] in ("python", "python3", "/usr/local/bin/python", "/usr/bin/python3"):
            return None
        return f"the CMD starts {cmd[0]!r}, not Python; write CMD [\"python\", \"{script}\"]"
    others = [word for word in cmd if word.endswith(".py")]
    if others:
        return (
            f"the CMD runs {others[0]}, but the script in this folder is {script} (copied from the example?); "
            f'write CMD ["python", "{script}"]'
        )
    return f'the CMD {json.dumps(cmd)} does not run {script}; write CMD ["python", "{script}"]'


@exercise(
    "03.dockerfile",
    title="Write a Dockerfile for greet.py",
    hints=[
        "A Dockerfile for one Python script needs four instructions, in this order: FROM, WORKDIR, COPY, CMD.",
        "Start from the image this course uses: FROM python:3.13-slim",
        'The last line runs the script, as a JSON list with double quotes: CMD ["python", "greet.py"]',
    ],
)
def write_dockerfile(lesson):
    path = dockerfile_path(lesson)
    yield prerequisite(dockerfile.parses(path))  # every other requirement would repeat the same reason
    yield dockerfile.python_slim_base(path)
    yield dockerfile.has_workdir(path)
    yield dockerfile.copies(path, SCRIPT)
    yield dockerfile.cmd_exec_form(path)
    yield cmd_runs(path, SCRIPT)
    yield dockerfile.hadolint_clean(path, level="warning")


# -- 03.build -----------------------------------------------------------------------------------


@block(lambda lesson: "the Dockerfile is ready (exercise 03.dockerfile passes)")
def dockerfile_ready(lesson):
    result = registry.run(registry.registered()["03.dockerfile"], lesson)
    if result.passed:
        return None
    first = result.unmet[0] if result.unmet else None
    why = f"; its check still says: {first.reason}" if first and first.reason else ""
    return f"finish the Dockerfile (exercise 03.dockerfile) first{why}"


@block(lambda lesson, tag: f"the image {tag} matches your Dockerfile as it is now")
def matches_dockerfile(lesson, tag: str):
    """The image's CMD and working directory are the ones the Dockerfile asks for now."""
    path = dockerfile_path(lesson)
    config = images.get(tag).attrs.get("Config") or {}
    wanted_cmd = _final_cmd(path)
    workdirs = dockerfile.parse(path).inherited("WORKDIR")
    wanted_dir = workdirs[-1].value.strip() if workdirs else None
    got_cmd = config.get("Cmd")
    rebuild = f"build it again from the folder {show(lesson.path(FOLDER))} (docker build -t {tag} ...)"
    if wanted_cmd is not None and got_cmd != wanted_cmd:
        return (
            f"the image's CMD is {json.dumps(got_cmd)} but your Dockerfile says {json.dumps(wanted_cmd)}: the image was "
            f"built from another Dockerfile, or before your last change; {rebuild}"
        )
    if wanted_dir and (config.get("WorkingDir") or "").rstrip("/") != wanted_dir.rstrip("/"):
        return (
            f"the image works in {config.get('WorkingDir') or '/'} but your Dockerfile says WORKDIR {wanted_dir}: "
            f"it was built before your last change; {rebuild}"
        )
    return None


def _base_of(lesson) -> str:
    df = dockerfile.parse(dockerfile_path(lesson))
    return df.lineage()[-1].base


@block(lambda lesson, tag, text: f"a container from {tag} prints {text!r}")
def run_prints(lesson, tag: str, text: str):
    """Start the image once with its own CMD (as `docker run` would), read what it printed, remove it."""
    images.get(tag)
    code, output = containers.wait_then_remove(lesson.run(tag), tag, 30, "greet.py should print one line and exit")
    if text in output and code == 0:
        return None
    shown = output[-300:] if output else "nothing"
    if code != 0:
        return f"the container exited with code {code} and printed: {shown}"
    return f"the container printed {shown!r}, not {text!r}"


@exercise(
    "03.build",
    title="Build the image greeter",
    hints=[
        "docker build takes the image's name after -t and the build context folder last.",
        "The image's name is in the variable greeter (greeter plus this session's id), the folder in greeter_dir: "
        "!docker build -t {greeter} {greeter_dir}",
        "After changing the Dockerfile, build again: an image never changes by itself.",
    ],
)
def build_image(lesson):
    yield prerequisite(dockerfile_ready(lesson))  # nothing below can be judged fairly without a finished Dockerfile
    image = tag(lesson)
    yield images.exists(image)
    yield images.built_from(image, _base_of(lesson))
    yield matches_dockerfile(lesson, image)
    yield run_prints(lesson, image, GREETING)


# -- concept questions ---------------------------------------------------------------------------------
from dockerlab.checks.questions import question, right, wrong  # noqa: E402 - the questions go after the exercises

question(
    "03.q-fast-rebuild",
    title="Why a rebuild after changing only the app is fast",
    prompt="You built the image, then changed one line of app.py and built again. Why was the second build fast?",
    choices=[
        wrong("Docker keeps the finished container and only copies the new app.py into it",
              why="A build never reuses a container: it makes an image layer by layer. What is kept is the layers "
                  "of the steps before the change, in the build cache."),
        right("The steps before COPY app.py came out of the build cache; only COPY and what follows ran again",
              why="Each step's layer is reused while its input is unchanged: FROM and WORKDIR were, so they say CACHED. "
                  "COPY reads app.py, whose content changed, so it and every step after it run again. "
                  "(The same on every engine of the course: BuildKit, and Podman's Buildah, cache step by step.)"),
        wrong("The base image python:3.13-slim was downloaded again, which is faster the second time",
              why="The base image is already on the machine after the first build and is not downloaded again; "
                  "its layers are simply reused."),
    ],
)

question(
    "03.q-cache-key",
    title="Which layers the cache reuses",
    prompt="Which layers can a rebuild take from the cache?",
    choices=[
        wrong("Every layer whose instruction line is unchanged, wherever it stands",
              why="An unchanged line is not enough: a step is reused only if every step before it was too. Once one "
                  "step runs again, all after it run again, even with unchanged lines."),
        wrong("Only the base image's layers: your own steps always run again",
              why="Your own steps are cached too: WORKDIR and COPY said CACHED in the repeated build above."),
        right("Those of the steps before the first step whose instruction or input files changed",
              why="The cache goes top down: a step is reused when its instruction and the files it reads (for COPY) "
                  "are unchanged and the step before it was reused; from the first change on, every step runs."),
    ],
)
