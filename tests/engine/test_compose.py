"""compose service and view with the real Compose plugin: config errors, up, ps, the picture, down."""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

import pytest

from dockerlab.services import compose
from dockerlab.engine import dockercli
from dockerlab.engine import session
from dockerlab import errors, labels
from dockerlab.views.compose import ComposeView

APP = """\
services:
  web:
    image: busybox:1.37
    init: true
    command: ["httpd", "-f", "-p", "8000"]
    ports: ["127.0.0.1::8000"]
    networks: [front, back]
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  cache:
    image: redis:8
    networks: [back]
networks:
  front: {}
  back: {}
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "compose.yaml").write_text(APP)
    name = session.current().name("capp")
    try:
        yield tmp_path, name
    finally:
        # Compose down by project name, whatever state the test left (no-op if nothing exists).
        with contextlib.suppress(errors.DockerlabError):
            dockercli.run(["compose", "-p", name, "down", "-v", "-t", "1"], timeout=120)


def test_config_resolves_and_reports_compose_errors(tmp_path):
    (tmp_path / "compose.yaml").write_text(APP)
    cfg = compose.config(tmp_path, project="x-" + session.current().id)
    assert cfg.project == "x-" + session.current().id
    services = {s.name: s for s in cfg.services}
    assert services["web"].networks == ["back", "front"] and services["web"].healthcheck
    assert services["web"].ports[0].container_port == 8000
    assert cfg.networks == ["back", "front"]

    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  web:\n    image: busybox\n    portz: [80]\n")
    with pytest.raises(errors.ComposeFailed) as caught:
        compose.config(bad)
    assert "portz" in caught.value.message  # Compose's own words
    with pytest.raises(errors.ComposeFailed, match="no such file"):
        compose.config(tmp_path / "missing.yaml")


def test_up_ps_view_down(project):
    folder, name = project
    status = compose.up(folder, project=name)
    by_service = {s.service: s for s in status.services}
    assert set(by_service) == {"web", "cache"}
    assert by_service["web"].state == "running" and by_service["web"].health == "healthy"
    assert by_service["web"].networks == ["back", "front"] and by_service["cache"].networks == ["back"]
    assert by_service["web"].ports[0].url.startswith("http://127.0.0.1:")
    assert status.networks == ["back", "front"]

    view = ComposeView(name)
    html = view.html()
    ET.fromstring(html[html.index("<svg") : html.index("</svg>") + 6])  # well-formed picture
    assert "network front" in html and "healthy" in html and by_service["web"].name in html
    assert "web" in str(view) and "healthy" in str(view)
    assert {"text/html", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(view._repr_mimebundle_())

    compose.down(name)
    assert compose.ps(name).services == []
    view.refresh()
    assert "no containers" in view.html()


def test_up_and_down_refuse_projects_that_are_not_the_session(project):
    folder, _name = project
    with pytest.raises(errors.Refused):
        compose.up(folder, project="someone-elses-app")
    with pytest.raises(errors.Refused):
        compose.down("someone-elses-app")


@pytest.mark.parametrize(
    "service, words",
    [
        ("    privileged: true\n", "it runs --privileged"),
        ("    volumes: [/var/run/docker.sock:/var/run/docker.sock]\n", "it mounts the engine's socket"),
        ("    volumes:\n      - type: bind\n        source: /\n        target: /host\n", "it mounts the host's /"),
        ("    pid: host\n", "it shares the host's process namespace (`pid` is host)"),
        ("    cap_add: [SYS_MODULE]\n", "it adds the capability SYS_MODULE"),
        ("    devices: [/dev/null:/dev/host-null]\n", "it is handed the host device /dev/null"),
        ("    security_opt: [seccomp:unconfined]\n", "it turns off a kernel security profile (seccomp:unconfined)"),
        # A secret's file is bind-mounted into /run/secrets: the socket by another door.
        ("    secrets: [sock]\nsecrets:\n  sock:\n    file: /var/run/docker.sock\n", "it mounts the engine's socket"),
    ],
)
def test_up_refuses_a_file_that_hands_a_service_the_host(project, docker_client, service, words):
    folder, name = project
    (folder / "compose.yaml").write_text(
        "services:\n  safe:\n    image: busybox:1.37\n    command: [sleep, '30']\n"
        "  web:\n    image: busybox:1.37\n    command: [sleep, '30']\n" + service
    )
    with pytest.raises(errors.Refused) as refused:
        compose.up(folder, project=name, wait=False)
    assert refused.value.message.startswith("dockerlab will not start the service web of compose.yaml: " + words)
    assert refused.value.fix
    # Refused before Compose ran: not even the safe service or the project's network exists.
    assert compose.ps(name).services == []
    assert docker_client.networks.list(names=[f"{name}_default"]) == []


def test_up_refuses_a_volume_that_binds_the_host_root(project):
    folder, name = project
    (folder / "compose.yaml").write_text(
        "services:\n  web:\n    image: busybox:1.37\n    command: [sleep, '30']\n    volumes: [data:/data]\n"
        "volumes:\n  data:\n    driver_opts: {type: none, o: bind, device: /}\n"
    )
    with pytest.raises(errors.Refused, match="the volume data of compose.yaml: it binds the host path /"):
        compose.up(folder, project=name, wait=False)


LIMITS = """\
services:
  web:
    image: busybox:1.37
    init: true
    command: ["httpd", "-f", "-p", "8000"]
    ports: ["8000", "0.0.0.0::8001"]
    labels: {learner.own: "kept"}
  tuned:
    image: busybox:1.37
    init: true
    command: ["sleep", "60"]
    mem_limit: 64m
    pids_limit: 40
    logging: {driver: json-file, options: {max-size: 5m}}
    volumes: [notes:/notes]
  deployed:
    image: busybox:1.37
    init: true
    command: ["sleep", "60"]
    deploy: {resources: {limits: {memory: 32m, pids: 30}}}
