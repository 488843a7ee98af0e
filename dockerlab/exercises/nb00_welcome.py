"""Exercise of notebook 00-welcome: tell the engine from the client.

``00.engine-version``  the learner asks ``docker version`` for the engine's own version (the
                       *Server*'s, not the *Client*'s) and sets the variable ``engine_version`` to
                       it. The check compares it with what the engine reports; the other numbers
                       ``docker version`` prints (the client's version, the API version, a
                       component's version, Go's version) each get their own explanation.
"""

from __future__ import annotations

from dockerlab.engine import dockercli
from dockerlab import engine
from dockerlab.checks import block, exercise
from dockerlab.checks.blocks import MISSING, learner_value

VARIABLE = "engine_version"


def client_version() -> str | None:
    """The ``docker`` command's own version, as ``docker version`` prints it under *Client*."""
    done = dockercli.run(["version", "--format", "{{.Client.Version}}"], timeout=20)
    text = done.stdout.strip()
    return text or None


def _other_number(text: str, server: dict) -> str | None:
    """Which other number of ``docker version`` the learner copied, said plainly; None if none."""
    if text == client_version():
        return (
            f"{text} is the version of the Client, the docker command you type. The engine is the other program, "
            "the Server: its version is the one under Server, Engine"
        )
    if text in (server.get("ApiVersion"), server.get("MinAPIVersion"), engine.negotiated_api_version()):
        return (
            f"{text} is an API version, the language the client and the engine agree to speak, not the engine's "
            "own version; that is the line Version under Server, Engine"
        )
    for component in server.get("Components") or []:
        if component.get("Name") != "Engine" and text == str(component.get("Version")):
            return (
                f"{text} is the version of {component.get('Name')}, a program the engine runs under it; "
                "the engine's own version is the first Version under Server"
            )
    if text == server.get("GoVersion") or "go" + text == server.get("GoVersion"):
        return f"{text} is the version of Go, the language the engine is written in; look at the line Version"
    return None


@block(f"{VARIABLE} is the version of the Docker engine (the Server in docker version)")
def engine_version_found(lesson):
    """The learner's ``engine_version`` equals the engine's ``Version`` (``GET /version``)."""
    answer = learner_value(lesson, VARIABLE)
    server = engine.server_version()
    real = str(server.get("Version"))
    if answer is MISSING:
        return f"there is no variable {VARIABLE}; run the ✍ cell, with the version you found in place of None"
    if answer is None:
        return f"{VARIABLE} is still None: replace None with the engine's version, in quotes"
    if not isinstance(answer, str):
        return (
            f"{VARIABLE} is {answer!r}, a {type(answer).__name__}; a version is text with several dots, "
            "so put it in quotes, like '27.3.1'"
        )
    text = answer.strip()
    if text == real:
        return None
    other = _other_number(text, server)
    if other:
        return other
    if text and real.startswith(text):
        return f"{text!r} is the start of the engine's version only: copy the whole Version value under Server, Engine"
    return (
        f"{text!r} is not the engine's version; docker version prints it under Server, Engine, on the line Version "
        "(or ask for that field alone with --format)"
    )


@exercise(
    "00.engine-version",
    title="Which version is the engine?",
    hints=[
        "docker version prints two programs: Client (the docker command) and Server (the engine).",
        "The engine's version is the line Version just under Server: and Engine:.",
        "A Go template prints one field alone: docker version --format '{{.Server.Version}}'.",
    ],
)
def engine_version(lesson):
    yield engine_version_found(lesson)
