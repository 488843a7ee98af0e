"""An image's layers from its history, with each instruction made readable.

``docker history`` lists one entry per Dockerfile instruction, newest first. Instructions that
only change metadata (``ENV``, ``CMD``, ``EXPOSE``...) add no filesystem layer; the rest each add
one, whose size is what the instruction changed. The engine's history answer does not say which
entries are empty, so :func:`image_layers` decides from the instruction and checks the count
against the image's real layer list (``RootFS.Layers``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

from dockerlab import engine
from dockerlab import sizes

#: Instructions that never add a filesystem layer.
METADATA_ONLY = {
    "ARG", "CMD", "ENTRYPOINT", "ENV", "EXPOSE", "HEALTHCHECK", "LABEL", "MAINTAINER",
    "ONBUILD", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
}  # fmt: skip

_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")
_SHELL = re.compile(r"^(?:\|\d+ (?:\S+=\S* )*)?/bin/sh -c\s+")  # legacy RUN, maybe with "|2 A=1 B=2 " args
_HASH = re.compile(r"\b(file|dir|multi):([0-9a-f]{12})[0-9a-f]{20,}")
_EXPOSE = re.compile(r"^EXPOSE map\[(.*)\]$")


@dataclass
class Layer:
    """One history entry: an instruction and what it added."""

    instruction: str
    size: int
    empty: bool
    created_by: str = ""
    created: datetime | None = None
    comment: str = ""
    id: str = ""

    def __str__(self) -> str:
        size = "no layer" if self.empty else sizes.decimal(self.size)
        return f"{size:>10}  {self.instruction}"


@dataclass
class ImageLayers:
    """An image and its history, newest instruction first (as ``docker history`` shows it)."""

    image: str
    image_id: str
    size: int
    layers: list[Layer] = field(default_factory=list)
    #: Filesystem layers the image really has (``RootFS.Layers``).
    layer_count: int = 0

    @property
    def total(self) -> int:
        """Sum of the layer sizes (equals ``size`` for an image made of its own history)."""
        return sum(layer.size for layer in self.layers)

    def __str__(self) -> str:
        head = f"{self.image} ({self.image_id[7:19]}): {sizes.decimal(self.size)} in {self.layer_count} layers"
        return "\n".join([head, *map(str, self.layers)])


def readable(created_by: str, comment: str = "") -> str:
    """A history entry's ``CreatedBy`` as the Dockerfile line it came from.

    >>> readable('/bin/sh -c #(nop)  CMD ["nginx"]')
    'CMD ["nginx"]'
    >>> readable("RUN /bin/sh -c apt-get update # buildkit")
    'RUN apt-get update'
    """
    text = created_by.strip()
    if not text:
        return f"(base layer: {comment})" if comment else "(base layer)"
    text = text.removesuffix("# buildkit").strip()
    if _NOP.match(text):
        text = _NOP.sub("", text)
    elif _SHELL.match(text):
        text = "RUN " + _SHELL.sub("", text)
    elif text.startswith("RUN "):
        text = "RUN " + _SHELL.sub("", text[4:])
    text = _HASH.sub(r"\1:\2…", text)
    expose = _EXPOSE.match(text)
    if expose:
        text = "EXPOSE " + " ".join(p.split(":", 1)[0] for p in expose.group(1).split())
    return " ".join(text.split())


def image_layers(image: str) -> ImageLayers:
    """The layers of a local image, newest first.

    Args:
        image: Name, ``name:tag`` or id of an image on the engine.

    Raises:
        errors.ImageMissing: the image is not on the engine.
    """
    with engine.translated(image=image):
        api = engine.client().api
        info = api.inspect_image(image)
        history = api.history(image)
    layers = [
        Layer(
            instruction=readable(h.get("CreatedBy", ""), h.get("Comment", "")),
            size=int(h.get("Size") or 0),
            empty=False,
            created_by=h.get("CreatedBy", ""),
            created=datetime.fromtimestamp(h["Created"], tz=timezone.utc) if h.get("Created") else None,
            comment=h.get("Comment", ""),
            id=h.get("Id", ""),
        )
        for h in history
    ]
    count = len((info.get("RootFS") or {}).get("Layers") or [])
    mark_empty(layers, count)
    return ImageLayers(image=image, image_id=info["Id"], size=int(info.get("Size") or 0), layers=layers, layer_count=count)


def mark_empty(layers: list[Layer], layer_count: int) -> None:
    """Set ``empty`` on entries that added no filesystem layer.

    Metadata instructions are empty. A 0-byte ``RUN``/``COPY``/``WORKDIR`` may or may not have
    made a layer: if counting them all as layers matches ``layer_count`` they are; if counting
    none does, they are not; otherwise they are left as layers.
    """
    for layer in layers:
        keyword = layer.instruction.split(" ", 1)[0].upper()
        layer.empty = keyword in METADATA_ONLY and layer.size == 0
    unsure = [layer for layer in layers if not layer.empty and layer.size == 0]
    sure = sum(1 for layer in layers if not layer.empty and layer.size > 0)
    if unsure and layer_count and sure == layer_count:
        for layer in unsure:
            layer.empty = True
