"""Exercises of notebook 09-many-containers: the counter app as a compose file, started.

Also home of what notebook 10's exercises reuse: :func:`compose_exercise`, the order every compose exercise's
check runs in, and the blocks :func:`depends_on` and :func:`project_runs`. The notebook's measured summary table
counts commands with :class:`dockerlab.commandlog.CommandLog`.
"""

from __future__ import annotations

import functools
import ipaddress

import docker.errors

from dockerlab.services import compose as compose_service
from dockerlab import engine
from dockerlab.checks import compose, containers, exercise, http, prerequisite
from dockerlab.checks.blocks import Unmet, block, show

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
        for state in states:  # a scaled service: every one of its containers, not the first
            if state.state == "running":
                if state.health == "unhealthy":
                    problems.append(f"{_which(service, state, states)} runs but its healthcheck says unhealthy (docker inspect {state.name} shows the check's output)")
                continue
            problems.append(_not_running(_which(service, state, states), state))
    if problems:
        return "; ".join(problems)
    return None


def _which(service: str, state, states) -> str:
    """``web``, or ``web (its container NAME)`` when the service has several containers."""
    return service if len(states) == 1 else f"{service} ({state.name})"


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


def compose_exercise(folder: str, name: str, services: list[str], *, answers, state=None):
    """Make the decorated ``file_checks(lesson, file)``, which yields the requirements on a compose file, the check
    of a compose exercise, in its order: the file ``folder/compose.yaml`` is well formed and meets
    ``file_checks``; the project ``lesson.name(name)`` started from it runs ``services`` (the rest builds on that);
    then ``answers(project)``, what the running project must do.

    Args:
        state: For a project whose services wait for one another: ``state(project)``, a requirement on the
            project's state (a health check, a one-off job's exit code), asked before whether every service runs
            since it says why one does not; a project never started gets only the reason that it is not.
    """

    def wrap(file_checks):
        @functools.wraps(file_checks)
        def check(lesson):
            file = lesson.path(folder, "compose.yaml")
            project = lesson.name(name)
            yield from compose.well_formed(file)
            yield from file_checks(lesson, file)
            running = project_runs(project, services, file)
            if state is not None:
                if not running.met and "nothing runs under" in running.reason:
                    yield running
                    return
                yield state(project)
            yield prerequisite(running)
            yield answers(project)

        return check

    return wrap


@exercise(
    "09.compose-file",
    title="Describe the counter app in exercise/compose.yaml and start it with Compose",
    hints=[
        "Start from the compose.yaml of this notebook and rename: the web service becomes app, redis becomes cache, "
        "the volume data becomes counts. Keep image: ${COUNTER_IMAGE} for app (this session's counter-app image).",
        "The app finds Redis by the name in REDIS_HOST: with the service called cache, that is REDIS_HOST: cache. "
        'Publish only on this machine, on any free port: ports: ["127.0.0.1::8000"].',
        "Start it with the command in the second Your-turn cell: docker compose -f exercise/compose.yaml -p "
        "myapp-<session id> up -d (the -p name is how the check finds your project).",
    ],
)
@compose_exercise("exercise", "myapp", ["app", "cache"],
                  answers=lambda project: http.container_answers(f"{project}-app-1", 8000, contains="seen"))
def compose_file(lesson, file):
    yield compose.uses_image(file, "app", image(lesson))
    yield compose.uses_image(file, "cache", "redis:8")
    yield compose.env_set(file, "app", "REDIS_HOST", "cache")
    yield compose.publishes(file, "app", 8000, host_ip="127.0.0.1")
    yield compose.uses_volume(file, "cache", "counts", "/data")
    yield depends_on(file, "app", "cache")


@block(lambda project, service, count, port, contains: f"each of the {count} containers of {service} publishes {port} on 127.0.0.1 and answers {contains!r}")
def every_copy_answers(project: str, service: str, count: int, port: int, contains: str):
    """The service has ``count`` containers in the project, and every one of them (not the first only) is
    running, publishes ``port`` on 127.0.0.1 and answers there with a page containing ``contains``."""
    copies = [s for s in compose_service.ps(project).services if s.service == service]
    if not copies:
        raise Unmet(f"the project {project} has no container of {service}")
    problems = []
    if len(copies) != count:
        names = ", ".join(s.name for s in copies)
        problems.append(f"{len(copies)} containers of {service} run ({names}), not {count}")
    for state in copies:
        if state.state != "running":
            problems.append(f"{state.name} is {state.state}")
            continue
        for requirement in (containers.publishes(state.name, port, host_ip="127.0.0.1"),
                            http.container_answers(state.name, port, contains=contains)):
            if not requirement.met:
                problems.append(f"{state.name}: {requirement.reason}")
                break
    return "; ".join(problems) or None


