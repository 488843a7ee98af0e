"""The hub's packages are pinned: deploy/jupyterhub/requirements.lock, which hub_smoke.sh installs from."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
HUB = ROOT / "deploy" / "jupyterhub"


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line)
            specs = list(requirement.specifier)
            assert len(specs) == 1 and specs[0].operator == "==", f"{line} is not exact"
            pins[re.sub(r"[-_.]+", "-", requirement.name).lower()] = specs[0].version
    return pins


def test_every_hub_package_is_pinned_in_the_hub_lock():
    lock = _pins(HUB / "requirements.lock")
    wanted = _pins(HUB / "requirements.in")
    assert {"jupyterhub", "dockerspawner", "jupyterhub-firstuseauthenticator", "jupyterhub-idle-culler"} <= set(wanted)
    for name, version in wanted.items():
        assert lock.get(name) == version, f"{name}=={version} in requirements.in, {lock.get(name)} in the lock: run deploy/jupyterhub/lock.sh"


def test_the_hub_lock_agrees_with_the_project_lock():
    """The learner image is built with both as constraints."""
    hub, project = _pins(HUB / "requirements.lock"), _pins(ROOT / "requirements.lock")
    assert {n: (hub[n], project[n]) for n in hub.keys() & project.keys() if hub[n] != project[n]} == {}


def test_hub_smoke_installs_from_the_lock_only():
    script = (ROOT / "scripts" / "hub_smoke.sh").read_text()
    assert 'HUBLOCK=deploy/jupyterhub/requirements.lock' in script
    assert '"$HUBVENV/bin/pip" install -q --no-deps -r "$HUBLOCK"' in script
    installs = [line for line in script.splitlines() if re.search(r"pip\"? install", line)]
    assert installs == ['  "$HUBVENV/bin/pip" install -q --no-deps -r "$HUBLOCK"'], installs
    assert '--constraint requirements.lock --constraint "$HUBLOCK"' in script  # the learner image's wheels
    dockerfile = (HUB / "learner.Dockerfile").read_text()
    assert "--constraint /tmp/wheels/course.lock --constraint /tmp/wheels/hub.lock" in dockerfile


def test_the_documented_defaults_are_the_configs():
    config = (HUB / "jupyterhub_config.py").read_text()
    doc = (ROOT / "docs" / "hub.md").read_text()
    for name in ("DLHUB_CPU", "DLHUB_MEM", "DLHUB_ENGINE_CPU", "DLHUB_ENGINE_MEM", "DLHUB_CULL_TIMEOUT", "DLHUB_PROXY_IP"):
        default = re.search(rf'env\("{name}", "([^"]*)"\)', config)
        assert default, f"jupyterhub_config.py has no default for {name}"
        assert f"| `{name}` | `{default.group(1)}` |" in doc, f"docs/hub.md does not give {name}'s default {default.group(1)}"
