"""Which images are the course's, and removing only those (for the cold runs).

Labels alone cannot tell: an image built ``FROM python:3.13-slim`` inherits every label of that
stand-in (``org.dockerlab.standin*``; before 2026-11-28 a session label too), so a learner's own
image (and the test suite's bystander) carries them as well. An image is the course's when one of its tags is

* a manifest image and the image is the stand-in built for that very name (``standin.for``);
* named after a course session (``web-dl3f9a1c``), as every lesson names what the learner builds;
* a fixed name a lesson's ``docker build -t`` uses (``my-python-app``, ``counter-app:1.0``), on an
  image built from a course stand-in.

Only those tags are removed (``docker rmi`` without force, never a prune); an image a learner's
image still needs stays, as its layers would anyway.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from dockerlab import labels
from dockerlab.services.images.manifest import load_manifest
from dockerlab.engine.session import Session, session_of_tag, state_dir

from .common import ROOT, say

# `docker build ... -t NAME` in a notebook's code, NAME written out (no `{...}` substitution).
_FIXED_TAG = re.compile(r"docker build\b[^\n]*?\s-t\s+([a-z0-9][a-z0-9._/-]*(?::[\w.-]+)?)(?=\s|$)")


def lesson_tags(notebooks: Path = ROOT / "notebooks") -> set[str]:
    """The fixed tags the notebooks' code cells build (``name`` means ``name:latest``)."""
    tags = set()
    for path in sorted(notebooks.glob("[0-9][0-9]-*.ipynb")):
        for cell in json.loads(path.read_text()).get("cells", []):
            if cell.get("cell_type") == "code":
                tags |= {_full(t) for t in _FIXED_TAG.findall("".join(cell.get("source", "")))}
    return tags


def _full(tag: str) -> str:
    return tag if ":" in tag.rsplit("/", 1)[-1] else f"{tag}:latest"


def course_tags(image_tags: list[str], image_labels: dict | None, manifest: set[str], fixed: set[str],
                live: Callable[[str], bool] = lambda _sid: False) -> list[str]:
    """The tags of one image that are the course's (see the module's rules); [] for anything else.

    ``live(session_id)`` says whether a session's kernel still runs: its images are left alone.
    """
    image_labels = image_labels or {}
    from_standin = image_labels.get(labels.STANDIN) == "true"
    chosen = []
    for tag in image_tags:
        if tag in manifest:
            if from_standin and image_labels.get(f"{labels.STANDIN}.for") == tag:
                chosen.append(tag)
        elif sid := session_of_tag(tag):
            if not live(sid):
                chosen.append(tag)
        elif tag in fixed and from_standin:
            chosen.append(tag)
    return chosen


def find() -> list[str]:
    """Every course tag on the engine."""
    from dockerlab import engine

    manifest = {spec.name for spec in load_manifest()}
    fixed = lesson_tags()
    found = []
    for image in engine.client().api.images():
        found += course_tags(image.get("RepoTags") or [], image.get("Labels"), manifest, fixed, _live)
    return sorted(found)


def _live(sid: str) -> bool:
    """A session with a state file here whose lock is held: a kernel that still runs."""
    return (state_dir() / "sessions" / f"{sid}.json").exists() and not Session.is_dead(sid)


def remove_all() -> list[str]:
    """Untag (and so free, when nothing else needs them) every course image; return the tags removed.

    The Debian base goes last: images built from it are untagged first.
    """
    from dockerlab import engine

    api = engine.client().api
    tags = find()
    bases = [spec.name for spec in load_manifest()]
    tags.sort(key=lambda t: -bases.index(t) if t in bases else -len(bases) - 1)
    removed = []
    for tag in tags:
        try:
            api.remove_image(tag)
            removed.append(tag)
        except Exception as exc:  # a learner's container may use it: say so and go on
            say(f"  kept {tag}: {exc}")
    return removed
