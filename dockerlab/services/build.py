"""Building images with BuildKit, each step shown as the engine reports it.

docker-py's ``images.build`` only drives the legacy builder and returns the log when the build
has ended, so builds go through ``docker buildx build --progress=rawjson``: BuildKit's own status
updates, read as they are printed by :mod:`dockerlab.services.buildkit`, which also turns them
into the lines ``--progress=plain`` shows. Each line becomes a :class:`BuildEvent`.

An engine without BuildKit (Podman) builds with its own builder: ``docker build`` with ``DOCKER_BUILDKIT=0``
(:func:`_classic`), its log shown as printed, its steps read from the ``STEP 2/4: COPY . .`` lines (Docker's
classic builder writes ``Step 2/4 : COPY . .``).
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockerlab import engine, errors, labels, sizes
from dockerlab.engine import dockercli
from dockerlab.engine import kind as enginekind
from dockerlab.engine import session as sessions
from dockerlab.services import buildkit

#: buildx release that added ``--progress=rawjson``; older ones refuse it (0.11: "not a valid progress option").
RAWJSON_SINCE = (0, 12)


@dataclass
class BuildEvent:
    """One line of build output, with the step it belongs to when known."""

    line: str
    at: float
    step: int | None = None
    total: int | None = None
    stage: str | None = None
    instruction: str | None = None


@dataclass
class BuildResult:
    """A finished build."""

    tag: str | None
    image_id: str
    size: int
    seconds: float
    log: list[str] = field(default_factory=list)
    steps_total: int = 0
    cached_steps: int = 0
    #: Seconds from starting the build to the first line of output reaching the caller.
    first_line_after: float | None = None
    #: The Dockerfile steps BuildKit ran or took from its cache (``.step``, ``.cached``, ``.seconds``); from an
    #: engine's own builder, the steps it printed, with ``.cached`` only (no times).
    steps: list[buildkit.Vertex] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.tag or self.image_id[:19]}: {self.image_id[7:19]}, {sizes.decimal(self.size)}, built in {self.seconds:.1f} s"


def build(
    context: str | os.PathLike,
    tag: str | None = None,
    *,
    dockerfile: str | os.PathLike | None = None,
    build_args: Mapping[str, str] | None = None,
    target: str | None = None,
    no_cache: bool = False,
    lesson: str | None = None,
    session_labels: bool = True,
    extra_labels: Mapping[str, str] | None = None,
    secrets: list[str] | None = None,
    on_event: Callable[[BuildEvent], None] | None = None,
    timeout: float = 900,
) -> BuildResult:
    """Build an image from ``context`` with BuildKit and return what was built.

    Args:
        context: The build context folder.
        tag: ``name:tag`` for the image.
        dockerfile: A Dockerfile other than ``context/Dockerfile``.
        build_args, target, no_cache, secrets: As ``docker build``'s ``--build-arg``, ``--target``,
            ``--no-cache`` and ``--secret``.
        lesson: Lesson label for the image.
        session_labels: Label the image with this session (and ``lesson``), so that its untagged
            leftovers go with the session. The offline kit's stand-ins are built without: every
            image built FROM them inherits their labels, a learner's own included.
        extra_labels: More image labels (the offline kit marks stand-ins this way).
        on_event: Called with every :class:`BuildEvent` as soon as its line is printed.
        timeout: Seconds after which the build is stopped.

    Raises:
        errors.BuildFailed: with the failing step and the log.
        errors.ToolMissing: when buildx is not installed.
    """
    classic = enginekind.current().lacks("buildkit") is not None
    if not classic and not dockercli.has_plugin("buildx"):
        raise errors.ToolMissing("docker buildx")
    if classic and secrets:
        raise errors.DockerlabError(f"Build secrets (--secret) need BuildKit: {enginekind.current().lacks('buildkit')}.",
                                    "Build this image on Docker's engine, or pass the value another way for this lesson.")
    own = labels.for_image(sessions.current().id, lesson) if session_labels else {}
    image_labels = {**own, **(extra_labels or {})}
    with tempfile.TemporaryDirectory(prefix="dockerlab-build-") as scratch:
        iidfile = Path(scratch) / "iid"
        args = ["build", "--iidfile", str(iidfile)] if classic else ["buildx", "build", f"--progress={progress_mode()}", "--iidfile", str(iidfile)]
        if tag:
            args += ["-t", tag]
        if dockerfile:
            args += ["-f", str(dockerfile)]
        for key, value in (build_args or {}).items():
            args += ["--build-arg", f"{key}={value}"]
        for key, value in image_labels.items():
            args += ["--label", f"{key}={value}"]
        for secret in secrets or ():
            args += ["--secret", secret]
        if target:
            args += ["--target", target]
        if no_cache:
            args.append("--no-cache")
        args.append(str(context))
        reader, result = (_classic if classic else _follow)(args, on_event, timeout)
        if result.returncode != 0 or not iidfile.exists():
            raise errors.BuildFailed(reader.failure, "\n".join(reader.log), result.returncode)
        image_id = iidfile.read_text().strip()
    with engine.translated():
        size = engine.client().api.inspect_image(image_id)["Size"]
    return BuildResult(
        tag=tag,
        image_id=image_id,
        size=size,
        seconds=result.seconds,
        log=reader.log,
        steps_total=reader.steps_total,
        cached_steps=reader.cached_steps,
        first_line_after=result.first_line_after,
        steps=reader.steps,
    )


@functools.cache
def progress_mode() -> str:
    """``rawjson``; ``plain`` for a buildx older than 0.12, whose log is then shown without steps."""
    text = dockercli.plugin_version("buildx") or ""
    found = re.search(r"(\d+)\.(\d+)\.\d+", text)
    return "plain" if found and tuple(map(int, found.groups())) < RAWJSON_SINCE else "rawjson"


@dataclass
class _Followed:
    returncode: int = 0
    seconds: float = 0.0
    first_line_after: float | None = None


def _follow(args: list[str], on_event, timeout: float) -> tuple[buildkit.ProgressReader, _Followed]:
    """Run the build, passing on each line to show as soon as BuildKit reports it."""
    started = time.monotonic()
    followed = _Followed()
    reader = buildkit.ProgressReader()

    def pass_on(shown: list[buildkit.Line]) -> None:
        if shown and followed.first_line_after is None:
            followed.first_line_after = time.monotonic() - started
        for line in shown if on_event is not None else ():
            on_event(_event(line))

    lines = dockercli.stream(args, env={**os.environ, "DOCKER_BUILDKIT": "1"}, timeout=timeout)
    while True:
        try:
            line = next(lines)
        except StopIteration as done:
            followed.returncode = done.value if done.value is not None else 1
            break
        pass_on(reader.feed(line))
    pass_on(reader.finish())
    followed.seconds = time.monotonic() - started
    return reader, followed


# Podman's builder (Buildah): "STEP 2/4: COPY . ."; Docker's classic builder: "Step 2/4 : COPY . ."
_CLASSIC_STEP = re.compile(r"^(?:STEP|Step) (\d+)/(\d+) ?: (.+)$")


@dataclass
class _ClassicLog:
    """What a classic build printed, in the shape the views read from a BuildKit build."""

    log: list[str] = field(default_factory=list)
    steps_total: int = 0
    cached_steps: int = 0
    steps: list = field(default_factory=list)
    failure: str = ""


def _classic(args: list[str], on_event, timeout: float) -> tuple[_ClassicLog, _Followed]:
    """Run the build with the engine's own builder, passing on each line as it is printed."""
    started = time.monotonic()
    followed = _Followed()
    reader = _ClassicLog()
    step = None
    lines = dockercli.stream(args, env={**os.environ, "DOCKER_BUILDKIT": "0"}, timeout=timeout)
    while True:
        try:
            line = next(lines).rstrip("\n")
        except StopIteration as done:
            followed.returncode = done.value if done.value is not None else 1
            break
        if followed.first_line_after is None:
            followed.first_line_after = time.monotonic() - started
        found = _CLASSIC_STEP.match(line)
        if found:
            step = buildkit.Step(int(found.group(1)), int(found.group(2)), None, found.group(3))
            reader.steps_total = step.total
            reader.steps.append(buildkit.Vertex("", str(step), step, number=step.number))
        elif "Using cache" in line and reader.steps:
            reader.steps[-1].cached = True
            reader.cached_steps += 1
        reader.log.append(line)
        if on_event is not None:
            on_event(BuildEvent(line, time.time(), *((step.number, step.total, None, step.instruction) if step else ())))
    followed.seconds = time.monotonic() - started
    if followed.returncode != 0:
        reader.failure = str(step) if step else next((text for text in reversed(reader.log) if text.strip()), "")
    return reader, followed


def _event(line: buildkit.Line) -> BuildEvent:
    step = line.step
    if step is None:
        return BuildEvent(line.text, time.time())
    return BuildEvent(line.text, time.time(), step.number, step.total, step.stage, step.instruction)
