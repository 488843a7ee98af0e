"""compose service and view with the real Compose plugin: config errors, up, ps, the picture, down."""

from __future__ import annotations

import contextlib
import xml.etree.ElementTree as ET

import pytest

from dockerlab import compose, dockercli, errors, session
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
