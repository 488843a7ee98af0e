"""Exercise of notebook 08-networks: one container reaches another by name.

``08.reach-by-name``  the learner creates the user-defined network ``lesson.name("shop-net")``,
                      runs a Redis server ``lesson.name("db")`` (``redis:8``) and a long-running
                      client, the app, ``lesson.name("shop")`` (``busybox:1.37 sleep 3600``) on it. The check
                      looks at the network and the containers, then asks, from inside the client,
                      ``PING`` to ``db``'s name on port 6379 and expects Redis's ``+PONG``.
"""

from __future__ import annotations

import time

import docker.errors

from dockerlab import engine
from dockerlab.checks import Unmet, block, containers, exercise

#: The network and the two containers the exercise asks for, before the session id (``lesson.name(DB)``).
NETWORK = "shop-net"
DB = "db"
APP = "shop"  # not "app": the notebook's demo runs a container "api", and a near name would be taken for a typo
DB_PORT = 6379


@block("{name} is a user-defined bridge network")
def user_defined_bridge(name: str):
    if name in ("bridge", "host", "none"):
        return f"{name} is one of Docker's built-in networks; create your own with docker network create NAME"
    try:
        network = engine.client().networks.get(name)
    except docker.errors.NotFound:
        return f"there is no network named {name}; create it with docker network create {name}"
    driver = network.attrs.get("Driver")
    if driver != "bridge":
        return f"{name} uses the {driver} driver; on one machine, create a bridge network: docker network create {name}"
    return None


@block(lambda app, db: f"from inside {app}, the name {db} answers on port {DB_PORT}")
def reaches_by_name(app: str, db: str):
    container = containers.already_running(app, so="so nothing can be tried from inside it")
    script = f"printf 'PING\\r\\n' | nc -w 3 {db} {DB_PORT}"
    # A Redis started a moment ago may not listen yet: ask again for a few seconds before judging.
    deadline = time.monotonic() + 6
    while True:
        try:
            code, output = container.exec_run(["sh", "-c", script])
        except docker.errors.APIError as exc:
            raise Unmet(f"could not run a command inside {app}: {exc.explanation or exc}") from None
        text = output.decode("utf-8", "replace").strip()
        if "+PONG" in text or "bad address" in text or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if "+PONG" in text:
        return None
    if "bad address" in text or "can't resolve" in text.lower():
        return (
            f"inside {app}, the name {db} does not resolve ({text[:80]}). Docker's DNS answers container names only "
            f"on user-defined networks, and only between containers attached to the same one: put both on it"
        )
    if "not found" in text and "nc" in text:
        return f"{app} has no nc command to try with; start it from busybox:1.37 (docker run -d --name {app} --network NET busybox:1.37 sleep 3600)"
    if "refused" in text.lower() or "timed out" in text.lower() or code != 0 or not text:
        return (
            f"the name {db} resolves, but nothing answered PING on port {DB_PORT} ({text[:80] or 'no answer'}); "
            f"is {db} a running redis:8 container?"
        )
    return f"{db} answered {text[:80]!r} instead of +PONG; run {db} from the image redis:8"


@exercise(
    "08.reach-by-name",
    title="Two containers on one network: the app reaches the database by name",
    hints=[
        "Create the network first: docker network create NETWORK",
        "Start both containers with --network NETWORK: the database from redis:8, the app from busybox:1.37 "
        "with the command sleep 3600 so it keeps running.",
        "Forgot --network on docker run? docker network connect NETWORK CONTAINER attaches a running container.",
    ],
)
def reach_by_name(lesson):
    net, db, app = lesson.name(NETWORK), lesson.name(DB), lesson.name(APP)
    yield user_defined_bridge(net)
    db_up, app_up = containers.running(db), containers.running(app)
    yield db_up
    yield app_up
    # A container that does not exist has nothing more to judge: one reason each is enough.
    if containers.there_is(db):
        yield containers.from_image(db, "redis:8")
        yield containers.on_network(db, net)
    if containers.there_is(app):
        yield containers.on_network(app, net)
    if db_up.met and app_up.met:
        yield reaches_by_name(app, db)
