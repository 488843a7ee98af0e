"""Can this machine run the course? Each check says what it found and, if it is a problem, the fix.

``dockerlab doctor`` prints the report; notebook 00 shows it as a widget
(:mod:`dockerlab.views.doctor`). Nothing here changes the machine.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from dockerlab.engine import dockercli
from dockerlab import engine
from dockerlab.engine import kind as enginekind
from dockerlab import config, errors
from dockerlab.services import build as builds

#: Free bytes the course needs where the engine keeps images: the images and a few lesson builds.
#: $DOCKERLAB_MIN_FREE_GB changes it (a small disk for a short workshop, or a stricter classroom check).
MIN_FREE_DISK = int(config.MIN_FREE_GB.number() * 10**9)


@dataclass
class Finding:
    """One line of the report.

    Attributes:
        name: What was checked.
        ok: True fine, False a problem, None a warning worth reading.
        detail: What was found.
        fix: The command or step that fixes a problem.
    """

    name: str
    ok: bool | None
    detail: str
    fix: str = ""

    @property
    def mark(self) -> str:
        return {True: "ok", False: "PROBLEM", None: "note"}[self.ok]


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok is not False for f in self.findings)

    def as_text(self) -> str:
        width = max((len(f.name) for f in self.findings), default=10)
        lines = []
        for f in self.findings:
            lines.append(f"{f.mark:>7}  {f.name:<{width}}  {f.detail}")
            if f.fix and f.ok is not True:
                lines.append(f"{'':>7}  {'':<{width}}  fix: {f.fix}")
        verdict = "Ready for the course." if self.ok else "Fix the PROBLEM lines above, then run `dockerlab doctor` again."
        return "\n".join([*lines, "", verdict])

    __str__ = as_text


def run_checks(with_images: bool = True, specs=None, quota: bool = False) -> Report:
    """Run every check; the engine-dependent ones are skipped (and say so) when no engine answers.

    Args:
        with_images: Also check the course images.
        specs: The images to check (:class:`dockerlab.images.ImageSpec`); default the whole manifest.
        quota: Also ask Docker Hub (and the class mirror, if ``$DOCKERLAB_MIRROR`` names one) how many pulls
            are left (:func:`pull_quota`): `dockerlab doctor` does; the notebooks' report does not go on the network.
    """
    report = _engine_checks(with_images, specs)
    if quota:
        report.findings.extend(pull_quota())
    return report


def _engine_checks(with_images: bool, specs) -> Report:
    report = Report()
    add = report.findings.append
    add(_python())
    add(Finding("CPU architecture", True, f"{platform.machine()} ({_platform_kind()})"))
    add(_socket_permission())
    try:
        version = engine.server_version()
        info = engine.client().info()
    except errors.DockerlabError as exc:
        add(Finding("Docker engine", False, exc.message, exc.fix))
        return report
    kind = enginekind.describe(version, info, engine.address().url)
    add(_engine(kind, version))
    add(
        Finding(
            "API version",
            True,
            f"negotiated {engine.negotiated_api_version()} (engine speaks up to {version.get('ApiVersion')}, "
            f"down to {version.get('MinAPIVersion', '?')})",
        )
    )
    add(_image_store(kind))
    add(_location(kind))
    if kind.product == "Podman":
        add(_podman(kind))
    add(_buildx(kind))
    add(_compose())
    add(_cgroups(info))
    add(_disk(info))
    if with_images:
        add(_images(specs))
    return report


def _engine(kind: enginekind.EngineKind, version: dict) -> Finding:
    """The engine, where it is reached, and whether its release line still gets fixes."""
    where = engine.address()
    at = "" if where.url == engine.DEFAULT_HOST else f" at {where}"
    detail = f"{kind.product} {kind.version} on {kind.os} ({version.get('Os')}/{version.get('Arch')}){at}; {kind.support.detail}"
    if kind.support.maintained is False:
        return Finding("Docker engine", None, detail, f"the course runs on it, but upgrade when you can: {enginekind.UPGRADE}")
    return Finding("Docker engine", True, detail)


def _image_store(kind: enginekind.EngineKind) -> Finding:
    if kind.image_store == "containerd":
        return Finding("image store", True, f"containerd ({kind.storage_driver} snapshotter): an image's ID is its manifest's "
                       "digest, and sizes count the compressed and the unpacked content")
    return Finding("image store", True, f"classic ({kind.storage_driver}): an image's ID is its configuration's digest; a "
                   "repo digest comes only from a registry")


def _location(kind: enginekind.EngineKind) -> Finding:
    where = enginekind.LOCATIONS[kind.location]
    if kind.location == "local":
        return Finding("engine location", True, f"{where}: the lessons can show its processes and cgroups from here")
    if kind.location == "hidden":
        return Finding("engine location", None, f"{where}: the cells that list the engine's processes say so and skip; "
                       "those that read the kernel's namespaces and cgroups still run")
    return Finding("engine location", None, f"{where}: the cells that read this machine's processes and cgroups say so "
                   "and skip; everything else runs as usual")


#: Compose releases the course relies on: `!override` in the helper's override files, `develop.watch`.
COMPOSE_OVERRIDE, COMPOSE_WATCH = (2, 24, 4), (2, 22, 0)


def compose_version(text: str) -> tuple[int, int, int] | None:
    """(2, 40, 3) from ``docker compose version --short`` output such as ``2.40.3-3`` or ``v2.26.1``."""
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", text or "")
    return tuple(int(n) for n in found.groups()) if found else None  # type: ignore[return-value]


def _compose() -> Finding:
    label = "Compose (docker compose)"
    text = dockercli.plugin_version("compose")
    if not text:
        return Finding(label, False, "`docker compose` is missing (the old `docker-compose` 1.x does not count: "
                       "it reached its end of life in 2023)", "bash scripts/ensure-engine.sh   (installs it as a CLI plugin)")
    found = compose_version(text)
    if found is None:
        return Finding(label, None, f"{text}: the course cannot read this version")
    shown = ".".join(map(str, found))
    if found < COMPOSE_OVERRIDE:
        return Finding(label, False, f"{shown}: older than 2.24.4, which the course's Compose lessons need (`!override`)",
                       "install a newer Compose: bash scripts/ensure-engine.sh, or https://docs.docker.com/compose/install/")
    name = "Compose v5" if found[0] >= 5 else "Compose v2"
    return Finding(label, True, f"{shown} ({name}; `docker compose watch` needs 2.22, the course's overrides 2.24.4: both there)")


def pull_quota(hub: str | None = None, mirror: str | None = None) -> list[Finding]:
    """What Docker Hub (``hub``, a URL; default its registry) and the class mirror (``mirror``, ``HOST:PORT``;
    default ``$DOCKERLAB_MIRROR``) say of pull limits, from the ``ratelimit-*`` headers of a manifest HEAD
    (a HEAD is not counted as a pull)."""
    from dockerlab.services.images import registry
    from dockerlab.services.images.manifest import load_manifest

    found = [_quota("Docker Hub pulls", hub or registry.DOCKER_HUB, registry.QUOTA_REPOSITORY, "latest", mirror=False)]
    mirror = registry.normal_address(mirror) if mirror else registry.configured_mirror()
    if mirror:
        repository, tag = load_manifest()[0].name.rsplit(":", 1)
        found.append(_quota("class mirror", f"http://{mirror}", repository, tag, mirror=True))
    return found


def _quota(label: str, url: str, repository: str, reference: str, mirror: bool) -> Finding:
    import requests

    from dockerlab.services.images import registry

    where = url.split("://", 1)[-1]
    try:
        quota = registry.pull_quota(url, repository, reference)
    except (requests.RequestException, ValueError) as exc:
        why = _why_unanswered(exc)
        if mirror:
            return Finding(label, None, f"{where} did not answer ({why})", "check the address with the instructor "
                           "(`dockerlab images serve` prints it) and that it still runs, or unset DOCKERLAB_MIRROR")
        return Finding(label, True, f"no answer from {where} ({why}): no quota to show; the course's images can come "
                       "from a class mirror, a bundle or offline stand-ins")
    if not quota.reported:
        return Finding(label, True, f"{where} answers, and reports no pull limit (no ratelimit headers)")
    if quota.remaining is not None and quota.remaining < len(_course_images()):
        return Finding(label, None, f"{where}: {quota}", "fewer pulls left than the course has images: `docker login` "
                       "(a higher limit), wait for the window to pass, or take the images from the instructor's class "
                       "mirror (`dockerlab images ensure --mirror ADDRESS`) or bundle")
    return Finding(label, True, f"{where}: {quota}")


def _course_images() -> tuple:
    from dockerlab.services.images.manifest import load_manifest

    return load_manifest()


def _why_unanswered(exc: BaseException) -> str:
    text = str(exc)
    for words, said in (("Name or service not known", "no such host"), ("nodename nor servname", "no such host"),
                        ("Temporary failure in name resolution", "no such host"), ("Connection refused", "connection refused"),
                        ("timed out", "no answer in time")):
        if words in text:
            return said
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return f"HTTP {status}" if status else type(exc).__name__


def _python() -> Finding:
    ok = tuple(map(int, platform.python_version_tuple()[:2])) >= (3, 11)
    return Finding("Python", ok, platform.python_version(), "" if ok else "Install Python 3.11 or newer.")


def _platform_kind() -> str:
    system = platform.system()
    release = platform.release().lower()
    if system == "Linux" and "microsoft" in release:
        return "Linux under WSL2 on Windows"
    if system == "Darwin":
        return "macOS: containers run in Docker Desktop's Linux VM"
    if system == "Windows":
        return "Windows: containers run in a Linux VM (WSL2)"
    return f"{system}, containers share this kernel"


def _socket_permission() -> Finding:
    try:
        where = engine.address()  # DOCKER_HOST, else the docker context, else /var/run/docker.sock
    except errors.DockerlabError as exc:
        return Finding("engine socket", False, exc.message, exc.fix)
    path = where.socket
    if path is None:
        return Finding("engine socket", None, f"{where} (not a local socket)")
    if not os.path.exists(path):
        return Finding("engine socket", False, f"{path} ({where.source}) does not exist: no engine is listening there",
                       "start the engine (`make lab` does), or point DOCKER_HOST or `docker context use` at yours")
    if not os.access(path, os.R_OK | os.W_OK):
        return Finding(
            "engine socket",
            False,
            f"{path} is not writable by this user",
            "sudo usermod -aG docker $USER, then log in again. The docker group is root-equivalent: "
            "its members can start a container that mounts / and change anything on the machine.",
        )
    who = "root" if os.geteuid() == 0 else "this user (via the docker group: root-equivalent, keep it to your own machine)"
    return Finding("engine socket", True, f"{path} usable by {who}" + ("" if where.url == engine.DEFAULT_HOST else f" ({where.source})"))


def _plugin(name: str, label: str) -> Finding:
    version = dockercli.plugin_version(name)
    if version:
        return Finding(label, True, version)
    return Finding(label, False, f"`docker {name}` is missing", "bash scripts/ensure-engine.sh   (installs it as a CLI plugin)")


def _podman(kind: enginekind.EngineKind) -> Finding:
    """What the course does and does not do on Podman's Docker-compatible API."""
    cannot = ", ".join(text.split(":")[0] for name, text in enginekind.FEATURES.items() if kind.lacks(name))
    return Finding("Podman", None, f"the course runs on Podman {kind.version} through its Docker-compatible API: containers, "
                   "ports, volumes, networks, limits and Compose work; builds go to Podman's own builder (Buildah: the "
                   "notebooks set DOCKER_BUILDKIT=0), and images show as localhost/NAME. The cells that need what Podman "
                   f"lacks ({cannot}) say why and are skipped")


