"""The pytest plugin every run of the project's suites loads: one run per engine, and the engine left as found.

Loaded by name from pyproject.toml (``addopts = "-p plugin_engine_safety"``, with ``tests`` on
``pythonpath``), so ``make test``, ``make notebooks``, ``make reliability``, ``make browser``, the engine
matrix (matrix/run.py) and a plain ``pytest notebooks/NN-*.ipynb`` all get it. What it does:

* the suite lock: one test run per engine at a time (:mod:`dockerlab.tooling.suitelock`); a second run
  waits, saying why;
* progress files: check results of a run go to a fresh progress file, and each notebook's kernel gets one
  of its own, so notebook 00's progress overview is the same whatever ran before;
* every notebook leaves the engine as it found it: nbval runs each notebook's cells as test items; before a
  notebook's first cell every container, network and volume on the engine is noted, and after its last
  cell (the lesson's reset has run, the kernel is still alive) nothing new may remain, whoever made it and
  however it is named;
* the learner's own things survive the whole suite: before anything runs, a container, network, volume and
  image are made as a learner would (unlabelled, named without a session id); after the suite they must be
  exactly as they were, and no course resource may be left (``DOCKERLAB_NO_BYSTANDERS=1`` skips this).
"""

from __future__ import annotations

import os


_before: dict[str, dict[str, set[str]]] = {}


_suite_lock = None


def _take_engine(wait_minutes: float = 90) -> None:
    """One test suite per engine at a time (see dockerlab.tooling.suitelock): a second run waits here, saying why."""
    global _suite_lock
    from dockerlab.tooling import suitelock

    _suite_lock = suitelock.acquire(wait_minutes)


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        _take_engine()
    # Check results of this run go to a fresh progress file (kernels inherit the variable), so
    # notebook 00's progress overview does not depend on what ran on this machine before.
    import tempfile

    os.environ.setdefault("DOCKERLAB_PROGRESS", os.path.join(tempfile.mkdtemp(prefix="dockerlab-test-"), "progress.json"))


def _notebook(item) -> str | None:
    path = str(getattr(item, "fspath", ""))
    return path if path.endswith(".ipynb") else None


def pytest_runtest_setup(item):
    path = _notebook(item)
    if path and path not in _before:
        import tempfile

        from dockerlab.engine.session import inventory

        _before[path] = inventory()
        # Each notebook's kernel (started right after this hook) gets a progress file of its own,
        # so notebook 00's progress overview is the same whatever the suite checked before it.
        os.environ["DOCKERLAB_PROGRESS"] = os.path.join(tempfile.mkdtemp(prefix="dockerlab-nb-"), "progress.json")


def pytest_runtest_teardown(item, nextitem):
    # Runs before pytest's own teardown, so the notebook's kernel (and its session) is still alive.
    path = _notebook(item)
    if path and (nextitem is None or _notebook(nextitem) != path):
        from dockerlab.engine.session import added_since

        left = added_since(_before.pop(path))
        if left:
            raise AssertionError(f"{path} left resources on the engine after its last cell: {left}")


# -- the learner's own things survive the whole suite -------------------------------------------
_bystanders: dict[str, str] = {}


def pytest_sessionstart(session):
    """Before anything runs, make a container, network, volume and image as a learner would:
    unlabelled, named without a session id. The suite must leave them exactly as they are."""
    try:
        _make_bystanders()
    except Exception as exc:  # the suite's own tests will report an unusable engine
        print(f"bystander set-up skipped: {exc}")


def _make_bystanders() -> None:
    import subprocess

    from dockerlab import engine

    if os.environ.get("DOCKERLAB_NO_BYSTANDERS") == "1" or not engine.available():
        return
    client = engine.client()
    tag = "bystander-" + os.urandom(3).hex()
    built = subprocess.run(["docker", "build", "-q", "-t", f"{tag}:mine", "-"], input=f"FROM busybox:1.37\nLABEL mine={tag}\n",  # its own id: other runs tag their own
                           capture_output=True, text=True, timeout=300)
    if built.returncode != 0:
        return
    _bystanders.update(
        image=f"{tag}:mine",
        container=client.containers.create("busybox:1.37", "sleep 1", name=tag).id,
        network=client.networks.create(tag).id,
        volume=client.volumes.create(tag).name,
    )
    _fingerprints.update(_fingerprint(client))
    _session_tags_before.update(_session_tags(client))


