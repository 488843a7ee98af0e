"""The image manifest and the offline kit, against the real engine."""

from __future__ import annotations

import contextlib
import re
import subprocess
import zipfile
from pathlib import Path

import docker
import pytest

from dockerlab.services import images
from dockerlab import labels
from dockerlab.services.images.manifest import ImageSpec, load_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_lists_each_image_once_with_a_reason_and_a_recipe():
    specs = load_manifest()
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    for spec in specs:
        assert ":" in spec.name and spec.why
        assert spec.standin == "rootfs" or spec.dockerfile.exists()


def test_manifest_names_only_notebooks_that_exist():
    # (Which notebooks really use each image: tests/unit/test_manifest.py reads their cells.)
    existing = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    for spec in load_manifest():
        assert spec.notebooks, f"{spec.name} names no notebook: the lessons' stand-in notices would never mention it"
        assert set(spec.notebooks) <= existing, f"{spec.name} names notebooks that do not exist"


def test_each_standin_is_built_from_images_listed_before_it():
    """ensure() goes down the manifest in order: a stand-in's FROM image must already be made."""
    earlier: set[str] = set()
    for spec in load_manifest():
        if spec.dockerfile is not None:
            text = spec.dockerfile.read_text()
            stages = set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", text, re.MULTILINE | re.IGNORECASE))
            bases = set(re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE | re.IGNORECASE)) - stages - {"scratch"}
            assert bases and bases <= earlier, f"{spec.standin} builds FROM {bases}; made before it: {earlier}"
        earlier.add(spec.name)


def test_every_course_image_is_present(docker_client):
    states = images.status()
    assert [s.spec.name for s in states if s.state == "missing"] == []


def test_standin_build_is_labelled_and_says_why(docker_client):
    spec = ImageSpec("dockerlab-test-busybox:kit", "test", (), "busybox.Dockerfile")
    try:
        final = images.ensure([spec], offline=True, report=lambda line: None)
        assert final[0].state == "standin"
        image = docker_client.images.get(spec.name)
        assert image.labels[labels.STANDIN] == "true"
        assert image.labels[labels.STANDIN_REASON] == "DOCKERLAB_OFFLINE=1"
        # a second run finds it and builds nothing
        lines = []
        images.ensure([spec], offline=True, report=lines.append)
        assert lines[0].endswith("present (stand-in)")
    finally:
        docker_client.images.remove(spec.name, force=True)


