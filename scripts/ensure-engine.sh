#!/usr/bin/env bash
# Make sure a Docker engine with BuildKit (buildx) and Compose v2 answers.
#
# - An engine that already answers is used as it is: this script never reconfigures it.
# - With none, on Debian/Ubuntu with root (or sudo) and apt, it installs Debian's `docker.io`,
#   starts `dockerd` (through systemd when systemd runs, otherwise in the background) and waits
#   for the socket.
# - buildx and Compose v2 are added as CLI plugins when the `docker` CLI lacks them: first from
#   the machine's own apt sources, else from Debian trixie's packages fetched with `apt-get download`
#   (nothing from trixie is installed system-wide; only the plugin binaries are copied).
# - Anywhere else it stops with a message that links the official install docs (on macOS: start
#   Docker Desktop, Colima, OrbStack or Rancher Desktop, which the docker CLI finds through its context).
#
# Portable to macOS: bash 3.2 (its /bin/bash) and no GNU-only tools (`timeout` is GNU's: run_for stands
# in for it).
# tests/test_script_portability.py runs it without them; tests/unit/test_shell_static.py reads it for bash 4 features.
#
# Idempotent: a second run only checks. Exit status 0 means `docker info`, `docker buildx version`
# and `docker compose version` all answer. Every failure ends in an ERROR paragraph saying what to do.
#
# DOCKERLAB_OS_RELEASE names the os-release file to read (default /etc/os-release; tests point it
# at another system's), DOCKERLAB_ENGINE_WAIT the seconds to wait for a started engine.
set -Eeuo pipefail

INSTALL_DOCS="https://docs.docker.com/engine/install/"
MAC_DOCS="https://docs.docker.com/desktop/setup/install/mac-install/"
PLUGIN_DIR="${DOCKERLAB_CLI_PLUGINS:-/usr/local/lib/docker/cli-plugins}"
DOCKERD_LOG="${DOCKERLAB_DOCKERD_LOG:-/var/log/dockerlab-dockerd.log}"
WAIT_SECONDS="${DOCKERLAB_ENGINE_WAIT:-60}"
OS_RELEASE="${DOCKERLAB_OS_RELEASE:-/etc/os-release}"

say()  { printf '==> %s\n' "$*"; }
reported=""
fail() { reported=1; printf '\nERROR: %s\n' "$1" >&2; shift; for line in "$@"; do printf '       %s\n' "$line" >&2; done; exit 1; }
# A command that fails without a message of its own still ends in plain words, never a silent exit:
# ERR notes which command it was, EXIT says so.
failed_at="a command"
trap 'failed_at="\`$BASH_COMMAND\` (line $LINENO)"' ERR
on_exit() {
  local status=$?
  [ "$status" -eq 0 ] || [ -n "$reported" ] || printf '\nERROR: scripts/ensure-engine.sh stopped: %s failed.\n       %s\n' \
    "$failed_at" "The lines above say why. Fix that and run it again, or install Docker yourself: $INSTALL_DOCS" >&2
}
trap on_exit EXIT

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; fi
fi
can_admin() { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }
is_debian_like() { [ -r "$OS_RELEASE" ] && grep -qiE '^(ID|ID_LIKE)=.*(debian|ubuntu)' "$OS_RELEASE" && command -v apt-get >/dev/null 2>&1; }
on_macos() { [ "$(uname -s 2>/dev/null)" = Darwin ]; }
# shellcheck source=/dev/null
os_name() { (. "$OS_RELEASE" 2>/dev/null && echo "${PRETTY_NAME:-${NAME:-unknown}}") || uname -s; }

# run_for SECONDS COMMAND...: the command, ended (TERM) if it runs longer. GNU's `timeout` where there is one;
# macOS has none, so there a watcher in the background ends it. (Not perl's alarm: Go programs such as
# docker ignore SIGALRM.)
run_for() {
  local seconds=$1 pid watcher status=0
  shift
  if command -v timeout >/dev/null 2>&1; then
    timeout "$seconds" "$@"  # portable: only where it exists
    return
  fi
  "$@" &
  pid=$!
  # The watcher ends its own sleep when it is told to stop, so nothing of it outlives the command.
  ( sleeper=""
    trap 'kill "$sleeper" 2>/dev/null; wait "$sleeper"; exit 0' TERM
    sleep "$seconds" &
    sleeper=$!
    wait "$sleeper" && kill "$pid" 2>/dev/null ) >/dev/null 2>&1 &
  watcher=$!
  wait "$pid" || status=$?
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  return "$status"
}

