"""The results as a markdown page (docs/benchmarks.md) and as JSON (docs/benchmarks.json)."""

from __future__ import annotations

import json
from pathlib import Path

from .stats import Row, Target, duration, fmt

GROUP_TITLES = {
    "suite": "Full course suite (`make test`)",
    "kit": "Offline image kit alone (`dockerlab images ensure`)",
    "cli": "Helper vs the `docker` CLI, same operation, same run",
    "stream": "Streaming a build log",
    "lab": "`make lab` until JupyterLab answers",
    "memory": "Kernel memory",
    "disk": "Engine disk used by the course's images",
}


def value(number: float | None, unit: str) -> str:
    """A value with its unit: times as ``9 min 30 s`` or ``2.5 s``, ratios as ``0.42×``."""
    if number is None:
        return "–"
    if unit == "s":
        return duration(number)
    if unit == "×":
        return f"{fmt(number)}×"
    return f"{fmt(number)} {unit}"


def table(rows: list[Row]) -> list[str]:
    """Markdown table lines for the rows of one group."""
    lines = [
        "| what | target | median | n | spread (min–max) | verdict | how / why |",
        "|------|--------|--------|---|------------------|---------|-----------|",
    ]
    for row in rows:
        target = "–" if row.target is None else f"{'≥' if row.target.at_least else '≤'} {value(row.target.limit, row.unit)}"
        spread = row.spread
        spread_text = "–" if spread is None else f"{value(spread[0], row.unit)} – {value(spread[1], row.unit)}"
        cells = [row.what, target, value(row.median, row.unit), str(row.n), spread_text, row.verdict, row.note]
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return lines


def markdown(rows: list[Row], machine: dict[str, str], options: dict[str, str], partial: str = "") -> str:
    """The whole page: title, how it was made, the machine, then one table per group."""
    lines = ["# Benchmarks: what the course costs a learner's machine", ""]
    if partial:
        lines += [f"> **Partial run:** {partial}", ""]
    lines += [
        "Made by `make bench` ([`bench/`](../bench/)); the raw numbers are in [`benchmarks.json`](benchmarks.json).",
        "Each number is the median of n runs on the machine below; a ratio compares two things timed",
        "alternately in the same run. Targets are those of the project's issue 8.",
        "",
        "## Machine",
        "",
        "| | |",
        "|-|-|",
    ]
    lines += [f"| {key} | {text} |" for key, text in machine.items()]
    lines += ["", "Options: " + ", ".join(f"`{k}={v}`" for k, v in options.items()), ""]
    for group, title in GROUP_TITLES.items():
        mine = [r for r in rows if r.group == group]
        if mine:
            lines += [f"## {title}", "", *table(mine), ""]
    return "\n".join(lines)


def earlier(raw: Path, groups: set[str]) -> tuple[list[Row], str]:
    """The rows of ``groups`` from the last results file, and that run's date: a partial run keeps them,
    so measuring one group never wipes the others' numbers off the page."""
    try:
        data = json.loads(raw.read_text())
    except (OSError, ValueError):
        return [], ""
    fields = ("group", "what", "unit", "samples", "note", "extra", "value")
    kept = []
    for old in data.get("rows", []):
        if old.get("group") in groups:
            target = old.get("target")
            kept.append(Row(**{k: old[k] for k in fields if k in old}, target=Target(**target) if target else None))
    return kept, data.get("machine", {}).get("date", "an earlier date")


def write(rows: list[Row], machine: dict[str, str], options: dict[str, str], page: Path, raw: Path, partial: str = "") -> None:
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text(markdown(rows, machine, options, partial))
    raw.write_text(json.dumps({"machine": machine, "options": options, "partial": partial, "rows": [r.as_dict() for r in rows]}, indent=2) + "\n")
