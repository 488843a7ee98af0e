#!/usr/bin/env bash
# Makes deploy/jupyterhub/requirements.lock: the exact version of every package the hub runs
# (requirements.in: JupyterHub, DockerSpawner, FirstUseAuthenticator, the idle culler, and all they pull in),
# for every Python from 3.11, at the project's requirements.lock's versions where both have a package (so that
# the learner image can be built with both as constraints). scripts/hub_smoke.sh installs the hub's venv from it (pip --no-deps), and
# the learner image gets jupyterhub-singleuser of the same JupyterHub. uv as scripts/lock.sh uses it.
#
#   bash deploy/jupyterhub/lock.sh              after editing requirements.in: pins that still fit stay
#   UPGRADE=1 bash deploy/jupyterhub/lock.sh    move every pin to the newest version that fits (then make hub-smoke)
set -euo pipefail
cd "$(dirname "$0")/../.."
UV_VERSION=$(sed -n 's/^UV_VERSION=//p' scripts/lock.sh)
tools=${LOCK_TOOLS:-build/lock-tools}
if [ "$("$tools/bin/uv" --version 2>/dev/null | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  python3 -m venv "$tools" && "$tools/bin/python" -m pip install --quiet "uv==$UV_VERSION"
fi
upgrade=()
[ "${UPGRADE:-}" = 1 ] && upgrade=(--upgrade)
"$tools/bin/uv" pip compile deploy/jupyterhub/requirements.in --constraint requirements.lock --universal --python-version 3.11 \
  --custom-compile-command "bash deploy/jupyterhub/lock.sh" --output-file deploy/jupyterhub/requirements.lock --quiet \
  ${upgrade[@]+"${upgrade[@]}"}
echo "wrote deploy/jupyterhub/requirements.lock ($(grep -c '^[a-z]' deploy/jupyterhub/requirements.lock) packages)"
