"""Notebook 09's claims about Docker Compose, checked with the Compose plugin and engine at hand.

The notebook (and its corrections of the course notes) says: Compose v2 ignores a ``version:`` line
and warns that it is obsolete; it reads ``docker-compose.yml`` but prefers ``compose.yaml`` when both
exist; a second ``up`` leaves running containers alone; ``up`` builds an image only when it is missing, ``up --build`` rebuilds; ``down`` keeps named
volumes and ``down -v`` removes them; ``down`` with nothing to remove only warns; ``--scale`` works
when the service publishes its container port only; after ``down`` and ``up`` the count Redis kept in its volume
goes on. Compose 2.26 (Debian trixie's) and 2.40 print
some of this differently; what is checked here is what both do.

On Podman 4.3 (row p) every ``up`` recreates the containers that are on a network (Podman gives a container's
network by its name, not its id), and Redis loses the count at ``down`` (killed at once: the stop-timeout limit).
"""

from __future__ import annotations

import re
import time

import pytest

from support import compose, docker

pytestmark = pytest.mark.engine


def volumes(project: str) -> list[str]:
    return docker("volume", "ls", "-q", "--filter", f"name={project}", check=False, timeout=60).stdout.split()


SLEEPER = """\
services:
  app:
    image: busybox:1.37
    init: true
    command: ["sleep", "300"]
    volumes:
      - data:/data
volumes:
  data:
"""


def test_version_line_is_obsolete_and_compose_yaml_wins(compose_project):
    folder, name = compose_project
    (folder / "compose.yaml").write_text('version: "3.8"\n' + SLEEPER)
    done = compose(folder, name, "config", "--services")
    assert done.stdout.split() == ["app"]
    assert "obsolete" in done.stderr, done.stderr  # the warning about the version: line

    (folder / "compose.yaml").write_text(SLEEPER)
    (folder / "docker-compose.yml").write_text(SLEEPER.replace("app:", "old:"))
    done = compose(folder, name, "config", "--services")
    assert done.stdout.split() == ["app"], "compose.yaml should win over docker-compose.yml"
    assert "Found multiple config files" in done.stderr and "compose.yaml" in done.stderr, done.stderr

    (folder / "compose.yaml").unlink()
    assert compose(folder, name, "config", "--services").stdout.split() == ["old"], "the old name is still read"


def test_down_keeps_named_volumes_down_v_removes_them(compose_project):
    folder, name = compose_project
    (folder / "compose.yaml").write_text(SLEEPER)
    compose(folder, name, "up", "-d")
    assert volumes(name) == [f"{name}_data"]
    compose(folder, name, "down", "-t", "0")
    assert volumes(name) == [f"{name}_data"], "down must keep the named volume"
    compose(folder, name, "down", "-v", "-t", "0")
    assert volumes(name) == []
    # Nothing left: down only warns, and succeeds.
    done = compose(folder, name, "down", "-v")
    assert "No resource found to remove" in done.stderr, done.stderr


def container_id(name: str) -> str:
    return docker("inspect", "--format", "{{.Id}}", name, timeout=60).stdout.strip()


def test_up_again_leaves_running_containers_alone_but_podman_recreates_them(compose_project, kind):
    """The notebook's second ``up -d``: Compose finds both containers ``Running`` and does nothing. Podman 4.3 gives a
    container's network by its name where Docker's engine gives the network's id (``NetworkID``), and Compose then
    recreates every container that is on a network, at each ``up`` (measured on row p; one without a network stays)."""
    folder, name = compose_project
    (folder / "compose.yaml").write_text(SLEEPER)
    compose(folder, name, "up", "-d")
    first = container_id(f"{name}-app-1")
    again = compose(folder, name, "up", "-d").stderr
    network = docker("network", "inspect", "--format", "{{.Id}}", f"{name}_default", timeout=60).stdout.strip()
    joined = docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.NetworkID}}{{end}}", f"{name}-app-1",
                    timeout=60).stdout.strip()
    if kind.product == "Podman":
        assert re.search(rf"Container {name}-app-1\s+Recreated\n", again), again
        assert container_id(f"{name}-app-1") != first, "recreated: a new container"
        assert joined == f"{name}_default" != network, (joined, network)  # the name, not the id
        (folder / "compose.yaml").write_text(SLEEPER.replace("    init: true\n", "    init: true\n    network_mode: none\n"))
        compose(folder, name, "up", "-d")  # recreated once more: its configuration changed
        alone = container_id(f"{name}-app-1")
        again = compose(folder, name, "up", "-d").stderr
        assert re.search(rf"Container {name}-app-1\s+Running\n", again) and "Recreate" not in again, again
        assert container_id(f"{name}-app-1") == alone, "without a network: left alone"
        return
    assert re.search(rf"Container {name}-app-1\s+Running\n", again) and "Recreate" not in again, again
    assert container_id(f"{name}-app-1") == first
    assert joined == network, (joined, network)


REDIS = """\
services:
  redis:
    image: redis:8
    volumes:
      - data:/data
volumes:
  data:
"""


