"""The rows of the engine matrix: the kinds of engine learners run, each reproducible here.

Row a is the engine ``make test`` finds or installs. Rows b-d are separate engines started on
this machine (:mod:`matrix.dockerd`); row e is an engine in a QEMU virtual machine (:mod:`matrix.vm`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import debian

ROOT = Path(__file__).resolve().parents[1]

#: Debian 12's engine, as ``make test`` installs it (scripts/ensure-engine.sh).
BOOKWORM_ENGINE = ("bookworm", ["docker.io", "containerd", "runc", "tini"])
#: The newest engine Debian packages (sid): Docker Engine 28.5, containerd 2.1, the CLI and its plugins.
SID_ENGINE = ("sid", ["docker.io", "docker-cli", "containerd", "tini-static", "docker-buildx", "docker-compose"])
#: sid's runc needs glibc 2.38; bookworm's runs under containerd 2.1 here.
BOOKWORM_RUNC = ("bookworm", ["runc"])
#: Debian 12's Podman 4.3 and what it runs with (conmon, netavark and aardvark-dns for networks, catatonit
#: for --init, containers-common's configuration, runc); libgpgme11 is the one library it needs that this
#: machine lacks. The docker CLI, buildx and Compose come from row c's packages (SID_ENGINE; its dockerd is not started).
BOOKWORM_PODMAN = ("bookworm", ["podman", "conmon", "netavark", "aardvark-dns", "catatonit", "runc", "libgpgme11",
                                "golang-github-containers-common", "golang-github-containers-image"])

#: Tests every row runs beside the notebooks: the doctor against the CLI, and each notebook's claims
#: that depend on the engine (tests/engine/test_claims_NN.py), checked on the engine at hand.
ENGINE_CLAIMS = ("tests/engine/test_doctor.py", "tests/unit/test_enginekind.py", "tests/engine/test_claims_*.py")

#: Code that behaves differently when the engine runs out of the notebook's sight (in a VM, as Docker Desktop's):
#: the engine's location and the local kernel's files, read by the notebook's cells or its exercises' checks.
WHERE_IT_MATTERS = re.compile(r"kind\.location|\.location ==|kernel_here|engine_here|on_this_machine|\bkernel\.\w+\("
                              r"|services import kernel|services\.kernel|views\.kernel|\bdoctor\b|/proc/(?!self/status)")


def where_it_matters(notebooks: Path = ROOT / "notebooks", exercises: Path = ROOT / "dockerlab" / "exercises") -> tuple[str, ...]:
    """The notebooks (``NN``) whose code cells, or whose exercises' module, read where the engine is.

    Row d runs these: on the same engine as row c, the other notebooks can only differ in what does not
    depend on the engine's location. A new cell that reads it puts its notebook here by itself.
    """
    found = []
    for path in sorted(notebooks.glob("[0-9][0-9]-*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        module = next(exercises.glob(f"nb{path.name[:2]}_*.py"), None)
        if WHERE_IT_MATTERS.search(code) or (module and WHERE_IT_MATTERS.search(module.read_text(encoding="utf-8"))):
            found.append(path.name[:2])
    return tuple(found)



#: Read once, when the rows are defined (row d's notebooks and their claims).
_LOCATED = where_it_matters()

#: The containerd image store: the default of fresh Engine 29 installs and of Docker Desktop.
CONTAINERD_STORE = {"features": {"containerd-snapshotter": True}}


@dataclass(frozen=True)
class Row:
    """One kind of engine.

    Attributes:
        key: a-e, as in docs/engine-matrix.md.
        title: What a learner would call it.
        why: Who has such an engine.
        kind: ``default`` (the machine's engine), ``separate`` (a dockerd started here) or ``vm``.
        packages: (suite, packages) sets the engine's programs come from.
        config: The engine's daemon.json.
        own_cli: Use the ``docker`` CLI and plugins of the first package set that has them, not the machine's.
        server: ``dockerd`` (:mod:`matrix.dockerd`) or ``podman`` (``podman system service``, :mod:`matrix.podman`).
        outputs: Compare the notebooks' stored outputs (nbval). False for an engine that is not Docker's, whose
            outputs differ in its own ways: each cell must then run without an error its stored output lacks, or
            say why it is skipped (tests/other_engines/test_notebooks_cells_run.py).
        context: Reach the engine through a docker context of this name (Docker Desktop's way).
        hidden: Run the notebooks in a PID namespace of their own, so the engine's processes
            are not theirs to see (as when the engine is in a VM).
        images: ``ensure`` builds the course images on the engine with the kit; ``bundle``
            loads the default engine's images (``dockerlab images save``/``load``).
        notebooks: Notebook name prefixes the row runs (empty: all of them).
        tests: Test files (beside the notebooks) the row runs too.
        expect: What the engine must say of itself (see run.engine_facts) for the row to be what it
            claims: a fact's name and a text its value must contain.
    """

    key: str
    title: str
    why: str
    kind: str
    packages: tuple = ()
    config: dict = field(default_factory=dict)
    own_cli: bool = False
    context: str | None = None
    hidden: bool = False
    images: str = "bundle"
    notebooks: tuple[str, ...] = ()
    tests: tuple[str, ...] = ENGINE_CLAIMS
    expect: dict = field(default_factory=dict)
    server: str = "dockerd"
    outputs: bool = True

    def programs(self, say=print) -> list[Path]:
        return [debian.unpacked(suite, list(names), say) for suite, names in self.packages]

    def engine(self, name: str, say=print):
        """The row's engine (not started): a :class:`matrix.dockerd.Engine` or :class:`matrix.podman.Podman`."""
        from .dockerd import Engine
        from .podman import Podman

        programs = self.programs(say)
        cli = next((p for p in programs if (p / "usr/bin/docker").exists()), None) if self.own_cli else None
        return (Podman if self.server == "podman" else Engine)(
            name, programs, self.config, cli=cli / "usr/bin" if cli else None,
            plugins=cli / "usr/libexec/docker/cli-plugins" if cli else None, context=self.context)


ROWS = {
    "a": Row("a", "the engine make test uses", "the project's CI machine: Debian 12's docker.io, with a history", "default"),
    "b": Row(
        "b", "a just-installed engine", "anyone on their first day: the same engine with nothing in it yet",
        "separate", packages=(BOOKWORM_ENGINE,), expect={"engine": "20.10", "image_store": "classic"},
    ),
    "c": Row(
        "c", "a current engine with the containerd image store",
        "Docker Engine 28/29 on Linux (29 uses the containerd store on fresh installs), current buildx and Compose",
        "separate", packages=(SID_ENGINE, BOOKWORM_RUNC), config=CONTAINERD_STORE, own_cli=True, images="ensure",
        expect={"image_store": "containerd", "where": "on this machine's kernel"},
    ),
    "d": Row(
        "d", "an engine whose processes the notebook cannot see",
        "Docker Desktop on macOS and Windows: the engine and containers are in a VM, found through a docker context",
        "separate", packages=(SID_ENGINE, BOOKWORM_RUNC), config=CONTAINERD_STORE, own_cli=True,
        context="desktop-linux", hidden=True, expect={"image_store": "containerd", "where": "not visible from here"},
        # Only the notebooks that read where the engine is (row c runs them all on this same engine), with their
        # claims: the rest cost CI's 60 minutes 10 of them and could find nothing row c does not.
        notebooks=_LOCATED,
        tests=("tests/engine/test_doctor.py", "tests/unit/test_enginekind.py",
               *(f"tests/engine/test_claims_{nn}.py" for nn in _LOCATED)),
    ),
    "e": Row(
        "e", "cgroup v2 under systemd, in a VM", "a Linux desktop of 2026: systemd, the unified cgroup tree",
        # Under emulation everything takes 10-30 times longer, so row e runs what cgroup v2 and systemd can
        # change: its notebooks' claims and those of the doctor's findings (00: is the engine in sight, read in
        # /proc/PID/cgroup; 02: cgroupns among the security options), not those about image stores, builds,
        # Compose, ports and volumes, which rows a and b check on this same engine.
        "vm", notebooks=("01", "11"), tests=("tests/engine/test_kernel.py", "tests/engine/test_exercises_01_architecture.py",
                                              "tests/engine/test_exercises_11_security.py", "tests/reliability/test_limits.py",
                                              "tests/engine/test_doctor.py", "tests/unit/test_enginekind.py",
                                              *(f"tests/engine/test_claims_{nn}.py" for nn in ("00", "01", "02", "11"))),
        expect={"cgroup": "v2 (systemd)"},
    ),
    "p": Row(
        "p", "Podman's Docker-compatible API", "Fedora, RHEL and Debian users with Podman: the docker CLI and Compose "
        "pointed at `podman system service` (podman-docker links /run/docker.sock to it)",
        # Every notebook's claims, as on the other rows: each notebook's text says what Podman 4.3 does where it differs,
        # and its claims test asserts that there (docs/engine-matrix.md lists the differences).
        "separate", packages=(BOOKWORM_PODMAN, SID_ENGINE), own_cli=True, server="podman", outputs=False,
        tests=ENGINE_CLAIMS,
        expect={"components": "Podman Engine", "where": "on this machine's kernel"},
    ),
}
