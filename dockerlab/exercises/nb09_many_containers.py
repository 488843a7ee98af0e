"""Exercises of notebook 09-many-containers: the counter app as a compose file, started.

Also home of two blocks about a running Compose project that notebook 10's exercise reuses:
:func:`depends_on` and :func:`project_runs`. The notebook's measured summary table counts commands
with :class:`dockerlab.commandlog.CommandLog`.
"""

from __future__ import annotations

import docker.errors

from dockerlab.services import compose as compose_service
from dockerlab import engine
from dockerlab.checks import compose, exercise, http, prerequisite
from dockerlab.checks.blocks import block, show

#: The counter app's image, as the notebook builds it: ``counter-app-<session>:1.0`` (see :func:`image`).
IMAGE = "counter-app"
IMAGE_TAG = "1.0"

#: The label Compose puts on every container it creates.
PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"


def image(lesson) -> str:
    """The counter app's image: ``counter-app-dl3f9a1c:1.0``, session-unique like every name the course makes.

    Notebooks 09 and 10 build it and put it in the environment variable ``COUNTER_IMAGE``, which their
    compose files name as ``image: ${COUNTER_IMAGE}``.
    """
    return f"{lesson.name(IMAGE)}:{IMAGE_TAG}"


@block("the service {name} depends on {dependency}")
def depends_on(file, name: str, dependency: str):
    """``depends_on`` of the service lists ``dependency`` (short or long form, any condition)."""
    svc = compose.service(file, name)
    deps = svc.get("depends_on") or {}
    if dependency in deps:
        return None
    now = f" (it depends on {', '.join(sorted(deps))})" if deps else ""
    return (
        f"the service {name} does not depend on {dependency}{now}, so Compose may start both at once; "
        f"add depends_on: [{dependency}] to {name}"
    )


def _containers_of_service(service: str) -> list[dict]:
    api = engine.client().api
    return api.containers(all=True, filters={"label": f"{SERVICE_LABEL}={service}"})


def _other_projects(project: str, services: list[str], session_id: str) -> list[str]:
    """Projects other than ``project`` running these services that look like the learner's."""
    found = set()
    for service in services:
        for c in _containers_of_service(service):
            other = (c.get("Labels") or {}).get(PROJECT_LABEL, "")
            if other and other != project:
                found.add(other)
    # A classmate's project on a shared engine carries another session id: never mention it.
    return sorted(p for p in found if session_id in p or "-dl" not in p)


@block(lambda project, services, file=None: f"the Compose project {project} runs {', '.join(services)}")
def project_runs(project: str, services: list[str], file=None):
    """Every service of ``services`` has a running container in the Compose project ``project``.

    Args:
        project: The project name (``docker compose -p NAME``).
        services: Services that must run.
        file: The compose file, to name it in the command the reason suggests.
    """
    up = f"docker compose -f {show(file)} -p {project} up -d" if file else f"docker compose -p {project} up -d"
    status = compose_service.ps(project)
    if not status.services:
        session_id = project.rsplit("-", 1)[-1]
        others = _other_projects(project, services, session_id)
        if others:
            return (
                f"nothing runs under the project name {project}, but the services run in the project {others[0]}: "
                f"start them with -p {project} (without -p, Compose names the project after the folder); "
                f"docker compose -p {others[0]} down -v removes the other one"
            )
        return f"nothing runs under the project name {project}; start it with {up}"
    problems = []
    for service in services:
        states = [s for s in status.services if s.service == service]
        if not states:
            problems.append(f"the project has no container for the service {service} (is it in the file you started?)")
            continue
        state = states[0]
        if state.state == "running":
            if state.health == "unhealthy":
                problems.append(f"{service} runs but its healthcheck says unhealthy (docker inspect {state.name} shows the check's output)")
            continue
        problems.append(_not_running(service, state))
    if problems:
        return "; ".join(problems)
    return None


def _not_running(service: str, state) -> str:
    """Why the container of ``service`` is not running, in the learner's words."""
    if state.state == "created":
        return (
            f"the container of {service} was created but never started: Compose waits for a service it depends on "
            "(a dependency that never becomes healthy keeps it waiting); docker compose ps -a and docker compose logs show why"
        )
    last = _last_line(state.name)
    said = f"; its last line: {last}" if last else ""
    return f"the container of {service} is {state.state} (exit code {state.exit_code}){said}"


def _last_line(name: str) -> str:
    try:
        raw = engine.client().api.logs(name, tail=1, stdout=True, stderr=True)
    except docker.errors.APIError:
        return ""
    text = raw.decode("utf-8", "replace").strip()
    return text if len(text) <= 200 else text[:197] + "..."


@exercise(
    "09.compose-file",
    title="Describe the counter app in exercise/compose.yaml and start it with Compose",
    hints=[
        "Start from the compose.yaml of this notebook and rename: the web service becomes app, redis becomes cache, "
        "the volume data becomes counts. Keep image: ${COUNTER_IMAGE} for app (this session's counter-app image).",
        "The app finds Redis by the name in REDIS_HOST: with the service called cache, that is REDIS_HOST: cache.",
        'Publish only on this machine, on any free port: ports: ["127.0.0.1::8000"].',
        "Start it with the command in the second Your-turn cell: docker compose -f exercise/compose.yaml -p "
        "myapp-<session id> up -d (the -p name is how the check finds your project).",
    ],
)
def compose_file(lesson):
    file = lesson.path("exercise", "compose.yaml")
    project = lesson.name("myapp")
    yield from compose.well_formed(file)
    yield compose.uses_image(file, "app", image(lesson))
    yield compose.uses_image(file, "cache", "redis:8")
    yield compose.env_set(file, "app", "REDIS_HOST", "cache")
    yield compose.publishes(file, "app", 8000, host_ip="127.0.0.1")
    yield compose.uses_volume(file, "cache", "counts", "/data")
    yield depends_on(file, "app", "cache")
    yield prerequisite(project_runs(project, ["app", "cache"], file))
    yield http.container_answers(f"{project}-app-1", 8000, contains="seen")


__all__ = ["depends_on", "project_runs", "compose_file"]
