"""An engine in a QEMU virtual machine: cgroup v2, systemd as PID 1 (row e).

A learner's Linux desktop has systemd as PID 1 and the unified cgroup tree, with the notebook's
kernel and the engine on one kernel. This machine's kernel mounts cgroup v1 and runs no systemd,
so row e runs the notebooks and tests inside a VM: Debian 12 with systemd, Debian's docker.io (the
engine ``make test`` uses here, so only the kernel, init and cgroup tree differ from row a) and the
machine's own ``docker`` CLI and plugins (else Debian trixie's buildx and Compose).

/dev/kvm here is a PVM hypervisor that a stock kernel does not boot under, so QEMU emulates the
CPU (TCG): everything inside runs 10-30 times slower than on the host. Hence the work is split:

1. The VM image, built on the host and cached under /var/cache/dockerlab-engines/vm/ in two
   layers, each kept until what went into it changes (:func:`ensure_image`):
   a. ``rootfs-KEY.tar``: ``mmdebstrap`` of Debian 12 with the kernel, systemd, docker.io, apparmor
      (runc calls apparmor_parser), dbus (the engine's systemd cgroup driver), python3
      (key: suite and packages);
   b. ``disk-KEY/``: that tree prepared under chroot at the host's speed (vm_guest/prepare.sh: the
      project's .venv with ``pip install -e '.[test]'`` pinned to the machine's .venv, the job unit),
      the machine's docker CLI and plugins, the course images loaded by a Debian 12 engine on the
      host straight into its /var/lib/docker; then ``mkfs.ext4 -d`` makes the disk image from the
      folder, no loop device (key: + pyproject.toml, the pins, vm_guest/, the CLI, the images' ids).
2. Each run boots a throwaway copy of that disk (``-snapshot``) and shares a folder over 9p holding
   the working tree (``repo.tar``) and ``job.json``; the guest's runner (vm_guest/runner.py) runs
   pytest there and writes its output, JUnit file and exit code back into the folder while the host
   prints them, prefixed with ``[e]``. The VM powers itself off; the host kills it on a timeout.

Nothing stays behind: QEMU dies with the thread that started it (``setpriv --pdeathsig``), with a
Ctrl-C (it is in the terminal's process group), on a timeout, and when the main thread is gone;
chroot mounts live in a private mount namespace that ends with the chroot; work folders and the
image-loading engine are removed, and those of an earlier run that was killed are swept at the next.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import debian
from .rows import Row
from .run import RESULTS, ROOT, Result, give_images, pytest_command

#: Bump when the way an image is built changes, so cached images made the old way are not used.
FORMAT = 1
CACHE = debian.CACHE / "vm"
GUEST_FILES = Path(__file__).with_name("vm_guest")
SUITE = "bookworm"
PACKAGES = (
    "linux-image-amd64", "systemd", "systemd-sysv", "udev", "dbus",  # dbus: the engine's systemd cgroup driver
    "docker.io", "apparmor", "python3", "python3-venv", "ca-certificates", "procps", "iproute2", "kmod",
)
#: Left out of the root filesystem: documentation and translations nobody reads in the VM.
DPKG_EXCLUDES = ("/usr/share/doc/*", "/usr/share/man/*", "/usr/share/info/*", "/usr/share/locale/*")
DISK_SIZE = "8G"
MEMORY_MB = 4096
CPUS = 2
TAG = "dockerlab"  # the 9p share's mount tag (vm_guest/runner.py mounts it at /mnt/host)
SHARE = "/mnt/host"
PROJECT = "/srv/dockerlab"
GUEST_PYTHON = f"{PROJECT}/.venv/bin/python"
QEMU = "qemu-system-x86_64"
#: Where a run's shared folder and QEMU's -snapshot overlay go (several GiB may be written).
WORK = Path(os.environ.get("DOCKERLAB_VM_WORK", "/var/tmp"))
#: Seconds: the boot until the engine answers, and the whole run (tests included).
BOOT_TIMEOUT = float(os.environ.get("DOCKERLAB_VM_BOOT_TIMEOUT", "600"))
RUN_TIMEOUT = float(os.environ.get("DOCKERLAB_VM_TIMEOUT", "3000"))
#: Where the machine's docker CLI looks for plugins (docs.docker.com/engine/extend/cli_plugins).
PLUGIN_DIRS = ("/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
               "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")
PLUGINS = ("docker-buildx", "docker-compose")


class VMFailed(RuntimeError):
    """The VM image could not be made, or the VM did not run its job; the message says what to do."""


@dataclass(frozen=True)
class Image:
    """A bootable VM image: the disk, and the kernel and initrd from its /boot."""

    folder: Path

    @property
    def disk(self) -> Path:
        return self.folder / "disk.img"

    @property
    def kernel(self) -> Path:
        return self.folder / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.folder / "initrd.img"

    def inputs(self) -> dict:
        return json.loads((self.folder / "inputs.json").read_text())


# -- the row ---------------------------------------------------------------------------------------


def run_row(row: Row, junit: Path, extra: list[str], result: Result, say: Callable[[str], None] = print, suite: bool = False) -> int:
    """Row e start to end: the VM image (cached), one boot running the row's pytest command inside
    (``suite``: the whole of ``make test``, as run.pytest_command has it; hours under emulation).

    Returns pytest's exit code (as seen in the guest). Fills ``result.engine`` with what the engine
    in the VM says of itself and ``result.seconds`` with each part's time.
    """
    log = RESULTS / f"{row.key}.log"  # as run.stream keeps the other rows' output

    def tell(line: str) -> None:
        with open(log, "a") as out:
            out.write(line + "\n")
        say(f"[{row.key}] {line}")

    with _sigterm_as_exit():
        _sweep_stale_work()
        ensure_tools(tell)
        started = time.monotonic()
        image = ensure_image(row, say, result.seconds, tell)
        result.seconds["vm image"] = round(time.monotonic() - started, 1)
        with _work_folder("run") as work:
            (work / "out").mkdir()
            write_repo_tar(work / "repo.tar")
            command = guest_command(row, extra, suite)
            # Emulated, a web server held to 0.25 CPUs (notebook 11's hardened one) takes longer than the
            # checks' 3 s to answer: the VM's checks wait 30 s (DOCKERLAB_HTTP_TIMEOUT).
            env = {"PYTHONUNBUFFERED": "1", "DOCKERLAB_HTTP_TIMEOUT": "30"}
            (work / "job.json").write_text(json.dumps({"command": command, "env": env}))
            tell(f"booting the VM ({image.folder.name}); inside: {' '.join(command)}")
            try:
                run = boot(image, work, tell)
            finally:
                _keep_logs(work, RESULTS / f"{row.key}-vm")
            if run.error:
                tell(f"ERROR: {run.error}")
            result.seconds.update(run.seconds)
            facts = work / "out" / "facts.json"
            result.engine = json.loads(facts.read_text() or "{}") if facts.exists() else {}
            if (work / "out" / "junit.xml").exists():
                shutil.copyfile(work / "out" / "junit.xml", junit)
        return run.code


def guest_command(row: Row, extra: list[str], suite: bool = False) -> list[str]:
    """run.py's pytest command for the row, with the guest's python and the JUnit file on the share."""
    return pytest_command(row, Path(f"{SHARE}/out/junit.xml"), list(extra), python=GUEST_PYTHON, suite=suite)


# -- tools on the host -----------------------------------------------------------------------------


def ensure_tools(tell) -> None:
    """QEMU, mmdebstrap and mkfs.ext4; installed with apt when missing (CI starts from a clean machine)."""
    wanted = {QEMU: "qemu-system-x86", "mmdebstrap": "mmdebstrap", "mkfs.ext4": "e2fsprogs"}
    missing = [package for program, package in wanted.items() if not shutil.which(program)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        programs = ", ".join(p for p, pkg in wanted.items() if pkg in missing)
        raise VMFailed(f"{programs} not installed and this user cannot install it: apt-get install {' '.join(missing)}")
    tell(f"installing {' '.join(missing)} with apt-get (the VM needs them)")
    install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        done = subprocess.run(install, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise VMFailed(f"apt-get could not install {' '.join(missing)}: {done.stderr.strip()[-500:]}\n"
                           f"Install it by hand (apt-get install {' '.join(missing)}), then run this again.")
    for package in missing:
        version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", package], capture_output=True, text=True).stdout
        tell(f"installed {package} {version}")


# -- the image: two cached layers -----------------------------------------------------------------


def ensure_image(row: Row, say, seconds: dict | None = None, tell=None) -> Image:
    """The bootable VM image for the current inputs: from the cache, else built.

    ``seconds`` gets the time of each part built in this call; ``say`` takes lines with the row's
    prefix, ``tell`` (default: ``say`` with the prefix added) this function's own lines.
    """
    tell = tell or (lambda line: say(f"[{row.key}] {line}"))
    seconds = {} if seconds is None else seconds
    inputs = image_inputs()
    image = Image(CACHE / f"disk-{key_of(inputs)}")
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs at once: one builds, the other waits and uses it
        if image.disk.exists():
            tell(f"VM image cached: {image.folder}")
            return image
        build_image(image, inputs, row, say, tell, seconds)
    _drop_others(CACHE, "disk-", image.folder.name)
    return image


def build_image(image: Image, inputs: dict, row: Row, say, tell, seconds: dict) -> None:
    """Root filesystem, prepared under chroot, course images, disk image; each part timed."""
    tar = ensure_rootfs(tell, seconds)
    with _work_folder("image", CACHE) as work:
        root = work / "root"
        root.mkdir()
        mark = time.monotonic()
        tell("unpacking the root filesystem")
        subprocess.run(["tar", "-xpf", str(tar), "--numeric-owner", "--xattrs", "--xattrs-include=*", "-C", str(root)], check=True)
        tell("preparing it under chroot: the project's .venv (pip install -e '.[test]'), the docker CLI, the job unit")
        prepare_root(root, tell)
        seconds["vm image: venv"] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()
        tell(f"loading the course images into the VM's /var/lib/docker: {', '.join(sorted(inputs['images']))}")
        load_images(root, row, say)
        seconds["vm image: images"] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()
        staged = Image(work / "image")
        staged.folder.mkdir()
        _take_boot_files(root, staged)
        tell(f"making the disk image (mkfs.ext4 -d, {DISK_SIZE})")
        make_disk(root, staged.disk)
        (staged.folder / "inputs.json").write_text(json.dumps(inputs, indent=1, sort_keys=True))
        staged.folder.rename(image.folder)
        seconds["vm image: disk"] = round(time.monotonic() - mark, 1)


def image_inputs() -> dict:
    """Everything the disk image is made of: a change in any of these builds it again."""
    return {
        **rootfs_inputs(),
        "pyproject": _sha(ROOT / "pyproject.toml"),
        "pins": _sha_text(host_pins()),
        "guest": {p.name: _sha(p) for p in sorted(GUEST_FILES.iterdir()) if p.is_file()},
        "cli": {str(target): _sha(source) for source, target in cli_files().items()},
        "ca": {p.name: _sha(p) for p in sorted(Path("/usr/local/share/ca-certificates").glob("*.crt"))},
        "images": course_images(),
    }


def rootfs_inputs() -> dict:
    return {"format": FORMAT, "suite": SUITE, "packages": sorted(PACKAGES), "excludes": list(DPKG_EXCLUDES)}


def key_of(inputs: dict) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def ensure_rootfs(tell, seconds: dict) -> Path:
    """Debian 12 with the kernel, systemd, the engine and python3, as a tar (mmdebstrap)."""
    tar = CACHE / f"rootfs-{key_of(rootfs_inputs())}.tar"
    if tar.exists():
        return tar
    tell(f"making the VM's root filesystem with mmdebstrap (Debian {SUITE}: {', '.join(PACKAGES)}); about 2 minutes")
    mark = time.monotonic()
    partial = tar.with_suffix(f".partial-{os.getpid()}")
    try:
        subprocess.run(mmdebstrap_command(debian.mirror(), partial), check=True, capture_output=True, text=True, timeout=1800)
    except BaseException as failed:
        partial.unlink(missing_ok=True)
        if isinstance(failed, subprocess.CalledProcessError):
            raise VMFailed(f"mmdebstrap failed: {failed.stderr.strip()[-1500:]}\nCheck that {debian.mirror()} answers, then run again.") from None
        raise
    partial.rename(tar)
    _drop_others(CACHE, "rootfs-", tar.name)
    seconds["vm image: root filesystem"] = round(time.monotonic() - mark, 1)
    return tar


def mmdebstrap_command(mirror: str, target: Path) -> list[str]:
    sources = [f"deb {mirror} {SUITE} main", f"deb {mirror} {SUITE}-updates main",
               f"deb {mirror.removesuffix('/debian')}/debian-security {SUITE}-security main"]
    excludes = [f"--dpkgopt=path-exclude={pattern}" for pattern in DPKG_EXCLUDES]
    return ["mmdebstrap", "--quiet", "--variant=apt", "--format=tar", f"--include={','.join(PACKAGES)}",
            *excludes, "--aptopt=Acquire::Retries \"3\"", SUITE, str(target), *sources]


def load_images(root: Path, row: Row, say) -> None:
    """The course images, into the VM's /var/lib/docker before it first boots.

    ``docker load`` in the emulated VM takes minutes (132 s measured); here a separate engine
    of Debian 12's docker.io, the VM's own version (row b's, :mod:`matrix.dockerd`), loads the
    rows' shared course-image bundle (run.give_images: ``docker save`` of the default engine, read
    only) at the host's speed, and its data folder becomes the VM's /var/lib/docker.
    """
    from .dockerd import Engine
    from .rows import BOOKWORM_ENGINE

    suite, packages = BOOKWORM_ENGINE
    engine = Engine(f"vm-image-{os.getpid()}", [debian.unpacked(suite, packages, say)])
    with engine.running():
        give_images(row, engine, say)
        engine.stop()
        target = root / "var/lib/docker"
        target.mkdir(mode=0o710, exist_ok=True)
        for entry in engine.data.iterdir():
            entry.rename(target / entry.name)


def prepare_root(root: Path, tell) -> None:
    """Copy in what the guest needs, then run vm_guest/prepare.sh in it under chroot."""
    project = root / PROJECT.lstrip("/")
    project.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    # notebooks/ too: pyproject ships it as the package dockerlab.course, so the editable install needs it.
    for folder in ("dockerlab", "notebooks"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    (root / "tmp/constraints.txt").write_text(host_pins())
    shutil.copy2(GUEST_FILES / "prepare.sh", root / "tmp/prepare.sh")
    for ca in Path("/usr/local/share/ca-certificates").glob("*.crt"):
        shutil.copy2(ca, root / "usr/local/share/ca-certificates" / ca.name)
    _install(GUEST_FILES / "runner.py", root / "usr/local/lib/dockerlab-matrix/runner.py", 0o755)
    _install(GUEST_FILES / "dockerlab-matrix.service", root / "etc/systemd/system/dockerlab-matrix.service")
    _install(GUEST_FILES / "20-wired.network", root / "etc/systemd/network/20-wired.network")
    for source, target in cli_files().items():
        _install(source, root / str(target).lstrip("/"), 0o755)
    (root / "etc/hostname").write_text("dockerlab-vm\n")
    (root / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.1.1 dockerlab-vm\n::1 localhost ip6-localhost ip6-loopback\n")
    installed = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]  # as scripts/setup.sh marks it
    for line in chroot_run(root, ["/bin/sh", "/tmp/prepare.sh"], {"INSTALLED": installed, **_pip_env()}).splitlines():
        tell(line)
    for leftover in ("tmp/prepare.sh", "tmp/constraints.txt"):
        (root / leftover).unlink()
    shutil.rmtree(root / "root/.cache", ignore_errors=True)
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    (root / "etc/resolv.conf").write_text("nameserver 10.0.2.3\n")  # QEMU's user-mode network's resolver


def chroot_run(root: Path, command: list[str], env: dict[str, str]) -> str:
    """Run ``command`` in ``root`` under chroot, with /proc, /dev and the host's resolv.conf; its stdout.

    The mounts are made in a private mount namespace of their own: they end with it, whatever
    happens (a failure, a kill), and the host's mount table never sees them.
    """
    resolv = root / "etc/resolv.conf"
    if resolv.is_symlink() or not resolv.exists():
        resolv.unlink(missing_ok=True)
        resolv.write_text("")
    script = ('set -e; r="$1"; shift; mount -t proc proc "$r/proc"; mount --rbind /dev "$r/dev"; '
              'mount --bind /etc/resolv.conf "$r/etc/resolv.conf"; exec chroot "$r" "$@"')
    clean = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8", **env}
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", str(root), *command],
                          env=clean, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise VMFailed(f"preparing the VM's root filesystem failed ({' '.join(command)}):\n{(done.stdout + done.stderr).strip()[-2500:]}\n"
                       "If pip could not reach PyPI, check this machine's network (or set PIP_INDEX_URL to a mirror), then run again.")
    return done.stdout


def _pip_env() -> dict[str, str]:
    """pip's settings for the chroot: the system CA bundle (with the host's extra CAs), and the
    host's index if it is a URL (a file:// index of the host does not exist in the chroot)."""
    env = {"PIP_CERT": "/etc/ssl/certs/ca-certificates.crt", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "PIP_DEFAULT_TIMEOUT": os.environ.get("PIP_DEFAULT_TIMEOUT", "120")}
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        value = " ".join(u for u in os.environ.get(name, "").split() if u.startswith(("http://", "https://")))
        if value:
            env[name] = value
    return env


