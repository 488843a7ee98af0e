"""Notebook 08's exercises against the real engine: real networks, a real Redis, real lookups and PINGs.

The states are made with the ``docker`` CLI, as the learner makes them. Names carry this test
session's id; the lesson's reset removes the containers, then the networks, in ``finally``.
"""

from __future__ import annotations

import json

import pytest

from dockerlab import checks
from dockerlab.exercises import nb08_networks as ex
from dockerlab import exercises
from support import ROOT, docker, met, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("08-networks")]


def start(lesson, network: str | None = None, app_network: str | None = None, db_image: str = "redis:8") -> None:
    db_net = ["--network", network] if network else []
    app_net = ["--network", app_network] if app_network else db_net
    docker("run", "-d", "--name", lesson.name(ex.DB), *db_net, db_image, *([] if db_image == "redis:8" else ["sleep", "3600"]))
    docker("run", "-d", "--name", lesson.name(ex.APP), *app_net, "busybox:1.37", "sleep", "3600")


def test_right_answer_passes(lesson):
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    start(lesson, net)
    res = exercises.run("08.reach-by-name", lesson)
    assert res.passed, str(res)


def test_connecting_afterwards_also_passes(lesson):
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    start(lesson)  # both on the default bridge first
    docker("network", "connect", net, lesson.name(ex.DB))
    docker("network", "connect", net, lesson.name(ex.APP))  # (still on the default bridge too)
    assert exercises.run("08.reach-by-name", lesson).passed


def test_nothing_done_yet(lesson):
    res = exercises.run("08.reach-by-name", lesson)
    assert "docker network create" in unmet(res, "user-defined bridge")
    assert res.met_count == 0
    assert len(res.requirements) == 3, "one reason for each thing missing, not the same one again"


def test_default_bridge_has_no_names(lesson):
    start(lesson)  # no --network: the default bridge
    res = exercises.run("08.reach-by-name", lesson)
    assert "docker network create" in unmet(res, "user-defined bridge")
    assert "does not resolve" in unmet(res, "answers on port")


def test_app_on_another_network(lesson):
    net = lesson.name(ex.NETWORK)
    other = lesson.name("elsewhere")
    docker("network", "create", net)
    docker("network", "create", other)
    start(lesson, net, app_network=other)
    res = exercises.run("08.reach-by-name", lesson)
    assert "docker network connect" in unmet(res, f"{lesson.name(ex.APP)} is attached")
    assert "same one" in unmet(res, "answers on port")


def test_db_is_not_redis(lesson):
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    start(lesson, net, db_image="busybox:1.37")
    res = exercises.run("08.reach-by-name", lesson)
    assert "not redis:8" in unmet(res, "from the image redis:8")
    assert "nothing answered" in unmet(res, "answers on port")


# -- 08.reach-by-name: more wrong answers, some of them working ---------------------------------------


def test_db_under_a_near_name(lesson):
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    docker("run", "-d", "--name", lesson.name("db1"), "--network", net, "redis:8")
    docker("run", "-d", "--name", lesson.name(ex.APP), "--network", net, "busybox:1.37", "sleep", "3600")
    res = exercises.run("08.reach-by-name", lesson)
    assert f"named {lesson.name('db1')}: a typo?" in unmet(res, f"{lesson.name(ex.DB)} is running")


def test_network_under_a_near_name(lesson):
    net = lesson.name("shop-nets")  # a near name
    docker("network", "create", net)
    start(lesson, net)
    res = exercises.run("08.reach-by-name", lesson)
    assert f"no network named {lesson.name(ex.NETWORK)}" in unmet(res, "user-defined bridge")
    assert "create it with docker network create" in unmet(res, f"{lesson.name(ex.DB)} is attached")


def test_app_without_a_long_running_command_exits(lesson):
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    docker("run", "-d", "--name", lesson.name(ex.DB), "--network", net, "redis:8")
    docker("run", "-d", "--name", lesson.name(ex.APP), "--network", net, "busybox:1.37")  # sh, no input: exits
    res = exercises.run("08.reach-by-name", lesson)
    assert "exited with code 0" in unmet(res, f"{lesson.name(ex.APP)} is running")