def _looks_like_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@block("the service {name} finds {target} by its service name ({key}={target})")
def finds_by_service_name(file, name: str, key: str, target: str):
    """``key`` in the service's environment names the service ``target``: not an IP address, not a container
    name, not another service's name."""
    found = compose.env_set(file, name, key, target)
    services = compose.config(file).get("services") or {}
    if target not in services:
        return (
            f"there is no service named {target} (the file defines {', '.join(sorted(services))}): keep the service's "
            f"name {target} and let {name} find it by that name, {key}: {target}"
        )
    if found.met:
        return None
    got = (compose.service(file, name).get("environment") or {}).get(key)
    if got is None:
        return found.reason
    got = str(got)
    if _looks_like_ip(got):
        return (
            f"the service {name} sets {key}={got}, an IP address: Docker gives the container of {target} a new one "
            f"whenever it is created again (down and up), and then {name} loses it; use the service name: {key}: {target}"
        )
    if got.endswith(f"-{target}-1") or got.endswith(f"_{target}_1"):
        return (
            f"the service {name} sets {key}={got}, the name of a container of {target}: it changes with the project "
            f"name (-p), so the file works for one project only; use the service name: {key}: {target}"
        )
    if got not in services:
        return (
            f"the service {name} sets {key}={got}, but the file has no service {got} (it has {', '.join(sorted(services))}), "
            f"so that name is unknown on the project's network; use {key}: {target}"
        )
    return found.reason


@exercise(
    "09.replicas",
    title="Three copies of the counter app, from the compose file alone",
    hints=[
        "The notebook scaled with --scale on the command line, which counts for that one command. A compose file can "
        "say how many containers a service has: the key is deploy: with replicas: under it.",
        "Three copies cannot share one host port: publish the container port on 127.0.0.1 and leave the host port "
        'out ("127.0.0.1::8000"). GREETING and REDIS_HOST go under the service\'s environment:.',
        "Under web: image: ${COUNTER_IMAGE}, then environment: with GREETING: Bonjour and REDIS_HOST: store, "
        'ports: ["127.0.0.1::8000"], deploy: with replicas: 3. Under store: image: redis:8. Then run the '
        "Your-turn command (up -d with -p trio-<session id>, and no --scale).",
    ],
)
@compose_exercise("replicas", "trio", ["web", "store"],
                  answers=lambda project: every_copy_answers(project, "web", 3, 8000, "Bonjour from"))
def replicas(lesson, file):
    yield compose.uses_image(file, "web", image(lesson))
    yield compose.uses_image(file, "store", "redis:8")
    yield compose.replicas(file, "web", 3)
    yield compose.env_set(file, "web", "GREETING", "Bonjour")
    yield finds_by_service_name(file, "web", "REDIS_HOST", "store")
    yield compose.publishes(file, "web", 8000, host_ip="127.0.0.1")
    yield compose.any_host_port(file, "web", 8000)


@exercise(
    "09.fix-host",
    title="Repair the compose file whose app cannot find its Redis",
    hints=[
        "Read the app's last line in the logs: it names the host it tried. On a Compose project's network, which "
        "names does Docker's DNS know?",
        "Each service's name is a host name on the project's network. The Redis service of this file is called db, "
        "and the app takes the host to ask from REDIS_HOST.",
        "Under web: environment: with REDIS_HOST: db (keep the services' names and the ports line), then run the "
        "up -d command again: Compose recreates web from the repaired file.",
    ],
)
@compose_exercise("broken", "broken", ["web", "db"],
                  answers=lambda project: http.container_answers(f"{project}-web-1", 8000, contains="seen"))
def fix_host(lesson, file):
    yield compose.uses_image(file, "web", image(lesson))
    yield compose.uses_image(file, "db", "redis:8")
    yield finds_by_service_name(file, "web", "REDIS_HOST", "db")
    yield compose.publishes(file, "web", 8000, host_ip="127.0.0.1")


__all__ = ["compose_exercise", "depends_on", "project_runs", "every_copy_answers", "finds_by_service_name", "compose_file", "replicas", "fix_host"]
