"""Building blocks about a learner's Dockerfile.

Each block reads the file with :func:`parse` (the parser is :mod:`dockerlab.services.dockerfile`)
and judges one thing; hadolint's findings come from :mod:`dockerlab.services.lint`. Every block
takes the Dockerfile's path, or the folder holding a file named ``Dockerfile``.

    dockerfile.parses(path)             exists, is text, has instructions, starts with FROM
    dockerfile.python_slim_base(path)   final stage FROM a supported python:X.Y-slim tag
    dockerfile.has_workdir(path)        sets an absolute WORKDIR (optionally a given one)
    dockerfile.copies(path, "requirements.txt")   a COPY names that file
    dockerfile.cmd_exec_form(path)      CMD ["python", "app.py"], not CMD python app.py
    dockerfile.non_root_user(path)      the final stage switches to a user other than root
    dockerfile.no_secrets(path)         no passwords, tokens or keys in ENV / ARG
    dockerfile.hadolint_clean(path)     hadolint reports nothing at error level (or at ``level``)

:func:`parse` is also what an exercise's own blocks call to read the learner's Dockerfile.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path

from dockerlab.checks.blocks import Unmet, block, read_text, show
from dockerlab.services import dockerfile as dockerfiles
from dockerlab.services import lint
from dockerlab.services.dockerfile import (
    PYTHON_RELEASES,
    Dockerfile,
    exec_form,
    python_tag,
    recommended_python,
    resolve,
    split_image,
    supported_pythons,
    version_text,
)

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


# -- reading the learner's file -----------------------------------------------------------------

# Every block of an exercise reads the same file: each content is parsed once.
_cache: dict[tuple, Dockerfile] = {}


def parse(path: str | os.PathLike) -> Dockerfile:
    """Read and parse a learner's Dockerfile, or raise :class:`Unmet` saying why it cannot be used."""
    path = resolve(path)
    text = read_text(path, "Dockerfile")
    key = (str(path.resolve()), text)
    if key in _cache:
        return _cache[key]
    try:
        result = dockerfiles.parse(text, path, name=show(path))
    except dockerfiles.DockerfileError as exc:
        raise Unmet(str(exc)) from None
    if len(_cache) > 64:
        _cache.clear()
    _cache[key] = result
    return result


def _name(path) -> str:
    return show(resolve(path))


# -- blocks -----------------------------------------------------------------------------------


@block(lambda path: f"{_name(path)} exists and parses")
def parses(path: str | os.PathLike):
    parse(path)


# -- the base image: which Python ---------------------------------------------------------------


def python_tag_problem(ref: str, today: date | None = None) -> str | None:
    """Why ``ref`` is not a supported ``python:X.Y-slim`` image, or None when it is one."""
    today = today or date.today()
    good = f"python:{recommended_python(today)}-slim"
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
    parsed = python_tag(tag)
    if parsed is None:
        if tag.startswith("slim"):
            return f"python:{tag} floats to whichever Python is newest; pin the version: FROM {good}"
        return f"python:{tag} names no Python version; use a versioned slim tag: FROM {good}"
    problems = [p for p in (_version_problem(tag, parsed, today, good), _variant_problem(tag, parsed)) if p]
    return "; also ".join(problems) if problems else None


def _version_problem(tag: str, parsed: dockerfiles.PythonTag, today: date, good: str) -> str | None:
    numbers = parsed.numbers
    if len(numbers) == 1:
        return f"python:{tag} floats to whichever Python {numbers[0]}.x is newest; pin the minor version, e.g. FROM {good}"
    version = (numbers[0], numbers[1])
    known = PYTHON_RELEASES.get(version)
    if parsed.pre:
        return f"python:{tag} is a pre-release of Python {version_text(version)}, not meant for real use; use FROM {good}"
    if version < min(PYTHON_RELEASES) or (known and today > known[1]):
        supported = supported_pythons(today)
        span = f"{version_text(supported[0])} to {version_text(supported[-1])}" if supported else "a current one"
        when = known[1].strftime("%B %Y") if known else "years ago"
        return (
            f"python:{tag} is Python {version_text(version)}, which reached its end of life in {when} and gets no "
            f"security fixes; use a supported version ({span}), e.g. FROM {good}"
        )
    if known is None:
        newest = version_text(max(PYTHON_RELEASES))
        return f"Python {version_text(version)} is not a released version (the newest dockerlab knows is {newest}); use FROM {good}"
    if today < known[0]:
        return f"Python {version_text(version)} is not released yet (expected {known[0]:%B %Y}); use FROM {good}"
    return None


def _variant_problem(tag: str, parsed: dockerfiles.PythonTag) -> str | None:
    variant = parsed.variant
    if not variant:
        return (
            f"python:{tag} is the full image (about 1 GB, with compilers and build tools the app does not need); "
            f"use the slim variant python:{tag}-slim"
        )
    if not variant.startswith("slim"):
        return (
            f"python:{tag} is the {variant} variant, not slim; use python:{parsed.version}-slim"
            + (" (Alpine's musl C library cannot use most pre-built Python wheels)" if variant.startswith("alpine") else "")
        )
    return None


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
    workdirs = df.inherited("WORKDIR")
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
            words = dockerfiles.words(ins.value) or []
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
        words = dockerfiles.words(ins.value)
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
    cmds = df.inherited("CMD")
    entrypoints = df.inherited("ENTRYPOINT")
    if not cmds:
        if allow_entrypoint and entrypoints and exec_form(entrypoints[-1].value):
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
        if exec_form(value) is None:
            fixed = value.replace("'", '"')
            hint = f"; write {'CMD ' + fixed}" if exec_form(fixed) else ""
            return (
                f"line {last.line}: {last} looks like exec form but is not valid JSON (JSON needs double quotes), so "
                f"Docker runs it through /bin/sh -c as one string{hint}"
            )
    else:
        try:
            words = dockerfiles.words(value) or []
        except Exception:  # noqa: BLE001
            words = value.split()
        suggestion = "CMD " + json.dumps(words) if words else 'CMD ["python", "app.py"]'
        return (
            f"line {last.line}: {last} is in shell form, so /bin/sh runs as PID 1 and your app never gets the stop "
            f"signal (docker stop waits 10 s, then kills it); write {suggestion}"
        )
    if entrypoints and exec_form(entrypoints[-1].value) is None and entrypoints[-1].value.strip():
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
    users = df.inherited("USER")
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
            pairs = dockerfiles.key_values(ins.value)
        except ValueError:
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


@block(lambda path, level="error", ignore=(): f"hadolint finds no {level}-level problem in {_name(path)}")
def hadolint_clean(path: str | os.PathLike, level: str = "error", ignore: tuple[str, ...] | list[str] = ()):
    """hadolint reports nothing at ``level`` or above (error > warning > info > style).

    Args:
        level: The lowest level that counts as a problem.
        ignore: Rule codes (``"DL3008"``) the exercise does not care about.
    """
    if level not in lint.LEVELS:
        raise ValueError(f"level must be one of {lint.LEVELS}")
    parse(path)  # an empty or broken file is reported as such, not as "no findings"
    worst = lint.LEVELS.index(level)
    try:
        found = lint.hadolint(path)
    except lint.LintError as exc:
        raise Unmet(str(exc)) from None
    findings = [
        f for f in found
        if f.get("level") in lint.LEVELS and lint.LEVELS.index(f["level"]) <= worst and f.get("code") not in set(ignore)
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
