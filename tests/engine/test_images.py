"""The image manifest and the offline kit, against the real engine."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from dockerlab import images, labels
from dockerlab.images.manifest import ImageSpec, load_manifest

ROOT = Path(__file__).resolve().parents[2]


def test_manifest_lists_each_image_once_with_a_reason_and_a_recipe():
    specs = load_manifest()
    names = [s.name for s in specs]
    assert len(names) == len(set(names))
    for spec in specs:
        assert ":" in spec.name and spec.why
        assert spec.standin == "rootfs" or spec.dockerfile.exists()


def test_manifest_names_only_notebooks_that_exist():
    existing = {p.stem for p in (ROOT / "notebooks").glob("*.ipynb")}
    named = {nb for spec in load_manifest() for nb in spec.notebooks}
    # Notebooks still to be written are allowed while the course grows, but not misspelt ones.
    assert all(n[:2].isdigit() and "-" in n for n in named)
    assert named & existing or not existing - {"00-welcome"}


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


def test_debian_base_from_mmdebstrap(docker_client):
    spec = ImageSpec("dockerlab-test-debian:trixie-kit", "test", (), "rootfs")
    try:
        images.ensure([spec], offline=True, report=lambda line: None)
        out = docker_client.containers.run(spec.name, ["cat", "/etc/os-release"], remove=True).decode()
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


def test_python_standin_answers_python_and_pip_installs_a_local_wheel(docker_client, tmp_path):
    wheels = _tiny_wheel(tmp_path / "wheels").parent
    script = (
        "python --version && pip install --no-index --find-links /wheels hello-dockerlab >/dev/null"
        " && python -c 'import hello_dockerlab as h; print(h.GREETING)'"
    )
    out = docker_client.containers.run(
        "python:3.13-slim", ["sh", "-c", script], volumes={str(wheels): {"bind": "/wheels", "mode": "ro"}}, remove=True
    ).decode()
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
