#!/usr/bin/env bash
# All the set-up `make lab` and `make test` share, idempotent: a second run only checks.
#   1. a Docker engine with buildx and Compose v2 (scripts/ensure-engine.sh), first: where no engine
#      can be had, it fails within seconds instead of after minutes of pip installs
#   2. a Python virtual environment in .venv with dockerlab and its test tools, at the exact versions of
#      requirements.lock (made by scripts/lock.sh from pyproject.toml)
#   3. every image the course uses (dockerlab images ensure: pull, else build offline stand-ins)
# Every failure ends in an ERROR paragraph that says what to do.
# Portable to macOS: bash 3.2 (its /bin/bash) and no GNU-only tools (tests/test_script_portability.py,
# tests/unit/test_shell_static.py).
set -Eeuo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
OS_RELEASE="${DOCKERLAB_OS_RELEASE:-/etc/os-release}"
step() { printf '\n\033[1m[%s/3] %s\033[0m\n' "$1" "$2"; }
reported=""
fail() { reported=1; printf '\nERROR: %s\n' "$1" >&2; shift; for l in "$@"; do printf '       %s\n' "$l" >&2; done; exit 1; }
# SHA-256 of files, as `sha256sum` prints it: GNU's tool, else `shasum` (Perl's, on every Mac).
checksum() { if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }  # portable: a fallback
admin() { [ "$(id -u)" -eq 0 ] && echo "" || { command -v sudo >/dev/null && sudo -n true 2>/dev/null && echo sudo; } || return 1; }
# A command that fails without a message of its own still ends in plain words (see ensure-engine.sh).
failed_at="a command"
trap 'failed_at="\`$BASH_COMMAND\` (line $LINENO)"' ERR
on_exit() {
  local status=$?
  [ "$status" -eq 0 ] || [ -n "$reported" ] || printf '\nERROR: scripts/setup.sh stopped: %s failed.\n       %s\n' \
    "$failed_at" "The lines above say why; fix that and run it again." >&2
}
trap on_exit EXIT

# Python itself is only checked here (a second, no install): a missing one should not wait for the engine.
command -v "$PYTHON" >/dev/null 2>&1 || fail "No $PYTHON found." "Install Python 3.11 or newer (Debian/Ubuntu: sudo apt-get install python3 python3-venv)."
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
  fail "$("$PYTHON" --version) is too old; dockerlab needs Python 3.11 or newer." "Set PYTHON=/path/to/python3.11 and run again."

step 1 "Docker engine, BuildKit and Compose v2"
bash scripts/ensure-engine.sh || { reported=1; exit 1; }   # it has said what went wrong

step 2 "Python environment (.venv)"
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if SUDO=$(admin) && command -v apt-get >/dev/null; then
      echo "==> python3 -m venv needs Debian's python3-venv; installing it"
      { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq python3-venv >/dev/null; } || \
        fail "apt-get could not install python3-venv (its messages are above)." "Install it by hand: sudo apt-get install python3-venv"
      "$PYTHON" -m venv .venv
    else
      fail "'$PYTHON -m venv' failed." "Install the venv module (Debian/Ubuntu: sudo apt-get install python3-venv) and run again."
    fi
  fi
fi
# Reinstalled when either file changes: the lock's pins are constraints, so every package pip installs for
# dockerlab and its test extra (and all they pull in) comes at the locked version.
wanted=$(checksum pyproject.toml requirements.lock | checksum | cut -c1-16)
if [ "$(cat .venv/.dockerlab-installed 2>/dev/null)" != "$wanted" ]; then
  echo "==> installing dockerlab and its tools into .venv (first run: a minute or two)"
  { .venv/bin/python -m pip install --quiet --upgrade pip && \
    .venv/bin/python -m pip install --progress-bar on --constraint requirements.lock -e '.[test]'; } || \
    fail "pip could not install dockerlab and its tools (its messages are above)." \
         "Check that this machine reaches PyPI (or set PIP_INDEX_URL to a mirror), then run again."
  echo "$wanted" > .venv/.dockerlab-installed
else
  echo "==> .venv is up to date"
fi

step 3 "Course images"
# The offline stand-in of the Debian base is made with mmdebstrap: install it only when it is needed.
if .venv/bin/python -m dockerlab images list | grep -q ' missing$' && ! command -v mmdebstrap >/dev/null; then
  if SUDO=$(admin) && command -v apt-get >/dev/null && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' "$OS_RELEASE"; then
    echo "==> installing mmdebstrap (builds the Debian base image offline if no registry answers)"
    $SUDO apt-get install -y -qq mmdebstrap >/dev/null 2>&1 || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq mmdebstrap >/dev/null; } || \
      fail "apt-get could not install mmdebstrap (its messages are above)." \
           "Install it by hand (sudo apt-get install mmdebstrap), or bring the images with \`dockerlab images load FILE\`."
  fi
fi
.venv/bin/python -m dockerlab images ensure || \
  fail "Not every course image could be made (dockerlab said why, above)." \
       "Fix that and run this again, or bring the images from another machine: dockerlab images save FILE there, dockerlab images load FILE here."