def host_pins() -> str:
    """The versions in the machine's .venv, as pip constraints: row e tests the same packages as row a.

    Empty when there is no .venv (then pip picks, as scripts/setup.sh would on a fresh machine).
    """
    python = ROOT / ".venv" / "bin" / "python"
    if not python.exists():
        return ""
    done = subprocess.run([str(python), "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, timeout=120)
    return pins_from_freeze(done.stdout)


def pins_from_freeze(text: str) -> str:
    """Only ``name==version`` lines: direct URLs and local paths mean nothing in the chroot."""
    lines = [line.strip() for line in text.splitlines()]
    return "".join(f"{line}\n" for line in sorted(lines, key=str.lower) if "==" in line and " " not in line and not line.startswith(("-", "#")))


def cli_files() -> dict[Path, Path]:
    """The machine's docker CLI and its buildx/Compose plugins (source -> path in the guest).

    The guest gets the same CLI as ``make test`` uses here, at the same path (Debian's docker.io
    brings its own /usr/bin/docker, 20.10, which the machine's CLI, if newer, shadows as on the
    host). Plugins the machine lacks come from Debian trixie, as scripts/ensure-engine.sh does it.
    """
    files: dict[Path, Path] = {}
    docker = shutil.which("docker")
    if docker and Path(docker).resolve() != Path("/usr/bin/docker"):
        files[Path(docker).resolve()] = Path(docker)
    for plugin in PLUGINS:
        found = next((Path(d) / plugin for d in PLUGIN_DIRS if (Path(d) / plugin).is_file()), None)
        if found is None:
            unpacked = debian.unpacked("trixie", ["docker-buildx", "docker-compose"])
            found = unpacked / "usr/libexec/docker/cli-plugins" / plugin
        files[found.resolve()] = found if str(found).startswith(PLUGIN_DIRS) else Path(PLUGIN_DIRS[-1]) / plugin
    return files


def _install(source: Path, target: Path, mode: int = 0o644) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    target.chmod(mode)


def _take_boot_files(root: Path, image: Image) -> None:
    """QEMU boots the kernel and initrd directly (-kernel/-initrd): no boot loader in the disk."""
    kernels = sorted((root / "boot").glob("vmlinuz-*"))
    initrds = sorted((root / "boot").glob("initrd.img-*"))
    if not kernels or not initrds:
        raise VMFailed(f"the root filesystem has no kernel or initrd in /boot ({root}); delete {CACHE} and run again")
    shutil.copyfile(kernels[-1], image.kernel)
    shutil.copyfile(initrds[-1], image.initrd)


def make_disk(root: Path, disk: Path) -> None:
    """An ext4 disk image filled from the folder (mkfs.ext4 -d): no loop device, no mount."""
    subprocess.run(["truncate", "-s", DISK_SIZE, str(disk)], check=True)
    # Inode tables and journal initialised now, on the host: else the guest's ext4lazyinit writes
    # them in the background during the tests, emulated.
    done = subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "dockerlab-vm", "-E", "lazy_itable_init=0,lazy_journal_init=0",
                           "-d", str(root), str(disk)], capture_output=True, text=True, timeout=1200)
    if done.returncode != 0:
        raise VMFailed(f"mkfs.ext4 -d could not make the disk image: {done.stderr.strip()[-1000:]}")


