"""The course's images: one manifest, and a kit that makes them present, online or not."""

from dockerlab.services.images.manifest import ImageSpec, load_manifest
from dockerlab.services.images.kit import ImageStatus, ensure, save, load, status, standins_in_use

__all__ = ["ImageSpec", "ImageStatus", "load_manifest", "ensure", "save", "load", "status", "standins_in_use"]