def _buildx(kind: enginekind.EngineKind | None = None) -> Finding:
    """buildx, and whether it has the structured progress (``--progress=rawjson``) builds are read from."""
    finding = _plugin("buildx", "BuildKit (docker buildx)")
    if kind is not None and finding.ok and kind.lacks("buildkit"):
        return Finding(finding.name, None, f"{finding.detail}, but {kind.product} has no BuildKit: `docker build` goes to "
                       f"{kind.product}'s own builder, and `docker buildx` cells are skipped")
    found = compose_version(finding.detail) if finding.ok else None
    if found is not None and found[:2] < builds.RAWJSON_SINCE:
        return Finding(finding.name, None, f"{finding.detail}: older than 0.12, so builds through the helper show "
                       "their log but not their steps (BuildKit's structured progress came in buildx 0.12)",
                       "install a newer buildx: https://docs.docker.com/build/install-buildx/")
    return finding


def _cgroups(info: dict) -> Finding:
    version = info.get("CgroupVersion") or ("2" if Path("/sys/fs/cgroup/cgroup.controllers").exists() else "1")
    driver = info.get("CgroupDriver", "?")
    note = "unified hierarchy" if version == "2" else "legacy per-controller hierarchy; the lessons show both layouts"
    return Finding("cgroups", True, f"v{version} ({driver} driver; {note})")


def _disk(info: dict) -> Finding:
    root = info.get("DockerRootDir") or "/var/lib/docker"
    where = root if os.path.exists(root) else str(Path.home())
    free = shutil.disk_usage(where).free
    detail = f"{free / 1e9:.1f} GB free at {where}"
    if free < MIN_FREE_DISK:
        return Finding("free disk", False, detail, "free some space: `docker image prune` removes only dangling images")
    return Finding("free disk", True, detail)


def _images(specs=None) -> Finding:
    from dockerlab.services import images

    states = images.status(specs)
    missing = [s.spec.name for s in states if s.state == "missing"]
    standins = [s for s in states if s.state == "standin"]
    detail = f"{len(states) - len(missing)} of {len(states)} present"
    if standins:
        reasons = sorted({s.reason for s in standins})
        detail += (
            f"; local stand-ins (built offline because {'; '.join(reasons)}): "
            + ", ".join(s.spec.name for s in standins)
        )
    if missing:
        return Finding("course images", False, f"{detail}; missing: {', '.join(missing)}", "dockerlab images ensure")
    return Finding("course images", None if standins else True, detail)
