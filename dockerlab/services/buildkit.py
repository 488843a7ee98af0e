"""BuildKit's progress, read from its structured stream: what each step did, as it happens.

``docker buildx build --progress=rawjson`` (buildx 0.12 and later) prints every status update
BuildKit sends as one indented JSON object (BuildKit's ``client.SolveStatus``):

    vertexes   nodes of the build graph: a Dockerfile step ("[build 2/4] COPY . .") or internal work
               ("[internal] load build context", "exporting to image"), with started, completed,
               cached and error
    statuses   progress of a vertex's sub-tasks ("transferring context:", "writing image sha256:...")
    logs       a step's output, base64, with its stream and timestamp
    warnings   a vertex's warnings (newer BuildKits)

:class:`ProgressReader` reads those objects line by line as the CLI prints them and turns them into
the lines ``--progress=plain`` shows (``#5 [2/3] RUN ...``, ``#5 0.373 hi``, ``#5 CACHED``,
``#5 DONE 0.4s``), each tied to its :class:`Vertex`, so a view streams a familiar log while
the numbers come from the stream's fields, not from re-reading text.

What the stream does not say, and where it comes from instead:

* which Dockerfile step a vertex is: only its name says (``[build 2/4] COPY . .``), so
  :func:`step_of` reads the name;
* why a build failed when no vertex did (a Dockerfile that does not parse): buildx prints that as
  one text line (``ERROR: failed to solve: ...``) after the stream; text lines are kept as they are;
* buildx's ``#0 building with "default" instance`` banner: it is not printed.
"""

from __future__ import annotations

import base64
import codecs
import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

#: How many of a failing step's last output lines the summary after the log repeats (as buildx does).
TAIL_LINES = 10

#: A status still running is shown again after this many seconds (a long transfer), as plain does.
STATUS_EVERY = 5.0

# "[2/3] RUN apt-get update" or, in a multi-stage build, "[build 2/4] COPY . ."
_STEP_NAME = re.compile(r"^\[(?:([\w.-]+) )?(\d+)/(\d+)\] (.+)$", re.S)


@dataclass(frozen=True)
class Step:
    """A Dockerfile instruction as BuildKit names its vertex: ``[build 2/4] COPY . .``."""

    number: int
    total: int
    stage: str | None
    instruction: str

    def __str__(self) -> str:
        return f"[{self.stage + ' ' if self.stage else ''}{self.number}/{self.total}] {self.instruction}"


def step_of(name: str) -> Step | None:
    """The Dockerfile step a vertex's name stands for, or None for BuildKit's own work."""
    found = _STEP_NAME.match(name)
    if found is None:
        return None
    stage, number, total, instruction = found.groups()
    return Step(int(number), int(total), stage, instruction)


@dataclass(eq=False)
class Vertex:
    """One node of the build graph as the stream has told of it so far."""

    digest: str
    name: str
    step: Step | None
    #: The ``#N`` its lines carry: the order in which it was first shown (0 until then).
    number: int = 0
    cached: bool = False
    error: str = ""
    # What the reader keeps while the build runs:
    _runs: dict[datetime, datetime | None] = field(default_factory=dict, init=False, repr=False)  # start -> end
    _tail: deque = field(default_factory=lambda: deque(maxlen=TAIL_LINES), init=False, repr=False)
    _partial: str = field(default="", init=False, repr=False)  # output not yet ended by a newline
    _partial_at: datetime | None = field(default=None, init=False, repr=False)
    # Output arrives in chunks that may split a UTF-8 character.
    _decoder: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")("replace"), init=False, repr=False)
    _statuses: dict[str, datetime] = field(default_factory=dict, init=False, repr=False)  # status id -> last shown

    @property
    def started(self) -> datetime | None:
        return max(self._runs) if self._runs else None

    @property
    def completed(self) -> bool:
        return bool(self._runs) and all(end is not None for end in self._runs.values())

    @property
    def canceled(self) -> bool:
        return self.error.endswith("context canceled")

    @property
    def seconds(self) -> float:
        """Time it ran: its runs (a vertex can run more than once) merged where they overlap."""
        total, reached = 0.0, None
        for start, end in sorted(self._runs.items()):
            end = end or start
            start = max(start, reached) if reached else start
            total += max((end - start).total_seconds(), 0.0)
            reached = max(end, reached) if reached else end
        return total

    def outcome(self) -> str:
        """The word plain progress ends a vertex with."""
        if self.error:
            return "CANCELED" if self.canceled else f"ERROR: {self.error}"
        return "CACHED" if self.cached else f"DONE {self.seconds:.1f}s"


@dataclass
class Line:
    """One line to show; ``vertex`` is the vertex it is about (None for buildx's own text)."""

    text: str
    vertex: Vertex | None = None

    @property
    def step(self) -> Step | None:
        return self.vertex.step if self.vertex else None


