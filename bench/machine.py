"""A description of the machine the numbers were measured on.

The parsing functions take text or already-decoded JSON so the unit tests can feed them samples;
:func:`describe` gathers the real thing.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import datetime, timezone


def cpu_model(cpuinfo: str) -> str:
    """The first ``model name`` of /proc/cpuinfo (or ``Hardware``/``Processor`` on ARM boards)."""
    for key in ("model name", "Hardware", "Processor"):
        for line in cpuinfo.splitlines():
            name, _, rest = line.partition(":")
            if name.strip() == key and rest.strip():
                return rest.strip()
    return "unknown"


def memory_gib(meminfo: str) -> float | None:
    """MemTotal of /proc/meminfo in GiB."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024**2
    return None


def engine_lines(version: dict, info: dict) -> dict[str, str]:
    """Engine rows from ``docker version`` and ``docker info`` (their ``--format '{{json .}}'`` output)."""
    server = version.get("Server") or {}
    client = version.get("Client") or {}
    plugins = {p.get("Name"): p.get("Version", "?") for p in (info.get("ClientInfo") or {}).get("Plugins") or []}
    return {
        "Docker engine": f"{server.get('Version', '?')} (API {server.get('ApiVersion', '?')}), CLI {client.get('Version', '?')}",
        "storage driver": f"{info.get('Driver', '?')} on {dict(info.get('DriverStatus') or []).get('Backing Filesystem', '?')}",
        "cgroups": f"v{info.get('CgroupVersion', '?')}, driver {info.get('CgroupDriver', '?')}",
        "buildx / compose": f"{plugins.get('buildx', 'missing')} / {plugins.get('compose', 'missing')}",
    }


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


def _docker_json(*args: str) -> dict:
    try:
        done = subprocess.run(["docker", *args, "--format", "{{json .}}"], capture_output=True, text=True, timeout=30)
        return json.loads(done.stdout) if done.stdout.strip() else {}
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return {}


def describe() -> dict[str, str]:
    """The machine, one row each: CPU, RAM, OS and kernel, engine, storage, cgroups, plugins, Python, date."""
    gib = memory_gib(_read("/proc/meminfo"))
    os_name = dict(
        line.split("=", 1) for line in _read("/etc/os-release").splitlines() if "=" in line
    ).get("PRETTY_NAME", "").strip('"')
    return {
        "CPU": f"{cpu_model(_read('/proc/cpuinfo'))}, {os.cpu_count()} cores",
        "RAM": f"{gib:.1f} GiB" if gib else "unknown",
        "OS, kernel": f"{os_name or platform.system()}, Linux {platform.release()}",
        **engine_lines(_docker_json("version"), _docker_json("info")),
        "Python": platform.python_version(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