def course_images() -> dict[str, str]:
    """Every image in dockerlab/services/images/manifest.yaml and its id on the machine's default engine."""
    manifest = yaml.safe_load((ROOT / "dockerlab/services/images/manifest.yaml").read_text())
    names = [entry["name"] for entry in manifest["images"]]
    done = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", *names], capture_output=True, text=True, timeout=120)
    ids = done.stdout.split()
    if done.returncode != 0 or len(ids) != len(names):
        raise VMFailed("the VM gets its course images from this machine's default engine, and not all are there "
                       f"({done.stderr.strip()[-300:]}).\nMake them: .venv/bin/python -m dockerlab images ensure (make test does), then run again.")
    return dict(zip(names, ids))


def _drop_others(folder: Path, prefix: str, keep: str) -> None:
    """Only the newest of each layer is kept: several GiB each."""
    for old in folder.glob(f"{prefix}*"):
        if old.name != keep and ".partial" not in old.name:
            shutil.rmtree(old) if old.is_dir() else old.unlink()


# -- the working tree ------------------------------------------------------------------------------


def write_repo_tar(target: Path) -> int:
    """The working tree as git sees it, uncommitted and untracked files included (not ignored ones)."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    names = sorted({n for n in listed.decode().split("\0") if n})
    count = 0
    with tarfile.open(target, "w") as tar:
        for name in names:
            path = ROOT / name
            if path.exists() or path.is_symlink():  # listed but deleted in the working tree: not there
                tar.add(path, arcname=name, recursive=False)
                count += 1
    return count


# -- booting ---------------------------------------------------------------------------------------


def kernel_cmdline() -> str:
    """The guest kernel's command line.

    * ``panic=-1`` with QEMU's ``-no-reboot``: a kernel panic ends QEMU at once, not a hung run.
    * ``tsc=reliable clocksource=tsc``: the kernel would find the emulated TSCs "unsynchronized" and
      fall back to the HPET, whose every read is an emulated device access; with the TSC, reading
      the clock stays in the vDSO (Python, dockerd and containerd read it all the time).
    * ``mitigations=off``: an emulated CPU does not speculate; retpolines and RSB filling only cost.
    None of this changes what the row is about: systemd, cgroup v2 and the engine are as on a desktop.
    """
    return "root=/dev/vda rw console=ttyS0 panic=-1 tsc=reliable clocksource=tsc mitigations=off"


def qemu_command(image: Image, share: Path, console: Path, memory_mb: int = MEMORY_MB, cpus: int = CPUS) -> list[str]:
    """The QEMU command line: software emulation (TCG), a throwaway copy of the disk (-snapshot:
    writes go to a temporary file, the cached image stays as it is), a 9p share, user-mode network."""
    return [
        QEMU, "-accel", "tcg,thread=multi", "-cpu", "max", "-m", str(memory_mb), "-smp", str(cpus),
        "-kernel", str(image.kernel), "-initrd", str(image.initrd), "-append", kernel_cmdline(),
        "-drive", f"file={_qemu_path(image.disk)},format=raw,if=virtio,cache=unsafe,discard=unmap",
        "-snapshot",
        "-virtfs", f"local,path={_qemu_path(share)},mount_tag={TAG},security_model=none",
        "-nic", "user,model=virtio-net-pci", "-device", "virtio-rng-pci",
        "-display", "none", "-vga", "none", "-monitor", "none", "-serial", f"file:{console}", "-no-reboot",
    ]


def _qemu_path(path: Path) -> str:
    return str(path).replace(",", ",,")  # a comma in a QEMU option value is written twice


@dataclass
class Run:
    """How a boot ended: the job's exit code (1 if it never wrote one), each part's seconds, and
    what went wrong if the VM did not finish its job (a timeout, a crash)."""

    code: int
    seconds: dict = field(default_factory=dict)
    error: str | None = None


def parse_marks(text: str) -> dict[str, float]:
    """out/marks: ``NAME SECONDS-SINCE-BOOT`` lines -> {name: seconds} (the first of a name wins)."""
    marks: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            with contextlib.suppress(ValueError):
                marks.setdefault(parts[0], float(parts[1]))
    return marks


#: The guest's marks in the order it writes them, and the part of the run each one ends.
PHASES = [("docker", "boot"), ("project", "project"), ("facts", "facts"), ("done", "tests")]
#: Seconds between prints of an unfinished line of the guest's output.
PARTIAL_EVERY = 60


def phase_seconds(seen: dict[str, float], exited: float) -> dict[str, float]:
    """Each part's time, from when the host saw each mark (seconds since QEMU started) and when QEMU exited.

    Host time, not the guest's uptime: "boot" then includes QEMU's own start, and every part is
    what CI waits for.
    """
    seconds, previous = {}, 0.0
    for mark, part in PHASES:
        if mark not in seen:
            break
        seconds[part] = round(seen[mark] - previous, 1)
        previous = seen[mark]
    if "done" in seen:
        seconds["shutdown"] = round(max(exited - seen["done"], 0.0), 1)
    return seconds


class Follower:
    """What another process (the guest, over 9p) has appended to a file since the last look.

    Complete lines as they come; with ``partial``, also the unfinished last line so far (pytest -q
    writes a line of dots over minutes), its rest coming with a later call.
    """

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        self.rest = b""  # the unfinished last line
        self.shown = 0  # how much of it has been returned already

    def lines(self, partial: bool = False) -> list[str]:
        try:
            with open(self.path, "rb") as source:
                source.seek(self.offset)
                chunk = source.read()
        except FileNotFoundError:
            chunk = b""
        self.offset += len(chunk)
        *complete, self.rest = (self.rest + chunk).split(b"\n")
        found = []
        if complete:
            first = complete[0][self.shown:]
            found = ([first] if first or not self.shown else []) + complete[1:]
            self.shown = 0
        if partial and len(self.rest) > self.shown:
            found.append(self.rest[self.shown:])
            self.shown = len(self.rest)
        return [line.decode(errors="replace").rstrip("\r") for line in found]


def boot(image: Image, share: Path, say, follow: tuple[str, ...] = ("runner.log", "pytest.log")) -> Run:
    """Boot a throwaway copy of the image (-snapshot) with ``share`` as its 9p folder; wait until
    the VM powers itself off. The guest's files in ``share/out`` named by ``follow`` are printed
    as they grow.

    A VM whose engine does not answer within BOOT_TIMEOUT, or that runs longer than RUN_TIMEOUT,
    is killed; that, and a VM that stops without its job's exit code, is in ``Run.error``.
    """
    out = share / "out"
    console = share / "console.log"
    followers = [Follower(out / name) for name in follow]
    env = {**os.environ, "TMPDIR": str(share)}  # -snapshot's overlay goes with the work folder
    seen: dict[str, float] = {}
    error = None
    started = last_partial = time.monotonic()
    with open(share / "qemu.log", "wb") as qemu_log:
        # Not a session of its own: a Ctrl-C in the terminal reaches QEMU too and ends it at once.
        process = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", "--", *qemu_command(image, share, console)],
                                   stdin=subprocess.DEVNULL, stdout=qemu_log, stderr=subprocess.STDOUT, env=env)
    try:
        while process.poll() is None and error is None:
            partial = time.monotonic() - last_partial > PARTIAL_EVERY
            last_partial = time.monotonic() if partial else last_partial
            for follower in followers:
                for line in follower.lines(partial):
                    say(line)
            elapsed = time.monotonic() - started
            for name in parse_marks(_read(out / "marks")):
                seen.setdefault(name, elapsed)
            error = _overdue(seen, elapsed)
            time.sleep(0.5)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    exited = time.monotonic() - started
    for follower in followers:
        for line in follower.lines(partial=True):
            say(line)
    for name in parse_marks(_read(out / "marks")):
        seen.setdefault(name, exited)
    code_file = out / "exit-code"
    if error is None and not code_file.exists():
        error = (f"the VM stopped (QEMU exit status {process.returncode}) before its job wrote an exit code; "
                 f"QEMU said: {_read(share / 'qemu.log').strip()[-500:] or 'nothing'}")
    if error:
        error += f"\nthe VM's console ends:\n{_tail(console)}"
    code = int(code_file.read_text().strip() or 1) if code_file.exists() else 1
    return Run(code, phase_seconds(seen, exited), error)


def _overdue(seen: dict[str, float], elapsed: float) -> str | None:
    """Why the VM must be stopped now, if it must."""
    if "docker" not in seen and elapsed > BOOT_TIMEOUT:
        return f"the VM's engine did not answer within {BOOT_TIMEOUT:.0f} s of boot (DOCKERLAB_VM_BOOT_TIMEOUT); it was stopped"
    if elapsed > RUN_TIMEOUT:
        return f"the VM ran longer than {RUN_TIMEOUT:.0f} s (DOCKERLAB_VM_TIMEOUT) and was stopped"
    if not threading.main_thread().is_alive():  # rows run in worker threads: the program is ending
        return "the program is ending (interrupted): the VM was stopped"
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return ""


def _tail(path: Path, lines: int = 25) -> str:
    return "\n".join(_read(path).splitlines()[-lines:])


def _keep_logs(work: Path, target: Path) -> None:
    """The guest's logs next to the row's results (build/matrix/e-vm/), for reading after CI."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for source in [*(work / "out" / name for name in ("pytest.log", "runner.log", "journal.txt", "facts.json", "marks", "junit.xml")),
                   work / "console.log", work / "qemu.log"]:
        if source.exists():
            shutil.copyfile(source, target / source.name)


