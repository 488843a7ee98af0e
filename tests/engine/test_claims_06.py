"""Notebook 06's claims about the engine, checked against the engine the tests run on.

Sections 3 and 4 of the notebook say what differs between the two image stores (the classic store of
engines up to 28, the containerd store of fresh Engine 29 and Docker Desktop installs): which line of
``docker info`` tells them apart, what ``docker images`` and ``docker image inspect`` count as an image's
size, what an image ID is a hash of, and whether an image built here has a digest. Each test does the real
thing and asserts what the notebook says for this engine's image store; every row of the engine matrix runs
them, so each store's branch is checked on an engine that has it.

Podman 4.3 (row p) keeps its images in a classic store of its own (containers/storage) and keeps a manifest
for each image, so an image built or loaded there has a digest that is not its ID; loaded images are named
``localhost/NAME``. The claims about BuildKit's log are skipped there, with the reason the notebook gives.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import subprocess
import tarfile

import pytest

from dockerlab import engine, labels
from support import ROOT, docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("06-images-in-depth")]

NOTEBOOK = ROOT / "notebooks" / "06-images-in-depth.ipynb"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MANIFESTS = (OCI_INDEX, "application/vnd.oci.image.manifest.v1+json",
             "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json")


@pytest.fixture
def build_small(lesson, build_image):
    """``build_small(name)``: a tiny image built here (FROM scratch, one file), tagged with the lesson's name for ``name``."""
    return lambda name: build_image(lesson.name(name), {"hello.txt": f"hello from {name}\n", "Dockerfile": "FROM scratch\nCOPY hello.txt /\n"})


def inspect(ref: str) -> dict:
    return engine.client().api.inspect_image(ref)


def listed(ref: str) -> list[dict]:
    """``GET /images/json`` for one reference, with the per-platform sizes where the engine has them (API 1.47+)."""
    api = engine.client().api
    params = {"filters": json.dumps({"reference": [ref]})}
    if tuple(int(p) for p in api.api_version.split(".")) >= (1, 47):
        params["manifests"] = "1"
    answer = api._get(api._url("/images/json"), params=params)
    answer.raise_for_status()
    return answer.json()


# -- docker info names the image store ----------------------------------------------------------


def test_docker_info_names_the_image_store_as_the_notebook_says(kind):
    info = docker("info").stdout
    lines = [line for line in info.splitlines() if re.search("Storage Driver|driver-type", line)]
    if kind.image_store == "containerd":
        assert lines == [" Storage Driver: overlayfs", "  driver-type: io.containerd.snapshotter.v1"], lines
    else:
        assert not any("driver-type" in line for line in lines), lines
        assert lines == [f" Storage Driver: {kind.storage_driver}"], lines
        if kind.storage_driver != "overlay2":
            pytest.skip("a classic store with another driver than the notebook's overlay2")


# -- sizes ---------------------------------------------------------------------------------------


def test_docker_images_size_counts_content_and_unpacked_only_on_containerd(kind):
    # The stand-in (or the official image) every row has; the notebook lists it in section 3.
    image = listed("python:3.13-slim")
    assert len(image) == 1, image
    list_size, inspect_size = image[0]["Size"], inspect("python:3.13-slim")["Size"]
    if kind.image_store == "classic":
        # one number: the layers unpacked; docker images and docker image inspect agree
        assert list_size == inspect_size
        return
    available = [m for m in image[0].get("Manifests") or [] if m.get("Available")]
    platform = [m for m in available if m.get("Kind") == "image"]
    assert platform, image
    content = sum(m["Size"]["Content"] for m in platform)
    unpacked = sum(m["ImageData"]["Size"]["Unpacked"] for m in platform)
    # SIZE adds, for every manifest the engine holds, its content and its unpacked files: the image's,
    # and a build's attestation (a few kB of provenance, content only) ...
    assert list_size == sum(m["Size"]["Total"] for m in available)
    assert all(m["Size"]["Total"] == m["Size"]["Content"] + m["ImageData"]["Size"]["Unpacked"] for m in platform)
    assert list_size - (content + unpacked) < 64 * 1024, "beside the image's own, only a few kB of attestations"
    # ... docker image inspect gives the content alone (CLI 29's CONTENT SIZE; a built image's index
    # manifest adds its few hundred bytes) ...
    assert content <= inspect_size < content + 64 * 1024
    # ... so docker images shows more than the unpacked files, up to about twice them (content as
    # stored is compressed after a build or a pull, not after docker load of a docker save)
    assert unpacked < list_size <= 2.05 * unpacked


