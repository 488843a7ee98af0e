"""Exercises of notebook 10-compose-in-depth: wait for a healthy Redis (apply), seed the data with a one-off
job before the app starts (transfer), and repair a health check whose command is not in the image (debug-and-fix)."""

from __future__ import annotations

import re
import shlex

import docker.errors

from dockerlab import engine
from dockerlab.services import compose as compose_service
from dockerlab.checks import compose, containers, exercise, http
from dockerlab.checks.blocks import Unmet, block
from dockerlab.exercises.nb09_many_containers import compose_exercise


def _test_command(info: dict) -> str:
    """The container's healthcheck test as a command to type after ``docker exec NAME``."""
    test = ((info.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
    if test[:1] == ["CMD-SHELL"]:
        return "sh -c " + shlex.quote(" ".join(test[1:]))
    return shlex.join(test[1:]) if test[:1] == ["CMD"] else ""


def _health_problem(name: str, info: dict) -> str | None:
    """Why the container (inspected as ``info``) is not healthy, quoting its health check's last output; None if healthy."""
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
    # The last line says most: a Python traceback ends with the error, a shell's message is one line
    said = ([line.strip() for line in (last.get("Output") or "").splitlines() if line.strip()] or [""])[-1][:200]
    detail = f"; the last check exited with code {last.get('ExitCode')}" + (f" and said: {said}" if said else "") if last else ""
    if status == "starting":
        return f"{name} is still starting (its healthcheck has not passed yet){detail}; wait a few seconds and check again"
    command = _test_command(info)
    by_hand = f" Test the command by hand: docker exec {name} {command}" if command else ""
    return f"{name} is {status}: its healthcheck command keeps failing{detail}.{by_hand}"


def _inspect(name: str) -> dict:
    try:
        return engine.client().api.inspect_container(name)
    except docker.errors.NotFound:
        raise Unmet(f"there is no container {name}; start the project with docker compose up -d") from None


@block("the container {name} reports healthy")
def healthy(name: str):
    """The container's healthcheck (``State.Health``) says healthy."""
    return _health_problem(name, _inspect(name))


@block("{count} containers of the service {service} run in the project {project}, each of them healthy")
def every_container_healthy(project: str, service: str, count: int):
    """Every container of a (scaled) service runs and is healthy, and there are ``count`` of them."""
    states = [s for s in compose_service.ps(project).services if s.service == service]
    if not states:
        return f"the project {project} has no container of the service {service}; start it with --scale {service}={count}"
    problems = []
    for state in states:
        if state.state != "running":
            problems.append(f"{state.name} is {state.state} (exit code {state.exit_code})")
            continue
        problem = _health_problem(state.name, _inspect(state.name))
        if problem:
            problems.append(problem)
    if len(states) != count:
        problems.append(
            f"the service {service} has {len(states)} container{'s' if len(states) != 1 else ''}, not {count}; "
            f"start the project with --scale {service}={count}"
        )
    return "; ".join(problems) or None


@block("the healthcheck of the service {name} asks the app at {path}")
def healthcheck_asks(file, name: str, path: str):
    """The service's healthcheck test names ``path`` (so it fails when the app does not answer there)."""
    check = compose.service(file, name).get("healthcheck") or {}
    test = check.get("test") or []
    text = " ".join(test) if isinstance(test, list) else str(test)
    if not text or check.get("disable"):
        return f"the service {name} has no healthcheck to ask its app; add a `healthcheck:` whose test fetches {path}"
    if path not in text:
        return (
            f"the healthcheck of {name} does not ask the app at {path} (its test is: {text}), so it can say healthy "
            f"while the app does not answer; fetch http://127.0.0.1:8000{path} with a program the image has"
        )
    return None


@block("the page of {name} counts more than {minimum} visits")
def counts_above(name: str, container_port: int, minimum: int):
    """The counter's page ("... seen N times") at the port ``name`` publishes shows N > ``minimum``."""
    bound = [b for b in containers._bindings(containers.get(name)) if b.container_port == container_port and b.host_port]
    if not bound:
        return f"{name} does not publish port {container_port}, so its page cannot be read from here"
    _, body = http.fetch(f"http://127.0.0.1:{bound[0].host_port}/")
    seen = re.search(r"seen (\d+) times", body)
    if not seen:
        return f"the page does not say how many visits it counted; it says: {body.strip()[:120]}"
    hits = int(seen.group(1))
    if hits <= minimum:
        return (
            f"the page counts {hits} visit{'s' if hits != 1 else ''}: the count did not start from {minimum}, so the "
            f"seed did not set the key hits to {minimum} before web counted (docker compose logs seed shows what it did)"
        )
    return None


@exercise(
    "10.wait-for-healthy",
    title="Make web wait until Redis, on port 6380, is really ready",
    hints=[
        "Give the redis service a healthcheck: a command that succeeds only when Redis answers. This Redis listens "
        "on 6380, not on Redis's usual port, and a health check runs inside the redis container.",
        "redis-cli asks 127.0.0.1:6379 unless told otherwise: -p 6380 makes it ask the right port. Then make web wait "
        "with the long form of depends_on: {redis: {condition: service_healthy}}.",
        'test: ["CMD", "redis-cli", "-p", "6380", "ping"], interval: 1s, retries: 30; then run the next cell\'s '
        "command (remove the #): docker compose up -d waits for healthy Redis before it starts web.",
    ],
)
@compose_exercise("exercise", "race", ["web", "redis"],
                  state=lambda project: healthy(f"{project}-redis-1"),
                  answers=lambda project: http.container_answers(f"{project}-web-1", 8000, contains="seen"))
def wait_for_healthy(lesson, file):
    yield compose.has_healthcheck(file, "redis")
    yield compose.depends_on_healthy(file, "web", "redis")


@exercise(
    "10.seed-first",
    title="Seed Redis with a one-off job before web starts",
    hints=[
        "A one-off job is a service whose command does its work and exits with code 0. Compose can wait for that: "
        "the condition service_completed_successfully.",
        "Add a service seed with image: redis:8 whose command is redis-cli -h redis set hits 100; seed must wait for "
        "Redis to be healthy, and web must wait for seed.",
        "seed: {image: redis:8, command: [redis-cli, -h, redis, set, hits, '100'], depends_on: {redis: {condition: "
        "service_healthy}}}, and under web's depends_on: seed: {condition: service_completed_successfully}.",
    ],
)
@compose_exercise("seed", "seeded", ["web", "redis"],
                  state=lambda project: containers.exited(f"{project}-seed-1", 0),
                  answers=lambda project: counts_above(f"{project}-web-1", 8000, 100))
def seed_first(lesson, file):
    yield compose.service_exists(file, "seed")
    yield compose.depends_on_condition(file, "web", "seed", "service_completed_successfully")


@exercise(
    "10.fix-healthcheck",
    title="Repair web's health check, then run two healthy copies behind lb",
    hints=[
        "Read what the health check said: docker inspect shows the last check's output in State.Health.Log. A "
        "command that is not in the image can never pass.",
        "The web image is python:3.13-slim with the app: it has python, not curl. Python can fetch a page with its "
        "standard library (urllib.request).",
        'test: ["CMD", "python", "-c", "import urllib.request as u; u.urlopen(\'http://127.0.0.1:8000/health\')"]; '
        "then docker compose up -d --scale web=2 with the next cell's command.",
    ],
)
@compose_exercise("broken", "mended", ["lb", "web", "redis"],
                  state=lambda project: every_container_healthy(project, "web", 2),
                  answers=lambda project: http.container_answers(f"{project}-lb-1", 80, contains="seen"))
def fix_healthcheck(lesson, file):
    yield compose.has_healthcheck(file, "web")
    yield healthcheck_asks(file, "web", "/health")
    yield compose.depends_on_healthy(file, "lb", "web")


__all__ = [
    "counts_above", "every_container_healthy", "fix_healthcheck", "healthcheck_asks", "healthy", "seed_first",
    "wait_for_healthy",
]


# -- concept questions ---------------------------------------------------------------------------------
from dockerlab.checks.questions import question, right, wrong  # noqa: E402 - the questions go after the exercises

question(
    "10.q-depends-on",
    title="What depends_on does not wait for",
    prompt="web has `depends_on: [redis]`, with no condition. What does `docker compose up` wait for before it starts web?",
    choices=[
        wrong("Until Redis answers on its port",
              why="Compose does not look at ports or at what the program inside does: the race above, where web "
                  "started and found nothing listening on redis:6379, is exactly that."),
        right("Only until the redis container is started, not until Redis is ready",
              why="Without a condition, depends_on means service_started: Compose creates and starts redis first, "
                  "then web at once. A program that needs a few seconds to load is not ready yet. (So in Compose 2.26 "
                  "and 2.40, against Engine 20.10, 28.5 and Podman 4.3.)"),
        wrong("Until redis has passed its health check",
              why="That is condition: service_healthy, which must be written out (and needs a health check); "
                  "plain depends_on never looks at health."),
        wrong("Nothing: depends_on only orders the services in docker compose ps",
              why="It does order the start: redis is created and started before web. It only does not wait for more."),
    ],
)

question(
    "10.q-service-healthy",
    title="What condition: service_healthy needs",
    prompt="web has `depends_on: {redis: {condition: service_healthy}}`. What must redis have for web to start?",
    choices=[
        wrong("A published port, so Compose can connect to it",
              why="Compose never connects to a service: health comes from the engine running the service's health "
                  "check inside the container, ports published or not."),
        wrong("Nothing more: Compose waits a few seconds, then starts web",
              why="There is no fixed wait: Compose waits for the healthy state, and without a health check redis "
                  "never has one (Compose then stops with an error that redis has no healthcheck)."),
        right("A health check (in the compose file or the image) that passes",
              why="service_healthy waits until the engine reports redis as healthy, which needs a health check, and "
                  "up fails if it turns unhealthy. On Engine 20.10 and 28.5 it works; on Podman 4.3 without systemd "
                  "health checks never run, so the wait never ends (the course's %%needs healthcheck cells skip it there)."),
    ],
)
