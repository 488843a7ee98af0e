#!/usr/bin/env bash
# JupyterHub smoke test on one machine (`make hub-smoke`; not part of `make test`). See docs/hub.md.
#
# Sets up, outside the project's venv: the hub's venv in $HUBVENV from deploy/jupyterhub/requirements.lock
# (JupyterHub, DockerSpawner, FirstUseAuthenticator, the idle culler and all they need, each at its pinned
# version; remade when the lock changes), configurable-http-proxy from npm in $CHPDIR, wheels for the learner
# image in $WHEELS (pip download here, with both locks as constraints; the image build itself is offline).
# tests/hub (KubeSpawner's manifests from deploy/kubernetes/values.yaml) runs in that venv. Then scripts/hub_smoke.py runs the hub with two learners and removes everything it made.
#   HUB_SMOKE_ENGINES  none | socket (default: a dockerd per learner on this host) | dind | sysbox:
#                      how each learner gets a Docker engine of their own (see scripts/hub_smoke.py)
#   HUB_SMOKE_TIMEOUT  seconds for the whole run (default 900)
# Move the hub's versions on purpose: edit deploy/jupyterhub/requirements.in, run deploy/jupyterhub/lock.sh,
# then this test. The learner image gets jupyterhub-singleuser of the same JupyterHub version.
set -euo pipefail
cd "$(dirname "$0")/.."
HUBVENV=${HUBVENV:-/tmp/dlhub-hubvenv}
CHPDIR=${CHPDIR:-/tmp/dlhub-chp}
WHEELS=${WHEELS:-/tmp/dlhub-wheels}
PYVER=${PYVER:-3.13}   # the Python of the learner image (FROM python:3.13-slim)
HUBLOCK=deploy/jupyterhub/requirements.lock
CHP_VERSION=5.3.0      # configurable-http-proxy, from npm
started=$(date +%s)

command -v npm >/dev/null || { echo "make hub-smoke needs Node.js and npm (for configurable-http-proxy): sudo apt-get install npm"; exit 1; }
hub_version=$(sed -n 's/^jupyterhub==\([0-9.]*\).*/\1/p' "$HUBLOCK")
[ -n "$hub_version" ] || { echo "$HUBLOCK pins no jupyterhub"; exit 1; }
wanted="$(cksum < "$HUBLOCK") $(python3 -V)"
if [ "$(cat "$HUBVENV/.dlhub-lock" 2>/dev/null || true)" != "$wanted" ]; then
  # Exactly the lock: a fresh venv, every package at its pin, nothing resolved here (--no-deps), then pip check.
  if [ -e "$HUBVENV" ]; then
    [ -f "$HUBVENV/pyvenv.cfg" ] || { echo "HUBVENV=$HUBVENV exists and is no venv: not touching it"; exit 1; }
    rm -rf "$HUBVENV"
  fi
  python3 -m venv "$HUBVENV"
  "$HUBVENV/bin/pip" install -q --no-deps -r "$HUBLOCK"
  "$HUBVENV/bin/pip" check
  echo "$wanted" > "$HUBVENV/.dlhub-lock"
fi
# Beyond one box: what KubeSpawner (pinned in the same lock) would create from deploy/kubernetes/values.yaml.
# No cluster here: the test builds the manifests and reads them (tests/hub/test_kubernetes_values.py).
"$HUBVENV/bin/python" -m pytest -c tests/hub/pytest.ini -p no:cacheprovider -q tests/hub

[ "$(cd "$CHPDIR" 2>/dev/null && node -p 'require("configurable-http-proxy/package.json").version' 2>/dev/null)" = "$CHP_VERSION" ] || {
  mkdir -p "$CHPDIR" && (cd "$CHPDIR" && npm install --no-audit --no-fund --loglevel=error "configurable-http-proxy@$CHP_VERSION"); }

# Wheels for the learner image: jupyterhub-singleuser of the hub's version, JupyterLab, and dockerlab with its
# dependencies (read from pyproject.toml), for CPython $PYVER on x86_64 Linux, at the versions of the project's
# lock and the hub's (the two agree where both have a package: deploy/jupyterhub/lock.sh makes it so).
deps=()
while IFS= read -r dep; do deps+=("$dep"); done < <("$HUBVENV/bin/python" -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')
platforms=(--platform manylinux2014_x86_64)
for p in manylinux_2_17_x86_64 manylinux_2_24_x86_64 manylinux_2_27_x86_64 manylinux_2_28_x86_64 manylinux_2_31_x86_64 manylinux_2_34_x86_64; do
  platforms+=(--platform "$p")
done
mkdir -p "$WHEELS"
"$HUBVENV/bin/pip" download -q --dest "$WHEELS" --only-binary=:all: --python-version "$PYVER" --implementation cp \
  "${platforms[@]}" --constraint requirements.lock --constraint "$HUBLOCK" \
  "jupyterhub==$hub_version" "jupyterlab>=4.2,<5" ${deps[@]+"${deps[@]}"}
context=$(mktemp -d /tmp/dlhub-context.XXXXXX)
trap 'rm -rf "$context"' EXIT
# dockerlab's own wheel (it carries the course: pyproject.toml maps notebooks/ into the package), built from
# a copy so that the build leaves nothing in the clone
mkdir -p "$context/src/notebooks" && cp -r pyproject.toml README.md dockerlab "$context/src/"
cp notebooks/*.ipynb "$context/src/notebooks/" && cp -r notebooks/figures "$context/src/notebooks/"
rm -f "$WHEELS"/dockerlab-*.whl
"$HUBVENV/bin/pip" wheel -q --no-deps -w "$WHEELS" "$context/src"
mkdir -p "$context/learner/notebooks" "$context/dind/bin" "$context/dind/lib"
cp -r "$WHEELS" "$context/learner/wheels"
cp requirements.lock "$context/learner/wheels/course.lock" && cp "$HUBLOCK" "$context/learner/wheels/hub.lock"
cp "$(command -v docker)" "$context/learner/docker"
cp notebooks/*.ipynb "$context/learner/notebooks/" && cp -r notebooks/figures "$context/learner/notebooks/"
engines=${HUB_SMOKE_ENGINES:-socket}
engine_args=(--engines "$engines")
if [ "$engines" = dind ] || [ "$engines" = sysbox ]; then
  # The engine image: this machine's engine binaries and the libraries they link (glibc comes from the image).
  for b in dockerd containerd containerd-shim-runc-v2 runc docker-init docker-proxy docker; do
    cp "$(command -v "$b")" "$context/dind/bin/"
  done
  for b in dockerd runc containerd; do ldd "$(command -v "$b")"; done | awk '/=> \//{print $3}' | sort -u \
    | grep -vE '/(libc|libm|libpthread|libdl|librt|libresolv)\.so' | xargs -r -I{} cp -L {} "$context/dind/lib/"
  engine_args+=(--dind-context "$context/dind")
fi
echo "set-up: $(( $(date +%s) - started )) s (JupyterHub $hub_version, $(find "$WHEELS" -mindepth 1 -maxdepth 1 | wc -l) wheels)"
timeout --kill-after=60 "${HUB_SMOKE_TIMEOUT:-900}" "$HUBVENV/bin/python" scripts/hub_smoke.py \
  --context "$context/learner" --chp "$CHPDIR/node_modules/.bin/configurable-http-proxy" "${engine_args[@]}"
echo "hub smoke test: $(( $(date +%s) - started )) s in all"