_fingerprints: dict[str, tuple] = {}
_session_tags_before: set[str] = set()


def _session_tags(client) -> set[str]:
    """Image tags named after a course session (``greeter-dl3f9a1c:latest``)."""
    from dockerlab.engine.session import session_of_tag

    return {tag for image in client.api.images() for tag in image.get("RepoTags") or [] if session_of_tag(tag)}


def _fingerprint(client) -> dict[str, tuple]:
    """What "intact" means for each bystander: the same object, in the same state, with the same labels."""
    api = client.api
    c = api.inspect_container(_bystanders["container"])
    i = api.inspect_image(_bystanders["image"])
    n = api.inspect_network(_bystanders["network"])
    v = api.inspect_volume(_bystanders["volume"])
    return {
        "container": (c["Id"], c["Name"], c["State"]["Status"], c["Config"].get("Labels"), sorted(c["NetworkSettings"]["Networks"])),
        # (other suites' bystander images are the same image, so only this tag's presence counts)
        "image": (i["Id"], _bystanders["image"] in (i.get("RepoTags") or [])),
        "network": (n["Id"], n["Name"], n.get("Labels"), sorted(n.get("Containers") or {})),
        "volume": (v["Name"], v.get("Labels"), v["Mountpoint"]),
    }


def pytest_sessionfinish(session, exitstatus):
    if not _bystanders:
        return
    try:
        problems = _check_bystanders()
    except Exception as exc:
        problems = [f"could not check the engine after the suite: {exc}"]
    if problems:
        print("\n".join(["", "SAFETY CHECK FAILED:", *problems]))
        session.exitstatus = 1
    else:
        print("\nsafety check: the learner's own container, network, volume and image are intact (same id, state, labels, "
              "attachments); no course resource is left, images named after a session included")


def _check_bystanders() -> list[str]:
    from dockerlab import engine
    from dockerlab.engine import session as sessions

    client = engine.client()
    problems = []
    for kind, getter in (("container", client.containers.get), ("network", client.networks.get),
                         ("volume", client.volumes.get), ("image", client.images.get)):
        try:
            getter(_bystanders[kind])
        except Exception as exc:  # any failure to find it is the finding
            problems.append(f"the learner's own {kind} {_bystanders[kind]} is gone: {exc}")
    if not problems and _fingerprints:
        now = _fingerprint(client)
        problems += [f"the learner's own {kind} was changed: {_fingerprints[kind]} -> {now[kind]}"
                     for kind in _fingerprints if now[kind] != _fingerprints[kind]]
    api = client.api
    found = [(c["Names"][0].lstrip("/"), c.get("Labels")) for c in api.containers(all=True)]
    found += [(n["Name"], n.get("Labels")) for n in api.networks()]
    found += [(v["Name"], v.get("Labels")) for v in api.volumes().get("Volumes") or []]
    for name, resource_labels in found:
        sid, _ = sessions.owner_of(resource_labels, name)
        if sid and (sid == sessions.current_id() or sessions.Session.is_dead(sid)):
            problems.append(f"course resource left after the suite: {name}")
    problems += [f"course image left after the suite: {tag}" for tag in sorted(_session_tags(client) - _session_tags_before)]
    # Tidy up the bystanders themselves (the suite is over; they were ours to make).
    for remove in (lambda: client.containers.get(_bystanders["container"]).remove(force=True),
                   lambda: client.networks.get(_bystanders["network"]).remove(),
                   lambda: client.volumes.get(_bystanders["volume"]).remove(force=True),
                   lambda: client.images.remove(_bystanders["image"], force=True)):
        try:
            remove()
        except Exception:
            pass
    return problems
