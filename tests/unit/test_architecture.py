"""The package's layers, read from its code: every import points down, none goes round in a circle,
and only the Jupyter layer and the views know IPython or write HTML.

The layers, bottom to top (DEVELOPERS.md draws them):

    0 base        config.py errors.py labels.py sizes.py   import nothing of dockerlab
    1 engine      engine/                                   the client, the CLI, safety, sessions
    2 services    services/  (and tooling/)                 what the course does with the engine
    3 checks      checks/                                   judging real state: results, blocks, registry
    4 exercises   exercises/                                one module per notebook
    5 record      record/                                   the learner's progress and its events
    6 views       views/                                    widgets and their HTML and text forms
    7 jupyter     jupyter/                                  a lesson, its check, magics, display
    8 classroom   classroom/                                an instructor's tools
    9 entry       __init__.py __main__.py cli.py            dockerlab.start, the command line

Imports inside functions count as much as those at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "dockerlab"
LAYERS = {"engine": 1, "services": 2, "tooling": 2, "checks": 3, "exercises": 4, "record": 5, "views": 6,
          "jupyter": 7, "classroom": 8}
BASE = {"config", "errors", "labels", "sizes"}
ENTRY = {"__init__", "__main__", "cli"}
#: Only these layers may import IPython or ipywidgets, or build HTML.
DISPLAY_LAYERS = {"views", "jupyter"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def layer_of(module: str) -> tuple[int, str]:
    parts = module.split(".")[1:]
    if not parts or (len(parts) == 1 and parts[0] in ENTRY):
        return 9, "entry"
    if len(parts) == 1 and parts[0] in BASE:
        return 0, "base"
    if parts[0] in LAYERS:
        return LAYERS[parts[0]], parts[0]
    raise AssertionError(f"{module} is in no layer: put it in a layer's folder (and in DEVELOPERS.md)")


def imports_of(path: Path) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, top-level or not, relative ones resolved."""
    tree = ast.parse(path.read_text())
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            target = ".".join(part for part in (base, node.module or "") if part)
            for alias in node.names:  # `from pkg import module` names the module; `from module import name`, the module
                named = f"{target}.{alias.name}"
                found.append((named if named in MODULES else target, node.lineno))
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def internal(target: str) -> str | None:
    """The package module an import names (the longest known prefix), or None for other packages."""
    while target:
        if target in MODULES:
            return target
        target = target.rpartition(".")[0]
    return None


def graph() -> dict[str, set[str]]:
    edges: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        for target, _ in imports_of(path):
            found = internal(target)
            if found and found != module and not module.startswith(found + "."):  # a package's own __init__ is fine
                edges.setdefault(module, set()).add(found)
    return edges


def test_every_module_is_in_a_layer():
    for module in MODULES:
        layer_of(module)


def test_imports_point_down():
    upward = []
    for module, path in MODULES.items():
        rank, name = layer_of(module)
        for target, line in imports_of(path):
            found = internal(target)
            if found is None or found == module:
                continue
            their_rank, their_name = layer_of(found)
            if their_rank > rank:
                upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} ({name}) imports {found} ({their_name})")
    assert not upward, "imports that point up:\n" + "\n".join(sorted(set(upward)))


def test_no_import_cycles():
    edges = graph()
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in MODULES:
        if module not in index:
            visit(module)
    assert not cycles, f"import cycles: {cycles}"


@pytest.mark.parametrize("module", [m for m in MODULES if layer_of(m)[1] not in DISPLAY_LAYERS])
def test_only_the_display_layers_know_ipython_and_html(module):
    path = MODULES[module]
    text = path.read_text()
    ipython = [f"line {line}: {target}" for target, line in imports_of(path)
               if target.split(".")[0] in ("IPython", "ipywidgets")]
    assert not ipython, f"{module} imports {ipython}: only views/ and jupyter/ may"
    tree = ast.parse(text)
    html_methods = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
                    and node.name in ("_repr_html_", "_repr_mimebundle_", "_ipython_display_")]
    assert not html_methods, f"{module} defines {html_methods}: the HTML form of a thing belongs in views/"
    assert not any(target == "html" for target, _ in imports_of(path)), f"{module} escapes HTML: that is the views' work"


def test_the_layout_in_developers_md_matches_the_tree():
    """Every module file is named in DEVELOPERS.md's layout, and every .py path named there exists."""
    text = (PACKAGE.parent / "DEVELOPERS.md").read_text()
    layout = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    missing = [str(p.relative_to(PACKAGE.parent)) for p in MODULES.values()
               if p.name != "__init__.py" and p.name not in layout]
    assert not missing, f"modules DEVELOPERS.md's layout does not name: {missing}"
    import re

    named = set(re.findall(r"\b([a-z_0-9]+\.py)\b", layout))
    files = {p.name for p in PACKAGE.parent.rglob("*.py") if ".venv" not in p.parts}
    assert named <= files, f"DEVELOPERS.md names files that do not exist: {sorted(named - files)}"
