"""A Compose project drawn: network boxes holding the services on them, ports as labels on top.

Each service has one column; it appears in every network box it is attached to (a dashed line
joins its boxes: it is one service). Box colour is the state, the second line the health.
"""

from __future__ import annotations

import os
from collections import defaultdict

import ipywidgets as widgets

from dockerlab.services import compose as service
from dockerlab.errors import DockerlabError
from dockerlab.views.common import GREY, View, badge, esc, run_guarded, state_color, table

COL, BAND, TOP, PAD = 170, 78, 46, 10
NO_NETWORK = "(no network)"


def _group(status: service.ProjectStatus) -> dict[str, list[service.ServiceState]]:
    grouped: dict[str, list[service.ServiceState]] = defaultdict(list)
    for s in status.services:
        grouped[s.service].append(s)
    return dict(sorted(grouped.items()))


def _summary(states: list[service.ServiceState]) -> tuple[str, str]:
    """(state, health) of a service's containers: the worst one wins."""
    order = ["dead", "exited", "restarting", "created", "paused", "running"]
    state = min((s.state for s in states), key=lambda x: order.index(x) if x in order else 0)
    healths = {s.health for s in states if s.health}
    health = next((h for h in ("unhealthy", "starting", "healthy") if h in healths), "")
    return state, health


def svg(status: service.ProjectStatus) -> str:
    """The project as an inline SVG picture."""
    groups = _group(status)
    networks = list(status.networks)
    if any(not s.networks for s in status.services):
        networks.append(NO_NETWORK)
    width = max(1, len(groups)) * COL + 2 * PAD
    height = TOP + len(networks) * BAND + PAD
    parts = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' font-family='sans-serif' font-size='12'>",
    ]
    for i, net in enumerate(networks):
        y = TOP + i * BAND
        parts.append(f"<rect x='{PAD / 2}' y='{y}' width='{width - PAD}' height='{BAND - 6}' rx='8' fill='#eef3fb' stroke='#90a4c8'/>")
        parts.append(f"<text x='{PAD}' y='{y + 13}' fill='#37517e' font-size='11'>network {esc(net)}</text>")
    for col, (name, states) in enumerate(groups.items()):
        x = PAD + col * COL + 8
        state, health = _summary(states)
        failed = next((s.exit_code for s in states if s.state == "exited" and s.exit_code), None)
        color = state_color(health if health == "unhealthy" else state, failed)
        ports = sorted({str(p) for s in states for p in s.ports if p.host_port})
        for j, label in enumerate(ports[:2]):
            parts.append(f"<text x='{x}' y='{14 + j * 14}' fill='#444' font-size='11'>⇢ {esc(label)}</text>")
        attached = {n for s in states for n in s.networks} or {NO_NETWORK}
        rows = [i for i, net in enumerate(networks) if net in attached]
        if len(rows) > 1:
            x_mid = x + (COL - 24) / 2
            parts.append(
                f"<line x1='{x_mid}' y1='{TOP + rows[0] * BAND + BAND - 12}' x2='{x_mid}' y2='{TOP + rows[-1] * BAND + 18}' "
                "stroke='#888' stroke-dasharray='4 3'/>"
            )
        count = f" ×{len(states)}" if len(states) > 1 else ""
        for i in rows:
            y = TOP + i * BAND + 18
            label = esc(state) + (" · " + esc(health) if health else "")
            parts += [
                f"<rect x='{x}' y='{y}' width='{COL - 24}' height='{BAND - 30}' rx='5' fill='white' stroke='{color}' stroke-width='2'/>",
                f"<text x='{x + 8}' y='{y + 17}' font-weight='bold'>{esc(name)}{count}</text>",
                f"<text x='{x + 8}' y='{y + 33}' fill='{color}' font-size='11'>{label}</text>",
            ]
    parts.append("</svg>")
    return "".join(parts)


class ComposeView(View):
    """The services of a Compose project, their state, health, ports and networks.

    Args:
        project: The project name (``lesson.name("app")``).
        workdir: Folder of the compose file (optional).
        status: A :class:`~dockerlab.compose.ProjectStatus` already read (else ``compose.ps``).
    """

    def __init__(self, project: str, workdir: str | os.PathLike | None = None, status: service.ProjectStatus | None = None):
        self.project, self.workdir = project, workdir
        self.status = status
        self.error: DockerlabError | None = None
        self.picture = widgets.HTML()
        self.message = widgets.HTML()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: run_guarded([self.refresh_button], self.message, self.refresh))
        self.widget = widgets.VBox([self.refresh_button, self.message, self.picture])
        if status is None:
            self.refresh()
        else:
            self.picture.value = self.html()

    def refresh(self) -> None:
        """Ask Compose again (errors are shown, not raised)."""
        try:
            self.status = service.ps(self.project, self.workdir)
            self.error = None
        except DockerlabError as exc:
            self.error = exc
        self.picture.value = self.html()

    def html(self) -> str:
        if self.error is not None:
            return self.error._repr_html_()
        if self.status is None or not self.status.services:
            return f"<p>Compose project <code>{esc(self.project)}</code> has no containers.</p>"
        rows = [
            (
                f"<b>{esc(s.service)}</b>",
                f"<code>{esc(s.name)}</code>",
                badge(s.state, state_color(s.state, s.exit_code)),
                badge(s.health, state_color(s.health)) if s.health else badge("no healthcheck", GREY),
                esc(", ".join(str(p) for p in s.ports) or "-"),
                esc(", ".join(s.networks) or "-"),
            )
            for s in self.status.services
        ]
        return (
            f"<div class='dockerlab-compose'><p>Compose project <code>{esc(self.project)}</code></p>{svg(self.status)}"
            + table(("service", "container", "state", "health", "ports", "networks"), rows)
            + "</div>"
        )

    def text(self) -> str:
        if self.error is not None:
            return str(self.error)
        if self.status is None:
            return f"project {self.project}: unknown"
        return str(self.status)
