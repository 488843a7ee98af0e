"""Repository-wide pytest hooks: every notebook must leave the engine as it found it.

nbval runs each notebook's cells as test items. Before a notebook's first cell we note every
container, network and volume on the engine; after its last cell (the lesson's reset has run,
the kernel is still alive) nothing new may remain, whoever made it and however it is named.
"""

from __future__ import annotations


def engine_inventory() -> dict[str, set[str]]:
    """Names of every container, network and volume on the engine."""
    from dockerlab import engine

    api = engine.client().api
    return {
        "containers": {c["Names"][0].lstrip("/") for c in api.containers(all=True)},
        "networks": {n["Name"] for n in api.networks()},
        "volumes": {v["Name"] for v in api.volumes().get("Volumes") or []},
    }


def leftovers(before: dict[str, set[str]]) -> dict[str, set[str]]:
    after = engine_inventory()
    return {kind: after[kind] - before[kind] for kind in after if after[kind] - before[kind]}


_before: dict[str, dict[str, set[str]]] = {}


def pytest_configure(config):
    # Check results of this run go to a fresh progress file (kernels inherit the variable), so
    # notebook 00's progress overview does not depend on what ran on this machine before.
    import os
    import tempfile

    os.environ.setdefault("DOCKERLAB_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="dockerlab-test-"), "progress.json"))


def _notebook(item) -> str | None:
    path = str(getattr(item, "fspath", ""))
    return path if path.endswith(".ipynb") else None


def pytest_runtest_setup(item):
    path = _notebook(item)
    if path and path not in _before:
        _before[path] = engine_inventory()


def pytest_runtest_teardown(item, nextitem):
    # Runs before pytest's own teardown, so the notebook's kernel (and its session) is still alive.
    path = _notebook(item)
    if path and (nextitem is None or _notebook(nextitem) != path):
        left = leftovers(_before.pop(path))
        if left:
            raise AssertionError(f"{path} left resources on the engine after its last cell: {left}")
