"""A BuildKit build shown as it happens: log lines as they arrive, a step bar, then the result.

Lines go into the Output widget with ``append_stdout`` (``with out: print()`` would land in the
cell's own output under nbval, see the field notes). Each append re-sends the widget's whole
output list, so past :attr:`BuildView.max_lines` the older lines are folded into one entry; the
full log is always in ``BuildResult.log``.
"""

from __future__ import annotations

import os
import time

import ipywidgets as widgets

from dockerlab.services import build as builds
from dockerlab.errors import BuildFailed, DockerlabError
from dockerlab import sizes
from dockerlab.views.common import GREEN, RED, View, card, esc

#: Lines of the log tail kept in the static (saved-notebook) forms.
STATIC_TAIL = 25


class BuildView(View):
    """The live view of one build.

    Args:
        context: The build context folder.
        tag: The image's ``name:tag``.
        lesson: A :class:`~dockerlab.lesson.Lesson` or lesson key, for the image label.
        max_lines: Log lines kept in the widget before older ones are folded.
    """

    def __init__(self, context: str | os.PathLike, tag: str | None = None, *, lesson=None, max_lines: int = 400):
        self.context = str(context)
        self.tag = tag
        self.lesson = getattr(lesson, "key", lesson)
        self.max_lines = max_lines
        self.lines: list[str] = []
        self.result: builds.BuildResult | None = None
        self.error: DockerlabError | None = None
        self.started: float | None = None
        self.first_line_after: float | None = None
        self._shown = 0  # stream entries currently in the Output widget
        self._step = ""

        self.header = widgets.HTML(self._header_html())
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="steps", bar_style="info")
        self.step_label = widgets.Label("waiting for BuildKit…")
        self.out = widgets.Output(layout=widgets.Layout(max_height="320px", overflow="auto", border="1px solid #ddd"))
        self.summary = widgets.HTML("")
        self.widget = widgets.VBox([self.header, widgets.HBox([self.progress, self.step_label]), self.out, self.summary])

    # -- live -------------------------------------------------------------------------------
    def on_event(self, event: builds.BuildEvent) -> None:
        """Show one build line at once (passed to :func:`dockerlab.services.build.build` as ``on_event``)."""
        if self.first_line_after is None and self.started is not None:
            self.first_line_after = time.monotonic() - self.started
        self.lines.append(event.line)
        if self._shown >= self.max_lines:
            self._fold()
        self.out.append_stdout(event.line + "\n")
        self._shown += 1
        if event.total:
            self.progress.max = max(self.progress.max, event.total)
        if event.step:
            self.progress.value = max(self.progress.value, event.step)
            stage = f"{event.stage} " if event.stage else ""
            self._step = f"[{stage}{event.step}/{event.total}] {event.instruction or ''}"
            self.step_label.value = self._step[:100]

    def run(self, *, raise_on_failure: bool = True, **build_kwargs) -> builds.BuildResult | None:
        """Run the build, feeding this view; ``build_kwargs`` go to :func:`dockerlab.services.build.build`.

        Returns:
            The BuildResult, or None if the build failed and ``raise_on_failure`` is False.

        Raises:
            errors.DockerlabError: the build failed (after the view shows why).
        """
        self.started = time.monotonic()
        try:
            self.result = builds.build(self.context, self.tag, lesson=self.lesson, on_event=self.on_event, **build_kwargs)
        except DockerlabError as exc:
            self.error = exc
            self._finish()
            if raise_on_failure:
                raise
            return None
        self._finish()
        return self.result

    def _fold(self) -> None:
        keep = self.lines[-(self.max_lines // 2) :]
        hidden = len(self.lines) - len(keep)
        note = f"… {hidden} earlier lines not shown here (the whole log is in the BuildResult's .log)\n"
        self.out.outputs = ({"output_type": "stream", "name": "stdout", "text": note + "\n".join(keep[:-1]) + "\n"},)
        self._shown = 1

    def _finish(self) -> None:
        if self.result is not None:
            self.progress.max = max(self.progress.max, self.result.steps_total or 1)
            self.progress.value = self.progress.max
            self.progress.bar_style = "success"
            self.step_label.value = f"done in {self.result.seconds:.1f} s"
        else:
            self.progress.bar_style = "danger"
            self.step_label.value = "failed"
        self.summary.value = self._summary_html()

    # -- static forms -----------------------------------------------------------------------
    def _header_html(self) -> str:
        return f"<b>docker buildx build</b> <code>{esc(self.context)}</code>" + (f" → <code>{esc(self.tag)}</code>" if self.tag else "")

    def _summary_html(self) -> str:
        if self.result is not None:
            r = self.result
            cached = f", {r.cached_steps} of {r.steps_total} steps from cache" if r.steps_total else ""
            return card(
                "Built",
                f"image <code>{esc(r.image_id[7:19])}</code>, {esc(sizes.decimal(r.size))}, {r.seconds:.1f} s{esc(cached)}",
                GREEN,
            )
        if isinstance(self.error, BuildFailed):
            return card("Build failed", f"at <code>{esc(self.error.step or 'an unknown step')}</code>", RED)
        if self.error is not None:
            return card("Build failed", esc(self.error.message), RED)
        return ""

    def _status_text(self) -> str:
        if self.result is not None:
            return str(self.result)
        if isinstance(self.error, BuildFailed):
            return f"build failed at: {self.error.step or 'an unknown step'}"
        if self.error is not None:
            return f"build failed: {self.error.message}"
        return "building…" if self.started else "not started"

    def html(self) -> str:
        tail = "\n".join(self.lines[-STATIC_TAIL:])
        log = f"<pre>{esc(tail)}</pre>" if tail else ""
        status = self._summary_html() or f"<p>{esc(self._status_text())}</p>"
        return f"<div class='dockerlab-build'><p>{self._header_html()}</p>{status}{log}</div>"

    def text(self) -> str:
        head = f"docker buildx build {self.context}" + (f" -> {self.tag}" if self.tag else "")
        return "\n".join([head, self._status_text(), *self.lines[-STATIC_TAIL:]])


def show_build(context: str | os.PathLike, tag: str | None = None, lesson=None, **kwargs) -> builds.BuildResult | None:
    """Display a :class:`BuildView` and run the build in it.

    The output is updated at the end so a saved notebook keeps the result and the log's tail.

    Args:
        context, tag, lesson: As for :class:`BuildView`.
        **kwargs: ``raise_on_failure`` and :func:`dockerlab.services.build.build`'s options (``no_cache``...).

    Returns:
        The BuildResult (None on failure when ``raise_on_failure=False``).
    """
    view = BuildView(context, tag, lesson=lesson).show()
    try:
        return view.run(**kwargs)
    finally:
        view.update_display()