def test_app_from_another_image(lesson):
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    docker("run", "-d", "--name", lesson.name(ex.DB), "--network", net, "redis:8")
    docker("run", "-d", "--name", lesson.name(ex.APP), "--network", net, "nginx:stable")
    res = exercises.run("08.reach-by-name", lesson)
    assert "not busybox:1.37" in unmet(res, f"{lesson.name(ex.APP)} was started from the image busybox:1.37")


def test_db_published_although_it_works(lesson):
    """Looks right: the app gets +PONG, but the database is open on this machine too."""
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    docker("run", "-d", "--name", lesson.name(ex.DB), "--network", net, "-p", f"127.0.0.1:{lesson.port(16380)}:6379", "redis:8")
    docker("run", "-d", "--name", lesson.name(ex.APP), "--network", net, "busybox:1.37", "sleep", "3600")
    res = exercises.run("08.reach-by-name", lesson)
    met(res, "answers on port")
    assert "start it without -p" in unmet(res, "publishes no port")
    assert f"127.0.0.1:{lesson.port(16380)}->6379/tcp" in unmet(res, "publishes no port")


def test_db_stopped(lesson):
    net = lesson.name(ex.NETWORK)
    docker("network", "create", net)
    start(lesson, net)
    docker("stop", "-t", "1", lesson.name(ex.DB))
    res = exercises.run("08.reach-by-name", lesson)
    assert "exited" in unmet(res, f"{lesson.name(ex.DB)} is running")
    assert not any("answers on port" in r.description for r in res.requirements), "no PING to a stopped server"


# -- 08.alias (transfer) --------------------------------------------------------------------------------


def catalog(lesson, *args: str, port: str | None = None) -> str:
    """The catalog nginx as the notebook starts it (default bridge, 127.0.0.1:PORT), or with other ``args``."""
    name = lesson.name(ex.CATALOG)
    publish = ["-p", port if port is not None else f"127.0.0.1:{lesson.port(ex.CATALOG_PORT)}:80"] if port != "" else []
    docker("run", "-d", "--name", name, *publish, *args, "nginx:stable")
    return name


def test_alias_right_answer_passes(lesson):
    name, net = catalog(lesson), lesson.name(ex.CATALOG_NET)
    docker("network", "create", net)
    docker("network", "connect", "--alias", ex.ALIAS, net, name)
    res = exercises.run("08.alias", lesson)
    assert res.passed, str(res)


def test_alias_recreated_with_network_alias_also_passes(lesson):
    net = lesson.name(ex.CATALOG_NET)
    docker("network", "create", net)
    catalog(lesson, "--network", net, "--network-alias", ex.ALIAS)
    assert exercises.run("08.alias", lesson).passed


def test_alias_nothing_done_yet(lesson):
    catalog(lesson)
    res = exercises.run("08.alias", lesson)
    assert "docker network create" in unmet(res, "user-defined bridge")
    assert f"no network named {lesson.name(ex.CATALOG_NET)}" in unmet(res, "is attached to the network")
    assert "it is not attached to" in unmet(res, "network alias books")
    met(res, "publishes port 80")
    assert not any("leads to" in r.description for r in res.requirements), "no client on a network that is not there"


def test_alias_network_made_but_not_connected(lesson):
    catalog(lesson)
    docker("network", "create", lesson.name(ex.CATALOG_NET))
    res = exercises.run("08.alias", lesson)
    assert "docker network connect" in unmet(res, "is attached to the network")
    assert "is not on" in unmet(res, "leads to")


@pytest.mark.parametrize(("alias_flags", "why"), [
    ((), "on {net} it has no alias, only its name"),
    (("--alias", "book"), "on {net} its aliases are book, not books (a typo?)"),
], ids=["no-alias", "typo"])
def test_alias_connected_without_the_right_alias(lesson, alias_flags, why):
    name, net = catalog(lesson), lesson.name(ex.CATALOG_NET)
    docker("network", "create", net)
    docker("network", "connect", *alias_flags, net, name)
    res = exercises.run("08.alias", lesson)
    assert why.format(net=net) in unmet(res, "network alias books")
    assert "cannot resolve the name books" in unmet(res, "leads to")


def test_alias_on_another_network(lesson):
    name, net, other = catalog(lesson), lesson.name(ex.CATALOG_NET), lesson.name("books-net")
    docker("network", "create", net)
    docker("network", "create", other)
    docker("network", "connect", "--alias", ex.ALIAS, other, name)
    res = exercises.run("08.alias", lesson)
    assert f"it has the alias books on {other}, but it is not attached to {net}" in unmet(res, "network alias books")