def test_the_count_goes_on_after_down_and_up_but_not_on_podman(compose_project, kind):
    """The notebook's "start the app again and the count goes on": ``down`` stops Redis with SIGTERM, Redis saves
    its data in the volume and the next ``up`` reads it back. Podman 4.3 gives a container made through Docker's API a
    stop timeout of 0 s (the stop-timeout limit), so Redis is killed at once (exit code 137), saves nothing, and the
    count starts again at 1; the volume is kept all the same."""
    folder, name = compose_project
    (folder / "compose.yaml").write_text(REDIS)

    def count() -> str:
        for _ in range(30):  # Redis answers a moment after its container starts
            done = compose(folder, name, "exec", "-T", "redis", "redis-cli", "INCR", "hits", check=False)
            if done.returncode == 0 and done.stdout.strip().isdigit():
                return done.stdout.strip()
            time.sleep(1)
        raise AssertionError(f"Redis did not answer: {done}")

    compose(folder, name, "up", "-d")
    assert [count(), count()] == ["1", "2"]
    compose(folder, name, "stop")
    code = docker("inspect", "--format", "{{.State.ExitCode}}", f"{name}-redis-1", timeout=60).stdout.strip()
    compose(folder, name, "down")
    assert volumes(name) == [f"{name}_data"]
    compose(folder, name, "up", "-d")
    if kind.lacks("stop-timeout"):
        assert (code, count()) == ("137", "1"), "killed at once: Redis saved nothing"
    else:
        assert (code, count()) == ("0", "3"), "stopped: Redis saved the count, and the next up read it back"


def test_up_builds_only_what_is_missing(compose_project):
    folder, name = compose_project
    app = folder / "app"
    app.mkdir()
    (app / "Dockerfile").write_text('FROM busybox:1.37\nRUN echo Hello > /greeting\nCMD ["sleep", "300"]\n')
    tag = f"{name}-app:1.0"
    (folder / "compose.yaml").write_text(f"services:\n  web:\n    build: app\n    image: {tag}\n    init: true\n")

    def image_id() -> str:
        return docker("image", "inspect", "--format", "{{.Id}}", tag, check=False, timeout=60).stdout.strip()

    compose(folder, name, "up", "-d")  # missing: built
    first = image_id()
    assert first
    (app / "Dockerfile").write_text('FROM busybox:1.37\nRUN echo Welcome > /greeting\nCMD ["sleep", "300"]\n')
    compose(folder, name, "up", "-d")
    assert image_id() == first, "up rebuilt an image that existed"
    compose(folder, name, "up", "-d", "--build")
    assert image_id() != first, "up --build did not rebuild"
    running = compose(folder, name, "exec", "-T", "web", "cat", "/greeting").stdout.strip()
    assert running == "Welcome", "up --build did not recreate the container from the new image"


def test_scale_with_container_port_only(compose_project):
    folder, name = compose_project
    (folder / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox:1.37\n    init: true\n"
        '    command: ["httpd", "-f", "-p", "8000"]\n    ports:\n      - "127.0.0.1::8000"\n'
    )
    compose(folder, name, "up", "-d", "--scale", "web=3")
    ports = {compose(folder, name, "port", "--index", str(n), "web", "8000").stdout.strip() for n in (1, 2, 3)}
    assert len(ports) == 3 and all(p.startswith("127.0.0.1:") for p in ports), ports


def test_deploy_replicas_in_the_file_runs_three_copies(compose_project):
    """The exercise 09.replicas: ``deploy: replicas: 3`` makes ``up`` (no ``--scale``) run three containers, each
    with a host port of its own; the next ``up --scale web=1`` is one command's count, and a plain ``up`` goes back to
    the file's three."""
    folder, name = compose_project
    (folder / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox:1.37\n    init: true\n"
        '    command: ["httpd", "-f", "-p", "8000"]\n    ports:\n      - "127.0.0.1::8000"\n'
        "    deploy:\n      replicas: 3\n"
    )
    compose(folder, name, "up", "-d")
    ports = {compose(folder, name, "port", "--index", str(n), "web", "8000").stdout.strip() for n in (1, 2, 3)}
    assert len(ports) == 3 and all(p.startswith("127.0.0.1:") for p in ports), ports
    compose(folder, name, "up", "-d", "--scale", "web=1")
    assert len(compose(folder, name, "ps", "-q", "web").stdout.split()) == 1
    compose(folder, name, "up", "-d")
    assert len(compose(folder, name, "ps", "-q", "web").stdout.split()) == 3


@pytest.mark.lesson("09-many-containers")
def test_a_wrong_host_name_starts_and_the_app_exits(compose_project, counter_image, kind):
    """The broken file of 09.fix-host: ``up`` says Started for both, the app exits with code 1 and logs why; after the
    repair, ``up`` recreates web and leaves db running (Podman 4.3 recreates db too, as every ``up`` there)."""
    from support import notebook_file

    folder, name = compose_project
    broken = notebook_file("09-many-containers.ipynb", "{broken_file}")
    (folder / "compose.yaml").write_text(broken)
    done = compose(folder, name, "up", "-d")
    assert re.search(rf"Container {name}-web-1\s+Started", done.stderr), done.stderr
    assert docker("wait", f"{name}-web-1", timeout=60).stdout.strip() == "1"
    log = compose(folder, name, "logs", "--no-log-prefix", "web").stdout
    assert "cannot reach Redis at redis:6379 after 2 s" in log and "giving up" in log, log
    db = container_id(f"{name}-db-1")
    (folder / "compose.yaml").write_text(notebook_file("09-many-containers.ipynb", "{broken_file}", solution=True))
    again = compose(folder, name, "up", "-d").stderr
    assert re.search(rf"Container {name}-web-1\s+Recreated", again), again
    if kind.product == "Podman":
        assert container_id(f"{name}-db-1") != db, "Podman 4.3: every up recreates the containers on a network"
    else:
        assert re.search(rf"Container {name}-db-1\s+Running", again) and container_id(f"{name}-db-1") == db, again