engine_answers() { command -v docker >/dev/null 2>&1 && run_for 15 docker info >/dev/null 2>&1; }

apt_updated=""
apt_update() {
  [ -n "$apt_updated" ] && return
  say "apt-get update"
  $SUDO apt-get update -qq || fail "apt-get update failed (its messages are above)." \
    "Check this machine's network and its apt sources (/etc/apt/sources.list*), then run this again."
  apt_updated=1
}
apt_install() {
  apt_update
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null || \
    fail "apt-get install $* failed (its messages are above)." \
         "Try it by hand: sudo apt-get install $*   or install Docker from $INSTALL_DOCS"
}

wait_for_engine() {
  local waited=0
  printf '==> waiting for the engine socket (up to %ss) ' "$WAIT_SECONDS"
  until run_for 5 docker info >/dev/null 2>&1; do
    if [ "$waited" -ge "$WAIT_SECONDS" ]; then
      printf '\n'
      fail "The Docker engine did not answer within ${WAIT_SECONDS}s." \
           "Its log: $DOCKERD_LOG (last lines below)." \
           "$(tail -n 15 "$DOCKERD_LOG" 2>/dev/null || true)"
    fi
    printf '.'; sleep 1; waited=$((waited + 1))
  done
  printf ' ready\n'
}

start_engine() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    say "starting docker through systemd"
    $SUDO systemctl start docker || fail "systemctl start docker failed: the engine would not start." \
      "Its own words: sudo journalctl -u docker --no-pager -n 30   (often a full disk or a bad /etc/docker/daemon.json)"
  else
    # No service manager (containers, CI sandboxes): run dockerd in the background. A user's PATH
    # on Debian has no /usr/sbin, where docker.io puts it.
    local dockerd
    dockerd=$(command -v dockerd || { [ -x /usr/sbin/dockerd ] && echo /usr/sbin/dockerd; } || true)
    [ -n "$dockerd" ] || fail "The engine program, dockerd, is not installed (not on PATH, not in /usr/sbin)." \
      "Install it (Debian/Ubuntu: sudo apt-get install docker.io) or Docker from $INSTALL_DOCS, then run this again."
    say "starting $dockerd in the background (log: $DOCKERD_LOG)"
    $SUDO sh -c "nohup '$dockerd' >>'$DOCKERD_LOG' 2>&1 &"
  fi
  wait_for_engine
}

ensure_engine() {
  if engine_answers; then
    say "Docker engine answers: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})' 2>/dev/null)"
    return
  fi
  if command -v dockerd >/dev/null 2>&1; then
    can_admin || fail "A Docker engine is installed but not running, and this user cannot start it." \
                      "Start it (e.g. 'sudo systemctl start docker'), then run this again."
    start_engine; return
  fi
  if on_macos; then
    # No dockerd on a Mac: the engine runs in a Linux VM that an app starts, and the docker CLI finds it
    # through its current context (desktop-linux, colima, orbstack, rancher-desktop).
    fail "No Docker engine answers." \
         "On macOS the engine runs in a Linux VM that an app starts: Docker Desktop, Colima ('colima start')," \
         "OrbStack or Rancher Desktop. Start yours and wait until it says it is running, then run this again." \
         "If it runs already, the docker command is talking to another engine: 'docker context ls' lists them" \
         "(the one in use has a *), and 'docker context use NAME' picks yours." \
         "None installed yet? Docker Desktop: $MAC_DOCS"
  fi
  if ! is_debian_like || ! can_admin; then
    local why="This user is not root and cannot use sudo without a password."
    is_debian_like || why="This machine is $(os_name) (from $OS_RELEASE), not Debian or Ubuntu with apt."
    fail "No Docker engine answers, and this script can only install one on Debian/Ubuntu as root (or with sudo)." \
         "$why" \
         "Install Docker for your system from $INSTALL_DOCS" \
         "(Docker Desktop on macOS and Windows), start it, then run this again."
  fi
  apt_install docker.io
  start_engine
}

