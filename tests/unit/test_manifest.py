"""The image manifest says which notebooks use each image, and that is what the notebooks really use.

Image references are read from the notebooks' code cells (``%%solution`` cells included) and from
``dockerlab/exercises/*.py``: ``docker run/create/pull`` commands, ``FROM`` lines of Dockerfiles
(``%%writefile`` cells and Python strings), compose files' ``image:`` lines, and Python calls that
start containers (``lesson.run("busybox:1.37", ...)``) or name an image constant (``HELLO_IMAGE = ...``).
Session-named images (``{app_image}``, ``${COUNTER_IMAGE}``) are the learner's, not the course's.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
from collections import defaultdict
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from dockerlab.services.images.manifest import load_manifest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))

# `docker run/create` options that take a value (the next word). Any other option is read as taking
# none (notebooks also show mistyped options on purpose): should it take a value after all, that
# value is read as the image and fails the test as undeclared, so nothing is missed silently.
VALUED = {"--name", "-v", "--volume", "--mount", "-m", "--memory", "--memory-swap", "--pids-limit", "-p", "--publish",
          "-e", "--env", "--env-file", "--network", "--net", "-u", "--user", "--cap-drop", "--cap-add",
          "--security-opt", "--cpus", "--tmpfs", "-w", "--workdir", "--entrypoint", "--restart", "-l", "--label",
          "-h", "--hostname", "--platform", "--network-alias", "--health-cmd", "--ulimit", "--add-host"}
REFERENCE = re.compile(r"[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_.-]+)?")
# A command starts a line or follows ; & | ( : "docker run" inside an echo or a sentence is not one.
COMMAND = re.compile(r"(?:^|[;&|(])[ \t]*docker\s+(?:container\s+|image\s+)?(run|create|pull)\s+([^\n;|&]*)", re.MULTILINE)
# Upper-case FROM, as the course writes Dockerfiles: a lower-case `from x import y` is Python.
FROM_LINE = re.compile(r"^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?", re.MULTILINE)
IMAGE_LINE = re.compile(r"^\s*image:\s*[\"']?([^\s\"'#]+)", re.MULTILINE)
STARTERS = {"run", "create", "pull"}  # Python calls whose first argument (or image=) is an image


def _normal(ref: str) -> str | None:
    """``hello-world`` -> ``hello-world:latest``; None for session-named, templated or stage names."""
    if "{" in ref or "$" in ref or not REFERENCE.fullmatch(ref):
        return None
    return ref if ":" in ref.rsplit("/", 1)[-1] else f"{ref}:latest"


def _image_of_command(kind: str, rest: str) -> str | None:
    try:
        words = shlex.split(rest)
    except ValueError:  # an unbalanced quote in a Python fragment: split on blanks
        words = rest.split()
    if kind == "pull":
        return words[0] if words else None
    words = iter(words)
    for word in words:
        if not word.startswith("-"):
            return word
        if word in VALUED:
            next(words, None)
    return None


def _in_text(text: str) -> set[str]:
    """Images named by shell commands, Dockerfile FROM lines and compose image: lines in one string."""
    found = {_image_of_command(kind, rest) for kind, rest in COMMAND.findall(text)}
    stages = {stage.lower() for _, stage in FROM_LINE.findall(text) if stage}
    found |= {base for base, _ in FROM_LINE.findall(text) if base.lower() not in stages | {"scratch"}}
    found |= set(IMAGE_LINE.findall(text))
    return {ref for ref in map(_normal, filter(None, found)) if ref}


def _in_call(call: ast.Call) -> set[str]:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
    args = [*call.args[:1]] if name in STARTERS else []
    args += [k.value for k in call.keywords if k.arg == "image"]
    return {ref for a in args if isinstance(a, ast.Constant) and isinstance(a.value, str) and (ref := _normal(a.value))}


def _in_assignment(node: ast.Assign) -> set[str]:
    named = any(isinstance(t, ast.Name) and t.id.endswith("_IMAGE") for t in node.targets)
    value = node.value
    if named and isinstance(value, ast.Constant) and isinstance(value.value, str) and (ref := _normal(value.value)):
        return {ref}
    return set()


def image_references(python: str) -> set[str]:
    """Every course image a piece of Python (a transformed notebook cell or a module) uses."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(python)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found |= _in_text(node.value)
        elif isinstance(node, ast.Call):
            found |= _in_call(node)
        elif isinstance(node, ast.Assign):
            found |= _in_assignment(node)
    return found


