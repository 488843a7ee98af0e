"""Programs from Debian's archive, unpacked into a cache folder: never installed on the machine.

``apt-get download`` with a source list of its own (one suite, nothing else), then ``dpkg -x``.
The machine's own apt state and packages stay as they are, so a newer engine can sit beside the
one ``make test`` uses.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

#: Where unpacked packages are kept between runs (one folder per suite and package set).
CACHE = Path(os.environ.get("DOCKERLAB_ENGINES_CACHE", "/var/cache/dockerlab-engines"))

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
_MIRROR = re.compile(r"https?://\S+/debian/?(?=\s|$)")


def mirror() -> str:
    """The first Debian mirror this machine's apt uses (security mirrors skipped), else deb.debian.org."""
    texts = []
    for pattern in ("/etc/apt/sources.list", "/etc/apt/sources.list.d/*.sources", "/etc/apt/sources.list.d/*.list"):
        for path in Path("/").glob(pattern.lstrip("/")):
            texts += [line for line in path.read_text(errors="replace").splitlines() if not line.lstrip().startswith("#")]
    for line in texts:
        for found in _MIRROR.findall(line):
            if "security" not in found:
                return found.rstrip("/")
    return "http://deb.debian.org/debian"


def unpacked(suite: str, packages: list[str], say=print) -> Path:
    """A folder holding ``packages`` from Debian ``suite`` unpacked, downloaded on first use.

    The folder has a ``versions.json`` naming each package's version.

    Raises:
        RuntimeError: apt-get could not fetch a package (its own words are in the message).
    """
    key = f"{suite}-" + "-".join(sorted(packages))
    root = CACHE / key
    with open(_cache_dir() / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # rows side by side may want the same set: one fetches, the other waits
        if not (root / "versions.json").exists():
            _fetch(suite, packages, key, root, say)
    return root


def _fetch(suite: str, packages: list[str], key: str, root: Path, say) -> None:
    say(f"fetching {', '.join(packages)} from Debian {suite} ({mirror()})")
    with tempfile.TemporaryDirectory(prefix="dockerlab-apt-") as work:
        work_path = Path(work)
        (work_path / "lists" / "partial").mkdir(parents=True)
        (work_path / "cache" / "archives" / "partial").mkdir(parents=True)
        (work_path / "sources.list").write_text(f"deb [signed-by={KEYRING}] {mirror()} {suite} main\n")
        options = [
            "-o", f"Dir::Etc::SourceList={work_path / 'sources.list'}", "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={work_path / 'lists'}", "-o", f"Dir::Cache={work_path / 'cache'}",
            "-o", "APT::Get::List-Cleanup=0", "-o", "APT::Sandbox::User=root", "-qq",
        ]
        debs = work_path / "debs"
        debs.mkdir()
        for args in (["update"], ["download", *packages]):
            done = subprocess.run(["apt-get", *options, *args], cwd=debs, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                raise RuntimeError(f"apt-get {args[0]} for Debian {suite} failed: {done.stderr.strip() or done.stdout.strip()}")
        staging = Path(tempfile.mkdtemp(prefix=f"{key}.", dir=_cache_dir()))
        versions = {}
        for deb in sorted(debs.glob("*.deb")):
            subprocess.run(["dpkg", "-x", str(deb), str(staging)], check=True, timeout=300)
            name, version = deb.name.split("_")[:2]
            versions[name] = version.replace("%3a", ":")
        (staging / "versions.json").write_text(json.dumps(versions, indent=1, sort_keys=True))
        shutil.rmtree(root, ignore_errors=True)
        staging.rename(root)  # whole or not at all: a run stopped half-way leaves no folder under the key


def _cache_dir() -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    return CACHE


def versions(root: Path) -> dict[str, str]:
    return json.loads((root / "versions.json").read_text())
