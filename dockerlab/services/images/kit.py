"""Making the course's images present: use, pull, or build a stand-in offline.

For each image of the manifest, :func:`ensure` uses it if the engine has it, else pulls it (with
progress), else, once no registry answers, builds a stand-in: the Debian base from an
``mmdebstrap`` root filesystem fed to ``docker import``, the others from the short Dockerfiles in
``standins/``. The first failed pull decides "offline" for the rest of the run, so a classroom
without a registry does not wait on every image. With a class mirror (``--mirror`` /
``$DOCKERLAB_MIRROR``, :mod:`dockerlab.services.images.serve` on the instructor's machine) missing images
are pulled from it instead, and given the course's names.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import docker.errors

from dockerlab.services import build as builds
from dockerlab.engine import dockercli
from dockerlab import engine
from dockerlab import config, errors, labels
from dockerlab.services.images import registry, rootfs
from dockerlab.services.images.manifest import STANDINS, ImageSpec, load_manifest
from dockerlab import sizes

Report = Callable[[str], None]


@dataclass
class ImageStatus:
    """Where an image of the manifest stands on this engine."""

    spec: ImageSpec
    state: str  # "present", "standin" or "missing"
    image_id: str | None = None
    size: int = 0
    reason: str = ""
    stale: bool = False  # a stand-in from before 2026-11-28 that carries a session label (see ensure)

    def __str__(self) -> str:
        if self.state == "missing":
            return f"{self.spec.name:<22} missing"
        extra = f"  stand-in ({self.reason})" if self.state == "standin" else ""
        return f"{self.spec.name:<22} {self.image_id[7:19]}  {sizes.decimal(self.size):>9}{extra}"


def status(specs: Iterable[ImageSpec] | None = None) -> list[ImageStatus]:
    """The state of every manifest image (one inspect call each)."""
    api = engine.client().api
    found = []
    for spec in specs or load_manifest():
        try:
            with engine.translated(image=spec.name):
                attrs = api.inspect_image(spec.name)
        except (docker.errors.ImageNotFound, errors.ImageMissing):
            found.append(ImageStatus(spec, "missing"))
            continue
        image_labels = attrs.get("Config", {}).get("Labels") or {}
        standin = image_labels.get(labels.STANDIN) == "true" and _built_for(image_labels, spec.name)
        found.append(
            ImageStatus(
                spec,
                "standin" if standin else "present",
                attrs["Id"],
                attrs.get("Size", 0),
                image_labels.get(labels.STANDIN_REASON, "") if standin else "",
                stale=standin and labels.IMAGE_SESSION in image_labels,
            )
        )
    return found


def _built_for(image_labels: dict, name: str) -> bool:
    # Images built FROM a stand-in inherit its labels; only the stand-in itself names itself.
    return image_labels.get(f"{labels.STANDIN}.for") == name


def standins_in_use(specs: Iterable[ImageSpec] | None = None) -> list[ImageStatus]:
    """Manifest images (default: all, else ``specs``) that are local stand-ins rather than the official ones."""
    return [s for s in status(specs) if s.state == "standin"]


def ensure(
    specs: Iterable[ImageSpec] | None = None,
    *,
    offline: bool | None = None,
    mirror: str | None = None,
    report: Report = print,
) -> list[ImageStatus]:
    """Make every image present; return their final states.

    Args:
        specs: The images to ensure (default: the whole manifest).
        offline: True skips pulling, False never builds stand-ins; None (default) pulls first
            and turns to stand-ins when no registry answers. ``DOCKERLAB_OFFLINE=1`` sets True.
        mirror: ``HOST:PORT`` of a class mirror (default ``$DOCKERLAB_MIRROR``): missing images are pulled
            from it (``HOST:PORT/python:3.13-slim``) and tagged with the course's name; the mirror's own
            names are removed again. A mirror that cannot give an image is an error, never a reason to
            build stand-ins: ``offline`` does not apply.
        report: Receives one line per thing done, for the console or a widget.
    """
    specs = list(specs or load_manifest())
    if offline is None and config.OFFLINE.flag():
        offline = True
    reason = f"{config.OFFLINE.name}=1" if offline else ""
    mirror = registry.normal_address(mirror) if mirror else registry.configured_mirror()
    started = time.monotonic()
    states = status(specs)
    if mirror and any(s.state == "missing" for s in states):
        _check_trust(mirror)
    for position, item in enumerate(states, 1):
        prefix = f"[{position}/{len(specs)}] {item.spec.name}"
        if item.stale:
            # Older kits labelled stand-ins with the building session, and every image built FROM
            # them inherited it: a sweep could then take a learner's own untagged image for the
            # course's. Rebuilt without it (the layers come from the build cache: seconds).
            report(f"{prefix}: rebuilding the stand-in without the session label an older dockerlab gave it")
            _build_standin(item.spec, item.reason, lambda line: report(f"{prefix}: {line}"))
            continue
        if item.state != "missing":
            report(f"{prefix}: present" + (" (stand-in)" if item.state == "standin" else ""))
            continue
        if mirror:
            _pull_from_mirror(mirror, item.spec.name, lambda line: report(f"{prefix}: {line}"))
            report(f"{prefix}: pulled from the class mirror {mirror}")
            continue
        if not offline:
            try:
                _pull(item.spec.name, lambda line: report(f"{prefix}: {line}"))
                report(f"{prefix}: pulled")
                continue
            except (errors.RegistryUnreachable, errors.PullRateLimited, errors.ImageMissing) as exc:
                if offline is False:
                    raise
                offline = True
                reason = f"no registry answered: {type(exc).__name__}"
                report(f"{prefix}: cannot pull ({exc.title.lower()}); building local stand-ins from here on")
        report(f"{prefix}: building stand-in ({item.spec.standin})")
        t0 = time.monotonic()
        _build_standin(item.spec, reason, lambda line: report(f"{prefix}: {line}"))
        report(f"{prefix}: stand-in ready in {time.monotonic() - t0:.0f} s")
    final = status(specs)
    report(f"images ready in {time.monotonic() - started:.0f} s")
    return final


def _pull(name: str, report: Report) -> None:
    """Pull one image, reporting each layer's progress (:func:`show_pull_progress`)."""
    api = engine.client().api
    repository, tag = name.rsplit(":", 1)
    with engine.translated(image=name):
        show_pull_progress(api.pull(repository, tag, stream=True, decode=True), name, report)