# -- leaving nothing behind ------------------------------------------------------------------------


@contextlib.contextmanager
def _work_folder(purpose: str, parent: Path = WORK) -> Iterator[Path]:
    """A folder removed afterwards; it names this process, so a later run can sweep it if we were killed."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"dockerlab-vm-{purpose}-{os.getpid()}-", dir=parent))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _sweep_stale_work() -> None:
    """What runs whose process is gone (killed before it could tidy) left: work folders, partial
    files, and the image-loading engines (their namespace, host rules and data)."""
    from . import netns
    from .dockerd import Engine

    for parent in (WORK, CACHE):
        for leftover in [*parent.glob("dockerlab-vm-*-*-*"), *parent.glob("*.partial-*")]:
            pid = stale_pid(leftover.name)
            if pid and not Path(f"/proc/{pid}").exists():
                shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink(missing_ok=True)
    for folder in netns.RUN.glob("vm-image-*") if netns.RUN.exists() else []:
        pid = folder.name.removeprefix("vm-image-")
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            Engine(folder.name, []).remove()


def stale_pid(name: str) -> int | None:
    """The process id in a work folder's or partial file's name (dockerlab-vm-run-1234-xyz, x.partial-1234)."""
    if ".partial-" in name:
        tail = name.rsplit(".partial-", 1)[1]
        return int(tail) if tail.isdigit() else None
    parts = name.split("-")
    return int(parts[3]) if name.startswith("dockerlab-vm-") and len(parts) > 4 and parts[3].isdigit() else None


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """SIGTERM (CI cancelling the job) unwinds like Ctrl-C, so QEMU is killed and folders removed."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers
        return
    previous = signal.getsignal(signal.SIGTERM)

    def stop(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _sha_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def main(argv: list[str] | None = None) -> int:
    """``python -m matrix.vm build``: make (or find) the VM image only, and say how long it took."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] != ["build"]:
        print("usage: python -m matrix.vm build")
        return 2
    from .rows import ROWS

    seconds: dict = {}
    ensure_tools(print)
    image = ensure_image(ROWS["e"], print, seconds)
    print(f"{image.folder} {seconds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