def notebook_files(folder: str) -> dict[str, str]:
    """What the notebook writes with ``%%writefile {folder}/NAME``."""
    files = {}
    for cell in json.loads(NOTEBOOK.read_text())["cells"]:
        source = "".join(cell.get("source", ""))
        found = re.match(r"%%writefile \{" + re.escape(folder) + r"\}/(\S+)\n", source)
        if cell.get("cell_type") == "code" and found:
            files[found.group(1)] = source[found.end():]
    return files


def test_multi_stage_image_is_hundreds_of_times_smaller_by_either_count(lesson, made, tmp_path):
    # The notebook's own greet Dockerfiles; the first stage comes from the build cache after the notebook ran.
    greet = tmp_path / "greet"
    greet.mkdir()
    for name, text in notebook_files("greet").items():
        (greet / name).write_text(text)
    assert {"greet.c", "Dockerfile.fat", "Dockerfile.multi"} <= {p.name for p in greet.iterdir()}
    fat, small = lesson.name("greet-fat"), lesson.name("greet-small")
    made.images += [fat, small]
    docker("build", "-q", "-f", str(greet / "Dockerfile.fat"), "-t", fat, str(greet), timeout=600)
    docker("build", "-q", "-f", str(greet / "Dockerfile.multi"), "-t", small, str(greet), timeout=600)
    for count in ("docker images", "docker image inspect"):
        if count == "docker images":
            sizes = [listed(tag)[0]["Size"] for tag in (fat, small)]
        else:
            sizes = [inspect(tag)["Size"] for tag in (fat, small)]
        assert sizes[0] >= 100 * sizes[1], (count, sizes)
        assert sizes[1] < 10_000_000, (count, sizes)  # exercise 2's limit holds for the solution, too



def test_the_multi_stage_image_has_no_shell(lesson, made, tmp_path, container_name):
    # Notebook 04 says not every image has `sh`: this notebook's FROM scratch image holds its program only.
    greet = tmp_path / "greet"
    greet.mkdir()
    for name, text in notebook_files("greet").items():
        (greet / name).write_text(text)
    small = lesson.name("greet-nosh")
    made.images.append(small)
    docker("build", "-q", "-f", str(greet / "Dockerfile.multi"), "-t", small, str(greet), timeout=600)
    name = container_name("claims-nosh")
    docker("create", "--name", name, small, "sh")
    with tarfile.open(fileobj=io.BytesIO(subprocess.run(["docker", "export", name], capture_output=True, check=True).stdout)) as tar:
        files = {member.name for member in tar.getmembers() if not member.isdir()}
    assert "greet" in files and not any(f.endswith("/sh") or f == "sh" for f in files), files
    started = docker("start", name, check=False)
    assert started.returncode != 0
    assert 'exec: "sh": executable file not found in $PATH' in started.stderr, started.stderr


def test_a_dynamically_linked_program_does_not_start_from_scratch(lesson, made, tmp_path, container_name):
    # 06: FROM scratch suits statically linked programs only; a dynamic one misses its loader.
    (tmp_path / "Dockerfile").write_text('FROM scratch\nCOPY --from=debian:trixie-slim /usr/bin/true /true\nCMD ["/true"]\n')
    dynamic = lesson.name("dynamic")
    made.images.append(dynamic)
    docker("build", "-q", "-t", dynamic, str(tmp_path), timeout=600)
    name = container_name("claims-dynamic")
    docker("create", "--name", name, dynamic)
    started = docker("start", "-a", name, check=False)
    code = docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
    assert "exec /true: no such file or directory" in started.stdout + started.stderr, started
    assert started.returncode != 0 or code != "0", (started, code)

