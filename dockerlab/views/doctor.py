"""The doctor's report as a widget (notebook 00), and the stand-in notice lessons show."""

from __future__ import annotations

import ipywidgets as widgets

from dockerlab.services import doctor, images
from dockerlab.views.common import View, esc

MARK_COLOURS = {True: "#1e8449", False: "#c0392b", None: "#b9770e"}


def report_html(report: doctor.Report) -> str:
    rows = []
    for f in report.findings:
        fix = f"<br><small>fix: <code>{esc(f.fix)}</code></small>" if f.fix and f.ok is not True else ""
        rows.append(
            f'<tr><td style="color:{MARK_COLOURS[f.ok]};font-weight:bold">{f.mark}</td>'
            f"<td>{esc(f.name)}</td><td>{esc(f.detail)}{fix}</td></tr>"
        )
    verdict = "Ready for the course." if report.ok else "Fix the problems above, then run the doctor again."
    return (
        '<table class="dockerlab-doctor"><thead><tr><th></th><th>check</th><th>found</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table><p><b>{verdict}</b></p>"
    )


class DoctorView(View):
    """The doctor's report with a button to run it again."""

    def __init__(self, report: doctor.Report | None = None):
        self.report = report or doctor.run_checks()
        self._table = widgets.HTML(report_html(self.report))
        self._again = widgets.Button(description="Check again", icon="refresh")
        self._again.on_click(self._refresh)
        self.widget = widgets.VBox([self._table, self._again])

    def _refresh(self, _button=None) -> None:
        self._again.disabled = True
        try:
            self.report = doctor.run_checks()
            self._table.value = report_html(self.report)
        finally:
            self._again.disabled = False

    def html(self) -> str:
        return report_html(self.report)

    def text(self) -> str:
        return self.report.as_text()


_WHY = (
    "No image registry answered, so dockerlab built these locally from Debian packages (Dockerfiles in "
    "dockerlab/services/images/standins/). They behave like the official images for this course, but are not them:"
)


class StandinNotice:
    """A visible note that some course images are offline stand-ins, as HTML and as text."""

    def __init__(self, standins: list[images.ImageStatus]):
        self.standins = standins

    def _repr_html_(self) -> str:
        items = "".join(f"<li><code>{esc(s.spec.name)}</code>: {esc(s.reason)}</li>" for s in self.standins)
        return (
            '<div style="border-left:4px solid #b9770e;background:#fef5e7;padding:4px 12px">'
            f"<b>Offline stand-in images in use.</b> {esc(_WHY)}<ul>{items}</ul></div>"
        )

    def __repr__(self) -> str:
        items = "".join(f"\n  - {s.spec.name}: {s.reason}" for s in self.standins)
        return f"Offline stand-in images in use. {_WHY}{items}"


def standin_notice(names: list[str] | None = None) -> StandinNotice | None:
    """A visible note when course images in use are offline stand-ins (None when none are).

    Args:
        names: Only these images (a lesson's); default every manifest image.
    """
    specs = [spec for spec in images.load_manifest() if names is None or spec.name in names]
    standins = images.standins_in_use(specs) if specs else []  # inspect only the images asked about
    return StandinNotice(standins) if standins else None
