"""Exercise of notebook 05-ports-and-web-apps: publish a web app on this machine only.

``05.publish-localhost``  a container named ``site-<session>`` from ``simple-webapp-<session>`` publishes
                          its port 80 on ``127.0.0.1:<the lesson's port>`` (the notebook shows
                          the number: ``lesson.port(8280)``), and the app answers there.
"""

from __future__ import annotations

from dockerlab.checks import containers, exercise, http, prerequisite

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
