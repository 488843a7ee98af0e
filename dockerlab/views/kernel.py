"""Namespaces side by side, cgroup limits both ways, and a live memory bar."""

from __future__ import annotations

import threading
import time

import ipywidgets as widgets

from dockerlab.services import kernel as service
from dockerlab.errors import DockerlabError
from dockerlab.views.common import AMBER, GREEN, RED, View, badge, bar, esc, run_guarded, table, text_bar
from dockerlab import sizes


class NamespacesView(View):
    """The notebook kernel's namespaces next to a container's, same or different marked.

    Args:
        container: Name or id of a running container.
    """

    def __init__(self, container: str):
        self.container = container
        self.host = service.namespaces_host()
        self.inside = service.namespaces_of(container)
        self.rows = service.compare(self.host, self.inside)
        self.widget = widgets.HTML(self.html())

    def html(self) -> str:
        rows = [
            (
                f"<code>{esc(r.kind)}</code>",
                esc(r.host if r.host is not None else "-"),
                esc(r.container if r.container is not None else "-"),
                badge("shared with the host", AMBER) if r.shared else badge("its own", GREEN),
            )
            for r in self.rows
        ]
        seen = [
            ("hostname", esc(self.host.hostname), esc(self.inside.hostname)),
            ("PID 1", f"<code>{esc(_cut(self.host.pid1))}</code>", f"<code>{esc(_cut(self.inside.pid1))}</code>"),
            ("interfaces", esc(", ".join(self.host.interfaces)), esc(", ".join(self.inside.interfaces))),
        ]
        return (
            "<div class='dockerlab-namespaces'>"
            f"<p>Namespaces of this notebook's process (host) and of <code>{esc(self.container)}</code>: "
            "the same inode number means the same namespace.</p>"
            + table(("namespace", "host", "container", ""), rows)
            + "<p>What each side sees:</p>"
            + table(("", "host", "container"), seen)
            + "</div>"
        )

    def text(self) -> str:
        lines = [f"{'namespace':<10} {'host':>12} {'container':>12}"]
        for r in self.rows:
            same = "shared with the host" if r.shared else "its own"
            lines.append(f"{r.kind:<10} {r.host or '-':>12} {r.container or '-':>12}  {same}")
        lines += [
            f"hostname: {self.host.hostname} | {self.inside.hostname}",
            f"PID 1: {_cut(self.host.pid1)} | {_cut(self.inside.pid1)}",
            f"interfaces: {', '.join(self.host.interfaces)} | {', '.join(self.inside.interfaces)}",
        ]
        return "\n".join(lines)


class CgroupView(View):
    """A container's limits as the engine set them and as the kernel shows them inside."""

    def __init__(self, container: str):
        self.limits = service.cgroup_limits(container)
        self.widget = widgets.HTML(self.html())

    def _rows(self) -> list[tuple[str, str, str, str]]:
        lim = self.limits
        v2 = lim.cgroup_version == 2
        files = (
            ("memory.max", "pids.max", "cpu.max")
            if v2
            else ("memory/memory.limit_in_bytes", "pids/pids.max", "cpu/cpu.cfs_quota_us ÷ cfs_period_us")
        )
        return [
            ("memory", sizes.limit(lim.memory), sizes.limit(lim.kernel_memory), files[0]),
            ("processes (pids)", _num(lim.pids), _num(lim.kernel_pids), files[1]),
            ("CPUs", _num(lim.cpus), _num(lim.kernel_cpus), files[2]),
        ]

    def html(self) -> str:
        rows = [(esc(a), esc(b), esc(c), f"<code>/sys/fs/cgroup/{esc(d)}</code>") for a, b, c, d in self._rows()]
        return (
            f"<div class='dockerlab-cgroups'><p>Limits of <code>{esc(self.limits.container)}</code> "
            f"(cgroup v{self.limits.cgroup_version}): what the engine was asked for (HostConfig) and what the "
            "kernel enforces (the file inside the container).</p>"
            + table(("limit", "engine", "kernel", "file"), rows)
            + "</div>"
        )

    def text(self) -> str:
        lines = [f"{self.limits.container} (cgroup v{self.limits.cgroup_version})"]
        lines += [f"{a:<17} engine {b:<10} kernel {c:<10} /sys/fs/cgroup/{d}" for a, b, c, d in self._rows()]
        return "\n".join(lines)