def _check_trust(mirror: str) -> None:
    """Raise :class:`registry.MirrorNotTrusted` before any pull when the engine's configuration refuses the mirror."""
    with engine.translated():
        found = registry.trust_problem(mirror, engine.client().info().get("RegistryConfig"))
    if found is not None:
        raise found


def _pull_from_mirror(mirror: str, name: str, report: Report) -> None:
    """Pull ``MIRROR/name`` and tag it ``name``; then drop the names the pull added (the mirror's tag and
    its digest reference), by name, keeping any the engine already had."""
    api = engine.client().api
    source = f"{mirror}/{name}"
    repository, tag = name.rsplit(":", 1)
    before = registry.names_of(source)
    try:
        _pull(source, report)
    except (errors.DockerlabError, docker.errors.APIError) as exc:
        raise registry.explain(exc, mirror, name) or exc
    with engine.translated(image=name):
        api.tag(source, repository, tag)
        for added in registry.names_of(source) - before:
            with contextlib.suppress(docker.errors.NotFound):
                api.remove_image(added)


def show_pull_progress(events: Iterable[dict], name: str, report: Report) -> None:
    """Report a pull's status stream: each layer's download and extraction in 10 % steps, and its end.

    Layers download side by side and each goes from 0 to 100 % twice (download, then extraction),
    so progress is kept per layer and per phase.

    Args:
        events: The engine's decoded pull events (``{"status", "id", "progressDetail"}``, or ``{"error"}``).
        name: The image pulled, for error messages.
        report: Receives the lines.

    Raises:
        errors.DockerlabError: the stream ended in an error (no registry, rate limit, no such image).
    """
    shown: dict[tuple[str, str], int] = {}
    for event in events:
        if "error" in event:
            failure = RuntimeError(event["error"])  # kept as the cause: the engine's words, for the mirror's errors
            raise (errors.classify(failure, image=name) or errors.ImageMissing(name)) from failure
        layer, status = event.get("id", ""), event.get("status", "")
        detail = event.get("progressDetail") or {}
        if detail.get("total"):
            percent = min(100, 100 * detail.get("current", 0) // detail["total"]) // 10 * 10
            if percent > shown.get((layer, status), -1):
                shown[layer, status] = percent
                report(f"layer {layer}: {status.lower()} {percent}%")
        elif status == "Pull complete":
            report(f"layer {layer}: done")


def _standin_labels(spec: ImageSpec, reason: str) -> dict[str, str]:
    return {
        labels.STANDIN: "true",
        f"{labels.STANDIN}.for": spec.name,
        labels.STANDIN_REASON: reason or "no registry answered",
    }


def _build_standin(spec: ImageSpec, reason: str, report: Report) -> None:
    if spec.standin == "rootfs":
        rootfs.import_rootfs(spec.name, _standin_labels(spec, reason), report)
        return
    last_step = [None]

    def show(event: builds.BuildEvent) -> None:
        if event.step is not None and event.step != last_step[0]:
            last_step[0] = event.step
            stage = f"{event.stage} " if event.stage else ""
            report(f"step {stage}{event.step}/{event.total}: {event.instruction}")

    builds.build(STANDINS, spec.name, dockerfile=spec.dockerfile, session_labels=False,
                 extra_labels=_standin_labels(spec, reason), on_event=show)


def save(path: str | os.PathLike, names: Iterable[str] | None = None, report: Report = print) -> Path:
    """Write the course images (or just ``names``) into one tar file, for :func:`load` elsewhere.

    Raises:
        errors.ImageMissing: if an image to save is not present (run :func:`ensure` first).
    """
    states = status()
    wanted = list(names) if names else [s.spec.name for s in states]
    missing = [s.spec.name for s in states if s.state == "missing" and s.spec.name in wanted]
    if missing:
        raise errors.ImageMissing(", ".join(missing))
    report(f"saving {len(wanted)} images to {path} ...")
    done = dockercli.run(["save", "-o", str(path), *wanted], timeout=900)
    if done.returncode != 0:
        raise errors.DockerlabError(f"docker save failed: {done.stderr.strip()}", "Check free disk space and try again.")
    report(f"saved {len(wanted)} images, {sizes.decimal(Path(path).stat().st_size)}")
    return Path(path)


def load(path: str | os.PathLike, report: Report = print) -> list[str]:
    """Load an image bundle written by :func:`save`; return the image names it held."""
    if not Path(path).exists():
        raise errors.DockerlabError(f"There is no file {path}.", "Give the path of a bundle made by `dockerlab images save`.")
    report(f"loading {path} ...")
    done = dockercli.run(["load", "-i", str(path)], timeout=900)
    if done.returncode != 0:
        raise errors.DockerlabError(f"docker load failed: {done.stderr.strip()}", "Is the file a bundle made by `dockerlab images save`?")
    # Docker says one image a line; Podman all of them on one, comma-separated (and as localhost/NAME).
    names = [name.strip() for line in done.stdout.splitlines() if line.startswith("Loaded image: ")
             for name in line.split(": ", 1)[1].split(",") if name.strip()]
    report(f"loaded {len(names)} images")
    return names
