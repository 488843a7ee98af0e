"""Judging published ports, shared by container and compose checks (same mistakes, other syntax)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

#: Host addresses that mean "every address of the machine".
ALL_ADDRESSES = {"", "0.0.0.0", "::"}


@dataclass(frozen=True)
class Binding:
    """One published port: container port/protocol on host_ip:host_port ("" = any / random)."""

    container_port: int
    protocol: str
    host_ip: str
    host_port: str

    @property
    def shown_ip(self) -> str:
        return "0.0.0.0" if self.host_ip in ("", "0.0.0.0") else self.host_ip


def problem(
    bindings: Iterable[Binding],
    container_port: int,
    host_port: int | None,
    host_ip: str | None,
    protocol: str,
    subject: str,
    fix: Callable[[str | None, int | None, int, str], str],
) -> str | None:
    """The mistake in ``bindings`` for the wanted publishing, or None when it is right.

    Args:
        bindings: What is published.
        container_port, host_port, host_ip, protocol: What is wanted (host_port None: any port;
            host_ip None: any address).
        subject: "the container" or "service web", to start the sentences with.
        fix: Builds the right syntax from (host_ip, host_port, container_port, protocol).
    """
    bindings = list(bindings)
    container_port = int(container_port)
    protocol = protocol.lower()
    right = fix(host_ip, host_port, container_port, protocol)
    same = [b for b in bindings if b.container_port == container_port and b.protocol == protocol]
    if not same:
        if not bindings:
            return f"{subject} publishes no ports; publish container port {container_port} with {right}"
        other_proto = [b for b in bindings if b.container_port == container_port]
        if other_proto:
            return f"{subject} publishes {container_port}/{other_proto[0].protocol}, not {container_port}/{protocol}; use {right}"
        if host_port is not None:
            swapped = [b for b in bindings if b.container_port == int(host_port) and b.host_port == str(container_port)]
            if swapped:
                return (
                    f"{subject} publishes container port {host_port} on host port {container_port}: the two numbers are "
                    f"swapped (the host port comes first, then the container port); use {right}"
                )
        listed = ", ".join(sorted({f"{b.container_port}/{b.protocol}" for b in bindings}))
        return (
            f"{subject} publishes container port {listed} but not {container_port}, the port the app listens on; "
            f"use {right}"
        )
    if host_port is not None:
        on_port = [b for b in same if b.host_port == str(host_port)]
        if not on_port:
            got = same[0].host_port
            where = f"host port {got}" if got else "a random host port"
            return f"{subject} publishes {container_port} on {where}, not on host port {host_port}; use {right}"
        same = on_port
    if host_ip is not None:
        wrong = [b for b in same if b.host_ip != host_ip and not (host_ip in ALL_ADDRESSES and b.host_ip in ALL_ADDRESSES)]
        if wrong:
            b = wrong[0]
            port = b.host_port or "(random port)"
            if b.host_ip in ALL_ADDRESSES:
                return (
                    f"{subject} publishes {container_port} on {b.shown_ip}:{port}, every address of this machine, so "
                    f"other computers on the network can reach it; bind it to {host_ip} with {right}"
                )
            return f"{subject} publishes {container_port} on {b.host_ip}:{port}; bind it to {host_ip} with {right}"
    return None


def run_flag(host_ip: str | None, host_port: int | None, container_port: int, protocol: str = "tcp") -> str:
    """The ``docker run -p`` flag for a publishing."""
    spec = f"{host_port if host_port is not None else ''}:{container_port}"
    if host_ip is not None and host_ip not in ALL_ADDRESSES:
        spec = f"{host_ip}:{spec}"
    elif host_port is None:
        spec = str(container_port)
    return f"-p {spec}" + ("" if protocol == "tcp" else f"/{protocol}")


def compose_entry(host_ip: str | None, host_port: int | None, container_port: int, protocol: str = "tcp") -> str:
    """The ``ports:`` list entry in a compose file for a publishing."""
    return f'"{run_flag(host_ip, host_port, container_port, protocol)[3:]}" under ports:'