def test_alias_given_to_another_container(lesson):
    """Looks right: http://books/ answers with nginx's page, but from the wrong server."""
    name, net = catalog(lesson), lesson.name(ex.CATALOG_NET)
    other = lesson.name("catalog2")
    docker("network", "create", net)
    docker("network", "connect", net, name)
    docker("run", "-d", "--name", other, "--network", net, "--network-alias", ex.ALIAS, "nginx:stable")
    res = exercises.run("08.alias", lesson)
    assert "no alias, only its name" in unmet(res, "network alias books")
    assert f"books leads to {other}, not to {name}" in unmet(res, "leads to")


def test_alias_recreated_without_its_published_port(lesson):
    """Looks right: books answers on the network, but this machine lost its way in."""
    net = lesson.name(ex.CATALOG_NET)
    docker("network", "create", net)
    catalog(lesson, "--network", net, "--network-alias", ex.ALIAS, port="")
    res = exercises.run("08.alias", lesson)
    met(res, "leads to")
    assert "publishes no ports" in unmet(res, "publishes port 80")


def test_alias_recreated_on_every_address(lesson):
    net = lesson.name(ex.CATALOG_NET)
    docker("network", "create", net)
    catalog(lesson, "--network", net, "--network-alias", ex.ALIAS, port=f"{lesson.port(ex.CATALOG_PORT)}:80")
    res = exercises.run("08.alias", lesson)
    assert "every address of this machine" in unmet(res, "publishes port 80")


def test_alias_server_removed(lesson):
    docker("network", "create", lesson.name(ex.CATALOG_NET))
    res = exercises.run("08.alias", lesson)
    assert f"no container named {lesson.name(ex.CATALOG)} exists" in unmet(res, "is running")
    assert len(res.requirements) == 2, "nothing more to say about a server that is not there"


def test_alias_server_stopped(lesson):
    name, net = catalog(lesson), lesson.name(ex.CATALOG_NET)
    docker("network", "create", net)
    docker("network", "connect", "--alias", ex.ALIAS, net, name)
    docker("stop", "-t", "1", name)
    res = exercises.run("08.alias", lesson)
    assert "exited" in unmet(res, "is running")


# -- 08.fix-counter (debug-and-fix) -----------------------------------------------------------------


def cache(lesson, *publish: str) -> str:
    """The counter's network and its cache, as the notebook starts them (or publishing ``publish``)."""
    net, name = lesson.name(ex.COUNTER_NET), lesson.name(ex.CACHE)
    docker("network", "create", net)
    publish = publish or ("-p", f"127.0.0.1:{lesson.port(ex.CACHE_PORT)}:6379")
    docker("run", "-d", "--name", name, "--network", net, *publish, "redis:8")
    return name


def counter(lesson, *args: str, host: str | None = None, port: str = "6379", loop: str = ex.COUNTER_LOOP) -> str:
    name = lesson.name(ex.COUNTER)
    docker("run", "-d", "--name", name, *args, "-e", f"REDIS_HOST={host or lesson.name(ex.CACHE)}",
           "-e", f"REDIS_PORT={port}", "busybox:1.37", "sh", "-c", loop)
    return name


def test_the_notebook_runs_the_loop_the_check_knows():
    nb = json.loads((ROOT / "notebooks" / "08-networks.ipynb").read_text())
    sources = ["".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "code"]
    assert any(f"counter_loop = {ex.COUNTER_LOOP!r}" in source for source in sources)


def test_counter_right_answer_passes(lesson):
    cache(lesson)
    counter(lesson, "--network", lesson.name(ex.COUNTER_NET))
    res = exercises.run("08.fix-counter", lesson)
    assert res.passed, str(res)


def test_counter_as_shown_broken(lesson, kind):
    """The notebook's broken start: the default bridge, the host's port."""
    cache(lesson)
    counter(lesson, port=str(lesson.port(ex.CACHE_PORT)))
    res = exercises.run("08.fix-counter", lesson)
    default = "podman" if kind.product == "Podman" else "bridge"  # Podman's inspect names its default network
    assert f"is attached to {default}, not" in unmet(res, "is attached to the network")
    assert "the port published on this machine" in unmet(res, "REDIS_PORT")
    assert "bad address" in unmet(res, "log of")
    met(res, "environment variable REDIS_HOST")


