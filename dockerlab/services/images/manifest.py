"""Reading the image manifest (``manifest.yaml`` beside this file)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent
STANDINS = HERE / "standins"


@dataclass(frozen=True)
class ImageSpec:
    """One image the course uses.

    Attributes:
        name: ``repository:tag`` as the notebooks write it.
        why: Why the course needs it.
        notebooks: The notebooks that use it.
        standin: ``"rootfs"`` or the name of a Dockerfile in ``standins/``.
    """

    name: str
    why: str
    notebooks: tuple[str, ...]
    standin: str

    @property
    def dockerfile(self) -> Path | None:
        return None if self.standin == "rootfs" else STANDINS / self.standin


@cache
def load_manifest(path: Path = HERE / "manifest.yaml") -> tuple[ImageSpec, ...]:
    """The images of the manifest, in build order."""
    data = yaml.safe_load(path.read_text())
    specs = []
    for entry in data["images"]:
        spec = ImageSpec(entry["name"], " ".join(entry["why"].split()), tuple(entry.get("notebooks") or ()), entry["standin"])
        if spec.dockerfile is not None and not spec.dockerfile.exists():
            raise FileNotFoundError(f"manifest names {spec.standin} for {spec.name}, but {spec.dockerfile} is missing")
        specs.append(spec)
    return tuple(specs)


def spec_for(name: str) -> ImageSpec | None:
    return next((s for s in load_manifest() if s.name == name), None)
