"""Exercises of notebook 05-ports-and-web-apps: publish a web app on this machine only, let the engine pick the
host port, and repair a dev server no published port can reach.

``05.publish-localhost``  (apply) a container named ``site-<session>`` from ``simple-webapp-<session>`` publishes
                          its port 80 on ``127.0.0.1:<the lesson's port>`` (the notebook shows
                          the number: ``lesson.port(8280)``), and the app answers there.
``05.engine-port``        (transfer) a container named ``picked-<session>`` from ``simple-webapp-<session>`` publishes
                          port 80 on 127.0.0.1 at a host port the engine picked (``-p 127.0.0.1::80``, never shown
                          in the notebook); the file ``picked-port.txt`` in the lesson's folder holds that port's
                          number (read with ``docker port``), and the app answers there.
``05.fix-devserver``      (debug-and-fix) the notebook builds ``devserver-<session>``, whose CMD binds
                          ``python -m http.server`` to 127.0.0.1, and shows its published port closing every
                          connection; the learner repairs the Dockerfile, builds again, and runs ``dev-<session>``
                          from the new build with the image's own command, the app listening on every address, port
                          8000 published on ``127.0.0.1:<lesson.port(8380)>``, the page answering.
"""

from __future__ import annotations

import re

from dockerlab.checks import block, containers, exercise, http, prerequisite
from dockerlab.checks.blocks import read_text, show

IMAGE = "simple-webapp"
CONTAINER_PORT = 80
PREFERRED_PORT = 8280
GREETING = "Hello from simple-webapp"


def image(lesson) -> str:
    """The image the notebook builds: ``simple-webapp-dl3f9a1c`` (the notebook's ``webapp``)."""
    return lesson.name(IMAGE)


def exercise_port(lesson) -> int:
    """The host port the exercise asks for: the same number the notebook printed."""
    return lesson.port(PREFERRED_PORT)


@exercise(
    "05.publish-localhost",
    title="Publish simple-webapp on 127.0.0.1 only",
    hints=[
        "-p takes HOST:CONTAINER, and an address may come first: -p ADDRESS:HOST_PORT:CONTAINER_PORT.",
        "simple-webapp listens on port 80 inside its container; the host port is the one printed above.",
        "docker run -d --name NAME -p 127.0.0.1:HOST_PORT:80 IMAGE; in a ! line the variables fill it in: "
        "!docker run -d --name {site} -p 127.0.0.1:{site_port}:80 {webapp}",
    ],
)
def publish_localhost(lesson):
    name = lesson.name("site")
    port = exercise_port(lesson)
    yield prerequisite(containers.running(name))
    yield containers.from_image(name, image(lesson))
    yield prerequisite(containers.publishes(name, CONTAINER_PORT, host_port=port, host_ip="127.0.0.1"))
    yield http.answers(f"http://127.0.0.1:{port}/", contains=GREETING)


# -- 05.engine-port -----------------------------------------------------------------------------

#: The file the learner writes the engine's port into, in the lesson's folder.
PORT_FILE = "picked-port.txt"


def port_file(lesson):
    """``work/05-ports-and-web-apps/picked-port.txt``: where the learner writes the port the engine picked."""
    return lesson.path(PORT_FILE)


@block(lambda path, name, container_port: f"{show(path)} holds the host port {name} publishes port {container_port} on")
def port_file_holds(path, name: str, container_port: int):
    """The file holds the number alone (spaces and a final newline allowed) of the live host port."""
    live = containers.published_host_port(name, container_port)
    text = read_text(path, what="port file").strip()
    shown = f"{text[:40]}..." if len(text) > 40 else text
    if not text:
        return f"{show(path)} is empty; write the port number docker port {name} {container_port} shows after the colon"
    if live is None:
        return f"{name} publishes no host port for {container_port} now, so no number can be right (see above)"
    if re.fullmatch(r"\d+", text):
        if text == live:
            return None
        if text == str(container_port):
            return (f"{show(path)} holds {text}, the container's port; the file wants the host port, the number "
                    f"docker port {name} {container_port} shows after the colon")
        return (f"{show(path)} holds {text}, but {name} publishes port {container_port} on host port {live} now (a new "
                f"container gets a new port: after each docker run, read it again)")
    if re.fullmatch(r"(?:[\w.:\[\]-]*:)?\d+(?:\s.*)?", text, flags=re.S) or "->" in text:
        return (f"{show(path)} holds {shown!r}, the whole line docker port prints; write the port number alone, "
                f"the part after the last colon")
    return f"{show(path)} holds {shown!r}, not a port number; write the number alone (like 32768)"


