"""docs/engine-matrix.md from the rows' results (build/matrix/ROW.json).

Only the part between the page's two markers is rewritten; the prose around it is kept.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from .rows import ROWS
from .run import RESULTS, ROOT

PAGE = ROOT / "docs" / "engine-matrix.md"
BEGIN, END = "<!-- matrix:begin (python -m matrix report writes this part) -->", "<!-- matrix:end -->"


def _minutes(seconds: float | None) -> str:
    if not seconds:
        return "-"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s" if seconds >= 60 else f"{seconds:.0f} s"


def table(results: list[dict]) -> str:
    lines = [
        "| row | engine | CLI, buildx, Compose | image store | cgroup | notebooks under nbval (cells) | solution mode | other tests | time (engine, images, tests) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        e = r["engine"]
        notebooks = r["notebooks"]
        clean = [n for n, v in notebooks.items() if not v["failed"]]
        cells = sum(v["cells"] for v in notebooks.values())
        bad_cells = sum(len(v["failed"]) for v in notebooks.values())
        skipped = sum(len(v.get("skipped", [])) for v in notebooks.values())
        compared = "" if ROWS.get(r["row"]) is None or ROWS[r["row"]].outputs else "; cells run, outputs not compared"
        compared += f"; {skipped} skipped" if skipped else ""
        solved = [n for n, v in notebooks.items() if v["solution"]]
        tests = r.get("tests") or {}
        other = f"{tests.get('passed', 0)} passed" + (f", {len(tests['failed'])} failed" if tests.get("failed") else "")
        s = r["seconds"]
        time = ", ".join(_minutes(s.get(k)) for k in ("engine start", "images", "tests")) + f" = **{_minutes(s.get('total'))}**"
        engine = f"{e.get('engine')} (API {e.get('api')}) on {e.get('os')}"
        where = e.get("where")
        if where:
            engine += f"; {where}"
        lines.append(
            f"| {r['row']}: {r['title']} | {engine} | {e.get('cli')}; {_short(e.get('buildx'))}; {e.get('compose') or '-'} "
            f"| {e.get('image_store')} | {e.get('cgroup')} | {len(clean)} of {len(notebooks)} ({cells - bad_cells} of {cells}{compared}) "
            f"| {len(solved)} of {len(notebooks)} | {other} | {time} |"
        )
    return "\n".join(lines)


def _short(buildx: str | None) -> str:
    """'github.com/docker/buildx 0.29.1+ds1 0.29.1+ds1-4' -> 'buildx 0.29.1+ds1'."""
    if not buildx:
        return "no buildx"
    parts = buildx.split()
    return f"buildx {parts[1]}" if len(parts) > 1 else buildx


def failures(results: list[dict]) -> str:
    lines = []
    for r in results:
        for name, v in r["notebooks"].items():
            if v["failed"]:
                lines.append(f"- row {r['row']}, {name}: {', '.join(v['failed'])} differ from the stored outputs")
            if not v["solution"]:
                lines.append(f"- row {r['row']}, {name}: solution mode failed")
        for test in (r.get("tests") or {}).get("failed", []):
            lines.append(f"- row {r['row']}: {test} failed")
    return "\n".join(lines) or "None: every row passed."


def skipped_cells(results: list[dict]) -> str:
    """The cells each row skipped (``%%needs``), grouped by the reason the learner saw, each named by its
    notebook, number and first line."""
    lines = []
    for r in results:
        by_reason: dict[str, list[str]] = {}
        for name, v in sorted(r["notebooks"].items()):
            for cell in v.get("skipped", []):
                number = int(cell["cell"].split()[-1])
                by_reason.setdefault(_reason(cell["why"]), []).append(f"{name[:2]} {cell['cell']} (`{_first_line(name, number)}`)")
        lines += [f"- row {r['row']}: {why}. Skipped: {'; '.join(cells)}." for why, cells in by_reason.items()]
    return "\n".join(lines) or "None."


def _first_line(notebook: str, number: int) -> str:
    cells = [c for c in json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())["cells"] if c["cell_type"] == "code"]
    source = "".join(cells[number]["source"]).splitlines() if number < len(cells) else []
    text = next((line for line in source if line.strip() and not line.startswith(("%%", "#"))), "")
    return text if len(text) <= 48 else text[:45] + "..."


def _reason(why: str) -> str:
    """The reason as the learner read it, without pytest's "Skipped: " and the sentence around it."""
    why = why.removeprefix("Skipped: ")
    return why.split("the engine in use: ", 1)[-1].split(". It is skipped", 1)[0]


def write() -> str:
    """Rewrite the generated part of the page; return what it now says."""
    results = [json.loads((RESULTS / f"{key}.json").read_text()) for key in ROWS if (RESULTS / f"{key}.json").exists()]
    if not results:
        raise SystemExit(f"no results in {RESULTS}: run python -m matrix run first")
    machines = sorted({r["machine"] for r in results})
    body = "\n".join([
        BEGIN,
        f"Last full run: {date.today().isoformat()}, on {'; '.join(machines)}.",
        "",
        table(results),
        "",
        "What failed:",
        "",
        failures(results),
        "",
        "Cells skipped, each saying why to the learner (`%%needs`):",
        "",
        skipped_cells(results),
        END,
    ])
    page = PAGE.read_text() if PAGE.exists() else f"# The engine matrix\n\n{BEGIN}\n{END}\n"
    before, _, rest = page.partition(BEGIN)
    _, _, after = rest.partition(END)
    PAGE.write_text(before + body + after)
    return body
