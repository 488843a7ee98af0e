"""The kind of engine, from the answers real engines gave (/version and /info, trimmed).

The Debian 20.10 and Engine 28.5 answers were read off this machine's matrix rows a and c; the
Docker Desktop and Podman ones keep the fields those engines are documented to send (Desktop's
OperatingSystem and Platform name, Podman's "Podman Engine" component, seen with Podman 4.3 here).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import date

import pytest

from dockerlab.engine import kind as enginekind

KERNEL = platform.release()
DEBIAN_20_10 = (
    {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "MinAPIVersion": "1.12", "Os": "linux",
     "Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1"}, {"Name": "containerd", "Version": "1.6.20~ds1"}]},
    {"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "KernelVersion": KERNEL, "Driver": "overlay2",
     "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"]], "CgroupVersion": "1", "CgroupDriver": "cgroupfs"},
)
ENGINE_28_5 = (
    {"Version": "28.5.2+dfsg4", "ApiVersion": "1.51", "MinAPIVersion": "1.24", "Os": "linux",
     "Components": [{"Name": "Engine", "Version": "28.5.2+dfsg4"}, {"Name": "containerd", "Version": "2.1.9+unknown"}]},
    {"OperatingSystem": "Debian GNU/Linux 12 (bookworm)", "KernelVersion": KERNEL, "Driver": "overlayfs",
     "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]], "CgroupVersion": "2", "CgroupDriver": "systemd"},
)
DESKTOP = (
    {"Version": "29.1.3", "ApiVersion": "1.52", "MinAPIVersion": "1.44", "Os": "linux",
     "Platform": {"Name": "Docker Desktop 4.55.0 (213807)"}, "Components": [{"Name": "Engine", "Version": "29.1.3"}]},
    {"OperatingSystem": "Docker Desktop", "KernelVersion": "6.12.54-linuxkit", "Driver": "overlayfs",
     "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]], "CgroupVersion": "2", "CgroupDriver": "cgroupfs"},
)
PODMAN = (
    {"Version": "4.3.1", "ApiVersion": "1.41", "MinAPIVersion": "1.24", "Os": "linux",
     "Components": [{"Name": "Podman Engine", "Version": "4.3.1"}, {"Name": "Conmon", "Version": "conmon version 2.1.6"}]},
    {"OperatingSystem": "debian", "KernelVersion": KERNEL, "Driver": "overlay", "CgroupVersion": "1", "CgroupDriver": "cgroupfs"},
)


def test_debian_engine_is_classic_local_and_past_its_end_of_life():
    kind = enginekind.describe(*DEBIAN_20_10, "unix:///var/run/docker.sock", own_pids=False)
    assert (kind.product, kind.image_store, kind.cgroup_version, kind.location) == ("Docker Engine", "classic", 1, "local")
    assert kind.release_line == (20, 10) and not kind.private_time_namespace
    assert kind.support.maintained is False and "2023-12-10" in kind.support.detail


def test_current_engine_with_the_containerd_store():
    kind = enginekind.describe(*ENGINE_28_5, "unix:///run/docker.sock")
    assert (kind.image_store, kind.storage_driver, kind.cgroup_version, kind.cgroup_driver) == ("containerd", "overlayfs", 2, "systemd")
    assert kind.support.maintained is True
    assert "containerd image store" in kind.summary()


def test_docker_desktop_is_in_a_vm_and_has_the_newer_api_floor():
    kind = enginekind.describe(*DESKTOP, "unix:///Users/ada/.docker/run/docker.sock")
    assert (kind.product, kind.location, kind.min_api) == ("Docker Desktop", "vm", "1.44")
    assert not kind.private_time_namespace  # 29.1: before 29.5


def test_podman_is_named_by_its_component():
    kind = enginekind.describe(*PODMAN, "unix:///run/podman/podman.sock")
    assert (kind.product, kind.version, kind.image_store) == ("Podman", "4.3.1", "classic")
    assert not kind.private_time_namespace


@pytest.mark.parametrize("address, os_name, kernel, where", [
    ("tcp://192.0.2.10:2376", "Ubuntu 24.04", KERNEL, "remote"),
    ("ssh://ada@build-box", "Ubuntu 24.04", KERNEL, "remote"),
    ("tcp://127.0.0.1:2375", "Debian GNU/Linux 12 (bookworm)", "6.1.0-28-amd64", "vm"),  # a VM's forwarded port
    ("unix:///var/run/docker.sock", "Debian GNU/Linux 12 (bookworm)", KERNEL, "local"),
    ("unix:///home/ada/.docker/desktop/docker.sock", "Docker Desktop", KERNEL, "vm"),
])
def test_location(address, os_name, kernel, where):
    assert enginekind.location(address, os_name, kernel) == where


def test_a_notebook_in_a_pid_namespace_of_its_own_cannot_see_a_local_engines_processes():
    assert enginekind.location("unix:///var/run/docker.sock", "Debian", KERNEL, own_pids=True) == "hidden"
    assert enginekind.location("unix:///var/run/docker.sock", "Docker Desktop", "6.12.54-linuxkit", own_pids=True) == "vm"


@pytest.mark.skipif(os.geteuid() != 0, reason="unshare --pid needs root")
def test_a_pid_namespace_of_its_own_is_seen():
    """A child in a new PID namespace (as a notebook in a container) knows it is in one."""
    ask = [sys.executable, "-c", "from dockerlab.engine import kind; print(kind.own_pid_namespace())"]
    child = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", *ask], capture_output=True, text=True, timeout=60)
    assert child.stdout.strip() == "True", child.stderr


@pytest.mark.parametrize("version, maintained, words", [
    ("19.03.15", False, "long past"),
    ("20.10.24+dfsg1", False, "2023-12-10"),
    ("26.1.5", False, "2025-02-17"),
    ("27.5.1", False, "2025-05-03"),
    ("25.0.14", True, "no end of life announced"),
    ("28.5.2+dfsg4", True, "no end of life announced"),
    ("29.7.2", True, "maintained"),
    ("31.0.0", None, "newer than"),
    ("nightly", None, "course can read"),
])
def test_support(version, maintained, words):
    found = enginekind.support("Docker Engine", version, today=date(2026, 12, 5))
    assert found.maintained is maintained and words in found.detail


def test_an_end_of_life_still_ahead_is_not_one_yet():
    found = enginekind.support("Docker Engine", "27.5.1", today=date(2025, 1, 1))
    assert found.maintained is True and "until 2025-05-03" in found.detail


def test_time_namespace_from_29_5():
    version, info = DESKTOP
    for number, private in (("29.4.1", False), ("29.5.0", True), ("30.0.0", True)):
        assert enginekind.describe({**version, "Version": number}, info, "unix:///x").private_time_namespace is private


def test_what_podman_lacks_is_said_in_plain_words_and_docker_lacks_none_of_it():
    podman = enginekind.describe(*PODMAN, "unix:///run/podman/podman.sock")
    docker = enginekind.describe(*ENGINE_28_5, "unix:///run/docker.sock")
    for feature in enginekind.FEATURES:
        assert docker.lacks(feature) is None
        assert "Podman" in podman.lacks(feature)
    assert "BuildKit" in podman.lacks("buildkit") and "systemd" in podman.lacks("healthcheck")
    with_systemd = enginekind.describe(PODMAN[0], {**PODMAN[1], "CgroupDriver": "systemd"}, "unix:///run/podman/podman.sock")
    assert with_systemd.lacks("healthcheck") is None and with_systemd.lacks("buildkit") is not None


def test_a_feature_the_course_does_not_know_is_refused_not_skipped():
    with pytest.raises(ValueError, match="unknown engine feature 'buildkitt'"):
        enginekind.describe(*PODMAN, "unix:///run/podman/podman.sock").lacks("buildkitt")
