"""Building images with BuildKit, the log streamed line by line as the engine emits it.

docker-py's ``images.build`` only drives the legacy builder and returns the log when the build
has ended, so builds go through ``docker buildx build --progress=plain`` and its output is read
as it is printed. Each line becomes a :class:`BuildEvent`; the step counter comes from BuildKit's
``[2/3] RUN ...`` headers.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockerlab.engine import dockercli
from dockerlab import engine
from dockerlab import errors, labels
from dockerlab.engine import session as sessions
from dockerlab import sizes

# "#5 [2/3] RUN apt-get update" or, in a multi-stage build, "#7 [build 2/4] COPY . ."
_STEP = re.compile(r"^#(\d+) \[(?:([\w.-]+) )?(\d+)/(\d+)\] (.+)$")
_VERTEX_ERROR = re.compile(r"^#(\d+) ERROR: (.*)$")


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
    if not dockercli.has_plugin("buildx"):
        raise errors.ToolMissing("docker buildx")
    own = labels.for_image(sessions.current().id, lesson) if session_labels else {}
    image_labels = {**own, **(extra_labels or {})}
    with tempfile.TemporaryDirectory(prefix="dockerlab-build-") as scratch:
        iidfile = Path(scratch) / "iid"
        args = ["buildx", "build", "--progress=plain", "--iidfile", str(iidfile)]
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
        log, result = _follow(args, on_event, timeout)
        if result.returncode != 0 or not iidfile.exists():
            raise errors.BuildFailed(result.failing_step, "\n".join(log), result.returncode)
        image_id = iidfile.read_text().strip()
    with engine.translated():
        size = engine.client().api.inspect_image(image_id)["Size"]
    return BuildResult(
        tag=tag,
        image_id=image_id,
        size=size,
        seconds=result.seconds,
        log=log,
        steps_total=result.total,
        cached_steps=result.cached,
        first_line_after=result.first_line_after,
    )


@dataclass
class _Followed:
    returncode: int = 0
    seconds: float = 0.0
    total: int = 0
    cached: int = 0
    failing_step: str = ""
    first_line_after: float | None = None


def _follow(args: list[str], on_event, timeout: float) -> tuple[list[str], _Followed]:
    """Run the build, turning each printed line into an event; return the log and a summary."""
    started = time.monotonic()
    followed = _Followed()
    steps: dict[str, tuple[int, int, str | None, str]] = {}  # vertex id -> (step, total, stage, text)
    current: tuple[int, int, str | None, str] | None = None
    log: list[str] = []
    env = {**os.environ, "DOCKER_BUILDKIT": "1", "BUILDKIT_PROGRESS": "plain"}
    lines = dockercli.stream(args, env=env, timeout=timeout)
    while True:
        try:
            line = next(lines)
        except StopIteration as done:
            followed.returncode = done.value if done.value is not None else 1
            break
        now = time.monotonic()
        if followed.first_line_after is None:
            followed.first_line_after = now - started
        log.append(line)
        match = _STEP.match(line)
        if match:
            vertex, stage, step, total, text = match.groups()
            steps[vertex] = current = (int(step), int(total), stage, text)
            followed.total = max(followed.total, int(total))
        else:
            vertex = line[1:].split(" ", 1)[0] if line.startswith("#") else None
            if vertex in steps:
                current = steps[vertex]
                if line.rstrip().endswith(" CACHED"):
                    followed.cached += 1
        failed = _VERTEX_ERROR.match(line)
        if failed and failed.group(1) in steps:
            step, total, stage, text = steps[failed.group(1)]
            followed.failing_step = f"[{stage + ' ' if stage else ''}{step}/{total}] {text}"
        elif line.startswith("ERROR:") and not followed.failing_step:
            followed.failing_step = line.removeprefix("ERROR:").strip()
        if on_event is not None:
            step = current or (None, None, None, None)
            on_event(BuildEvent(line, time.time(), step[0], step[1], step[2], step[3]))
    followed.seconds = time.monotonic() - started
    return log, followed