@exercise(
    "05.engine-port",
    title="Let the engine pick the host port, then find it",
    hints=[
        "In -p ADDRESS:HOST_PORT:CONTAINER_PORT the host port may be left empty: the engine then picks a free one.",
        "-p 127.0.0.1::80 publishes port 80 on 127.0.0.1 at a port the engine picks; docker port NAME 80 shows which, "
        "as ADDRESS:PORT.",
        "!docker run -d --name {picked} -p 127.0.0.1::80 {webapp}, then in Python: mapping = !docker port {picked} 80 "
        "and port_file.write_text(mapping[0].rsplit(\":\", 1)[1])",
    ],
)
def engine_port(lesson):
    name = lesson.name("picked")
    yield prerequisite(containers.running(name))
    yield containers.from_image(name, image(lesson))
    yield prerequisite(containers.publishes(name, CONTAINER_PORT, host_ip="127.0.0.1"))
    yield containers.host_port_picked_by_engine(name, CONTAINER_PORT)
    yield port_file_holds(port_file(lesson), name, CONTAINER_PORT)
    live = containers.published_host_port(name, CONTAINER_PORT)
    if live is not None:
        yield http.answers(f"http://127.0.0.1:{live}/", contains=GREETING)


# -- 05.fix-devserver ---------------------------------------------------------------------------

#: The dev server image's name before the session id (not a course image: the notebook builds it).
DEV_IMAGE_NAME = "devserver"
#: The dev server's container: ``dev-dl3f9a1c`` (the notebook's ``dev``).
DEV_CONTAINER = "dev"
DEV_PORT = 8000
DEV_PREFERRED_PORT = 8380
#: What the dev server's page says (the notebook's index.html).
DEV_PAGE = "Team notes"


def dev_image(lesson) -> str:
    """The dev server's image, built broken by the notebook and again by the learner: ``devserver-dl3f9a1c``."""
    return lesson.name(DEV_IMAGE_NAME)


def dev_port(lesson) -> int:
    """The host port the dev server is published on: the notebook's ``dev_port``."""
    return lesson.port(DEV_PREFERRED_PORT)


@exercise(
    "05.fix-devserver",
    title="Repair the dev server no published port can reach",
    hints=[
        "docker logs shows the address the server listens on. Inside a container, 127.0.0.1 is the container's own "
        "loopback: a published port arrives at the container's network address instead.",
        "The Dockerfile's CMD passes --bind 127.0.0.1 to http.server: make it 0.0.0.0 (or leave --bind out), then "
        "build the image again under the same name.",
        "A running container keeps the image it started from: docker rm -f {dev}, then the same docker run line as "
        "before: docker run -d --name {dev} -p 127.0.0.1:{dev_port}:8000 {dev_image}",
    ],
)
def fix_devserver(lesson):
    name = lesson.name(DEV_CONTAINER)
    port = dev_port(lesson)
    yield prerequisite(containers.running(name))
    yield containers.from_current_build(name, dev_image(lesson))
    yield containers.runs_image_command(name)
    yield containers.publishes(name, DEV_PORT, host_port=port, host_ip="127.0.0.1")
    yield prerequisite(containers.listens_everywhere(name, DEV_PORT))
    yield http.answers(f"http://127.0.0.1:{port}/", contains=DEV_PAGE)