class MemoryView(View):
    """A container's memory use against its limit: Refresh, or Watch for a few seconds.

    Args:
        container: Name or id.
        seconds: How long one Watch runs before it stops itself.
        every: Seconds between samples while watching.
    """

    def __init__(self, container: str, seconds: float = 20, every: float = 1.0):
        self.container, self.seconds, self.every = container, seconds, every
        self.usage: service.MemoryUsage | None = None
        self.error: DockerlabError | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.bar = widgets.FloatProgress(value=0, min=0, max=100, description="memory", bar_style="info")
        self.label = widgets.Label("")
        self.message = widgets.HTML()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.watch_button = widgets.Button(description=f"Watch {seconds:g} s", icon="play")
        self.refresh_button.on_click(lambda _b: run_guarded([self.refresh_button], self.message, self.refresh))
        self.watch_button.on_click(lambda _b: self.watch())
        buttons = widgets.HBox([self.refresh_button, self.watch_button])
        self.widget = widgets.VBox([widgets.HBox([self.bar, self.label]), buttons, self.message])
        self.refresh()

    def refresh(self) -> None:
        """Take one sample and show it."""
        try:
            self.usage = service.memory_usage(self.container)
            self.error = None
            self.message.value = ""
        except DockerlabError as exc:
            self.error = exc
            self.message.value = exc._repr_html_()
        self._show()

    def _show(self) -> None:
        u = self.usage
        percent = (u.percent or 0.0) if u else 0.0
        self.bar.value = min(percent, 100.0)
        self.bar.bar_style = "danger" if percent >= 90 else "warning" if percent >= 70 else "info"
        self.label.value = str(u).split(": ", 1)[-1] if u else ""

    def watch(self, seconds: float | None = None, background: bool = True) -> None:
        """Sample every ``every`` s for ``seconds`` s, then stop (also when the container stops).

        Args:
            seconds: How long (default: the view's ``seconds``).
            background: Run in a thread so the notebook stays usable; False blocks (for tests).
        """
        self.stop_watch()
        self._stop.clear()
        limit = self.seconds if seconds is None else seconds

        def loop() -> None:
            end = time.monotonic() + limit
            self.watch_button.disabled = True
            try:
                while not self._stop.is_set() and time.monotonic() < end:
                    self.refresh()
                    if self.error is not None or (self.usage is not None and not self.usage.running):
                        break
                    self._stop.wait(self.every)
            finally:
                self.watch_button.disabled = False

        if background:
            self._thread = threading.Thread(target=loop, name=f"dockerlab-memory-{self.container}", daemon=True)
            self._thread.start()
        else:
            loop()

    def stop_watch(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self._thread = None

    def html(self) -> str:
        if self.error is not None:
            return self.error._repr_html_()
        u = self.usage
        if u is None or not u.running:
            return f"<p><code>{esc(self.container)}</code> is not running: no memory in use.</p>"
        fraction = (u.percent or 0.0) / 100
        color = RED if fraction >= 0.9 else AMBER if fraction >= 0.7 else GREEN
        return (
            f"<p>memory of <code>{esc(u.container)}</code>: {bar(fraction, 40, color)} "
            f"{esc(sizes.limit(u.usage))} of {esc(sizes.limit(u.limit))} ({u.percent or 0:.1f} %)</p>"
        )

    def text(self) -> str:
        if self.error is not None:
            return str(self.error)
        u = self.usage
        if u is None or not u.running:
            return f"{self.container}: not running"
        return f"{u.container}: [{text_bar((u.percent or 0) / 100, 30):<30}] {sizes.limit(u.usage)} of {sizes.limit(u.limit)}"


def _num(value) -> str:
    if value is None:
        return "no limit"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
