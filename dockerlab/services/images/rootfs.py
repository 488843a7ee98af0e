"""The offline Debian base: a ``mmdebstrap`` root filesystem streamed into ``docker import``.

Every other stand-in is built FROM this image, so it is the one made without any registry: only
a Debian mirror (over plain HTTP) and the engine are needed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from dockerlab.engine import dockercli
from dockerlab import config, errors

Report = Callable[[str], None]

# What Debian's official container images put in /etc/apt/apt.conf.d/docker-clean: apt keeps no
# package cache and no downloaded .deb files, so an `apt-get install` layer holds only what it installed.
APT_CLEAN = """\
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""

#: Seconds the Debian base may take (mmdebstrap + docker import; about 25 s here). A silent mirror stops it.
BOOTSTRAP_TIMEOUT = config.BOOTSTRAP_TIMEOUT.number()
#: Seconds mmdebstrap may take to clean up after SIGTERM (it waits for its current step) before it is killed.
BOOTSTRAP_GRACE = 60.0

ROOTFS_CHANGES = [
    'CMD ["bash"]',
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
]


class StandinTimeout(errors.DockerlabError):
    title = "Building an offline stand-in took too long"

    def __init__(self, image: str, command: str, seconds: float, aftermath: str):
        super().__init__(
            f"Building the stand-in for {image} ({command}) took longer than {seconds:g} s and was stopped "
            f"({aftermath}). The Debian mirror it downloads from probably stopped answering.",
            "Check that the mirror answers (DOCKERLAB_DEBIAN_MIRROR picks another; DOCKERLAB_BOOTSTRAP_TIMEOUT "
            "allows longer), or bring the images from a networked machine with `dockerlab images save` / `load`.",
        )


def debian_mirror() -> str:
    """The Debian mirror to bootstrap from: $DOCKERLAB_DEBIAN_MIRROR, this machine's apt mirror, or deb.debian.org."""
    if config.DEBIAN_MIRROR.is_set():
        return config.DEBIAN_MIRROR.text()
    for source in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = source.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if re.match(r"\s*(URIs:|deb )", line):
                match = re.search(r"https?://\S+/debian/?(?=\s|$)", line)
                if match and "security" not in match.group(0):
                    return match.group(0)
    return "http://deb.debian.org/debian"


def import_rootfs(name: str, image_labels: dict[str, str], report: Report) -> None:
    """mmdebstrap a minimal Debian root filesystem and stream it into ``docker import`` as ``name``.

    Args:
        name: ``debian:SUITE-...``; the suite (``trixie``) is read from the tag.
        image_labels: Labels the image gets (the kit's stand-in labels).
        report: Receives mmdebstrap's progress lines.

    Raises:
        StandinTimeout: it took longer than BOOTSTRAP_TIMEOUT (a mirror that stopped answering).
        errors.BuildFailed: mmdebstrap or the import failed.
    """
    if shutil.which("mmdebstrap") is None:
        raise errors.DockerlabError(
            f"Building the offline stand-in for {name} needs mmdebstrap, which is not installed.",
            "sudo apt-get install mmdebstrap   (or pull the image on a networked machine and "
            "bring it with `dockerlab images save/load`)",
        )
    suite = name.split(":", 1)[1].split("-", 1)[0]
    changes = [*ROOTFS_CHANGES, *(f'LABEL {k}="{v}"' for k, v in image_labels.items())]
    import_args = [dockercli.docker_binary(), "import"]
    for change in changes:
        import_args += ["--change", change]
    import_args += ["-", name]
    mirror = debian_mirror()
    report(f"mmdebstrap --variant=minbase {suite} from {mirror}")
    before = _image_id(name)  # a stale stand-in being rebuilt keeps its name if this fails
    bootstrap = subprocess.Popen(
        [
            "mmdebstrap", "--variant=minbase", "--format=tar",
            f"--customize-hook=printf '%s' '{APT_CLEAN}' > \"$1/etc/apt/apt.conf.d/docker-clean\"",
            suite, "-", mirror,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, so a stuck apt under it can be killed with it
    )
    importer = subprocess.Popen(import_args, stdin=bootstrap.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert bootstrap.stdout is not None
    bootstrap.stdout.close()  # the importer holds the read end now
    finished = _follow(bootstrap, importer, report)
    if isinstance(finished, str) or finished[0] != 0 or importer.returncode != 0:
        if _image_id(name) not in (None, before):
            dockercli.run(["image", "rm", name], timeout=60)  # a cut-off root filesystem, imported
    if isinstance(finished, str):
        raise StandinTimeout(name, f"mmdebstrap {suite} from {mirror} | docker import", BOOTSTRAP_TIMEOUT, finished)
    bootstrap_rc, err = finished
    if bootstrap_rc != 0 or importer.returncode != 0:
        raise errors.BuildFailed(
            f"mmdebstrap {suite} | docker import",
            err.decode(errors="replace") or f"mmdebstrap exited with {bootstrap_rc}",
            bootstrap_rc or importer.returncode,
        )


def _follow(bootstrap: subprocess.Popen, importer: subprocess.Popen, report: Report) -> tuple[int, bytes] | str:
    """Report mmdebstrap's progress until both processes end.

    A watchdog, because a mirror that stops answering leaves mmdebstrap silent and reading its next
    line would wait for ever. After BOOTSTRAP_TIMEOUT the importer is stopped (it commits no half
    image) and mmdebstrap gets SIGTERM, on which it unmounts and removes its temporary root; if it
    is still running BOOTSTRAP_GRACE seconds later, its whole process group is killed.

    Returns:
        ``(mmdebstrap's exit status, the importer's stderr)``, or, when the watchdog stopped them,
        what was left behind, in words.
    """
    fired, killed, tempdir = threading.Event(), threading.Event(), []

    def kill() -> None:
        killed.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(bootstrap.pid, signal.SIGKILL)

    killer = threading.Timer(BOOTSTRAP_GRACE, kill)

    def stop() -> None:
        fired.set()
        for process in (importer, bootstrap):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        killer.start()

    timer = threading.Timer(BOOTSTRAP_TIMEOUT, stop)
    for watchdog in (timer, killer):
        watchdog.daemon = True
    timer.start()
    try:
        assert bootstrap.stderr is not None
        for raw in bootstrap.stderr:
            line = raw.decode(errors="replace").strip()
            if line.startswith("I: "):
                report(line[3:])
                tempdir += re.findall(r"^I: using (\S+) as tempdir", line)
        bootstrap_rc = bootstrap.wait()  # both end soon after mmdebstrap's stderr closes, or are killed
        _out, err = importer.communicate()
    finally:
        timer.cancel()
        killer.cancel()
    if not fired.is_set():
        return bootstrap_rc, err
    if killed.is_set():
        where = tempdir[0] if tempdir else "in $TMPDIR (mmdebstrap.*)"
        return f"mmdebstrap was killed; its temporary root {where} may remain: unmount what `findmnt` shows under it first"
    return "mmdebstrap stopped and removed its temporary root"


def _image_id(name: str) -> str | None:
    done = dockercli.run(["image", "inspect", "--format", "{{.Id}}", name], timeout=60)
    return done.stdout.strip() if done.returncode == 0 else None
