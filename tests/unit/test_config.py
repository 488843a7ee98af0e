"""dockerlab/config.py lists every DOCKERLAB_* variable; the package reads them only through it;
docs/configuration.md is made from it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dockerlab import config

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "dockerlab"
NAME = re.compile(r"\bDOCKERLAB_[A-Z0-9_]*[A-Z0-9]\b")
#: Names that look like configuration but are not, with why.
NOT_CONFIGURATION = {
    "DOCKERLAB_SURELY_UNSET_VAR": "tests/engine/test_checks_compose.py: a learner's variable that no shell sets",
}
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "build", "dist", "__pycache__", "screenshots", "work", ".ipynb_checkpoints"}


def _repository_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if path.is_file() and not SKIP_DIRS & set(relative.parts) and path.stat().st_size < 5_000_000:
            try:
                yield relative, path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue


def test_every_dockerlab_variable_named_in_the_repository_is_listed_in_config():
    unlisted = {}
    for relative, text in _repository_files():
        for name in set(NAME.findall(text)) - set(config.BY_NAME) - set(NOT_CONFIGURATION):
            unlisted.setdefault(name, []).append(str(relative))
    assert not unlisted, ("DOCKERLAB_* variables that dockerlab/config.py does not list (add each there, with its "
                          f"default and meaning, then regenerate docs/configuration.md): {unlisted}")


def _package_modules():
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p != PACKAGE / "config.py"]


def test_the_package_reads_its_environment_only_through_config():
    """No module but config.py spells a variable's name as a value or a keyword: each uses config.X."""
    found = []
    for path in _package_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.fullmatch(node.value):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
            elif isinstance(node, ast.keyword) and node.arg and NAME.fullmatch(node.arg):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.arg}=")
    assert not found, "read these through dockerlab.config (config.PROGRESS.path(), config.PROGRESS.name, ...):\n" + "\n".join(found)


def _constants() -> dict[str, str]:
    """Variable name -> its constant in config (``DOCKERLAB_TIMEOUT`` -> ``TIMEOUT``)."""
    return {value.name: key for key, value in vars(config).items() if isinstance(value, config.Variable)}


def test_every_package_variable_is_read_by_the_package():
    used = set()
    for path in _package_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "config":
                used.add(node.attr)
    constants = _constants()
    unread = [v.name for v in config.VARIABLES if v.read_by == config.PACKAGE and constants[v.name] not in used]
    assert not unread, f"listed as read by dockerlab, but no module uses them: {unread} (mark who reads them, or remove them)"


def test_every_other_variable_is_read_where_config_says():
    for variable in config.VARIABLES:
        if variable.read_by == config.PACKAGE:
            continue
        places = [ROOT / part.strip() for part in variable.read_by.split(",")]
        assert all(place.exists() for place in places), (variable.name, variable.read_by)
        texts = [p.read_text(encoding="utf-8") for place in places
                 for p in ([place] if place.is_file() else sorted(place.rglob("*")) if place.is_dir() else []) if p.is_file()
                 and p.suffix in (".py", ".sh", "")]
        assert any(variable.name in text for text in texts), f"{variable.name}: not found in {variable.read_by}"


def test_the_variables_are_described_once_each():
    names = [v.name for v in config.VARIABLES]
    assert len(names) == len(set(names))
    for variable in config.VARIABLES:
        assert variable.name.startswith("DOCKERLAB_") and variable.default and len(variable.meaning) > 20, variable


def test_docs_page_is_made_from_config():
    page = ROOT / "docs" / "configuration.md"
    assert page.read_text(encoding="utf-8") == config.markdown(), \
        "docs/configuration.md is out of date: python -m dockerlab.config > docs/configuration.md"
    assert "docs/configuration.md" in (ROOT / "README.md").read_text(encoding="utf-8")


# -- the readers ----------------------------------------------------------------------------------

def test_an_empty_variable_counts_as_unset(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_TIMEOUT", "")
    assert config.TIMEOUT.number() == 30
    monkeypatch.setenv("DOCKERLAB_PROGRESS", "")
    assert config.PROGRESS.path() is None and not config.PROGRESS.is_set()


def test_only_1_turns_a_flag_on(monkeypatch):
    for value, on in (("1", True), ("0", False), ("true", False), ("", False)):
        monkeypatch.setenv("DOCKERLAB_OFFLINE", value)
        assert config.OFFLINE.flag() is on, value
    monkeypatch.delenv("DOCKERLAB_OFFLINE")
    assert config.OFFLINE.flag() is False


def test_a_number_that_is_not_one_names_the_variable(monkeypatch):
    monkeypatch.setenv("DOCKERLAB_MIN_FREE_GB", "five")
    with pytest.raises(ValueError, match=r"DOCKERLAB_MIN_FREE_GB='five' is not a number \(unset, it is 5\)"):
        config.MIN_FREE_GB.number()
    monkeypatch.setenv("DOCKERLAB_MIN_FREE_GB", "0.5")
    assert config.MIN_FREE_GB.number() == 0.5


def test_paths_expand_the_home_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DOCKERLAB_STATE", "~/state")
    assert config.STATE.path() == tmp_path / "state"
    monkeypatch.delenv("DOCKERLAB_PORTS", raising=False)
    assert config.PORTS.path().name == "dockerlab-ports"


def test_on_off_settings_are_on_unless_turned_off(monkeypatch):
    from dockerlab import config

    for value, on in ((None, True), ("", True), ("on", True), ("OFF", False), ("off ", False), ("1", True)):
        if value is None:
            monkeypatch.delenv("DOCKERLAB_STRIP", raising=False)
        else:
            monkeypatch.setenv("DOCKERLAB_STRIP", value)
        assert config.STRIP.enabled() is on, value
