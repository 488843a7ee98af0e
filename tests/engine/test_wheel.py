"""dockerlab from its wheel: `pip install` of the wheel alone gives a `dockerlab prepare` and a
`dockerlab grade` that work on the course the wheel carries (no clone next to it).

A wheel is built from a copy of the repository (pyproject.toml, README.md, dockerlab/, notebooks/) in a
venv under /tmp, installed with requirements.lock's versions into a fresh venv elsewhere, and run from a
folder outside the repository. To keep it short (prepare runs notebooks in solution mode, minutes for the
whole course): prepare uses the options it has, `--notebooks 00 --no-bundle --offline` (one notebook, no
image bundle, no registry: the images are present already), and grade gets two learners: one hands in the
course's own notebook 00 as the wheel ships it, the other a one-cell notebook that says which dockerlab its
kernel imported. About a minute with pip's cache warm.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.engine, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _run(command: list[str], *, cwd: Path, env: dict | None = None, timeout: int = 900) -> subprocess.CompletedProcess:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def _source_copy(destination: Path) -> Path:
    """What the wheel is built from, as hub_smoke.sh copies it: the build then leaves nothing in the clone."""
    ignore = shutil.ignore_patterns("__pycache__", "work", ".ipynb_checkpoints", "*.egg-info")
    destination.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, destination / name)
    shutil.copytree(ROOT / "dockerlab", destination / "dockerlab", ignore=ignore)
    shutil.copytree(ROOT / "notebooks", destination / "notebooks", ignore=ignore)
    return destination


@pytest.fixture(scope="module")
def installed(tmp_path_factory, docker_client):
    """(the fresh venv's bin folder, a folder outside the repository, the environment to run in)."""
    work = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "DOCKERLAB_"))}
    env["DOCKERLAB_STATE"] = str(work / "state")  # the kernels' sessions: not the machine's own state folder
    source = _source_copy(work / "src")
    builder = work / "build-venv"
    _run([sys.executable, "-m", "venv", str(builder)], cwd=work)
    _run([str(builder / "bin" / "python"), "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(work / "dist"), str(source)],
         cwd=work, env=env)
    wheel = next((work / "dist").glob("dockerlab-*.whl"))
    venv = work / "elsewhere" / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=work)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--constraint", str(ROOT / "requirements.lock"), str(wheel)],
         cwd=work, env=env, timeout=1800)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    outside = work / "elsewhere" / "run"
    outside.mkdir()
    return venv / "bin", outside, env


def test_the_wheel_carries_the_course(installed):
    bin_dir, outside, env = installed
    code = "import dockerlab.classroom.runner as r; print(r.course_dir()); print(sorted(p.name for p in r.course_dir().iterdir()))"
    found = _run([str(bin_dir / "python"), "-c", code], cwd=outside, env=env).stdout.splitlines()
    course = Path(found[0])
    assert course.parts[-2:] == ("dockerlab", "course") and str(course).startswith(str(bin_dir.parent)), course
    shipped = {p.name for p in course.glob("*.ipynb")}
    assert shipped == {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")}
    assert {p.name for p in (course / "figures").iterdir()} == {p.name for p in (ROOT / "notebooks" / "figures").iterdir()}
    manifest = _run([str(bin_dir / "python"), "-c", "from dockerlab.services.images import load_manifest; print(len(load_manifest()))"],
                    cwd=outside, env=env)
    assert int(manifest.stdout) > 0


def test_prepare_runs_the_course_it_carries(installed):
    bin_dir, outside, env = installed
    done = _run([str(bin_dir / "dockerlab"), "prepare", "--no-bundle", "--offline", "--notebooks", "00", "--timeout", "300"],
                cwd=outside, env=env)
    printed = done.stdout
    assert "[1/1] 00-welcome (solution mode)" in printed and "      passed in" in printed, printed
    assert "Ready for the workshop." in printed, printed
    assert not list((bin_dir.parent / "lib").glob("python*/site-packages/dockerlab/course/work")), "prepare wrote into the installed package"


def test_grade_runs_learners_on_the_course_it_carries(installed):
    bin_dir, outside, env = installed
    course = Path(_run([str(bin_dir / "python"), "-c", "import dockerlab.classroom.runner as r; print(r.course_dir())"],
                       cwd=outside, env=env).stdout.strip())
    handins = outside / "handins"
    (handins / "ada").mkdir(parents=True)
    shutil.copy(course / "00-welcome.ipynb", handins / "ada" / "00-welcome.ipynb")  # as shipped: learner cells untouched
    probe = nbformat.v4.new_notebook()
    probe.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    probe.cells = [nbformat.v4.new_code_cell("import dockerlab, sys\nprint(dockerlab.__file__)\nprint(sys.executable)")]
    nbformat.write(probe, handins / "probe.ipynb")
    _run([str(bin_dir / "dockerlab"), "grade", str(handins), "--out", str(outside / "grades"), "--timeout", "300"], cwd=outside, env=env)
    with open(outside / "grades" / "grades.csv", newline="", encoding="utf-8") as handle:
        rows = {row["learner"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {"ada", "probe"}
    exercises = [column for column in rows["ada"] if column.startswith("00.")]
    assert exercises and all(rows["ada"][e] in ("passed", "not yet") for e in exercises), rows["ada"]
    assert rows["ada"]["errors"] == "", rows["ada"]["errors"]
    executed = nbformat.read(outside / "grades" / "executed" / "probe" / "probe.ipynb", as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert str(bin_dir.parent) in printed and str(ROOT) not in printed, printed  # the kernel used the wheel's dockerlab
