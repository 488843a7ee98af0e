"""Notebook 05's exercise against real containers and real published ports.

``simple-webapp-<session>`` (the name the exercise expects for this test process's session) is built
from the very files the notebook writes (its ``%%writefile`` cells), so the test also proves the
notebook's app works: it answers, and it stops at once on SIGTERM. The tag is removed after.
"""

from __future__ import annotations

import time

import pytest

from dockerlab import checks
from dockerlab.engine import session as sessions
from dockerlab.exercises import nb05_ports_and_web_apps as ex
from dockerlab.jupyter.lesson import port_is_free
from dockerlab import exercises
from support import docker, notebook_file, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("05-ports-and-web-apps")]

NOTEBOOK = "05-ports-and-web-apps.ipynb"


def image() -> str:
    """The image the exercise expects in this process's session: ``simple-webapp-<session>``."""
    return sessions.current().name(ex.IMAGE)


@pytest.fixture(autouse=True)
def webapp(build_image):
    files = {name: notebook_file(NOTEBOOK, f"/{name}") for name in ("server.py", "Dockerfile")}
    return build_image(image(), files)


@pytest.fixture
def site(container_name):
    return container_name("site")


def run_site(site: str, *publish: str) -> None:
    docker("run", "-d", "--name", site, *publish, image())


def test_right_answer_passes(lesson, site):
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"127.0.0.1:{port}:80")
    res = exercises.run("05.publish-localhost", lesson)
    assert res.passed, str(res)


def test_the_app_stops_at_once_on_docker_stop(lesson, site):
    run_site(site)
    time.sleep(0.5)  # let Python install its SIGTERM handler
    started = time.monotonic()
    docker("stop", site)
    assert time.monotonic() - started < 5, "server.py should end on SIGTERM, not be killed after 10 s"
    assert docker("inspect", "--format", "{{.State.ExitCode}}", site).stdout.strip() == "0"


def test_published_on_every_address(lesson, site):
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"{port}:80")
    res = exercises.run("05.publish-localhost", lesson)
    assert "every address of this machine" in unmet(res, "publishes port 80")
    assert len(res.requirements) == 3, "no page check while the publishing is wrong"


def test_wrong_container_port(lesson, site):
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"127.0.0.1:{port}:8080")
    res = exercises.run("05.publish-localhost", lesson)
    assert "publishes container port 8080/tcp but not 80" in unmet(res, "publishes port 80")


def test_not_published(lesson, site):
    run_site(site)
    res = exercises.run("05.publish-localhost", lesson)
    assert "publishes no ports" in unmet(res, "publishes port 80")


def test_other_host_port(lesson, site):
    other = lesson.port(ex.PREFERRED_PORT + 50)
    run_site(site, "-p", f"127.0.0.1:{other}:80")
    res = exercises.run("05.publish-localhost", lesson)
    assert f"host port {other}, not on host port {ex.exercise_port(lesson)}" in unmet(res, "publishes port 80")


def test_numbers_swapped(lesson, site):
    if not port_is_free(80):
        pytest.skip("host port 80 is in use here")
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"127.0.0.1:80:{port}")
    res = exercises.run("05.publish-localhost", lesson)
    assert "swapped" in unmet(res, "publishes port 80")


def test_not_running(lesson, site):
    port = ex.exercise_port(lesson)
    docker("create", "--name", site, "-p", f"127.0.0.1:{port}:80", image())
    res = exercises.run("05.publish-localhost", lesson)
    assert "created but never started" in unmet(res, "is running")
    assert len(res.requirements) == 1


def test_no_container(lesson, site):
    res = exercises.run("05.publish-localhost", lesson)
    assert f"no container named {site} exists" in unmet(res, "is running")
