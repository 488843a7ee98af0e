"""The doctor as a widget (notebook 00), and the stand-in notice lessons show."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets

from .. import doctor, images


class DoctorView(widgets.VBox):
    """The doctor's report with a button to run it again."""

    def __init__(self, report: doctor.Report | None = None):
        self.report = report or doctor.run_checks()
        self._table = widgets.HTML(self.report._repr_html_())
        self._again = widgets.Button(description="Check again", icon="refresh")
        self._again.on_click(self._refresh)
        super().__init__([self._table, self._again])

    def _refresh(self, _button=None) -> None:
        self._again.disabled = True
        try:
            self.report = doctor.run_checks()
            self._table.value = self.report._repr_html_()
        finally:
            self._again.disabled = False

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        # A saved notebook (GitHub, nbviewer) has no widget state: the report still reads there.
        bundle["text/html"] = self.report._repr_html_()
        bundle["text/plain"] = self.report.as_text()
        return bundle

    def __str__(self) -> str:
        return self.report.as_text()


class StandinNotice:
    """A visible note that some course images are offline stand-ins, as HTML and as text."""

    def __init__(self, standins: list[images.ImageStatus]):
        self.standins = standins

    def _repr_html_(self) -> str:
        items = "".join(f"<li><code>{escape(s.spec.name)}</code>: {escape(s.reason)}</li>" for s in self.standins)
        return (
            '<div style="border-left:4px solid #b9770e;background:#fef5e7;padding:4px 12px">'
            f"<b>Offline stand-in images in use.</b> {escape(_WHY)}<ul>{items}</ul></div>"
        )

    def __repr__(self) -> str:
        items = "".join(f"\n  - {s.spec.name}: {s.reason}" for s in self.standins)
        return f"Offline stand-in images in use. {_WHY}{items}"


_WHY = (
    "No image registry answered, so dockerlab built these locally from Debian packages (Dockerfiles in "
    "dockerlab/images/standins/). They behave like the official images for this course, but are not them:"
)


def standin_notice(names: list[str] | None = None) -> StandinNotice | None:
    """A visible note when course images in use are offline stand-ins (None when none are).

    Args:
        names: Only these images (a lesson's); default every manifest image.
    """
    specs = [spec for spec in images.load_manifest() if names is None or spec.name in names]
    standins = images.standins_in_use(specs) if specs else []  # inspect only the images asked about
    return StandinNotice(standins) if standins else None