volumes:
  notes: {}
"""


def test_up_labels_limits_and_loopback_ports_then_cleanup_removes_it(project, course_session, docker_client):
    folder, name = project
    (folder / "compose.yaml").write_text(LIMITS)
    lesson = "test-compose-rules"
    status = compose.up(folder, project=name, lesson=lesson)
    by_service = {s.service: docker_client.containers.get(s.name) for s in status.services}
    assert set(by_service) == {"web", "tuned", "deployed"}

    for container in by_service.values():
        assert container.labels[labels.MANAGED] == "true"
        assert container.labels[labels.SESSION] == course_session.id
        assert container.labels[labels.LESSON] == lesson
    assert by_service["web"].labels["learner.own"] == "kept"  # the learner's labels stay

    web = by_service["web"].attrs["HostConfig"]
    assert web["Memory"] == 256 * 1024 * 1024 and web["PidsLimit"] == session.DEFAULT_PIDS
    assert web["LogConfig"] == {"Type": "json-file", "Config": {"max-file": "2", "max-size": "1m"}}
    tuned = by_service["tuned"].attrs["HostConfig"]  # the file's own limits win
    assert tuned["Memory"] == 64 * 1024 * 1024 and tuned["PidsLimit"] == 40
    assert tuned["LogConfig"]["Config"] == {"max-size": "5m"}
    deployed = by_service["deployed"].attrs["HostConfig"]  # limits under deploy: count as the file's own
    assert deployed["Memory"] == 32 * 1024 * 1024 and deployed["PidsLimit"] == 30

    published = by_service["web"].attrs["NetworkSettings"]["Ports"]
    assert {b["HostIp"] for b in published["8000/tcp"]} == {"127.0.0.1"}  # no address given: loopback
    assert "0.0.0.0" in {b["HostIp"] for b in published["8001/tcp"]}  # an address given on purpose: kept
    assert int(published["8000/tcp"][0]["HostPort"]) > 0

    network = docker_client.networks.get(f"{name}_default")
    volume = docker_client.volumes.get(f"{name}_notes")
    assert network.attrs["Labels"][labels.SESSION] == course_session.id
    assert volume.attrs["Labels"][labels.SESSION] == course_session.id
    assert (course_session.workdir / f"{name}.override.yaml").is_file()

    removed = course_session.cleanup(lesson=lesson)
    assert set(removed.containers) == {c.name for c in by_service.values()}
    assert f"{name}_default" in removed.networks and f"{name}_notes" in removed.volumes
    assert compose.ps(name).services == []


def test_up_keeps_the_folders_override_file(project, docker_client):
    """Compose adds compose.override.yaml of the folder; naming files with -f must not lose it."""
    folder, name = project
    (folder / "compose.yaml").write_text("services:\n  web:\n    image: busybox:1.37\n    command: [sleep, '60']\n")
    (folder / "compose.override.yaml").write_text("services:\n  web:\n    environment: {FROM_OVERRIDE: 'yes'}\n")
    status = compose.up(folder, project=name)
    env = docker_client.containers.get(status.services[0].name).attrs["Config"]["Env"]
    assert "FROM_OVERRIDE=yes" in env
