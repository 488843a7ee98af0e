"""What a shell script uses that macOS does not have, found in its text: bash 4 and later features
(macOS's /bin/bash is 3.2, for good) and, in the scripts a learner runs, GNU-only tools.

ShellCheck knows neither: it reads a script as the newest bash. :func:`problems` gives each finding
with its line, why it breaks on a Mac and what to write instead; tests/test_script_portability.py
runs it over every scripts/*.sh and .ci/run, and over planted samples so that it is seen to fail.

A line that ends in ``# portable: <why>`` is taken as checked by hand (a GNU tool called only where
``command -v`` found it, with a fallback beside it). The check reads text, not a parse tree: comments
are skipped, a here-document's lines are read like code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: (pattern, what breaks, what to write instead): features bash 3.2 lacks.
BASH4 = [
    (r"\b(mapfile|readarray)\b", "mapfile/readarray is bash 4", "a `while IFS= read -r line; do a+=(\"$line\"); done` loop"),
    (r"\$\{[#!]?[A-Za-z_][A-Za-z0-9_]*(\[[^]]*\])?(,,?|\^\^?)\}?", "case-changing ${var,,} / ${var^^} is bash 4",
     "$(printf '%s' \"$var\" | tr '[:upper:]' '[:lower:]')"),
    (r"&>>", "&>> is bash 4", ">>file 2>&1"),
    (r"\|&", "|& is bash 4", "2>&1 |"),
    (r"\bcoproc\b", "coproc is bash 4", "a background job and a named pipe (mkfifo)"),
    (r"\$\{[A-Za-z_][A-Za-z0-9_]*\[\s*-\s*[0-9]+\s*\]\}|\b(unset|printf -v)\s+['\"]?[A-Za-z_][A-Za-z0-9_]*\[\s*-",
     "a negative array index is bash 4.3", "${a[${#a[@]}-1]}"),
    (r"\bprintf\s+-v\s+['\"]?[A-Za-z_][A-Za-z0-9_]*\[", "printf -v into an array element is bash 4.1",
     "printf -v into a plain variable, then assign the element"),
    (r";;&|(?<![;&]);&(\s|$)", "case's ;& and ;;& are bash 4", "repeat the commands, or an if chain"),
    (r"\bshopt\s+-s\s+(.*\b)?(globstar|lastpipe|inherit_errexit|direxpand|globasciiranges|autocd|checkjobs|compat\d+)\b",
     "this shopt option does not exist in bash 3.2", "find, or a loop without it"),
    (r"\bwait\s+-[nfp]\b", "wait -n/-f/-p is bash 4.3+", "wait with the job's pid"),
    (r"(?<!\$)\{[A-Za-z_][A-Za-z0-9_]*\}[<>]", "exec {fd}> (a named file descriptor) is bash 4.1", "a fixed descriptor: exec 3>file"),
    (r"(\[\[|\[|\btest)\s+-v\s", "-v (is a variable set) is bash 4.2", '[ -n "${var+set}" ]'),
    (r"\$\{[^}]*@[QEPAaUuLKk]\}", "${var@Q} and the other @ transformations are bash 4.4+", "printf %q"),
    (r"\$\{?(EPOCHSECONDS|EPOCHREALTIME|BASHPID|SRANDOM|BASH_ARGV0)\b", "this variable is bash 4 or later", "$(date +%s), $$, $RANDOM"),
]

#: Options of declare/typeset/local that bash 3.2 has.
DECLARE_OPTIONS = set("afFirtxp")

#: GNU-only tools and options, and what a Mac has instead (the scripts a learner runs must do without them).
GNU_ONLY = [
    (r"(^|[;&|({`!]|\$\(|\b(then|do|else|if|elif|while|until|exec|xargs|nohup))\s*(command\s+)?timeout\s", "timeout is GNU's (macOS has none)",
     "a background job the script ends itself (see run_for in scripts/ensure-engine.sh)"),
    (r"\b(sha256sum|sha1sum|md5sum)\b", "sha256sum/sha1sum/md5sum are GNU's", "shasum -a 256 (Perl's, on every Mac), as a fallback"),
    (r"\breadlink\s+(-[a-zA-Z]*f|--canonicalize)", "readlink -f is GNU's (BSD readlink has no -f before macOS 12.3)",
     "cd \"$(dirname \"$0\")\" && pwd -P"),
    (r"\bsed\s+(.*\s)?(-i|--in-place)(\s|$)", "sed -i without a suffix is GNU's: BSD sed takes the next word as the suffix",
     "sed -i.bak ... && rm file.bak"),
    (r"\bgrep\s+(.*\s)?-[a-zA-Z]*P", "grep -P is GNU's", "grep -E"),
    (r"\bdate\s+(.*\s)?(-d|--date)\b", "date -d is GNU's", "arithmetic on $(date +%s)"),
    (r"\bstat\s+(.*\s)?(-c|--format)\b", "stat -c is GNU's (BSD stat -f)", "ls -ld, or a test like -nt"),
    (r"\bxargs\s+(.*\s)?(-r|--no-run-if-empty)\b", "xargs -r is GNU's", "a loop, or check for input first"),
    (r"\bfind\s+.*-printf\b", "find -printf is GNU's", "find ... -exec"),
]

NOUNSET = re.compile(r"^\s*set\s+(-[a-zA-Z]*u[a-zA-Z]*|.*-o\s+nounset)\b|^#!.*\bbash\s+-[a-zA-Z]*u", re.M)
#: An array that may be empty: `a=()`, `a=($(...))`, `declare -a a`, `read -a a`.
EMPTY_ARRAY = re.compile(
    r"(?:^|[\s;&(])(?:(?:local|declare|typeset)\s+(?:-[a-zA-Z]+\s+)*)?([A-Za-z_][A-Za-z0-9_]*)=\(\s*(?:\$\([^)]*\)\s*)?\)"
    r"|\b(?:local|declare|typeset)\s+-[a-zA-Z]*a[a-zA-Z]*\s+([A-Za-z_][A-Za-z0-9_]*)\s*(?:$|;)"
    r"|\bread\s+(?:-[a-zA-Z]+\s+)*-[a-zA-Z]*a\s*([A-Za-z_][A-Za-z0-9_]*)",
    re.M,
)
GUARDED = re.compile(r'\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\+"?\$\{\1\[[@*]\]\}"?\}')


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    what: str
    instead: str
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}; instead: {self.instead}\n    {self.text.strip()}"


def _code(line: str) -> str:
    """The line without its comment (a # at the start or after a blank; one in quotes may be cut too)."""
    return re.split(r"(?:^|\s)#", line, maxsplit=1)[0]


def problems(text: str, path: str = "<script>", gnu: bool = False) -> list[Problem]:
    """What in ``text`` fails under bash 3.2, and with ``gnu``, which GNU-only tools it calls."""
    found: list[Problem] = []
    lines = text.splitlines()
    rules = BASH4 + (GNU_ONLY if gnu else [])
    for number, line in enumerate(lines, 1):
        if re.search(r"#\s*portable:", line):
            continue
        code = _code(line)
        for pattern, what, instead in rules:
            if re.search(pattern, code):
                found.append(Problem(path, number, what, instead, line))
        for match in re.finditer(r"\b(declare|typeset|local)\s+((?:[-+][a-zA-Z]+\s+)+)", code):
            letters = set(match.group(2).replace("-", "").replace("+", "").replace(" ", ""))
            if letters - DECLARE_OPTIONS:
                found.append(Problem(path, number, f"{match.group(1)} -{''.join(sorted(letters - DECLARE_OPTIONS))} is bash 4 or later"
                                     " (bash 3.2 has -a -f -F -i -r -t -x)", "plain variables, or a list in a string", line))
    if NOUNSET.search(text):
        code_lines = [_code(line) for line in lines]
        maybe_empty = {name for m in EMPTY_ARRAY.finditer("\n".join(code_lines)) for name in m.groups() if name}
        for number, code in enumerate(code_lines, 1):
            if re.search(r"#\s*portable:", lines[number - 1]):
                continue
            unguarded = GUARDED.sub("", code)
            for match in re.finditer(r"\$\{!?([A-Za-z_][A-Za-z0-9_]*)\[[@*]\](:[^}]*)?\}", unguarded):
                if match.group(1) in maybe_empty:
                    found.append(Problem(
                        path, number, f"the array {match.group(1)} may be empty, and under set -u bash before 4.4 calls an empty"
                        " array unbound and stops", f'${{{match.group(1)}[@]+"${{{match.group(1)}[@]}}"}}', lines[number - 1]))
    return found


def check_file(path: Path, gnu: bool = False) -> list[Problem]:
    return problems(path.read_text(), str(path), gnu=gnu)
