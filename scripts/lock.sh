#!/usr/bin/env bash
# Makes requirements.lock: the exact version of every package dockerlab, its tests and `make browser` use
# (pyproject.toml's dependencies and its test and browser extras, and all they pull in), for every platform
# and every Python from 3.11 (uv's universal resolution: macOS- or Windows-only packages come with their
# markers). scripts/setup.sh installs .venv with it as pip constraints; tests/unit/test_lock.py keeps it in
# step with pyproject.toml. Learners and CI need only pip; uv is needed here, to make the file.
#
#   bash scripts/lock.sh              after changing pyproject.toml's dependencies: pins that still fit stay
#   UPGRADE=1 bash scripts/lock.sh    move every pin to the newest version that fits (then run make test)
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tools=${LOCK_TOOLS:-build/lock-tools}
if [ "$("$tools/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  python3 -m venv "$tools" && "$tools/bin/python" -m pip install --quiet "uv==$UV_VERSION"
fi
upgrade=()
[ "${UPGRADE:-}" = 1 ] && upgrade=(--upgrade)
"$tools/bin/uv" pip compile pyproject.toml --extra test --extra browser --universal --python-version 3.11 \
  --custom-compile-command "bash scripts/lock.sh" --output-file requirements.lock --quiet ${upgrade[@]+"${upgrade[@]}"}
echo "wrote requirements.lock ($(grep -c '^[a-z]' requirements.lock) packages)"