# -- image IDs and digests ----------------------------------------------------------------------


def test_a_tag_adds_a_name_and_copies_nothing(build_small, made):
    tag = build_small("ids")
    docker("tag", tag, f"{tag}:1.0")
    made.images.append(f"{tag}:1.0")
    ids = docker("inspect", "--format", "{{.Id}}", f"{tag}:latest", f"{tag}:1.0").stdout.split()
    assert len(ids) == 2 and ids[0] == ids[1]


def test_digests_of_an_image_built_here_follow_the_image_store(lesson, build_small, made, kind):
    tag = build_small("digests")
    other = lesson.name("digests-other")
    docker("tag", tag, f"{tag}:1.0")
    made.images.append(f"{tag}:1.0")
    image_id = inspect(tag)["Id"]
    rows = docker("images", "--digests", "--format", "{{.Tag}} {{.ID}} {{.Digest}}", tag).stdout.split("\n")
    rows = sorted(row.split() for row in rows if row)
    assert [row[:2] for row in rows] == [["1.0", image_id[7:19]], ["latest", image_id[7:19]]]
    if kind.product == "Podman":
        # a manifest of its own for an image built here: a digest under every name, another hash than the ID
        digests = {row[2] for row in rows}
        assert len(digests) == 1 and re.fullmatch(r"sha256:[0-9a-f]{64}", digest := digests.pop()), rows
        assert digest != image_id
        assert inspect(tag)["RepoDigests"] == [f"docker.io/library/{tag}@{digest}"]
        docker("tag", tag, other)
        made.images.append(other)
        assert sorted(inspect(tag)["RepoDigests"]) == sorted(f"docker.io/library/{name}@{digest}" for name in (tag, other))
    elif kind.image_store == "containerd":
        # a digest for an image built here: the image ID itself, under every name the image has
        assert [row[2] for row in rows] == [image_id, image_id]
        assert inspect(tag)["RepoDigests"] == [f"{tag}@{image_id}"]
        docker("tag", tag, other)
        made.images.append(other)
        assert sorted(inspect(tag)["RepoDigests"]) == sorted([f"{tag}@{image_id}", f"{other}@{image_id}"])
    else:
        # no manifest, no digest, until a registry gives one
        assert [row[2] for row in rows] == ["<none>", "<none>"]
        assert inspect(tag)["RepoDigests"] == []
        docker("tag", tag, other)
        made.images.append(other)
        assert inspect(other)["RepoDigests"] == []


def test_what_the_image_id_is_a_hash_of(build_small, tmp_path, kind):
    tag = build_small("saved")
    image_id = inspect(tag)["Id"]
    archive = tmp_path / "saved.tar"
    docker("save", "-o", str(archive), tag)
    with tarfile.open(archive) as tar:
        def read(name: str) -> bytes:
            return tar.extractfile(name).read()

        config_name = json.loads(read("manifest.json"))[0]["Config"]
        config_digest = "sha256:" + hashlib.sha256(read(config_name)).hexdigest()
        if kind.image_store == "classic":
            # the classic store: the ID is the hash of the image's configuration
            assert config_digest == image_id
            return
        # the containerd store: the ID is the hash of the image's manifest or index, not of its configuration
        assert config_digest != image_id
        index = json.loads(read("index.json"))
        top = index["manifests"][0]
        assert top["digest"] == image_id
        assert top["mediaType"] in MANIFESTS
        blob = read("blobs/sha256/" + image_id.split(":", 1)[1])
        assert "sha256:" + hashlib.sha256(blob).hexdigest() == image_id
        # BuildKit's build: an index, a list of manifests, one per platform, and by default one more,
        # BuildKit's record of the build (an attestation manifest for no platform)
        index = json.loads(blob)
        assert index["mediaType"] == OCI_INDEX
        kinds = [(m.get("annotations") or {}).get("vnd.docker.reference.type", m["platform"]["os"]) for m in index["manifests"]]
        assert kinds.count("linux") == 1 and set(kinds) <= {"linux", "attestation-manifest"}, kinds
        if not os.environ.get("BUILDX_NO_DEFAULT_ATTESTATIONS"):
            assert "attestation-manifest" in kinds, kinds


