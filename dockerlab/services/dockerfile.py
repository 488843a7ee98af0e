"""A Dockerfile's text as data: its instructions and build stages, and which Python images are current.

Nothing here judges a learner's answer (that is :mod:`dockerlab.checks.dockerfile`); it reads. The
text is read with the `dockerfile-parse` library (the parser OpenShift's build tools use: line
continuations, comments, ``# escape=`` directives, ``ARG`` substitution in ``FROM``).

    parse(text)                 a :class:`Dockerfile`: instructions, stages, or :class:`DockerfileError`
    resolve(path)               the file itself, or ``Dockerfile`` in a folder
    words(value) exec_form(value) key_values(value)   an instruction's arguments
    split_image(ref)            ``docker.io/library/python:3.13-slim`` -> ``("python", "3.13-slim", None)``
    PYTHON_RELEASES, supported_pythons(), recommended_python(), python_tag()   the Python-version policy
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

from dockerfile_parse import DockerfileParser
from dockerfile_parse.parser import image_from
from dockerfile_parse.util import WordSplitter, extract_key_values

#: Every instruction the Dockerfile reference defines.
INSTRUCTIONS = (
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN SHELL "
    "STOPSIGNAL USER VOLUME WORKDIR"
).split()


class DockerfileError(ValueError):
    """The text cannot be used as a Dockerfile; the message says why, in a learner's words."""


@dataclass
class Instruction:
    """One instruction: ``keyword`` upper-case, ``value`` its arguments, ``line`` 1-based."""

    keyword: str
    value: str
    line: int
    content: str

    def __str__(self) -> str:
        text = " ".join(self.content.split())
        return text if len(text) <= 70 else text[:67] + "..."


