"""Notebook 09's claims about Docker Compose, checked with the Compose plugin and engine at hand.

The notebook (and its corrections of the course notes) says: Compose v2 ignores a ``version:`` line
and warns that it is obsolete; it reads ``docker-compose.yml`` but prefers ``compose.yaml`` when both
exist; ``up`` builds an image only when it is missing, ``up --build`` rebuilds; ``down`` keeps named
volumes and ``down -v`` removes them; ``down`` with nothing to remove only warns; ``--scale`` works
when the service publishes its container port only. Compose 2.26 (Debian trixie's) and 2.40 print
some of this differently; what is checked here is what both do.
"""

from __future__ import annotations

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
