"""matrix/vm.py's pure parts: the QEMU and mmdebstrap command lines, the guest's marks and output,
pip pins, leftover folders. (Booting the VM is `python -m matrix run e`; nothing here starts one.)"""

from __future__ import annotations

from pathlib import Path

from matrix import vm
from matrix.rows import ROWS


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def test_qemu_command_emulates_and_throws_writes_away(tmp_path):
    image = vm.Image(tmp_path / "disk-x")
    command = vm.qemu_command(image, tmp_path / "share", tmp_path / "console.log")
    assert command[0] == "qemu-system-x86_64"
    assert _option(command, "-accel") == "tcg,thread=multi"  # /dev/kvm here is PVM: no stock kernel boots on it
    assert _option(command, "-cpu") == "max"
    assert (_option(command, "-m"), _option(command, "-smp")) == ("4096", "2")
    assert _option(command, "-kernel") == str(image.kernel) and _option(command, "-initrd") == str(image.initrd)
    assert "-snapshot" in command  # the cached disk is never written by a run
    assert _option(command, "-drive").startswith(f"file={image.disk},format=raw,if=virtio")
    assert _option(command, "-virtfs") == f"local,path={tmp_path / 'share'},mount_tag=dockerlab,security_model=none"
    assert _option(command, "-serial") == f"file:{tmp_path / 'console.log'}"
    assert "-no-reboot" in command and _option(command, "-append") == vm.kernel_cmdline()


def test_qemu_command_doubles_commas_in_paths(tmp_path):
    odd = tmp_path / "a,b"
    command = vm.qemu_command(vm.Image(odd), odd, tmp_path / "console.log")
    assert _option(command, "-drive").startswith(f"file={tmp_path}/a,,b/disk.img,")
    assert f"path={tmp_path}/a,,b," in _option(command, "-virtfs")


def test_kernel_cmdline_keeps_the_desktop_defaults():
    words = vm.kernel_cmdline().split()
    assert "root=/dev/vda" in words and "console=ttyS0" in words and "panic=-1" in words
    assert "clocksource=tsc" in words and "tsc=reliable" in words
    # the row is about the default cgroup setup of systemd: nothing may force a hierarchy
    assert not [w for w in words if "cgroup" in w]


def test_guest_command_is_the_rows_pytest_command_with_the_guests_python():
    command = vm.guest_command(ROWS["e"], ["-x"])
    assert command[0] == "/srv/dockerlab/.venv/bin/python"
    assert command[1:4] == ["-m", "pytest", "notebooks/01-architecture.ipynb"]
    assert "--junitxml=/mnt/host/out/junit.xml" in command and command[-1] == "-x"
    assert "tests/test_notebooks_solution_mode.py::test_solution_mode[11-security]" in command
    assert not [part for part in command if str(vm.ROOT) in part]  # no host path inside the VM


def test_mmdebstrap_command_names_the_suite_and_its_updates():
    command = vm.mmdebstrap_command("http://mirror.example/debian", Path("/tmp/x.tar"))
    assert command[:2] == ["mmdebstrap", "--quiet"]
    assert "--include=" + ",".join(vm.PACKAGES) in command
    assert command[-3:] == ["deb http://mirror.example/debian bookworm main", "deb http://mirror.example/debian bookworm-updates main",
                            "deb http://mirror.example/debian-security bookworm-security main"]
    assert {"docker.io", "apparmor", "systemd", "linux-image-amd64", "dbus"} <= set(vm.PACKAGES)


def test_parse_marks_keeps_the_first_of_each_and_skips_junk():
    assert vm.parse_marks("started 50.6\ndocker 57.1\n\nbad line here\ndocker 99\nfacts x\n") == {"started": 50.6, "docker": 57.1}


def test_phase_seconds_from_host_times():
    seen = {"started": 40.0, "docker": 45.0, "project": 47.5, "facts": 55.0, "done": 655.0}
    assert vm.phase_seconds(seen, 670.0) == {"boot": 45.0, "project": 2.5, "facts": 7.5, "tests": 600.0, "shutdown": 15.0}


def test_phase_seconds_of_a_run_cut_short():
    assert vm.phase_seconds({"docker": 45.0}, 50.0) == {"boot": 45.0}
    assert vm.phase_seconds({}, 5.0) == {}


def test_follower_gives_lines_as_they_come(tmp_path):
    log = tmp_path / "pytest.log"
    follower = vm.Follower(log)
    assert follower.lines() == []  # not written yet
    log.write_bytes(b"first\nsec")
    assert follower.lines() == ["first"]
    with open(log, "ab") as out:
        out.write(b"ond\r\n")
    assert follower.lines() == ["second"]


def test_follower_shows_an_unfinished_line_once(tmp_path):
    log = tmp_path / "pytest.log"
    follower = vm.Follower(log)
    log.write_bytes(b"....F")
    assert follower.lines() == []
    assert follower.lines(partial=True) == ["....F"]
    assert follower.lines(partial=True) == []  # nothing new
    with open(log, "ab") as out:
        out.write(b"..  [ 60%]\n\nnext")
    assert follower.lines() == ["..  [ 60%]", ""]  # the rest of the line; a blank line stays
    with open(log, "ab") as out:
        out.write(b"\n")
    assert follower.lines(partial=True) == ["next"]


def test_follower_drops_nothing_when_the_shown_part_is_all_there_was(tmp_path):
    log = tmp_path / "pytest.log"
    follower = vm.Follower(log)
    log.write_bytes(b"...")
    assert follower.lines(partial=True) == ["..."]
    with open(log, "ab") as out:
        out.write(b"\nmore\n")
    assert follower.lines() == ["more"]  # no empty line for the end of the shown part


def test_pins_from_freeze_keeps_only_name_version_lines():
    freeze = "pytest==9.2.0\n-e git+https://x/y#egg=z\ndockerlab @ file:///work/main\n# comment\nAnyio==4.16.0\n\nnbval==0.11.0\n"
    assert vm.pins_from_freeze(freeze) == "Anyio==4.16.0\nnbval==0.11.0\npytest==9.2.0\n"


def test_key_of_is_stable_and_order_free():
    assert vm.key_of({"a": 1, "b": [1, 2]}) == vm.key_of({"b": [1, 2], "a": 1})
    assert vm.key_of({"a": 1}) != vm.key_of({"a": 2})
    assert len(vm.key_of({})) == 16


def test_stale_pid_reads_the_owner_from_names():
    assert vm.stale_pid("dockerlab-vm-run-1234-ab_cd9") == 1234
    assert vm.stale_pid("dockerlab-vm-image-77-x") == 77
    assert vm.stale_pid("rootfs-0123abcd.partial-4321") == 4321
    assert vm.stale_pid("disk-0123abcd") is None
    assert vm.stale_pid("dockerlab-vm-run-abc-x") is None


def test_overdue_says_why_a_vm_must_stop(monkeypatch):
    monkeypatch.setattr(vm, "BOOT_TIMEOUT", 100.0)
    monkeypatch.setattr(vm, "RUN_TIMEOUT", 1000.0)
    assert vm._overdue({}, 50.0) is None
    assert "did not answer within 100 s" in vm._overdue({}, 101.0)
    assert vm._overdue({"docker": 60.0}, 500.0) is None  # booted: only the run's own limit counts now
    assert "longer than 1000 s" in vm._overdue({"docker": 60.0}, 1001.0)