def test_images_built_from_a_standin_inherit_no_session_label(docker_client, tmp_path):
    """A learner's own image FROM a stand-in must not look like a course session's: a sweep of that
    session would take it for the course's leftover. Stand-ins from older kits had the label; ensure
    rebuilds them without."""
    from dockerlab.services import build

    spec = ImageSpec("dockerlab-test-busybox:labels", "test", (), "busybox.Dockerfile")
    learner = tmp_path / "mine"
    learner.mkdir()
    (learner / "Dockerfile").write_text(f"FROM {spec.name}\nRUN echo mine > /mine.txt\n")
    try:
        # a stand-in as older kits built it: with the building session's labels
        build.build(images.manifest.STANDINS, spec.name, dockerfile=spec.dockerfile,
                    extra_labels={labels.STANDIN: "true", f"{labels.STANDIN}.for": spec.name})
        assert labels.IMAGE_SESSION in docker_client.images.get(spec.name).labels
        lines = []
        images.ensure([spec], offline=True, report=lines.append)
        assert any("rebuilding the stand-in without the session label" in line for line in lines), lines
        assert labels.IMAGE_SESSION not in docker_client.images.get(spec.name).labels
        done = subprocess.run(["docker", "build", "-q", "-t", "dockerlab-test-learners-own:1", str(learner)],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        own = docker_client.images.get("dockerlab-test-learners-own:1").labels
        assert labels.IMAGE_SESSION not in own and labels.STANDIN in own  # inherited, but no session
        assert images.status([spec])[0].stale is False
    finally:
        for tag in ("dockerlab-test-learners-own:1", spec.name):
            with contextlib.suppress(docker.errors.ImageNotFound):
                docker_client.images.remove(tag, force=True)


def test_debian_base_from_mmdebstrap(docker_client, run_once):
    spec = ImageSpec("dockerlab-test-debian:trixie-kit", "test", (), "rootfs")
    try:
        images.ensure([spec], offline=True, report=lambda line: None)
        out = run_once(spec.name, ["cat", "/etc/os-release"])
        assert 'VERSION_CODENAME=trixie' in out
        assert docker_client.images.get(spec.name).labels[labels.STANDIN] == "true"
    finally:
        docker_client.images.remove(spec.name, force=True)


def _tiny_wheel(folder: Path) -> Path:
    """A minimal pure-Python wheel (a zip with the three metadata files), built without any tools."""
    folder.mkdir()
    wheel = folder / "hello_dockerlab-1.0-py3-none-any.whl"
    info = "hello_dockerlab-1.0.dist-info"
    files = {
        "hello_dockerlab/__init__.py": "GREETING = 'hi from a wheel'\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: hello-dockerlab\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: dockerlab-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            archive.writestr(name, text)
    return wheel


def test_python_standin_answers_python_and_pip_installs_a_local_wheel(run_once, tmp_path):
    wheels = _tiny_wheel(tmp_path / "wheels").parent
    script = (
        "python --version && pip install --no-index --find-links /wheels hello-dockerlab >/dev/null"
        " && python -c 'import hello_dockerlab as h; print(h.GREETING)'"
    )
    out = run_once("python:3.13-slim", ["sh", "-c", script], volumes={str(wheels): {"bind": "/wheels", "mode": "ro"}})
    assert out.startswith("Python 3.13")
    assert "hi from a wheel" in out


def test_save_and_load_round_trip(docker_client, tmp_path):
    bundle = tmp_path / "bundle.tar"
    images.save(bundle, names=["busybox:1.37", "hello-world:latest"], report=lambda line: None)
    assert bundle.stat().st_size > 1_000_000
    assert sorted(images.load(bundle, report=lambda line: None)) == ["busybox:1.37", "hello-world:latest"]


def test_load_of_a_missing_file_says_what_to_do(tmp_path):
    from dockerlab import errors

    with pytest.raises(errors.DockerlabError) as raised:
        images.load(tmp_path / "nope.tar")
    assert "dockerlab images save" in raised.value.fix


def test_a_failed_pull_falls_back_to_a_labelled_standin(course_session, docker_client, monkeypatch, run_once):
    """The default path (offline=None): pull first; when that fails, build the stand-in and say why.

    The image's name is the test's own, so no course image is touched; no registry has it (or none
    answers, as here), so the real pull fails.
    """
    monkeypatch.delenv("DOCKERLAB_OFFLINE", raising=False)
    spec = ImageSpec(f"dockerlab-test/hello-{course_session.id}:1", "test", (), "hello-world.Dockerfile")
    lines = []
    try:
        final = images.ensure([spec], offline=None, report=lines.append)
        prefix = f"[1/1] {spec.name}: "
        said = [line.removeprefix(prefix) for line in lines if line.startswith(prefix)]
        cannot = next(i for i, line in enumerate(said) if line.startswith("cannot pull ("))
        assert said[cannot].endswith("); building local stand-ins from here on")
        assert said[cannot + 1] == "building stand-in (hello-world.Dockerfile)", said
        assert said[-1].startswith("stand-in ready in "), said
        assert final[0].state == "standin"
        image = docker_client.images.get(spec.name)
        failure = image.labels[labels.STANDIN_REASON].removeprefix("no registry answered: ")
        assert failure in {"RegistryUnreachable", "ImageMissing", "PullRateLimited"}, image.labels
        assert image.labels[labels.STANDIN] == "true" and image.labels[f"{labels.STANDIN}.for"] == spec.name
        assert final[0].reason == image.labels[labels.STANDIN_REASON]
        out = run_once(spec.name)
        assert "Hello from Docker!" in out
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            docker_client.images.remove(spec.name)


def test_a_debian_base_that_takes_too_long_is_stopped_with_a_typed_error(course_session, docker_client,
                                                                         monkeypatch, tmp_path):
    """mmdebstrap with a 3 s budget: stopped, its temporary root removed, no image left, the error says why."""
    from dockerlab.services.images import rootfs

    monkeypatch.setattr(rootfs, "BOOTSTRAP_TIMEOUT", 3)
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # where mmdebstrap makes its temporary root
    spec = ImageSpec(f"dockerlab-test/debian-{course_session.id}:trixie-slim", "test", (), "rootfs")
    with pytest.raises(rootfs.StandinTimeout) as raised:
        images.ensure([spec], offline=True, report=lambda line: None)
    assert "took longer than 3 s and was stopped (mmdebstrap stopped and removed its temporary root)" in raised.value.message
    assert "DOCKERLAB_BOOTSTRAP_TIMEOUT" in raised.value.fix
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(spec.name)
