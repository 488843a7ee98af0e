"""Medians, spreads, ratios and the verdict of a measurement against its target.

Pure functions on numbers: no engine, no clock, so ``tests/unit/test_bench_stats.py`` can check
them. A :class:`Row` is one line of the results table.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field


@dataclass
class Target:
    """What a measurement should stay under (or, with ``at_least``, over).

    Attributes:
        limit: The target value, in the row's unit.
        at_least: True when more is better (a saving), False when less is better (a time).
    """

    limit: float
    at_least: bool = False

    def __str__(self) -> str:
        return f"{'≥' if self.at_least else '≤'} {fmt(self.limit)}"


@dataclass
class Row:
    """One measured thing: its samples, its target, and why it looks the way it does.

    Attributes:
        group: The benchmark group that measured it (``suite``, ``kit``, ``cli``, ...).
        what: What was measured, in a few words.
        unit: ``s``, ``MB``, ``×`` (a ratio) ...
        samples: Every value measured (one per run).
        target: The issue's target, if it sets one.
        note: How it was measured, and for a missed target, why.
        extra: Other numbers worth keeping in results.json (the raw parts of a ratio, ...).
        value: The number to judge when it is not the median of ``samples``: a ratio of two
            medians, whose ``samples`` are then the pairwise ratios that show its spread.
    """

    group: str
    what: str
    unit: str
    samples: list[float] = field(default_factory=list)
    target: Target | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)
    value: float | None = None

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def median(self) -> float | None:
        if self.value is not None:
            return self.value
        return statistics.median(self.samples) if self.samples else None

    @property
    def spread(self) -> tuple[float, float] | None:
        return (min(self.samples), max(self.samples)) if self.samples else None

    @property
    def verdict(self) -> str:
        return verdict(self.median, self.target, self.unit)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.update(median=self.median, spread=self.spread, n=self.n, verdict=self.verdict)
        return data


def ratio(numerator: list[float], denominator: list[float]) -> float | None:
    """median(numerator) / median(denominator): the comparison of two things timed in the same run."""
    if not numerator or not denominator:
        return None
    below = statistics.median(denominator)
    return statistics.median(numerator) / below if below else None


def ratios(numerator: list[float], denominator: list[float]) -> list[float]:
    """Pairwise ratios of samples taken in alternation (their spread shows how steady the ratio is)."""
    return [a / b for a, b in zip(numerator, denominator) if b]


def verdict(value: float | None, target: Target | None, unit: str = "") -> str:
    """``met``, ``missed by X (Y %)``, ``no target`` or ``not measured``."""
    if value is None:
        return "not measured"
    if target is None:
        return "no target"
    over = target.limit - value if target.at_least else value - target.limit
    if over <= 0:
        return "met"
    percent = f" ({over / target.limit:.0%})" if target.limit else ""
    return f"missed by {fmt(over)}{' ' + unit if unit and unit != '×' else ''}{percent}"


def fmt(value: float | None) -> str:
    """A number with as many digits as its size deserves: 0.0123, 1.23, 12.3, 123."""
    if value is None:
        return "–"
    size = abs(value)
    if size == 0:
        return "0"
    if size < 0.1:
        return f"{value:.2g}"
    if size < 10:
        return f"{value:.2f}"
    if size < 100:
        return f"{value:.1f}"
    return f"{value:.0f}"


def duration(seconds: float | None) -> str:
    """``9 min 30 s`` for long times, ``2.5 s`` for short ones."""
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{fmt(seconds)} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