class ProgressReader:
    """Turns the lines ``docker buildx build --progress=rawjson`` prints into lines to show.

    Feed it every line the CLI prints (:meth:`feed`), then call :meth:`finish`; both return the
    lines to show now. :attr:`log` keeps all of them, :attr:`vertexes` what each vertex did.

    A vertex's closing line (``#5 DONE 0.4s``) waits until another vertex has something to show:
    BuildKit often reports a vertex done and, a moment later, cached, or done and started again,
    and plain progress (which redraws ten times a second) shows only the last word.
    """

    def __init__(self) -> None:
        self.vertexes: dict[str, Vertex] = {}
        self.log: list[str] = []
        #: Lines buildx printed as text, not JSON (its final ``ERROR: ...``; all of a plain log).
        self.text: list[str] = []
        self._json: list[str] | None = None  # lines of the JSON object being read
        self._last: Vertex | None = None  # the vertex the last line was about
        self._closing: Vertex | None = None  # a completed vertex whose closing line waits
        self._failed: list[Vertex] = []
        self._summarized = False
        self._numbered = 0

    # -- input ------------------------------------------------------------------------------
    def feed(self, line: str) -> list[Line]:
        """The lines to show for one line the CLI printed."""
        if self._json is not None:  # inside an object: it ends with a "}" of its own
            self._json.append(line)
            if line.rstrip() != "}":
                return []
            text, self._json = "\n".join(self._json), None
            return self._emit(self._decoded(text))
        if line.rstrip() == "{":
            self._json = [line]
            return []
        if line.startswith("{"):  # an object on one line
            return self._emit(self._decoded(line))
        return self._emit(self._text_line(line))

    def update(self, status: dict) -> list[Line]:
        """The lines one status update (a decoded JSON object) adds, in the order plain shows them."""
        return self._emit(self._lines_of(status))

    def _lines_of(self, status: dict) -> list[Line]:
        out: list[Line] = []
        for raw in status.get("vertexes") or ():
            out += self._vertex(raw)
        for raw in status.get("statuses") or ():
            out += self._status(raw)
        for raw in status.get("warnings") or ():
            out += self._warning(raw)
        for raw in status.get("logs") or ():
            out += self._log(raw)
        return out

    def finish(self) -> list[Line]:
        """The lines still held back: unfinished output lines, closing lines, the failure summary."""
        out = self._close_last()
        for vertex in self.vertexes.values():
            if vertex._partial:
                out += self._to(vertex) + [self._output_line(vertex, vertex._partial, vertex._partial_at)]
                vertex._partial = ""
        out += self._close_last() + self._summary()
        return self._emit(out)

    def _decoded(self, text: str) -> list[Line]:
        try:
            status = json.loads(text)
        except ValueError:
            status = None
        if not isinstance(status, dict):  # not BuildKit's: shown as it was printed
            return [out for part in text.split("\n") for out in self._text_line(part)]
        return self._lines_of(status)

    # -- what the build did -----------------------------------------------------------------
    @property
    def steps(self) -> list[Vertex]:
        """The Dockerfile steps shown, by stage and number."""
        shown = [v for v in self.vertexes.values() if v.step and v.number]
        return sorted(shown, key=lambda v: (v.step.stage or "", v.step.number))

    @property
    def steps_total(self) -> int:
        return max((v.step.total for v in self.steps), default=0)

    @property
    def cached_steps(self) -> int:
        return sum(1 for v in self.steps if v.cached)

    @property
    def failure(self) -> str:
        """Where the build failed: the failing step, else buildx's own error line, else ""."""
        for vertex in self._failed:
            if vertex.step:
                return str(vertex.step)
        errors = [text.removeprefix("ERROR:").strip() for text in self.text if text.startswith("ERROR:")]
        return errors[0] if errors else ""

    # -- the parts of a status update -------------------------------------------------------
    def _vertex(self, raw: dict) -> list[Line]:
        digest, name = raw.get("digest", ""), raw.get("name", "")
        vertex = self.vertexes.setdefault(digest, Vertex(digest, name, step_of(name)))
        started = _time(raw.get("started"))
        if started is None:  # announced, not started; or a repeat that must not undo what is known
            return []
        before = (vertex.cached, vertex.error, dict(vertex._runs))
        vertex.cached, vertex.error = bool(raw.get("cached")), raw.get("error", "")
        vertex._runs[started] = _time(raw.get("completed"))
        if (vertex.cached, vertex.error, vertex._runs) == before:
            return []  # told again: nothing new to show
        out = self._to(vertex)
        self._closing = vertex if vertex.completed else None
        return out

    def _status(self, raw: dict) -> list[Line]:
        vertex = self.vertexes.get(raw.get("vertex", ""))
        if vertex is None:
            return []
        sid, at = raw.get("id", ""), _time(raw.get("timestamp"))
        started, completed = _time(raw.get("started")), _time(raw.get("completed"))
        last = vertex._statuses.get(sid, started)
        if completed is None and (last is None or at is None or (at - last).total_seconds() < STATUS_EVERY):
            return []  # a short sub-task shows once, done; a long one every few seconds
        if completed is not None and sid in vertex._statuses and vertex._statuses[sid] == completed:
            return []  # the same end, reported again
        vertex._statuses[sid] = completed or at
        return self._to(vertex) + [Line(f"#{vertex.number} {sid}{_progress(raw, started, completed or at)}", vertex)]

    def _warning(self, raw: dict) -> list[Line]:
        vertex = self.vertexes.get(raw.get("vertex", ""))
        if vertex is None:
            return []
        short = base64.b64decode(raw.get("short") or "").decode("utf-8", "replace")
        return self._to(vertex) + [Line(f"#{vertex.number} WARN: {short}", vertex)]

    def _log(self, raw: dict) -> list[Line]:
        vertex = self.vertexes.get(raw.get("vertex", ""))
        if vertex is None:
            return []
        at = _time(raw.get("timestamp"))
        pieces = vertex._decoder.decode(base64.b64decode(raw.get("data") or "")).split("\n")
        pieces[0], first_at = vertex._partial + pieces[0], vertex._partial_at or at
        # The last piece has no newline yet: it waits for the rest of its line (stamped when it began).
        vertex._partial = pieces[-1]
        vertex._partial_at = None if not pieces[-1] else first_at if len(pieces) == 1 else at
        done = [self._output_line(vertex, text, first_at if i == 0 else at) for i, text in enumerate(pieces[:-1])]
        return self._to(vertex) + done if done else []

    # -- turning them into lines ------------------------------------------------------------
    def _to(self, vertex: Vertex) -> list[Line]:
        """What comes before a line about ``vertex``: the last one's closing line, a blank line and
        ``vertex``'s header when the log turns to another vertex."""
        if vertex is self._last:
            return []
        out = self._close_last()
        if self._last is not None or self.log or out:
            out.append(Line(""))
        if not vertex.number:
            self._numbered += 1
            vertex.number = self._numbered
            out.append(Line(f"#{vertex.number} {vertex.name}", vertex))
        self._last = vertex
        return out

    def _close_last(self) -> list[Line]:
        vertex, self._closing = self._closing, None
        if vertex is None or not vertex.completed:
            return []
        out = []
        if vertex._partial:
            out.append(self._output_line(vertex, vertex._partial, vertex._partial_at))
            vertex._partial = ""
        if vertex.error and not vertex.canceled and vertex not in self._failed:
            self._failed.append(vertex)
        out.append(Line(f"#{vertex.number} {vertex.outcome()}", vertex))
        return out

    def _output_line(self, vertex: Vertex, text: str, at: datetime | None) -> Line:
        # Only what a terminal would leave on screen: progress redrawn with \r shows its last state.
        text = text.rstrip("\r").rsplit("\r", 1)[-1]
        seconds = (at - vertex.started).total_seconds() if at and vertex.started else 0.0
        places = 3 if seconds < 10 else 2 if seconds < 100 else 1
        stamped = f"{seconds:.{places}f} {text}"
        vertex._tail.append(stamped)
        return Line(f"#{vertex.number} {stamped}", vertex)

    def _text_line(self, text: str) -> list[Line]:
        """buildx's own text: after a failed step, the summary comes first (as plain prints it)."""
        self.text.append(text)
        return self._close_last() + self._summary() + [Line(text)]

    def _summary(self) -> list[Line]:
        """Each failed step's last output lines, framed as buildx frames them."""
        if self._summarized or not self._failed:
            return []
        self._summarized = True
        out = []
        for vertex in self._failed:
            out += [Line("------"), Line(f" > {vertex.name}:"), *(Line(t) for t in vertex._tail), Line("------")]
        return out

    def _emit(self, lines: list[Line]) -> list[Line]:
        self.log += [line.text for line in lines]
        return lines


