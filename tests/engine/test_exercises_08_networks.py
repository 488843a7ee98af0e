"""Notebook 08's exercise against the real engine: real networks, a real Redis, a real PING.

The states are made with the ``docker`` CLI, as the learner makes them. Names carry this test
session's id; the lesson's reset removes the containers, then the networks, in ``finally``.
"""

from __future__ import annotations

import pytest

from dockerlab import checks
from dockerlab.exercises import nb08_networks as ex
from dockerlab import exercises
from support import docker, unmet

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
