"""containers service and views against real containers: listing, logs, stop/remove and refusals."""

from __future__ import annotations

import contextlib

import docker.errors
import pytest

from dockerlab.services import containers
from dockerlab import engine
from dockerlab.engine import session
from dockerlab import errors
from dockerlab.views.containers import ContainerCard, ContainersTable

SERVE = ["sh", "-c", "echo hello from the test; trap 'exit 0' TERM; httpd -f -p 8000 & wait"]


@contextlib.contextmanager
def removed_after(*names: str):
    try:
        yield
    finally:
        for name in names:
            with contextlib.suppress(docker.errors.NotFound):
                engine.client().api.remove_container(name, force=True, v=True)


@pytest.fixture
def course_container():
    s = session.current()
    name = s.name("ct-web")
    with removed_after(name):
        s.run("busybox:1.37", SERVE, name=name, ports={"8000/tcp": None})
        yield name


@pytest.fixture
def foreign_container():
    """A container that is not the course's: no labels, no session id in its name."""
    name = "dockerlab-test-foreign-" + session.current().id.removeprefix("dl")
    assert session.owner_of(None, name) == (None, None)
    with removed_after(name):
        engine.client().containers.run("busybox:1.37", ["sleep", "60"], name=name, detach=True)
        yield name


def test_list_logs_stop_remove(course_container):
    rows = {r.name: r for r in containers.list_containers()}
    row = rows[course_container]
    assert row.is_course and row.manageable and row.state == "running"
    assert row.session == session.current().id
    assert row.links and row.links[0].startswith("http://127.0.0.1:")
    assert [r.name for r in containers.list_containers(course_only=True)].count(course_container) == 1
    assert "hello from the test" in containers.logs_tail(course_container, lines=5)

    assert containers.stop(course_container).state == "exited"
    assert containers.remove(course_container).name == course_container
    with pytest.raises(errors.NoSuchContainer):
        containers.get(course_container)


def test_foreign_containers_are_listed_but_never_touched(foreign_container):
    row = containers.get(foreign_container)
    assert not row.is_course and not row.manageable
    assert foreign_container in {r.name for r in containers.list_containers()}
    assert foreign_container not in {r.name for r in containers.list_containers(course_only=True)}
    with pytest.raises(errors.Refused):
        containers.stop(foreign_container)
    with pytest.raises(errors.Refused):
        containers.remove(foreign_container)
    assert containers.get(foreign_container).state == "running"

    card = ContainerCard(foreign_container)
    assert card.stop_button.layout.display == "none" and card.remove_button.layout.display == "none"
    card.on_remove()  # even called directly, the handler only shows the refusal
    assert "refuses" in card.message.value
    assert not card.remove_button.disabled
    assert containers.get(foreign_container).state == "running"
    assert "read-only" in card.html()


def test_table_and_card_views(course_container):
    table = ContainersTable(course_only=True)
    assert course_container in table.html() and course_container in str(table)
    assert "http://127.0.0.1:" in table.html()
    bundle = table._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"} <= set(bundle)

    card = ContainerCard(course_container, lines=5)
    assert "hello from the test" in card.html() and "hello from the test" in card.text()
    assert card.stop_button.layout.display is None

    card.on_stop()
    assert card.row.state == "exited" and "Stopped" in card.message.value
    assert not card.stop_button.disabled and card.stop_button.layout.display == "none"
    card.on_remove()
    assert card.gone and "Removed" in card.message.value
    assert "No such container" in card.html()
    table.on_refresh()
    assert course_container not in table.html()


def test_card_shows_engine_errors_in_place(course_container):
    card = ContainerCard(course_container)
    containers.remove(course_container)
    card.on_stop()  # the container vanished behind the card's back
    assert "No such container" in card.message.value
    assert not card.stop_button.disabled


def _named(session_name: str) -> list:
    return engine.client().containers.list(all=True, filters={"name": session_name})


def test_a_container_that_cannot_start_is_removed_by_the_helper(course_session):
    """A command the image lacks makes the engine refuse to start the container: the helper removes it
    (docker-py would leave it in state Created, named by the learner, found by no sweep)."""
    name = course_session.name("cannot-start")
    with pytest.raises(errors.CommandNotFound) as raised:
        course_session.run("busybox:1.37", ["no-such-program-here"], name=name)
    assert raised.value.command == "no-such-program-here"
    assert "busybox:1.37" in raised.value.message and "was removed" in raised.value.message
    assert _named(name) == []


def test_the_suites_own_runs_remove_a_container_that_cannot_start(run_once, course_session):
    """The tests' own one-off runs (tests/conftest.py's run_once) leave nothing either."""
    before = {c.name for c in engine.client().containers.list(all=True)}
    with pytest.raises(docker.errors.APIError, match="no-such-program-here"):
        run_once("busybox:1.37", ["no-such-program-here"])
    assert {c.name for c in engine.client().containers.list(all=True)} - before == set()
