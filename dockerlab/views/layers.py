"""An image's layers drawn as a stack: newest on top, base at the bottom, bars sized by bytes."""

from __future__ import annotations

import ipywidgets as widgets

from dockerlab.services import layers as service
from dockerlab import sizes
from dockerlab.views.common import BLUE, GREY, View, bar, esc, table, text_bar

BAR_WIDTH = 40


class LayersView(View):
    """The layer stack of one image.

    Args:
        image: An image name/id, or an :class:`~dockerlab.layers.ImageLayers` already read.
    """

    def __init__(self, image: str | service.ImageLayers):
        self.data = image if isinstance(image, service.ImageLayers) else service.image_layers(image)
        self.widget = widgets.HTML(self.html())

    def _fraction(self, layer: service.Layer) -> float:
        biggest = max((item.size for item in self.data.layers), default=0)
        return layer.size / biggest if biggest else 0.0

    def html(self) -> str:
        d = self.data
        rows = []
        for layer in d.layers:
            size = "no layer" if layer.empty else sizes.decimal(layer.size)
            color = GREY if layer.empty or not layer.size else BLUE
            rows.append(
                (
                    bar(self._fraction(layer), BAR_WIDTH, color) if not layer.empty else "<span>·</span>",
                    f"<span style='white-space:nowrap'>{esc(size)}</span>",
                    f"<code>{esc(_short(layer.instruction))}</code>",
                )
            )
        head = (
            f"<p><b>{esc(d.image)}</b> <code>{esc(d.image_id[7:19])}</code>: {esc(sizes.decimal(d.size))} in "
            f"{d.layer_count} filesystem layers, {len(d.layers)} history entries. "
            "Newest on top; entries marked “no layer” only changed metadata.</p>"
        )
        return f"<div class='dockerlab-layers'>{head}{table(('layer', 'size', 'instruction'), rows)}</div>"

    def text(self) -> str:
        d = self.data
        lines = [f"{d.image} ({d.image_id[7:19]}): {sizes.decimal(d.size)} in {d.layer_count} layers, newest first"]
        for layer in d.layers:
            size = "no layer" if layer.empty else sizes.decimal(layer.size)
            lines.append(f"{text_bar(self._fraction(layer), 20):<20} {size:>9}  {_short(layer.instruction, 70)}")
        return "\n".join(lines)


def _short(text: str, limit: int = 110) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
