"""Exercises of notebook 04-running-containers: keep one running, let one remove itself, read an exit code.

``04.keep-running``  a container named ``worker-<session>`` from ``my-python-app-<session>`` (the
                     notebook's ``app_image``; see :func:`image`) runs in the
                     background; the image's own command (``python app.py``) exits at once, so
                     the learner must give one that keeps running (``sleep infinity``).
``04.auto-remove``   a container named ``scratch-<session>`` from ``my-python-app-<session>`` runs
                     ``sleep`` in the background with ``--rm`` (the engine's ``AutoRemove``).
``04.exit-code``     the notebook starts ``broken-<session>``, which fails; the learner finds its
                     exit code and sets the variable ``exit_code`` to it.
"""

from __future__ import annotations

from dockerlab.checks import Unmet, block, containers, exercise, prerequisite
from dockerlab.checks.blocks import MISSING, learner_value

IMAGE = "my-python-app"
#: The image's CMD, as the engine stores it.
IMAGE_CMD = ["python", "app.py"]

#: What the notebook runs as the broken container: a typo in the script's name (exit code 2).
BROKEN_COMMAND = ["python", "ap.py"]


def image(lesson) -> str:
    """The image the notebook builds and the exercises start: ``my-python-app-dl3f9a1c``.

    Session-unique like the containers' names, so a classmate's build on a shared engine never
    takes the name over.
    """
    return lesson.name(IMAGE)


# -- 04.keep-running ----------------------------------------------------------------------------


@block("the container {name} keeps running")
def keeps_running(name: str):
    """Running; when it exited because it ran the image's own short command, say so precisely."""
    container = containers.get(name)
    state = container.attrs.get("State") or {}
    cmd = (container.attrs.get("Config") or {}).get("Cmd") or []
    if state.get("Status") == "exited" and cmd == IMAGE_CMD:
        return (
            f"the container ran the image's own command, python app.py, which prints one line and exits "
            f"(exit code {state.get('ExitCode')}); a container lives only as long as its main process. Remove it "
            f"(docker rm {name}) and start it again with a command that never ends after the image name, such "
            f"as sleep infinity"
        )
    found = containers.running(name)
    return None if found.met else found.reason


@exercise(
    "04.keep-running",
    title="Keep a container running in the background",
    hints=[
        "-d (detached) starts the container in the background and gives you your prompt back.",
        "Whatever you write after the image name replaces the image's CMD.",
        "sleep infinity is a command that never ends by itself.",
    ],
)
def keep_running(lesson):
    name = lesson.name("worker")
    yield prerequisite(keeps_running(name))
    yield containers.from_image(name, image(lesson))


# -- 04.auto-remove -----------------------------------------------------------------------------


#: The general note of :func:`containers.get` about --rm, replaced here by a precise one.
_RM_NOTE = " (a container started with --rm is also removed as soon as it stops)"


@block("the container {name} exists")
def exists_or_explain(name: str):
    """Exists; a missing --rm container most often ran the short default command and is gone already."""
    try:
        containers.get(name)
    except Unmet as missing:
        reason = missing.reason.replace(_RM_NOTE, "")
        return (
            f"{reason}. If you did, with --rm but no command of your own, it ran python app.py, which ends at once, "
            f"and Docker removed it right away: add sleep 300 after the image name"
        )
    return None


@block("the container {name} is removed by Docker as soon as it stops (--rm)")
def auto_removes(name: str):
    if containers.host_config(name).get("AutoRemove"):
        return None
    return (
        f"the container was started without --rm, so after it stops it stays in docker ps -a until someone runs "
        f"docker rm. Remove it (docker rm -f {name}) and start it again with --rm"
    )


@exercise(
    "04.auto-remove",
    title="A container that removes itself",
    hints=[
        "--rm goes before the image name, like every option of docker run.",
        "It also needs a command that keeps it alive for a while, or it is gone before the check looks: sleep 300.",
        "docker run -d --rm --name NAME IMAGE sleep 300; in a ! line, !docker run -d --rm --name {scratch} {app_image} sleep 300",
    ],
)
def auto_remove(lesson):
    name = lesson.name("scratch")
    yield prerequisite(exists_or_explain(name))
    yield auto_removes(name)
    yield containers.running(name)
    yield containers.from_image(name, image(lesson))


# -- 04.exit-code -------------------------------------------------------------------------------

@block(lambda lesson, name: f"exit_code is the exit code of {name}")
def exit_code_found(lesson, name: str):
    answer = learner_value(lesson, "exit_code")
    try:
        container = containers.get(name)
    except Unmet:
        raise Unmet(f"the container {name} is gone (removed?); run the cell that starts it again, then look") from None
    state = container.attrs.get("State") or {}
    if state.get("Status") != "exited":
        raise Unmet(f"the container {name} has not finished yet ({state.get('Status')}); run the cell that starts it again")
    real = state.get("ExitCode")
    if answer is MISSING:
        return "there is no variable exit_code; run the ✍ cell, with the number you found in place of None"
    if answer is None:
        return "exit_code is still None: replace None with the number you found (docker ps -a shows it as Exited (N))"
    if isinstance(answer, bool) or not isinstance(answer, (int, str)) or (isinstance(answer, str) and not answer.strip().isdigit()):
        return f"exit_code is {answer!r}; give the exit code as a whole number, like exit_code = 5"
    number = int(answer)
    if number == real:
        return None
    if number == 0:
        return "0 means success, and this container failed; look at its STATUS in docker ps -a: Exited (N)"
    if number == 137:
        return "137 (128 + 9) means the process was killed with SIGKILL (docker kill, or docker stop after 10 s); nobody killed this one"
    if not 0 <= number <= 255:
        return f"{number} cannot be an exit code: a process exits with a number from 0 to 255"
    return (
        f"{number} is not the exit code of {name}; docker ps -a shows it in the STATUS column as Exited (N), and "
        f"docker inspect --format '{{{{.State.ExitCode}}}}' {name} prints just the number"
    )


@exercise(
    "04.exit-code",
    title="Find the exit code of a failed container",
    hints=[
        "docker ps -a lists stopped containers too; their STATUS says Exited (N).",
        "docker inspect --format '{{.State.ExitCode}}' NAME prints only the exit code.",
        "docker logs NAME shows what the program printed before it failed.",
    ],
)
def exit_code(lesson):
    yield exit_code_found(lesson, lesson.name("broken"))