def test_the_base_image_digest_as_the_notebook_says(kind):
    base = inspect("python:3.13-slim")
    digests = base.get("RepoDigests") or []
    standin = (base["Config"].get("Labels") or {}).get(labels.STANDIN) == "true"
    if kind.product == "Podman":
        # loaded (docker load of the course's bundle) under localhost/, with a manifest Podman made: a digest
        assert len(digests) == 1 and re.fullmatch(r"localhost/python@sha256:[0-9a-f]{64}", digests[0]), digests
        assert not digests[0].endswith(base["Id"]), digests
    elif kind.image_store == "containerd":
        # every image has one, and it is the image ID, stand-in or pulled
        assert digests == [f"python@{base['Id']}"], digests
    elif standin:
        # built here (loaded): never went through a registry
        assert digests == [], digests
    else:
        # pulled on the classic store: a digest from the registry, another hash than the ID (the config's)
        assert digests and all(not d.endswith(base["Id"]) for d in digests), digests


def test_buildkit_names_the_base_image_by_digest_only_on_containerd(lesson, made, tmp_path, kind):
    # Section 1's note under the cache comparison: the FROM step of BuildKit's log
    if kind.lacks("buildkit"):
        pytest.skip(kind.lacks("buildkit"))
    context = tmp_path / "from"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM python:3.13-slim\nCMD [\"python\", \"--version\"]\n")
    tag = lesson.name("from-digest")
    made.images.append(tag)
    log = docker("buildx", "build", "--progress=plain", "-t", tag, str(context), timeout=600).stderr
    steps = [line.split("] ", 1)[1] for line in log.splitlines() if re.match(r"#\d+ \[1/1\] FROM ", line)]
    assert steps, log
    base_id = inspect("python:3.13-slim")["Id"]
    if kind.image_store == "containerd":
        assert set(steps) == {f"FROM docker.io/library/python:3.13-slim@{base_id}"}, steps
    else:
        assert set(steps) == {"FROM docker.io/library/python:3.13-slim"}, steps


# -- the docker images table --------------------------------------------------------------------


def client_version() -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", docker("version", "--format", "{{.Client.Version}}").stdout.strip())
    assert found
    return int(found.group(1)), int(found.group(2))


def test_docker_images_table_is_the_one_the_notebook_shows_for_this_cli(kind):
    lines = docker("images", "python:3.13-slim").stdout.splitlines()
    # (CLI 29 may print a legend line first: "Info ->  U In Use")
    header = next(line for line in lines if re.match(r"\s*(REPOSITORY|IMAGE)\s", line))
    columns = re.split(r"\s{2,}", header.strip())
    if client_version() < (29, 0):
        assert columns == ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"], header
    else:
        # CLI 29's default (docker/cli 29.0, "image/list: Show collapsed tree by default"; not run on this
        # project's machines, none has a CLI 29): the columns the notebook names
        assert columns[:5] == ["IMAGE", "ID", "DISK USAGE", "CONTENT SIZE", "EXTRA"], header
    # --format gives the same columns on every version
    # (Podman names a loaded image localhost/NAME; a short name still finds it)
    name = "localhost/python:3.13-slim" if kind.product == "Podman" else "python:3.13-slim"
    assert docker("images", "--format", "{{.Repository}}:{{.Tag}}", "python:3.13-slim").stdout.strip() == name
