"""Notebook 03's claims about the engine, checked against the engine the tests run on.

The notebook says what the engine's image store changes for a first image: whether the same build from the
cache is the same image (classic store) or a new one each time, because BuildKit adds an attestation
(containerd store); how big ``docker images`` says an image is (the containerd store counts its layers
packed and unpacked); what the layers view shows for ``COPY app.py .`` and ``WORKDIR /app`` (35 B and 0 B,
or a few 4 kB blocks); what happens to the image a build moves a name away from (kept without a name, or
deleted at once; ``docker load`` keeps it on both); and what ``docker image prune`` with the session's label
then prints. Each test does the real thing and asserts what the notebook says for this engine's kind.
Every image carries a label only this test run gives, so no name elsewhere on the engine points to it, and
each is removed by the name or id the test itself made.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest

from dockerlab import labels
from dockerlab.services import layers
from dockerlab.services.build import build as view_build
from support import docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("03-first-image")]

APP_PY = 'print("Hello, World from Docker!")\n'
DOCKERFILE = 'FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n'


def image_id(ref: str) -> str | None:
    done = docker("image", "inspect", "--format", "{{.Id}}", ref, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


def app_folder(lesson, name: str = "my-python-app", label: bool = True) -> str:
    """The notebook's my-python-app folder; with ``label``, a LABEL only this test gives (so the image is ours alone)."""
    folder = lesson.path(name)
    folder.mkdir(exist_ok=True)
    (folder / "app.py").write_text(APP_PY)
    extra = f"LABEL test.claims03={uuid.uuid4().hex}\n" if label else ""
    (folder / "Dockerfile").write_text(DOCKERFILE + extra)
    return str(folder)


def test_the_same_build_from_the_cache_is_the_same_image_only_on_the_classic_store(made, lesson, kind):
    folder = app_folder(lesson)
    first, second = lesson.name("claims-same-a"), lesson.name("claims-same-b")
    made.images += [first, second]
    docker("build", "-q", "-t", first, folder)
    docker("build", "-q", "-t", second, folder)
    if kind.image_store == "classic":
        assert image_id(first) == image_id(second), "the classic store: the same build from the cache is the same image"
        return
    assert image_id(first) != image_id(second), "the containerd store: every build is an image of its own"
    # ... because of BuildKit's attestation: without it, the two builds are one image again
    plain_a, plain_b = lesson.name("claims-plain-a"), lesson.name("claims-plain-b")
    made.images += [plain_a, plain_b]
    docker("build", "-q", "--provenance=false", "-t", plain_a, folder)
    docker("build", "-q", "--provenance=false", "-t", plain_b, folder)
    assert image_id(plain_a) == image_id(plain_b)


