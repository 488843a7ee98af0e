"""`make lab` / `make test` a second time: scripts/setup.sh only checks, and changes nothing.

The set-up runs twice on this machine (the first run brings it to "set up" if it was not), then the
second run's own words are read: every step says it found what it needs, none installs, downloads or
builds; and the course images, the .venv and the CLI plugins are the same objects as before it.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from dockerlab.services.images.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]
PLUGIN_DIRS = [Path(d) for d in ("/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
                                 "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")]
# Words of every step that acts rather than checks (ensure-engine.sh, setup.sh, dockerlab images ensure).
ACTING = ("apt-get", "installing", "fetching", "starting", "waiting for the engine", "pip install", "Collecting",
          "pulled", "cannot pull", "building stand-in", "rebuilding", "mmdebstrap")


def _setup() -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DOCKERLAB_OFFLINE"}
    done = subprocess.run(["bash", "scripts/setup.sh"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def _state(docker_client) -> dict:
    """What a set-up could change: image ids, the .venv's install marker, the plugin binaries."""
    marker = ROOT / ".venv" / ".dockerlab-installed"
    plugins = {str(p): p.stat().st_mtime_ns for d in PLUGIN_DIRS if d.is_dir() for p in d.iterdir()}
    return {
        "images": {spec.name: docker_client.images.get(spec.name).id for spec in load_manifest()},
        "venv": (marker.read_text(), marker.stat().st_mtime_ns),
        "python": (ROOT / ".venv" / "pyvenv.cfg").stat().st_mtime_ns,
        "plugins": plugins,
    }


def test_a_second_setup_only_checks_and_changes_nothing(docker_client):
    _setup()
    before = _state(docker_client)
    second = _setup()
    out = second.stdout
    assert re.search(r"^==> Docker engine answers: \S+", out, re.MULTILINE), out
    assert re.search(r"^==> docker buildx: \S+", out, re.MULTILINE), out
    assert re.search(r"^==> docker compose: \S+", out, re.MULTILINE), out
    assert "==> .venv is up to date" in out
    specs = load_manifest()
    for position, spec in enumerate(specs, 1):
        line = rf"^\[{position}/{len(specs)}\] {re.escape(spec.name)}: present( \(stand-in\))?$"
        assert re.search(line, out, re.MULTILINE), f"{spec.name} is not just 'present':\n{out}"
    said = out + second.stderr
    assert [word for word in ACTING if word in said] == [], said
    assert _state(docker_client) == before
