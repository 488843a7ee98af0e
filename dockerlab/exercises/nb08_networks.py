"""Exercises of notebook 08-networks: containers that reach each other by name.

``08.reach-by-name``  (apply) the learner creates the user-defined network ``lesson.name("shop-net")``,
                      runs a Redis server ``lesson.name("db")`` (``redis:8``, no published port) and a
                      long-running client, the app, ``lesson.name("shop")`` (``busybox:1.37 sleep 3600``) on
                      it. The check looks at the network and the containers, then asks, from inside the
                      client, ``PING`` to ``db``'s name on port 6379 and expects Redis's ``+PONG``.
``08.alias``          (transfer) an nginx ``lesson.name("catalog")`` already runs on the default bridge,
                      publishing 127.0.0.1:PORT. The learner puts it on a new network
                      ``lesson.name("catalog-net")`` under the extra name (network alias) ``books``, keeping
                      its published port. The check starts a busybox client on that network which looks
                      ``books`` up (it must lead to ``catalog``) and fetches its page.
``08.fix-counter``    (debug-and-fix) a counter (busybox, a loop sending ``INCR hits`` to Redis with ``nc``)
                      was started on the default bridge with ``REDIS_PORT`` set to the cache's published
                      host port: its log says ``nc: bad address``. The learner starts it again on the
                      cache's network, with the container's own port 6379; the check reads the
                      counter's settings and waits for Redis's answers in its log.
"""

from __future__ import annotations

import re
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
        yield containers.publishes_nothing(db)
    if containers.there_is(app):
        yield containers.from_image(app, "busybox:1.37")
        yield containers.on_network(app, net)
    if db_up.met and app_up.met:
        yield reaches_by_name(app, db)


# -- 08.alias (transfer): an extra name on a second network ------------------------------------------

#: The running web server the notebook starts, its new network, the alias and its host port (preferred).
CATALOG = "catalog"
CATALOG_NET = "catalog-net"
ALIAS = "books"
CATALOG_PORT = 8090

_TITLE = "<title>Welcome to nginx!</title>"


def _ip_on(container, network: str) -> str:
    settings = ((container.attrs.get("NetworkSettings") or {}).get("Networks") or {}).get(network) or {}
    return settings.get("IPAddress") or ""


def _resolved(output: str) -> list[str]:
    """The addresses busybox's nslookup printed for the name (after its ``Name:`` line, not the server's)."""
    _, found, answer = output.partition("Name:")
    return re.findall(r"^Address(?: \d+)?:\s*([0-9.]+)\s*$", answer, re.M) if found else []


def _owner(network: str, address: str) -> str | None:
    """The name of the container that has ``address`` on ``network``, if any."""
    try:
        members = engine.client().api.inspect_network(network).get("Containers") or {}
    except docker.errors.APIError:
        return None
    for member in members.values():
        if (member.get("IPv4Address") or "").split("/")[0] == address:
            return member.get("Name")
    return None


@block(lambda lesson, network, alias, target: f"on {network}, the name {alias} leads to {target}'s web page")
def name_leads_to(lesson, network: str, alias: str, target: str):
    """A busybox client started on ``network`` looks ``alias`` up and fetches ``http://ALIAS/``."""
    container = containers.already_running(target, so="so there is nothing to reach")
    if network not in ((container.attrs.get("NetworkSettings") or {}).get("Networks") or {}):
        raise Unmet(f"{target} is not on {network} (see above), so nothing there answers to {alias}")
    script = f"nslookup {alias} 2>&1; echo ===; wget -qO- -T 3 http://{alias}/ 2>&1"
    client = lesson.run("busybox:1.37", ["sh", "-c", script], network=network)
    _, output = containers.wait_then_remove(client, "busybox:1.37", 20, "nslookup and wget should finish in a few seconds")
    looked_up, _, page = output.partition("===")
    found = _resolved(looked_up)
    if not found:
        return (
            f"a container on {network} cannot resolve the name {alias}: {target} answers there only to its own name; "
            f"give it the alias with docker network connect --alias {alias} (or --network-alias {alias})"
        )
    wanted = _ip_on(container, network)
    if wanted not in found:
        owner = _owner(network, found[0])
        return f"on {network}, {alias} leads to {owner or found[0]}, not to {target} ({wanted}): the alias belongs on {target}"
    if _TITLE not in page:
        return f"{alias} leads to {target}, but http://{alias}/ did not answer with nginx's page: {page.strip()[:100] or 'no answer'}"
    return None


@exercise(
    "08.alias",
    title="A running server gets a second network and an extra name",
    hints=[
        "A running container can join another network without being stopped, and on that network it can "
        "answer to an extra name, a network alias.",
        "Create the network, then attach the running container to it with docker network connect; that command "
        "takes --alias NAME.",
        "docker network create NETWORK, then docker network connect --alias books NETWORK CONTAINER.",
    ],
)
def alias(lesson):
    net, catalog, port = lesson.name(CATALOG_NET), lesson.name(CATALOG), lesson.port(CATALOG_PORT)
    network_ok = user_defined_bridge(net)
    yield network_ok
    up = containers.running(catalog)
    yield up
    if containers.there_is(catalog):
        yield containers.from_image(catalog, "nginx:stable")
        yield containers.publishes(catalog, 80, host_port=port, host_ip="127.0.0.1")
        yield containers.on_network(catalog, net)
        yield containers.has_alias(catalog, net, ALIAS)
    if up.met and network_ok.met:
        yield name_leads_to(lesson, net, ALIAS, catalog)


