"""Exercises of notebook 10-compose-in-depth: make the web service wait for a healthy Redis."""

from __future__ import annotations

import docker.errors

from dockerlab import engine
from dockerlab.checks import compose, exercise, http, prerequisite
from dockerlab.checks.blocks import block
from dockerlab.exercises.nb09_many_containers import project_runs


@block("the container {name} reports healthy")
def healthy(name: str):
    """The container's healthcheck (``State.Health``) says healthy."""
    try:
        info = engine.client().api.inspect_container(name)
    except docker.errors.NotFound:
        return f"there is no container {name}; start the project with docker compose up -d"
    health = (info.get("State") or {}).get("Health")
    if not health:
        return (
            f"{name} has no healthcheck: it was started from a file without one (after adding healthcheck:, "
            "run docker compose up -d again so Compose recreates the container)"
        )
    status = health.get("Status")
    if status == "healthy":
        return None
    log = health.get("Log") or []
    last = log[-1] if log else {}
    said = (last.get("Output") or "").strip().replace("\n", " ")[:200]
    detail = f"; the last check exited with code {last.get('ExitCode')}" + (f" and said: {said}" if said else "") if last else ""
    if status == "starting":
        return f"{name} is still starting (its healthcheck has not passed yet){detail}; wait a few seconds and check again"
    return (
        f"{name} is {status}: its healthcheck command keeps failing{detail}. Test the command by hand: "
        f"docker exec {name} redis-cli ping should print PONG"
    )


@exercise(
    "10.wait-for-healthy",
    title="Make web wait until Redis is really ready",
    hints=[
        "Give the redis service a healthcheck: a command that succeeds only when Redis answers, e.g. "
        'test: ["CMD", "redis-cli", "ping"], with interval: 1s and enough retries (say 30).',
        "Then make web wait for it with the long form of depends_on: depends_on: {redis: {condition: service_healthy}}.",
        "Start it again with the command in the cell below the file: docker compose up -d waits for healthy Redis before it starts web.",
    ],
)
def wait_for_healthy(lesson):
    file = lesson.path("exercise", "compose.yaml")
    project = lesson.name("race")
    yield from compose.well_formed(file)
    yield compose.has_healthcheck(file, "redis")
    yield compose.depends_on_healthy(file, "web", "redis")
    running = project_runs(project, ["web", "redis"], file)
    if not running.met and "nothing runs under" in running.reason:
        yield running  # not started yet: one reason is enough
        return
    yield healthy(f"{project}-redis-1")
    yield prerequisite(running)
    yield http.container_answers(f"{project}-web-1", 8000, contains="seen")


__all__ = ["healthy", "wait_for_healthy"]
