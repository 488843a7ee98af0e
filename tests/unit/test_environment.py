"""environment.yml (conda, Binder) and pyproject.toml (pip) must name the same packages."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# conda-forge publishes a few packages under other names.
CONDA_NAMES = {"docker": "docker-py"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    return {CONDA_NAMES.get(n, n) for n in names}


def _environment(path: Path) -> set[str]:
    names = set()
    for entry in yaml.safe_load(path.read_text())["dependencies"]:
        items = entry["pip"] if isinstance(entry, dict) else [entry]
        names |= {_name(i) for i in items}
    return names - {"python", "pip"}


def test_environment_yml_names_the_pyproject_dependencies():
    assert _environment(ROOT / "environment.yml") == _pyproject()


def test_binder_uses_the_same_environment():
    assert _environment(ROOT / "binder" / "environment.yml") == _pyproject()


def test_binder_postbuild_stops_on_error():
    assert "set -e" in (ROOT / "binder" / "postBuild").read_text()
