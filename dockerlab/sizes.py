"""Byte sizes, written and read the way Docker does: the one place for them.

``docker images`` prints decimal units (``758kB``, ``421MB``); ``docker run --memory 32m`` means
binary ones (32 MiB). The course shows each where Docker uses it.
"""

from __future__ import annotations


def decimal(size: int | float) -> str:
    """``421.3 MB``, ``12 kB``, ``35 B``: decimal units, as ``docker images`` counts (a trailing .0 dropped)."""
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}".replace(".0 ", " ")
        size /= 1000
    return f"{size} B"


def binary(size: int | float) -> str:
    """``32.0 MiB``: binary units, as docker's flags mean them (``-m 32m`` is 32 MiB)."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(size) < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def limit(value: int | float | None, size: bool = True) -> str:
    """A cgroup limit: ``no limit`` for None, else binary units (or the plain number when ``size`` is False)."""
    if value is None:
        return "no limit"
    if not size:
        return f"{value:g}" if isinstance(value, float) else str(value)
    return binary(value)


def parse(value: int | float | str) -> int:
    """``"200MB"``, ``"200 MB"``, ``"1.5g"``, ``"256m"`` or a number of bytes, as bytes.

    Units with a single letter (``m``, ``g``, as in ``docker run --memory``) are binary; ``MB`` and
    ``GB`` are decimal, as ``docker images`` prints them.

    Raises:
        ValueError: not a size.
    """
    if isinstance(value, (int, float)):
        return int(value)
    text = value.strip().replace(" ", "")
    units = {
        "": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3,
        "kb": 1000, "mb": 1000**2, "gb": 1000**3,
        "kib": 1024, "mib": 1024**2, "gib": 1024**3,
    }
    number = text.rstrip("bBkKmMgGiI")
    unit = text[len(number):].lower()
    if unit not in units or not number:
        raise ValueError(f"not a size: {value!r}")
    return int(float(number) * units[unit])
