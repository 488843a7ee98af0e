"""Disk the engine spends on the course's images, and what the size lessons of notebook 06 save.

Sizes are the engine's uncompressed sizes (``docker images``). Images share layers (every stand-in
is built on the Debian base), so the sum of their sizes counts the base several times; the
"unique" number counts each layer once. A layer is known by the image history up to and including
it (command and size of every step), since the engine's API gives layer sizes only in the history.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from dockerlab import engine
from dockerlab.services.images.manifest import load_manifest
from dockerlab.jupyter.lesson import Lesson

from .common import ROOT, say
from .stats import Row

MB = 1e6


def unique_size(histories: dict[str, list[dict]]) -> int:
    """Bytes of the images' layers, each layer once.

    Args:
        histories: image -> its ``docker history`` entries, newest first (as the API returns them).
    """
    seen: dict[tuple, int] = {}
    for entries in histories.values():
        chain: tuple = ()
        for entry in reversed(entries):  # oldest first: a layer's identity is the chain below it
            chain += ((entry.get("CreatedBy", ""), entry.get("Size", 0)),)
            seen[chain] = entry.get("Size", 0)
    return sum(seen.values())


def lesson_files(notebook: Path, folder: str) -> dict[str, str]:
    """The files a notebook writes with ``%%writefile {folder}/NAME``: name -> text."""
    files = {}
    for cell in json.loads(notebook.read_text())["cells"]:
        source = "".join(cell.get("source", ""))
        match = re.match(r"%%writefile \{" + re.escape(folder) + r"\}/(\S+)\n", source)
        if cell.get("cell_type") == "code" and match:
            files[match.group(1)] = source[match.end():]
    return files


def _course_images() -> Row:
    api = engine.client().api
    names = [spec.name for spec in load_manifest()]
    present = {}
    for name in names:
        try:
            present[name] = api.inspect_image(name)["Size"]
        except Exception:
            say(f"  {name} is missing: not counted")
    unique = unique_size({name: api.history(name) for name in present})
    say(f"  course images: {unique / MB:.0f} MB unique, {sum(present.values()) / MB:.0f} MB summed")
    return Row("disk", f"the {len(present)} course images (manifest), each layer once", "MB", [unique / MB],
               note=f"Summed as `docker images` shows them: {sum(present.values()) / MB:.0f} MB (the Debian base "
                    "counted in each). "
                    + ", ".join(f"{n} {s / MB:.0f} MB" for n, s in present.items()) + ". Build cache not included.",
               extra={"sizes": present, "summed": sum(present.values())})


def _saving(lesson: Lesson, what: str, big: tuple[str, dict], small: tuple[str, dict], note: str) -> Row:
    sizes = {}
    for label, (dockerfile, files) in (("before", big), ("after", small)):
        work = Path(tempfile.mkdtemp(prefix="dockerlab-bench-disk-"))
        for name, text in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_bytes(text if isinstance(text, bytes) else text.encode())
        tag = lesson.name(f"size-{label}") + ":bench"
        built = lesson.build(work, tag, dockerfile=work / dockerfile)
        sizes[label] = built.size
        engine.client().api.remove_image(tag)
        shutil.rmtree(work, ignore_errors=True)
    saved = (sizes["before"] - sizes["after"]) / MB
    say(f"  {what}: {sizes['before'] / MB:.1f} MB -> {sizes['after'] / MB:.1f} MB")
    return Row("disk", what, "MB", [saved],
               note=f"{sizes['before'] / MB:.1f} MB → {sizes['after'] / MB:.1f} MB ({saved * MB / sizes['before']:.1%} less). {note}",
               extra={"before": sizes["before"], "after": sizes["after"]})


def measure() -> list[Row]:
    rows = [_course_images()]
    notebook = ROOT / "notebooks" / "06-images-in-depth.ipynb"
    lesson = Lesson("bench", workdir=tempfile.mkdtemp(prefix="dockerlab-bench-disk-"))
    greet = lesson_files(notebook, "greet")
    multi = {k: v for k, v in greet.items() if k != "Dockerfile.fat"}
    rows.append(_saving(lesson, "multi-stage build saves (06, greet)", ("Dockerfile.fat", greet), ("Dockerfile.multi", multi),
                        "The lesson's own Dockerfile.fat (gcc in the image) and Dockerfile.multi (the static binary "
                        "alone, FROM scratch), built by the bench."))
    leaky = lesson_files(notebook, "leaky")
    # What the notebook's cell writes before its Dockerfile: the app, a secret and 20 MB of data.
    content = {"app.py": 'print("I only need app.py")\n', ".env": "API_TOKEN=not-a-real-token-but-imagine-it-is\n",
               "data/dump.bin": bytes(20_000_000)}
    before = {**content, "Dockerfile": leaky["Dockerfile"]}
    rows.append(_saving(lesson, ".dockerignore saves (06, leaky)", ("Dockerfile", before), ("Dockerfile", {**before, **leaky}),
                        "The lesson's context (app.py, .env, 20 MB data/) with `COPY . .`, without and with its "
                        ".dockerignore."))
    rows.append(Row("disk", "slim base instead of the full one", "MB",
                    note="Not measured: offline, the course has only the slim bases (python:3.13-slim and "
                         "debian:trixie-slim are built from Debian packages); the full images need a registry."))
    lesson.session.cleanup(lesson="bench")
    shutil.rmtree(lesson.workdir, ignore_errors=True)
    return rows
