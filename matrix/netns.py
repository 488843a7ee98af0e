"""A network namespace of its own for each extra engine.

Two dockerds in one network namespace both rewrite iptables' DOCKER chains and fight over the
bridge ``docker0``. An engine in a namespace of its own has its own interfaces, bridges and
iptables tables, so it runs with Docker's defaults, as on a learner's machine, and the machine's
own engine never notices it. One veth pair joins the namespace to the host; the host masquerades
its traffic, so builds inside still reach Debian's mirror. The host rules carry a comment naming
the namespace, and :func:`remove` deletes exactly those.

Processes that must reach the engine's published ports (the notebooks) run inside with
:func:`enter`.
"""

from __future__ import annotations

import fcntl
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: Where the engines' folders live; each namespace's slot number is recorded here.
RUN = Path("/run/dockerlab-engines")
#: Host side 10.213.SLOT.1, namespace side 10.213.SLOT.2 (a /30 per engine).
PREFIX = "10.213"
NETNS_DIR = Path("/run/netns")


def _ip(*args: str, netns: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    command = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(command, capture_output=True, text=True, check=check, timeout=30)


def _iptables(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["iptables", "-w", "10", *args], capture_output=True, text=True, check=check, timeout=30)


@dataclass(frozen=True)
class Namespace:
    name: str
    slot: int

    @property
    def netns(self) -> str:
        return f"dlm-{self.name}"

    @property
    def host_link(self) -> str:
        return f"dlm{self.slot}h"  # interface names stop at 15 characters

    @property
    def inner_link(self) -> str:
        return f"dlm{self.slot}n"

    @property
    def subnet(self) -> str:
        return f"{PREFIX}.{self.slot}.0/30"

    @property
    def comment(self) -> str:
        return f"dockerlab-matrix:{self.name}"

    def rules(self) -> list[list[str]]:
        """The host's iptables rules for this namespace: forward its traffic out, and the answers back."""
        tag = ["-m", "comment", "--comment", self.comment]
        return [
            ["-t", "nat", "POSTROUTING", "-s", self.subnet, "!", "-o", self.host_link, *tag, "-j", "MASQUERADE"],
            ["-t", "filter", "FORWARD", "-i", self.host_link, *tag, "-j", "ACCEPT"],
            ["-t", "filter", "FORWARD", "-o", self.host_link, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", *tag, "-j", "ACCEPT"],
        ]

    def enter(self) -> list[str]:
        """The command prefix that runs a program in this namespace (its network only; files and
        processes stay the host's, so /sys/fs/cgroup and the repository look as they do outside)."""
        return ["nsenter", f"--net={NETNS_DIR / self.netns}", "--"]


def create(name: str) -> Namespace:
    """Make the namespace ``dlm-NAME`` with a link to the host and a way out; a leftover of the
    same name is removed first."""
    remove(name)
    RUN.mkdir(parents=True, exist_ok=True)
    with open(RUN / "slots.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two engines starting at once must not take one slot
        taken = {int(p.read_text()) for p in RUN.glob("*/slot") if p.read_text().strip().isdigit()}
        slot = next(n for n in range(1, 251) if n not in taken)
        ns = Namespace(name, slot)
        (RUN / name).mkdir(exist_ok=True)
        (RUN / name / "slot").write_text(str(slot))
    _ip("netns", "add", ns.netns)
    _ip("link", "add", ns.host_link, "type", "veth", "peer", "name", ns.inner_link)
    _ip("link", "set", ns.inner_link, "netns", ns.netns)
    _ip("addr", "add", f"{PREFIX}.{slot}.1/30", "dev", ns.host_link)
    _ip("link", "set", ns.host_link, "up")
    _ip("addr", "add", f"{PREFIX}.{slot}.2/30", "dev", ns.inner_link, netns=ns.netns)
    _ip("link", "set", ns.inner_link, "up", netns=ns.netns)
    _ip("link", "set", "lo", "up", netns=ns.netns)
    _ip("route", "add", "default", "via", f"{PREFIX}.{slot}.1", netns=ns.netns)
    Path("/proc/sys/net/ipv4/ip_forward").write_text("1")  # as any Docker engine sets it
    for rule in ns.rules():
        table, chain, spec = rule[:2], rule[2], rule[3:]
        _iptables(*table, "-I", chain, "1", *spec)
    return ns


def existing(name: str) -> Namespace | None:
    slot_file = RUN / name / "slot"
    if not slot_file.exists() or not slot_file.read_text().strip().isdigit():
        return None
    return Namespace(name, int(slot_file.read_text()))


def remove(name: str) -> None:
    """Remove the namespace, its link and exactly the host rules that carry its comment."""
    ns = existing(name)
    if ns is not None:
        for rule in ns.rules():
            table, chain, spec = rule[:2], rule[2], rule[3:]
            while _iptables(*table, "-D", chain, *spec, check=False).returncode == 0:
                pass
        _ip("link", "del", ns.host_link, check=False)
        (RUN / name / "slot").unlink(missing_ok=True)
    if (NETNS_DIR / f"dlm-{name}").exists():
        _ip("netns", "del", f"dlm-{name}", check=False)