# Copy one CLI plugin binary out of a Debian trixie package, without installing trixie packages.
plugin_from_trixie() {
  local package="$1" binary="$2" work mirror
  work=$(mktemp -d)
  # The first Debian mirror this machine's apt is configured with (comments skipped).
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list 2>/dev/null \
           | grep -E '^[[:space:]]*(URIs:|deb )' | grep -oE 'https?://[^ ]+/debian/?' | grep -v security | head -n 1 || true)
  mirror="${mirror:-http://deb.debian.org/debian}"
  mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${mirror%/} trixie main" > "$work/trixie.list"
  local opts=(-o Dir::Etc::SourceList="$work/trixie.list" -o Dir::Etc::SourceParts=/dev/null
              -o Dir::State::Lists="$work/lists" -o Dir::Cache="$work/cache" -o APT::Get::List-Cleanup=0
              -o APT::Sandbox::User=root)
  say "fetching $package from Debian trixie ($mirror)"
  (cd "$work" && $SUDO apt-get "${opts[@]}" update -qq && $SUDO apt-get "${opts[@]}" download "$package" >/dev/null) || \
    fail "Could not download $package from Debian trixie at $mirror (messages above)." \
         "Check that the mirror answers, or install the docker $package plugin from $INSTALL_DOCS"
  dpkg -x "$work"/"${package}"_*.deb "$work/root" || fail "Could not unpack $package (messages above)."
  local found
  found=$(find "$work/root" -type f -path "*/cli-plugins/$binary" | head -n 1)
  [ -n "$found" ] || fail "The $package package had no $binary binary."
  $SUDO mkdir -p "$PLUGIN_DIR"
  $SUDO install -m 0755 "$found" "$PLUGIN_DIR/$binary"
  rm -rf "$work"
}

ensure_plugin() {
  local name="$1" deb_native="$2" deb_trixie="$3" binary="docker-$1"
  if docker "$name" version >/dev/null 2>&1; then
    say "docker $name: $(docker "$name" version 2>/dev/null | head -n 1)"
    return
  fi
  if on_macos; then
    fail "'docker $name' is missing." \
         "Docker Desktop, OrbStack and Rancher Desktop ship it. With Colima: brew install docker-$name, then add the" \
         "folder brew names to \"cliPluginsExtraDirs\" in ~/.docker/config.json, as brew's message says. Then run this again."
  fi
  if ! can_admin || ! command -v apt-get >/dev/null 2>&1; then
    fail "'docker $name' is missing and this script cannot install it here." \
         "Install it from $INSTALL_DOCS (Docker Desktop ships it), then run this again."
  fi
  # The machine's own packages first (Ubuntu has both; Debian from trixie on has both).
  apt_update
  if apt-cache show "$deb_native" 2>/dev/null | grep -qE '^Version: ([2-9]|0\.[1-9][0-9])'; then
    apt_install "$deb_native" || true
    # Debian's packages put plugins in /usr/libexec/docker/cli-plugins, which every CLI searches.
  fi
  if ! docker "$name" version >/dev/null 2>&1; then
    is_debian_like || fail "'docker $name' is missing. Install it from $INSTALL_DOCS"
    plugin_from_trixie "$deb_trixie" "$binary"
  fi
  docker "$name" version >/dev/null 2>&1 || fail "'docker $name' still does not answer after installing it."
  say "docker $name: $(docker "$name" version 2>/dev/null | head -n 1)"
}

if ! command -v docker >/dev/null 2>&1 && on_macos; then
  fail "The 'docker' command is not installed." \
       "On macOS it comes with Docker Desktop ($MAC_DOCS), OrbStack or Rancher Desktop;" \
       "with Colima, install it too: brew install colima docker. Then start the engine and run this again."
fi
command -v docker >/dev/null 2>&1 || { is_debian_like && can_admin && apt_install docker.io; } || \
  fail "The 'docker' command is not installed." "Install Docker from $INSTALL_DOCS"
ensure_engine
ensure_plugin buildx docker-buildx docker-buildx
ensure_plugin compose docker-compose-v2 docker-compose