@pytest.mark.parametrize(("on_network", "host_port", "fixed", "left", "log_says"), [
    # the name resolves now, and the log says Connection refused
    (True, True, "is attached to the network", "REDIS_PORT", "nothing listens on that port"),
    # the port is right, and the name still means nothing on the default bridge
    (False, False, "REDIS_PORT", "is attached to the network", "Docker's DNS answers names only on user-defined networks"),
], ids=["network-fixed", "port-fixed"])
def test_counter_half_fixed(lesson, on_network, host_port, fixed, left, log_says):
    cache(lesson)
    counter(lesson, *(["--network", lesson.name(ex.COUNTER_NET)] if on_network else []),
            port=str(lesson.port(ex.CACHE_PORT)) if host_port else "6379")
    res = exercises.run("08.fix-counter", lesson)
    met(res, fixed)
    assert ("containers on" if host_port else "docker network connect") in unmet(res, left)
    assert log_says in unmet(res, "log of")


def test_counter_pointed_at_localhost(lesson):
    cache(lesson)
    counter(lesson, "--network", lesson.name(ex.COUNTER_NET), host="localhost")
    res = exercises.run("08.fix-counter", lesson)
    assert "REDIS_HOST=localhost, not REDIS_HOST=" in unmet(res, "REDIS_HOST")
    assert "nothing listens on that port" in unmet(res, "log of")


def test_counter_pointed_at_the_cache_address(lesson):
    """Looks right: it counts, but through an address that changes when the cache is recreated."""
    name = cache(lesson)
    address = docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", name).stdout.strip()
    counter(lesson, "--network", lesson.name(ex.COUNTER_NET), host=address)
    res = exercises.run("08.fix-counter", lesson)
    met(res, "log of")
    assert f"REDIS_HOST={address}, not REDIS_HOST={name}" in unmet(res, "REDIS_HOST")


def test_counter_with_the_place_written_into_the_loop(lesson):
    """Looks right: it counts, but the loop no longer reads where the cache is from the environment."""
    cache(lesson)
    fixed = ex.COUNTER_LOOP.replace('"$REDIS_PORT"', "6379")
    counter(lesson, "--network", lesson.name(ex.COUNTER_NET), port=str(lesson.port(ex.CACHE_PORT)), loop=fixed)
    res = exercises.run("08.fix-counter", lesson)
    met(res, "log of")
    assert "no longer reads $REDIS_PORT" in unmet(res, "counter's loop")


def test_counter_works_but_the_cache_lost_its_published_port(lesson):
    """Looks right: it counts, but the cache was recreated without -p."""
    cache(lesson, "--label", "unpublished=yes")  # no -p
    counter(lesson, "--network", lesson.name(ex.COUNTER_NET))
    res = exercises.run("08.fix-counter", lesson)
    met(res, "log of")
    assert "publishes no ports" in unmet(res, f"{lesson.name(ex.CACHE)} publishes port 6379")


def test_counter_cache_moved_off_the_network(lesson):
    name = cache(lesson)
    counter(lesson, "--network", lesson.name(ex.COUNTER_NET))
    docker("network", "disconnect", lesson.name(ex.COUNTER_NET), name)
    res = exercises.run("08.fix-counter", lesson)
    assert "is attached to no network" in unmet(res, f"{name} is attached to the network")
    assert "bad address" in unmet(res, "log of")


def test_counter_without_its_loop(lesson):
    cache(lesson)
    name = lesson.name(ex.COUNTER)
    docker("run", "-d", "--name", name, "--network", lesson.name(ex.COUNTER_NET), "-e", f"REDIS_HOST={lesson.name(ex.CACHE)}",
           "-e", "REDIS_PORT=6379", "busybox:1.37", "sleep", "3600")
    res = exercises.run("08.fix-counter", lesson)
    assert "not the counter's loop" in unmet(res, "counter's loop")
    assert "printed nothing yet" in unmet(res, "log of")


def test_counter_removed_and_not_started_again(lesson):
    cache(lesson)
    res = exercises.run("08.fix-counter", lesson)
    assert f"no container named {lesson.name(ex.COUNTER)} exists" in unmet(res, f"{lesson.name(ex.COUNTER)} is running")
    met(res, f"{lesson.name(ex.CACHE)} is running")