def _bytes(human: str) -> float:
    """docker images' SIZE ("553MB", "2.03MB", "262kB") in bytes (powers of 1000, as the CLI prints them)."""
    number, unit = re.fullmatch(r"([\d.]+)\s*([kMG]?B)", human.strip()).groups()
    return float(number) * {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[unit]


def test_docker_images_size_counts_the_layers_as_stored_and_unpacked_on_the_containerd_store(made, lesson, kind):
    tag = lesson.name("claims-size")
    made.images.append(tag)
    docker("build", "-q", "-t", tag, app_folder(lesson))
    listed = _bytes(docker("images", "--format", "{{.Size}}", tag).stdout.splitlines()[0])
    content = sum(layer.size for layer in layers.image_layers(tag).layers)
    ratio = listed / content
    if kind.image_store == "containerd":
        # the layers unpacked plus as stored (compressed after a build or a pull, so less than as many again)
        assert 1.1 < ratio <= 2.05, f"the layers and more, up to twice: {listed:.0f} B listed, {content} B of layers"
    else:
        assert 0.95 < ratio < 1.05, f"the layers' total: {listed:.0f} B listed, {content} B of layers"


def test_the_layers_view_shows_the_files_or_the_disk_blocks(made, lesson, kind):
    tag = lesson.name("claims-layers")
    made.images.append(tag)
    docker("build", "-q", "-t", tag, app_folder(lesson))
    image = layers.image_layers(tag)
    if kind.product == "Podman":
        # Podman's builder (Buildah) writes the classic builder's history: COPY names the file by its hash, and the
        # layer's size is the layer as a tar file: the folder /app and the 35-byte file, each behind a 512-byte
        # header, then the archive's two closing blocks. WORKDIR /app makes no layer: the folder is in COPY's.
        # (newest first: this test's LABEL, then the notebook's CMD, COPY and WORKDIR)
        _, cmd, copy, workdir = image.layers[:4]
        assert cmd.instruction == 'CMD ["python", "app.py"]' and workdir.instruction == "WORKDIR /app", image
        assert re.fullmatch(r"COPY file:[0-9a-f]{12}… in \.", copy.instruction), image
        assert (copy.size, workdir.size) == (512 + 512 + 512 + 1024, 0) == (2560, 0), image
        assert not copy.empty and workdir.empty, image
        assert image.layer_count == layers.image_layers("python:3.13-slim").layer_count + 1, "one layer of its own: COPY's"
        return
    found = {layer.instruction: layer for layer in image.layers}
    copy, workdir = found["COPY app.py ."], found["WORKDIR /app"]
    if kind.image_store == "classic":
        assert (copy.size, workdir.size) == (len(APP_PY), 0) == (35, 0)
    else:
        for layer in (copy, workdir):
            assert layer.size % 4096 == 0 and 4096 <= layer.size <= 64 * 1024, f"a few 4 kB blocks: {layer}"


def test_the_image_a_build_moves_the_name_away_from(made, lesson, kind, course_session):
    """The notebook's "Build it" and "The image the name left": the build view labels its image, the
    ``!docker build`` line after it does not, and the name moves; then the tidy-up's prune."""
    folder = app_folder(lesson, label=False)  # as in the notebook: the session's label alone makes it ours
    tag = lesson.name("claims-moved")
    made.images.append(tag)
    mark = f"03-claims-{uuid.uuid4().hex[:8]}"  # the lesson label, this test's own: its prune touches nothing else
    first = view_build(folder, tag, lesson=mark).image_id
    made.images.append(first)
    session_label = '{{index .Config.Labels "%s"}}' % labels.IMAGE_SESSION
    assert docker("image", "inspect", "--format", session_label, first).stdout.strip() == course_session.id
    docker("build", "-t", tag, folder)  # the notebook's line (BuildKit's log is plain, not a terminal's, here)
    assert image_id(tag) != first, "without the labels the build is a different image, and the name moves to it"
    mine = ["--filter", f"label={labels.IMAGE_SESSION}={course_session.id}", "--filter", f"label={labels.IMAGE_LESSON}={mark}"]
    dangling = docker("images", "-q", "--no-trunc", "--filter", "dangling=true", *mine).stdout.split()
    names = docker("image", "inspect", "--format", "{{json .RepoTags}}", first, check=False).stdout.strip()
    if kind.product == "Podman":
        # Podman's builder keeps an image for each step of a build (listed by `docker images -a` only), with the
        # build's labels: the labelled build's own steps are left without a name beside the first image
        steps = docker("images", "-a", "-q", "--no-trunc", *mine).stdout.split()
        made.images += steps
        sizes = {ref: int(docker("image", "inspect", "--format", "{{.Size}}", ref).stdout) for ref in steps}
    pruned = docker("image", "prune", "--force", *mine).stdout
    if kind.product == "Podman":
        assert dangling == [first] and names == "[]", "Podman keeps the first image, without a name"
        lines = pruned.splitlines()
        deleted = [line.removeprefix("deleted: ") for line in lines[1:-2]]
        assert lines[0] == "Deleted Images:" and lines[-2] == "", pruned
        assert deleted[0] == first.removeprefix("sha256:") and len(deleted) == 3, pruned  # ids without sha256:
        assert {f"sha256:{d}" for d in deleted} <= set(steps), (pruned, steps)
        # the reclaimed space: the deleted images' sizes added up, the base image's layers in each (about 805MB),
        # though those layers stay for the images that share them
        total = sum(sizes[f"sha256:{d}"] for d in deleted)
        reclaimed = re.fullmatch(r"Total reclaimed space: (\S+)", lines[-1])
        assert reclaimed and abs(_bytes(reclaimed.group(1)) - total) <= 0.5e6 and total > 3 * 200e6, (pruned, total)
        assert image_id(first) is None
        return
    if kind.image_store == "classic":
        assert dangling == [first] and names == "[]", "the classic store keeps the first image, without a name"
        assert pruned == f"Deleted Images:\ndeleted: {first}\n\nTotal reclaimed space: 0B\n", \
            "prune deletes it; it shared all its layers with the image that took its name"
    else:
        assert dangling == [] and image_id(first) is None, "the containerd store deleted the first image at once"
        assert pruned == "Total reclaimed space: 0B\n", "nothing left to delete"
    assert image_id(first) is None


def test_docker_load_keeps_the_image_it_moves_a_name_away_from(made, lesson, tmp_path):
    """What the notebook says the containerd store does for a load (and the classic store does anyway)."""
    tag = lesson.name("claims-load")
    made.images.append(tag)
    docker("build", "-q", "-t", tag, app_folder(lesson, "load-a"))
    saved_id = image_id(tag)
    archive = tmp_path / "saved.tar"
    docker("save", "-o", str(archive), tag)
    docker("build", "-q", "-t", tag, app_folder(lesson, "load-b"))  # another LABEL: another image takes the name
    replaced = image_id(tag)
    made.images.append(replaced)
    assert replaced != saved_id
    docker("load", "-i", str(archive))
    assert image_id(tag) == saved_id, "the load moved the name back"
    assert docker("image", "inspect", "--format", "{{json .RepoTags}}", replaced).stdout.strip() == "[]", \
        "the image the load moved the name away from stays, without a name"


# -- the shell form: whether the shell stays as process 1 ------------------------------------------

WAITER = "import signal, time; signal.signal(signal.SIGTERM, lambda *_: exit(0)); time.sleep(300)"


def process_1(container_name, base: str, image: str, *command: str) -> str:
    """``/proc/1/comm`` of a container of ``image`` running ``command``, removed after."""
    name = container_name(base)
    docker("run", "-d", "--name", name, image, *command)
    try:
        time.sleep(1)
        return docker("exec", name, "cat", "/proc/1/comm").stdout.strip()
    finally:
        docker("rm", "-f", name)


@pytest.mark.parametrize("image, command, first", [
    ("python:3.13-slim", ["sh", "-c", f"python -c '{WAITER}'"], "sh"),  # dash stays, python its child
    ("python:3.13-slim", ["sh", "-c", "sleep 300"], "sh"),
    ("python:3.13-slim", ["bash", "-c", "sleep 300"], "sleep"),  # bash hands over a single command
    ("python:3.13-slim", ["sh", "-c", "exec sleep 300"], "sleep"),  # exec: every shell hands over
    ("python:3.13-slim", ["python", "-c", WAITER], "python"),  # the exec form
    ("busybox:1.37", ["sh", "-c", "sleep 300"], "sleep"),  # busybox's sh hands over a single command
    ("busybox:1.37", ["sh", "-c", "sleep 300; echo done"], "sh"),  # ... but stays when more follows
])
def test_whether_the_shell_stays_process_1_depends_on_the_shell(container_name, image, command, first):
    assert process_1(container_name, "claims-pid1", image, *command) == first


def test_docker_stop_waits_10_s_for_a_shell_that_stays_and_not_for_a_program_that_handles_sigterm(container_name, kind):
    """Exit codes say what happened: 137 (SIGKILL, after the grace period) behind the shell, 0 (SIGTERM handled) without
    it. No timing is asserted except the grace period's lower bound, which Docker guarantees: it kills no sooner."""
    stopped = {}
    for form, command in [("shell", ["sh", "-c", f"python -c '{WAITER}'"]), ("exec", ["python", "-c", WAITER])]:
        name = container_name(f"claims-stop-{form}")
        docker("run", "-d", "--name", name, "python:3.13-slim", *command)
        time.sleep(1)
        started = time.monotonic()
        docker("stop", name, timeout=60)
        stopped[form] = (time.monotonic() - started, docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip())
        docker("rm", "-f", name)
    codes = {form: code for form, (_, code) in stopped.items()}
    if kind.product == "Podman" and kind.release_line < (4, 7):  # StopTimeout 0 through Docker's API: SIGKILL at once
        assert codes == {"shell": "137", "exec": "137"}, stopped
    else:
        assert codes == {"shell": "137", "exec": "0"}, stopped
        assert stopped["shell"][0] >= 9.5, f"docker stop killed before its 10 s grace period: {stopped}"