def _cell_python(source: str) -> str:
    if source.startswith("%%solution"):
        source = source.split("\n", 1)[1] if "\n" in source else ""  # its body is ordinary cell code
    return TransformerManager().transform_cell(source)  # `!docker ...` -> get_ipython().system('docker ...')


def used_by_notebook() -> dict[str, set[str]]:
    """Notebook key -> the course images its code cells and its exercises module use."""
    used: dict[str, set[str]] = defaultdict(set)
    for path in NOTEBOOKS:
        for number, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] == "code":
                try:
                    used[path.stem] |= image_references(_cell_python("".join(cell["source"])))
                except SyntaxError as exc:
                    raise AssertionError(f"{path.name} cell {number} does not parse: {exc}") from exc
    by_number = {path.stem[:2]: path.stem for path in NOTEBOOKS}
    for module in sorted((ROOT / "dockerlab" / "exercises").glob("nb[0-9][0-9]_*.py")):
        used[by_number[module.stem[2:4]]] |= image_references(module.read_text())
    return used


def test_every_image_a_notebook_uses_is_declared_for_that_notebook():
    declared = {spec.name: set(spec.notebooks) for spec in load_manifest()}
    undeclared = [(nb, image) for nb, images in sorted(used_by_notebook().items()) for image in sorted(images)
                  if nb not in declared.get(image, set())]
    assert undeclared == [], "add these to dockerlab/services/images/manifest.yaml (image -> notebooks)"


def test_every_notebook_the_manifest_names_really_uses_the_image():
    used = used_by_notebook()
    unused = [(spec.name, nb) for spec in load_manifest() for nb in spec.notebooks if spec.name not in used.get(nb, set())]
    assert unused == [], "the manifest names notebooks that do not use these images"


@pytest.mark.parametrize(
    "python, expected",
    [
        ("get_ipython().system('docker run -d --name {box} --memory 64m busybox:1.37 sleep 3600')", {"busybox:1.37"}),
        ("get_ipython().system('docker run --rm hello-world > /dev/null')", {"hello-world:latest"}),
        ("get_ipython().system('docker run --rm -p=8080:80 --network={net} nginx:stable')", {"nginx:stable"}),
        ("get_ipython().system('docker run --rm {app_image} python --version')", set()),
        ("x = 'FROM debian:trixie-slim AS build\\nRUN make\\nFROM scratch\\nCOPY --from=build /a /a\\n'", {"debian:trixie-slim"}),
        ("x = 'FROM python:3.13-slim AS base\\nFROM base\\n'", {"python:3.13-slim"}),
        ("x = 'services:\\n  db:\\n    image: redis:8\\n  web:\\n    image: ${COUNTER_IMAGE}\\n'", {"redis:8"}),
        ("lesson.run('busybox:1.37', 'true')", {"busybox:1.37"}),
        ("HELLO_IMAGE = 'hello-world:latest'", {"hello-world:latest"}),
        ("hint = 'docker run -d --rm --name NAME IMAGE sleep 300'", set()),  # a placeholder, not an image
        ("hint = 'Start from the image this course uses: FROM python:3.13-slim'", set()),  # prose, not a Dockerfile
        ("get_ipython().system('docker run --rm {app} sh -c \\'exit 3\\'; echo \"docker run exited with $?\"')", set()),
        ("x = 'from http.server import HTTPServer\\n'", set()),  # Python written to a file, not a Dockerfile
        ("get_ipython().system('cd {d} && docker create --name {c} busybox:1.37 true')", {"busybox:1.37"}),
        ("get_ipython().system('docker run --no-such-option {app_image}')", set()),  # a mistake shown on purpose
        ("get_ipython().system('docker run --log-driver none busybox:1.37')", {"none:latest"}),  # fails as undeclared
    ],
)
def test_reading_image_references(python, expected):
    assert image_references(python) == expected
