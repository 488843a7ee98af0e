"""Containers as a table, and one container as a card with its logs and Stop/Remove buttons.

Every container is listed (the learner's own ones too); Stop and Remove appear only for the
course's containers of this session, and :mod:`dockerlab.containers` refuses the rest anyway.
"""

from __future__ import annotations

import ipywidgets as widgets

from dockerlab.services import containers as service
from dockerlab import errors
from dockerlab.errors import DockerlabError
from dockerlab.views.common import BLUE, GREY, RED, View, badge, card, esc, link, run_guarded, state_color, table


def _ports_html(row: service.ContainerRow) -> str:
    parts = [link(p.url, str(p)) if p.url else esc(str(p)) for p in row.ports]
    return ", ".join(parts) or "-"


def _name_html(row: service.ContainerRow) -> str:
    return f"<code>{esc(row.name)}</code>" + (" " + badge("course", BLUE) if row.is_course else "")


class ContainersTable(View):
    """``docker ps -a`` as a table, with a Refresh button.

    Args:
        all_: Include stopped containers.
        course_only: Only the course's containers.
    """

    headers = ("name", "image", "state", "ports", "created (UTC)", "id")

    def __init__(self, all_: bool = True, course_only: bool = False):
        self.all_, self.course_only = all_, course_only
        self.rows: list[service.ContainerRow] = []
        self.error: DockerlabError | None = None
        self.table = widgets.HTML()
        self.message = widgets.HTML()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh", tooltip="List the containers again")
        self.refresh_button.on_click(self.on_refresh)
        self.widget = widgets.VBox([self.refresh_button, self.message, self.table])
        self.refresh()

    def refresh(self) -> None:
        """Read the containers again (errors are shown, not raised)."""
        try:
            self.rows = service.list_containers(all_=self.all_, course_only=self.course_only)
            self.error = None
        except DockerlabError as exc:
            self.error = exc
        self.table.value = self.html()

    def on_refresh(self, _button=None) -> None:
        run_guarded([self.refresh_button], self.message, self.refresh)

    def html(self) -> str:
        if self.error is not None:
            return self.error._repr_html_()
        if not self.rows:
            return "<p><i>No containers.</i></p>"
        rows = [
            (
                _name_html(r),
                esc(r.image),
                badge(r.state, state_color(r.state)) + " " + esc(r.status),
                _ports_html(r),
                esc(r.created.strftime("%Y-%m-%d %H:%M")),
                f"<code>{esc(r.short_id)}</code>",
            )
            for r in self.rows
        ]
        return table(self.headers, rows)

    def text(self) -> str:
        if self.error is not None:
            return str(self.error)
        return "\n".join(map(str, self.rows)) or "No containers."


class ContainerCard(View):
    """One container: state, ports, the tail of its logs, and Stop/Remove for course ones.

    Args:
        name: Container name or id.
        lines: Log lines to show.
    """

    def __init__(self, name: str, lines: int = 20):
        self.name, self.lines = name, lines
        self.row: service.ContainerRow | None = None
        self.logs = ""
        self.gone = False
        self.body = widgets.HTML()
        self.message = widgets.HTML()
        self.stop_button = widgets.Button(description="Stop", icon="stop", button_style="warning")
        self.remove_button = widgets.Button(description="Remove", icon="trash", button_style="danger")
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.stop_button.on_click(self.on_stop)
        self.remove_button.on_click(self.on_remove)
        self.refresh_button.on_click(self.on_refresh)
        self.buttons = [self.refresh_button, self.stop_button, self.remove_button]
        self.widget = widgets.VBox([self.body, widgets.HBox(self.buttons), self.message])
        self.refresh()

    def refresh(self) -> None:
        """Read the container and its logs again."""
        try:
            self.row = service.get(self.name)
            self.logs = service.logs_tail(self.row.id, self.lines)
            self.gone = False
        except errors.NoSuchContainer:
            self.row, self.logs, self.gone = None, "", True
        manageable = self.row is not None and self.row.manageable
        self.stop_button.layout.display = None if manageable and self.row.state == "running" else "none"
        self.remove_button.layout.display = None if manageable else "none"
        self.body.value = self.html()

    def on_refresh(self, _button=None) -> None:
        run_guarded(self.buttons, self.message, self.refresh)

    def on_stop(self, _button=None) -> None:
        self._act(service.stop, "Stopped")

    def on_remove(self, _button=None) -> None:
        self._act(service.remove, "Removed")

    def _act(self, operation, done: str) -> None:
        """``operation(name)`` on the container, then refresh; the message says ``done`` (or what went wrong)."""

        def action() -> str:
            operation(self.name)
            self.refresh()
            return f"{done} {self.name}."

        run_guarded(self.buttons, self.message, action)

    def html(self) -> str:
        if self.row is None:
            return card(self.name, "<i>No such container (removed, or never created).</i>", GREY)
        r = self.row
        facts = table(
            ("", ""),
            [
                ("image", esc(r.image)),
                ("state", badge(r.state, state_color(r.state)) + " " + esc(r.status)),
                ("ports", _ports_html(r)),
                ("id", f"<code>{esc(r.short_id)}</code>"),
                ("course", "yes" + (f" (lesson {esc(r.lesson)})" if r.lesson else "") if r.is_course else "no: shown read-only"),
            ],
        )
        logs = f"<p>last {self.lines} log lines:</p><pre>{esc(self.logs.rstrip()) or '(no output)'}</pre>"
        color = state_color(r.state) if r.state != "dead" else RED
        return card(r.name, facts + logs, color)

    def text(self) -> str:
        if self.row is None:
            return f"{self.name}: no such container"
        logs = self.logs.rstrip() or "(no output)"
        return f"{self.row}\n--- last {self.lines} log lines ---\n{logs}"
