"""pyproject.toml: an SPDX licence, one version source, every imported package declared, and a wheel
that carries the package's data and the course (tests/engine/test_wheel.py builds and runs one)."""

from __future__ import annotations

import ast
import fnmatch
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

import dockerlab

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]
#: Import names whose distribution is named otherwise.
DISTRIBUTIONS = {"IPython": "ipython", "yaml": "pyyaml", "dockerfile_parse": "dockerfile-parse"}
#: Files run by another Python than the project's venv (the hub's venv: JupyterHub, DockerSpawner).
# Run in the hub's venv (deploy/jupyterhub/requirements.lock), not the project's.
OTHER_ENVIRONMENTS = ("deploy/", "scripts/hub_smoke.py", "tests/hub/")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(*groups: str) -> set[str]:
    requirements = list(PROJECT["dependencies"])
    for group in groups:
        requirements += PROJECT["optional-dependencies"][group]
    return {_normal(Requirement(r).name) for r in requirements}


def _imports(paths) -> dict[str, set[str]]:
    """Top-level third-party modules imported (anywhere in the file) -> the files importing them."""
    found: dict[str, set[str]] = {}
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def _local_modules() -> set[str]:
    """Modules and packages of the repository itself (the tests' helpers, bench, matrix, ...)."""
    names = {p.stem for p in ROOT.rglob("*.py") if ".venv" not in p.parts}
    return names | {p.parent.name for p in ROOT.rglob("__init__.py") if ".venv" not in p.parts} | {"dockerlab"}


def test_the_licence_is_an_spdx_expression():
    assert PROJECT["license"] == "MIT"
    setuptools = next(Requirement(r) for r in PYPROJECT["build-system"]["requires"] if Requirement(r).name == "setuptools")
    assert not setuptools.specifier.contains("76.9"), "setuptools >= 77 reads the SPDX licence string"


def test_one_version_source():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert SETUPTOOLS["dynamic"]["version"] == {"attr": "dockerlab.__version__"}
    Version(dockerlab.__version__)  # a valid version
    tree = ast.parse((ROOT / "dockerlab" / "__init__.py").read_text())
    literal = [n for n in tree.body if isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "__version__" for t in n.targets)]
    assert len(literal) == 1 and isinstance(literal[0].value, ast.Constant), "setuptools reads __version__ without importing: keep it a literal"


def test_every_third_party_package_the_package_imports_is_a_dependency():
    imported = _imports(sorted((ROOT / "dockerlab").rglob("*.py")))
    missing = {name: sorted(files) for name, files in imported.items()
               if name != "dockerlab" and _normal(DISTRIBUTIONS.get(name, name)) not in _declared()}
    assert not missing, f"imported by dockerlab but not in pyproject.toml's dependencies: {missing}"


def test_every_third_party_package_the_tools_import_is_declared():
    """The tests, scripts, benchmarks and the engine matrix run in the project's venv: `test` extra (and `browser`)."""
    paths = [p for folder in ("tests", "scripts", "bench", "matrix") for p in sorted((ROOT / folder).rglob("*.py"))]
    paths = [p for p in paths if not str(p.relative_to(ROOT)).startswith(OTHER_ENVIRONMENTS)]
    local = _local_modules()
    missing = {name: sorted(files) for name, files in _imports(paths).items()
               if name not in local and _normal(DISTRIBUTIONS.get(name, name)) not in _declared("test", "browser")}
    assert not missing, f"imported by the project's tools but not declared (the test extra): {missing}"


def test_the_package_list_is_every_package_folder_and_the_course():
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "dockerlab").rglob("__init__.py")}
    assert set(SETUPTOOLS["packages"]) == folders | {"dockerlab.course"}, "list new package folders in pyproject.toml"
    assert SETUPTOOLS["package-dir"] == {"dockerlab.course": "notebooks"}


def _shipped(package: str, folder: Path) -> list[Path]:
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"].get(package, [])
    return [p for p in folder.rglob("*") if p.is_file() and any(fnmatch.fnmatch(str(p.relative_to(folder)), pattern) for pattern in patterns)]


def test_the_package_data_is_shipped():
    for package in SETUPTOOLS["packages"]:
        if package == "dockerlab.course":
            continue
        folder = ROOT.joinpath(*package.split("."))
        data = [p for p in folder.iterdir() if p.is_dir() and not (p / "__init__.py").exists() and p.name != "__pycache__"]
        data = [f for d in data for f in d.rglob("*") if f.is_file() and "__pycache__" not in f.parts]
        data += [f for f in folder.iterdir() if f.is_file() and f.suffix not in (".py", ".pyc")]
        unshipped = sorted(str(f.relative_to(ROOT)) for f in data if f not in _shipped(package, folder))
        assert not unshipped, f"files of {package} its package-data leaves out of the wheel: {unshipped}"


def test_the_course_is_shipped_whole():
    course = ROOT / "notebooks"
    shipped = {str(p.relative_to(course)) for p in _shipped("dockerlab.course", course)}
    wanted = {p.name for p in course.glob("[0-9][0-9]-*.ipynb")} | {f"figures/{p.name}" for p in (course / "figures").iterdir()}
    assert shipped == wanted


def test_the_hub_smoke_wheel_is_built_with_the_course():
    script = (ROOT / "scripts" / "hub_smoke.sh").read_text()
    assert 'cp notebooks/*.ipynb "$context/src/notebooks/"' in script and 'cp -r notebooks/figures "$context/src/notebooks/"' in script