# -- 08.fix-counter (debug-and-fix): the counter that cannot reach its cache --------------------------

COUNTER = "counter"
CACHE = "cache"
COUNTER_NET = "counter-net"
#: The cache's published host port (preferred): anything but 6379, so that it differs from Redis's own port.
CACHE_PORT = 16379

#: The counter's program: every second, INCR the key hits in Redis and print Redis's answers (``:N``, ``+OK``).
COUNTER_LOOP = 'while true; do printf "INCR hits\\r\\nQUIT\\r\\n" | nc -w 2 "$REDIS_HOST" "$REDIS_PORT"; sleep 1; done'

_COUNT = re.compile(r"^(:\d+|\+OK)$")


@block("the container {name} runs the counter's loop as it was")
def runs_loop(name: str):
    command = " ".join((containers.get(name).attrs.get("Config") or {}).get("Cmd") or [])
    if "INCR hits" not in command:
        return f"{name} runs {command[:80]!r}, not the counter's loop; start it with sh -c '{{counter_loop}}' as above"
    missing = [v for v in ("$REDIS_HOST", "$REDIS_PORT") if v not in command]
    if missing:
        return (
            f"the loop no longer reads {' and '.join(missing)}: keep the loop as it is and set where the cache is "
            f"with -e, so that the same program runs wherever the cache lives"
        )
    return None


@block(lambda name, network, port, host_port: f"the container {name}'s REDIS_PORT is the port Redis listens on inside the network")
def redis_port(name: str, network: str, port: int, host_port: int):
    env = dict(item.split("=", 1) for item in (containers.get(name).attrs.get("Config") or {}).get("Env") or [] if "=" in item)
    got = env.get("REDIS_PORT")
    if got is None:
        return f"{name} has no REDIS_PORT in its environment; set it with -e REDIS_PORT=..."
    if got == str(port):
        return None
    if got == str(host_port):
        return (
            f"REDIS_PORT={got} is the port published on this machine (-p 127.0.0.1:{host_port}:{port}); containers on "
            f"{network} do not go through the host: they reach the container's own port"
        )
    return f"REDIS_PORT={got}, but nothing in the cache listens on {got}; which port does redis-server listen on inside its container?"


@block(lambda name, cache: f"the log of {name} shows Redis's answers (:1, :2, ...): each INCR reaches {cache}")
def counts(name: str, cache: str):
    container = containers.already_running(name, so="so it counts nothing")
    deadline = time.monotonic() + 5
    while True:
        lines = [line.strip() for line in container.logs(tail=4).decode("utf-8", "replace").splitlines() if line.strip()]
        if lines and _COUNT.match(lines[-1]):
            return None
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if not lines:
        return f"{name} printed nothing yet; it should print Redis's answers every second (docker logs {name})"
    last = lines[-1][:120]
    if "bad address" in last:
        return (
            f"its log ends with {last!r}: the name {cache} means nothing where {name} is. Docker's DNS answers names only "
            f"on user-defined networks, to containers attached to the same one"
        )
    if "refused" in last.lower():
        return f"its log ends with {last!r}: the name resolves, but nothing listens on that port inside {cache}"
    return f"its log ends with {last!r}, not with Redis's answers (docker logs {name})"


@exercise(
    "08.fix-counter",
    title="Debug: the counter cannot reach its cache",
    hints=[
        "Read the log's error: a name that means nothing is a question of which network the container is on; "
        "a refused connection is a question of which port.",
        "The counter must join the cache's network, and inside that network the cache's Redis listens on its own "
        "port, not on the port published on this machine. Environment variables are fixed at docker run: remove the "
        "counter and start it again.",
        "docker rm -f COUNTER, then the same docker run with --network NETWORK and -e REDIS_PORT=6379 "
        "(REDIS_HOST stays the cache's name).",
    ],
)
def fix_counter(lesson):
    net, cache, counter = lesson.name(COUNTER_NET), lesson.name(CACHE), lesson.name(COUNTER)
    port = lesson.port(CACHE_PORT)
    counter_up, cache_up = containers.running(counter), containers.running(cache)
    yield counter_up
    if containers.there_is(counter):
        yield containers.from_image(counter, "busybox:1.37")
        yield runs_loop(counter)
        yield containers.on_network(counter, net)
        yield containers.has_env(counter, "REDIS_HOST", cache)
        yield redis_port(counter, net, DB_PORT, port)
    yield cache_up
    if containers.there_is(cache):
        yield containers.from_image(cache, "redis:8")
        yield containers.on_network(cache, net)
        yield containers.publishes(cache, DB_PORT, host_port=port, host_ip="127.0.0.1")
    if counter_up.met:
        yield counts(counter, cache)
