"""Views built from data: every one has a widget, an HTML form and a text form (no engine needed)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import ipywidgets as widgets

from dockerlab.services import compose
from dockerlab.services import layers
from dockerlab import errors
from dockerlab.services.containers import Port
from dockerlab.views import common
from dockerlab.views.compose import ComposeView, svg
from dockerlab.views.layers import LayersView

FORMS = {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"}


def _status():
    return compose.ProjectStatus(
        "app-dl000001",
        [
            compose.ServiceState(
                "web", "app-dl000001-web-1", "running", "healthy", ports=[Port(80, "tcp", "127.0.0.1", 8080)], networks=["back", "front"]
            ),
            compose.ServiceState("web", "app-dl000001-web-2", "running", "starting", networks=["back", "front"]),
            compose.ServiceState("db", "app-dl000001-db-1", "exited", exit_code=1, networks=["back"]),
            compose.ServiceState("tool", "app-dl000001-tool-1", "running"),
        ],
    )


def test_compose_view_from_status():
    view = ComposeView("app-dl000001", status=_status())
    html = view.html()
    picture = ET.fromstring(svg(view.status))
    texts = [t.text for t in picture.iter("{http://www.w3.org/2000/svg}text")]
    assert "network back" in texts and "network front" in texts and "network (no network)" in texts
    assert "web ×2" in texts and "⇢ 127.0.0.1:8080->80/tcp" in texts
    assert "running · starting" in texts  # the worst health of the replicas
    assert "<table" in html and "no healthcheck" in html
    assert set(view._repr_mimebundle_()) >= FORMS and str(view).startswith("project app-dl000001")


def test_layers_view_from_data():
    data = layers.ImageLayers(
        "demo:1",
        "sha256:" + "ab" * 32,
        3000,
        [
            layers.Layer('CMD ["app"]', 0, True),
            layers.Layer("COPY . /app", 1000, False),
            layers.Layer("(base layer)", 2000, False),
        ],
        layer_count=2,
    )
    view = LayersView(data)
    assert isinstance(view.widget, widgets.HTML) and view.widget.value == view.html()
    lines = str(view).splitlines()
    assert "no layer" in lines[1] and lines[3].startswith("#" * 20)
    assert lines[2].startswith("#" * 10 + " ")
    assert set(view._repr_mimebundle_()) >= FORMS


def test_run_guarded_disables_shows_errors_and_reenables():
    button, message = widgets.Button(), widgets.HTML()
    seen = []

    def failing():
        seen.append(button.disabled)
        raise errors.Refused("not yours", "leave it")

    assert not common.run_guarded([button], message, failing)
    assert seen == [True] and not button.disabled and "not yours" in message.value
    assert common.run_guarded([button], message, lambda: "done <ok>")
    assert message.value == "done &lt;ok&gt;"


def test_html_helpers_read_without_css():
    assert common.bar(0.5, 10).count("█") == 5 and "▏" in common.bar(0.01, 10) and "█" not in common.bar(0, 10)
    assert common.text_bar(1.0, 4) == "####"
    assert "&lt;b&gt;" in common.table(["h"], [[common.esc("<b>")]])


def test_the_progress_strip_reads_without_a_kernel():
    from dockerlab.views.strip import Badge, StripView

    view = StripView([Badge("04.keep-running", "Keep it running"), Badge("04.auto-remove", "Removes itself", "done")])
    view.update(Badge("04.keep-running", "Keep it running", "check it"))
    assert view.text() == "Exercises: ◔ 04.keep-running  ✓ 04.auto-remove"
    html = view.html()
    assert "04.keep-running" in html and "looks done: its check cell checks the rest" in html and "<script" not in html