def read(lines: Iterable[str]) -> ProgressReader:
    """Read a whole stream (a recorded one, say) and return the reader, finished."""
    reader = ProgressReader()
    for line in lines:
        reader.feed(line)
    reader.finish()
    return reader


def _time(text: str | None) -> datetime | None:
    # BuildKit's RFC 3339 times carry nanoseconds; fromisoformat keeps microseconds, plenty here.
    return datetime.fromisoformat(text) if text else None


def _progress(raw: dict, started: datetime | None, end: datetime | None) -> str:
    """``" 98B 0.3s done"``: a status's bytes, its time when over 0.01 s, and whether it ended."""
    current, total = raw.get("current") or 0, raw.get("total") or 0
    amount = f" {_bytes(current)} / {_bytes(total)}" if total else f" {_bytes(current)}" if current else ""
    seconds = (end - started).total_seconds() if started and end else 0.0
    took = f" {seconds:.1f}s" if seconds > 0.01 else ""
    return amount + took + (" done" if raw.get("completed") else "")


def _bytes(count: int) -> str:
    """Sizes as BuildKit prints them: ``98B``, ``1.23kB``, ``45.60MB`` (decimal units)."""
    if count < 1000:
        return f"{count}B"
    value, unit = float(count), 0
    while value >= 1000 and unit < 6:
        value, unit = value / 1000, unit + 1
    return f"{value:.2f}{('', 'k', 'M', 'G', 'T', 'P', 'E')[unit]}B"
