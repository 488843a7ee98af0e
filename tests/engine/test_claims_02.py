"""What notebook 02 says about the engine, checked on the engine this test runs against.

The claims that depend on the engine (the socket's owner and group, root in a container writing
root's files, the storage driver of each image store, the security options of cgroup v1 and v2,
the plugins) are done here for real and asserted for this engine's kind, so every row of the matrix
checks its own branch. One more check reads the notebook itself: no install advice in it gives
Compose v1.

Podman 4.3 (row p), as the notebook says and as measured there: its storage driver is `overlay` (the same kernel
overlay file system under containers/storage's name), and its socket belongs to root and root's group, with nothing
for others: the `docker` group opens nothing there.
"""

from __future__ import annotations

import grp
import json
import os
import re
import stat

import nbformat
import pytest

from support import ROOT, docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("02-setup")]

NOTEBOOK = ROOT / "notebooks" / "02-setup.ipynb"


def security_options() -> list[str]:
    return json.loads(docker("info", "--format", "{{json .SecurityOptions}}").stdout)


def test_the_socket_belongs_to_root_and_the_docker_group(kind):
    """With Docker Engine on Linux the socket (the current context's) is root's and the docker group's, rw for both.

    Podman's (rootful) is root's and root's group's, nothing for others: the docker group gives no way in.
    """
    if kind.product == "Docker Desktop" or kind.location not in ("local", "hidden"):
        pytest.skip("Docker Desktop's socket is the user's; a remote engine's is not here")
    endpoint = json.loads(docker("context", "inspect").stdout)[0]["Endpoints"]["docker"]["Host"]
    info = os.stat(endpoint.removeprefix("unix://"))
    assert stat.S_ISSOCK(info.st_mode)
    assert info.st_uid == 0
    if kind.product == "Podman":
        assert info.st_gid == 0 and not stat.S_IMODE(info.st_mode) & 0o007, oct(info.st_mode)
        return
    try:
        docker_gid = grp.getgrnam("docker").gr_gid
    except KeyError:
        pytest.skip("this machine has no docker group: the engine gives the socket to root's group")
    assert info.st_gid == docker_gid
    assert stat.S_IMODE(info.st_mode) == 0o660


def test_root_in_a_container_writes_roots_files(container_name, tmp_path):
    """No user namespace: uid 0 inside writes files owned by uid 0 on the host; --user writes as that user."""
    if any("rootless" in o or "userns" in o for o in security_options()):
        pytest.skip("rootless or userns-remap: container root is not host root, by design")
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    name = container_name("claims02-root")
    out = docker("run", "--rm", "--name", name, "-v", f"{shared}:/shared", "busybox:1.37", "sh", "-c",
                 "id -u; touch /shared/by-root").stdout.split()
    assert out == ["0"]
    docker("run", "--rm", "--name", name, "--user", "1000:1000", "-v", f"{shared}:/shared", "busybox:1.37",
           "touch", "/shared/by-1000")
    assert (os.stat(shared / "by-root").st_uid, os.stat(shared / "by-root").st_gid) == (0, 0)
    assert (os.stat(shared / "by-1000").st_uid, os.stat(shared / "by-1000").st_gid) == (1000, 1000)


def test_storage_driver_of_each_image_store(kind, container_name):
    """overlay2 with the classic image store, overlayfs (containerd's snapshotter) with the containerd store; Podman's
    overlay, a container's files on the kernel's overlay file system as with overlay2."""
    driver = docker("info", "--format", "{{.Driver}}").stdout.strip()
    if kind.product == "Podman":
        assert (kind.image_store, driver) == ("classic", "overlay"), (kind, driver)
        if kind.location == "local":  # the container's / as the kernel lists it
            name = container_name("claims02-overlay")
            docker("run", "-d", "--name", name, "busybox:1.37", "sleep", "60")
            pid = docker("inspect", "--format", "{{.State.Pid}}", name).stdout.strip()
            with open(f"/proc/{pid}/mountinfo") as mounts:
                root = next(line.split(" - ")[1].split()[0] for line in mounts if line.split()[4] == "/")
            assert root == "overlay", root
        return
    assert driver == ("overlayfs" if kind.image_store == "containerd" else "overlay2"), (kind, driver)


def test_security_options(kind):
    """seccomp everywhere here; cgroupns listed on cgroup v2 (private cgroup namespaces), not on v1; no rootless or userns."""
    options = security_options()
    assert any(o.startswith("name=seccomp") for o in options), options
    assert ("name=cgroupns" in options) == (kind.cgroup_version == 2), (kind, options)
    assert not any("rootless" in o or "userns" in o for o in options), options


def test_the_plugins_the_course_needs(docker_client):
    """docker buildx and docker compose answer; compose is v2 or later (v5 is the same command, renumbered)."""
    buildx, compose = docker("buildx", "version", check=False), docker("compose", "version", "--short", check=False)
    if buildx.returncode or compose.returncode:
        pytest.skip("a plugin is missing on this machine: the notebook's check and the doctor say so, with the fix")
    short = compose.stdout.strip()
    major = int(re.match(r"v?(\d+)\.", short).group(1))
    assert major == 2 or major >= 5, short


def test_no_advice_installs_compose_v1():
    """Debian 12's docker-compose package is Compose v1 (1.29): the notebook may name it only to warn."""
    text = "\n".join(c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "markdown")
    assert "docker-compose-plugin" in text
    for paragraph in re.split(r"\n(?=\* )|\n\n", text):
        if "`docker-compose`" in paragraph and "Debian" in paragraph:
            # Debian's docker-compose package is advised only for trixie (13) and later, where it is Compose v2.
            assert "trixie" in paragraph or "Not on Debian 12" in paragraph, paragraph
            if "Debian 12" in paragraph or "bookworm" in paragraph:
                assert "Compose v1" in paragraph, paragraph
    assert not re.search(r"apt(?:-get)? install[^`\n]*\bdocker-compose\b(?!-)", text)