@dataclass
class Stage:
    """A build stage: its FROM (after ARG substitution), its alias, and its instructions."""

    index: int
    base: str
    alias: str | None
    from_line: int
    raw_base: str
    instructions: list[Instruction] = field(default_factory=list)

    def find(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


@dataclass
class Dockerfile:
    """A parsed Dockerfile."""

    path: Path | None
    text: str
    instructions: list[Instruction]
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage_named(self, name: str) -> Stage | None:
        for stage in self.stages:
            if stage.alias and stage.alias.lower() == name.lower():
                return stage
        return None

    def lineage(self, stage: Stage | None = None) -> list[Stage]:
        """The stage and the earlier stages it is built FROM (``FROM builder``), nearest first."""
        chain = [stage or self.final]
        while True:
            parent = self.stage_named(chain[-1].base)
            if parent is None or parent in chain or parent.index >= chain[-1].index:
                return chain
            chain.append(parent)

    def inherited(self, keyword: str, stage: Stage | None = None) -> list[Instruction]:
        """The ``keyword`` instructions that shape ``stage`` (the final one): those of the stages it is
        built FROM, then its own, in build order, so the last one is the one that counts."""
        return [i for s in reversed(self.lineage(stage)) for i in s.find(keyword)]

    def find(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def resolve(path: str | os.PathLike) -> Path:
    """The Dockerfile meant by ``path``: the file itself, or ``Dockerfile`` inside a folder."""
    path = Path(path)
    return path / "Dockerfile" if path.is_dir() else path


# -- parsing ----------------------------------------------------------------------------------


def parse(text: str, path: str | os.PathLike | None = None, name: str | None = None) -> Dockerfile:
    """The Dockerfile ``text`` holds.

    Args:
        path: Where the text came from (kept in the result).
        name: How messages call the file (default: ``path``).

    Raises:
        DockerfileError: the text is empty, has no instructions, names an unknown one, does not
            start with FROM, or a FROM cannot be read.
    """
    name = name or (str(path) if path is not None else "the Dockerfile")
    if not text.strip():
        raise DockerfileError(f"{name} is empty; a Dockerfile starts with FROM, e.g. FROM python:3.13-slim")
    found = instructions(text)
    if not found:
        raise DockerfileError(f"{name} has only comments and no instructions; a Dockerfile starts with FROM")
    for ins in found:
        if ins.keyword not in INSTRUCTIONS:
            close = difflib.get_close_matches(ins.keyword, INSTRUCTIONS, n=1, cutoff=0.6)
            guess = f" (did you mean {close[0]}?)" if close else ""
            raise DockerfileError(f"line {ins.line}: {ins.keyword!s} is not a Dockerfile instruction{guess}")
    first = next((i for i in found if i.keyword != "ARG"), None)
    if first is None or first.keyword != "FROM":
        where = f"{first.keyword} on line {first.line}" if first else "only ARG"
        raise DockerfileError(f"a Dockerfile must start with FROM (ARG may come before it), but it starts with {where}")
    return Dockerfile(Path(path) if path is not None else None, text, found, _stages(found))


def instructions(text: str) -> list[Instruction]:
    """Every instruction in ``text``, in order; comments and ``RUN <<EOF`` bodies are not instructions."""
    parser = DockerfileParser(fileobj=BytesIO(text.encode("utf-8")), env_replace=True)
    in_heredoc = _heredoc_lines(text)
    return [
        Instruction(s["instruction"], s["value"] or "", s["startline"] + 1, s["content"])
        for s in parser.structure
        if s["instruction"] != "COMMENT" and s["startline"] + 1 not in in_heredoc
    ]


_HEREDOC = re.compile(r"<<-?\s*([\"']?)(\w+)\1")


def _heredoc_lines(text: str) -> set[int]:
    """1-based numbers of the lines inside ``RUN <<EOF`` ... ``EOF`` bodies (not instructions)."""
    inside: set[int] = set()
    ends: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if ends:
            inside.add(number)
            if line.strip() == ends[0]:
                ends.pop(0)
            continue
        if not line.lstrip().startswith("#"):
            ends = [m.group(2) for m in _HEREDOC.finditer(line)]
    return inside


def _stages(found: list[Instruction]) -> list[Stage]:
    """Split into stages, substituting global ARGs in FROM as Docker does."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for ins in found:
        if ins.keyword == "ARG" and not stages:
            try:
                global_args.update(key_values(ins.value))
            except ValueError:
                raise DockerfileError(f"line {ins.line}: cannot read {ins}") from None
        elif ins.keyword == "FROM":
            stages.append(_stage(ins, len(stages), global_args))
        elif stages:
            stages[-1].instructions.append(ins)
    return stages


def _stage(ins: Instruction, index: int, global_args: dict[str, str]) -> Stage:
    image, alias = image_from(ins.value)
    if not image:
        raise DockerfileError(f"line {ins.line}: FROM names no image; write e.g. FROM python:3.13-slim")
    unset = [v for v in re.findall(r"\$\{?(\w+)", image) if not global_args.get(v)]
    if unset:
        raise DockerfileError(
            f"line {ins.line}: FROM {image} uses the build argument {unset[0]}, which has no value; "
            f"give it a default before FROM: ARG {unset[0]}=..."
        )
    base = WordSplitter(image, args=global_args).dequote()
    return Stage(index, base, alias, ins.line, image)


# -- an instruction's arguments ---------------------------------------------------------------


def words(value: str) -> list[str] | None:
    """Arguments of a shell-form instruction, or of an exec-form one (None if it is neither)."""
    stripped = value.strip()
    if stripped.startswith("["):
        try:
            parsed = json.loads(stripped)
        except ValueError:
            return None
        if isinstance(parsed, list) and all(isinstance(p, str) for p in parsed):
            return parsed
        return None
    return list(WordSplitter(stripped).split(dequote=True))


def exec_form(value: str) -> list[str] | None:
    """The words of an exec-form (JSON list) CMD, ENTRYPOINT or RUN; None for shell form or broken JSON."""
    stripped = value.strip()
    if not stripped.startswith("["):
        return None
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) and parsed and all(isinstance(p, str) for p in parsed) else None


def key_values(value: str) -> list[tuple[str, str]]:
    """The ``KEY=value`` pairs of an ENV, ARG or LABEL (``ARG NAME`` gives ``("NAME", "")``).

    Raises:
        ValueError: the value is not a list of pairs.
    """
    try:
        return list(extract_key_values(env_replace=False, args={}, envs={}, instruction_value=value))
    except IndexError:  # dockerfile-parse's word splitter on some unbalanced input
        raise ValueError(f"cannot read {value!r} as KEY=value pairs") from None


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """``"docker.io/library/python:3.13-slim@sha256:..."`` -> ``("python", "3.13-slim", "sha256:...")``."""
    digest = None
    if "@" in ref:
        ref, digest = ref.split("@", 1)
    name, tag = ref, None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    for prefix in ("docker.io/library/", "index.docker.io/library/", "registry-1.docker.io/library/", "library/", "docker.io/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return name, tag, digest


# -- which Python images are current ------------------------------------------------------------

#: CPython feature releases: (first release, end of life). Sources: the release PEPs (537, 569,
#: 596, 619, 664, 693, 719, 745, 790) and devguide.python.org/versions. 3.9 ended 2025-10-31; 3.10
#: reached its end of life in October 2026. Future end-of-life dates are the scheduled month's
#: last day. Add a line each October when a new version is released.
PYTHON_RELEASES: dict[tuple[int, int], tuple[date, date]] = {
    (3, 7): (date(2018, 6, 27), date(2023, 6, 27)),
    (3, 8): (date(2019, 10, 14), date(2024, 10, 7)),
    (3, 9): (date(2020, 10, 5), date(2025, 10, 31)),
    (3, 10): (date(2021, 10, 4), date(2026, 10, 31)),
    (3, 11): (date(2022, 10, 24), date(2027, 10, 31)),
    (3, 12): (date(2023, 10, 2), date(2028, 10, 31)),
    (3, 13): (date(2024, 10, 7), date(2029, 10, 31)),
    (3, 14): (date(2025, 10, 7), date(2030, 10, 31)),
    (3, 15): (date(2026, 10, 1), date(2031, 10, 31)),
}

#: The version the course uses (python:3.13-slim in dockerlab/services/images/manifest.yaml).
COURSE_PYTHON = (3, 13)

_PY_TAG = re.compile(r"^(?P<version>\d+(?:\.\d+){0,2})(?P<pre>(?:a|b|rc)\d+)?(?:-(?P<variant>[\w.-]+))?$")


class PythonTag(NamedTuple):
    """A ``python`` image tag read: ``3.13.1rc1-slim-trixie`` -> version "3.13.1", pre "rc1", variant "slim-trixie"."""

    version: str
    numbers: tuple[int, ...]
    pre: str | None
    variant: str


def python_tag(tag: str) -> PythonTag | None:
    """The version and variant a ``python`` image tag names, or None when it names no version (``slim``)."""
    match = _PY_TAG.match(tag)
    if match is None:
        return None
    numbers = tuple(int(n) for n in match["version"].split("."))
    return PythonTag(match["version"], numbers, match["pre"], match["variant"] or "")


def version_text(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def supported_pythons(today: date | None = None) -> list[tuple[int, int]]:
    """Python versions released and not yet at end of life on ``today``."""
    today = today or date.today()
    return [v for v, (first, end) in sorted(PYTHON_RELEASES.items()) if first <= today <= end]


def recommended_python(today: date | None = None) -> str:
    """The course's Python while it is supported, else the newest supported one (``"3.13"``)."""
    supported = supported_pythons(today)
    if COURSE_PYTHON in supported or not supported:
        return version_text(COURSE_PYTHON)
    return version_text(supported[-1])
