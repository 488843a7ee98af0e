"""A workshop end to end: release, 30 hand-ins, grading, the gradebook read as an LMS reads it, the class view.

`dockerlab release` writes the learner edition of notebooks 00 and 02 (the short ones: three
exercises between them). ``DOCKERLAB_WORKSHOP`` simulated learners (default 30) then hand in
notebooks made from that edition: learner k does the exercises whose bits are set in ``k % 8``, by
putting the instructor's worked solution where the learner edition expects the learner's answer
(appended to the exercise's "✍ Your turn" cell, as a learner who edits that cell would), so every
pattern from nothing done to everything done occurs, several times. Three learners are different:
one hands in only notebook 00, one hands in a notebook 00 that is not a notebook at all (a torn
file), and one whose "✍ Your turn" cell of 00 raises before it sets the answer.

`dockerlab grade` (the command line, with a points file: 2, 1 and 0.5 points, so totals are not
counts) grades them all. The test then reads ``gradebook.csv`` with the csv module as an LMS
import would (one header row, then one row per learner and nothing else, every item cell a
number or empty, ``total`` the sum of the items, ``possible`` the points file's sum) and compares
each learner's row with the points that learner was made to earn, worked out from the simulation
and the points file alone, not from anything the grader wrote. Each learner's feedback page must
name every exercise they did not do as "not yet", and only those; the broken learner's must show
the error. The class view of the graded progress records (what `dockerlab class watch` shows) must
count for each learner what they did, exercise by exercise. Nothing of the grading sessions may be
left on the engine. Grading's time is measured
and recorded, never asserted.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

import harness

LEARNERS = int(os.environ.get("DOCKERLAB_WORKSHOP", "30"))
NOTEBOOKS = ("00-welcome.ipynb", "02-setup.ipynb")
#: The instructor's points file: what each exercise is worth here (not the declared 1 point each).
POINTS = {"00.engine-version": 2.0, "02.first-container": 1.0, "02.as-your-user": 0.5}
EXERCISES = list(POINTS)  # bit i of k % 8 -> learner k does EXERCISES[i]
BOUND = float(os.environ.get("DOCKERLAB_WORKSHOP_BOUND", "3000"))
CHECK = re.compile(r"""lesson\.check\(\s*["']([^"']+)["']""")

ONLY_00, TORN_00, RAISES = LEARNERS - 3, LEARNERS - 2, LEARNERS - 1


def name_of(k: int) -> str:
    return f"learner{k:02d}"


def done_by(k: int) -> set[str]:
    """The exercises learner k does (before a broken hand-in spoils one)."""
    if k in (ONLY_00, TORN_00, RAISES):
        return set(EXERCISES)
    return {ex for bit, ex in enumerate(EXERCISES) if (k % 8) >> bit & 1}


def expected_points(k: int) -> dict[str, float]:
    """What learner k earns per exercise, from the simulation and POINTS alone."""
    earned = {ex: (POINTS[ex] if ex in done_by(k) else 0.0) for ex in EXERCISES}
    if k == ONLY_00:  # no notebook 02 handed in
        earned["02.first-container"] = earned["02.as-your-user"] = 0.0
    if k in (TORN_00, RAISES):  # notebook 00 unreadable, or its answer cell raises before the answer is set
        earned["00.engine-version"] = 0.0
    return earned


def solutions(course: Path, notebook: str) -> dict[str, tuple[str, str]]:
    """Exercise id -> (id of the solution cell, its code without the %%solution / %%needs lines)."""
    cells = nbformat.read(course / notebook, as_version=4).cells
    found = {}
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and cell.source.lstrip().startswith("%%solution"):
            exercise = next(CHECK.search(c.source).group(1) for c in cells[index + 1:] if c.cell_type == "code" and CHECK.search(c.source))
            body = "\n".join(line for line in cell.source.lstrip().splitlines()[1:] if not line.startswith("%%needs"))
            found[exercise] = (cell["id"], body)
    return found


def hand_in(edition: Path, notebook: str, answers: dict[str, tuple[str, str]], do: set[str], raises: bool = False):
    """The learner edition of ``notebook`` with the solutions of ``do`` appended to their "✍ Your turn" cells."""
    nb = nbformat.read(edition / notebook, as_version=4)
    ids = [cell.get("id") for cell in nb.cells]
    for exercise, (cell_id, body) in answers.items():
        note = ids.index(cell_id)  # release keeps the solution cell's id on the note in its place
        assert nb.cells[note].cell_type == "markdown", f"{notebook}: the learner edition still has {exercise}'s solution"
        turn = next(i for i in range(note - 1, -1, -1) if nb.cells[i].cell_type == "code")
        assert "✍ Your turn" in nb.cells[turn].source, f"{notebook}: no ✍ cell before {exercise}'s note"
        if exercise in do:
            nb.cells[turn].source += "\n\n# my answer\n" + body
        if raises and exercise == "00.engine-version":
            nb.cells[turn].source = "engine_version = found_version[0]  # a name I never defined\n" + nb.cells[turn].source
    return nb


@pytest.mark.skipif(not all((harness.NOTEBOOKS / nb).exists() for nb in NOTEBOOKS), reason="notebooks 00 and 02 are not there")
def test_a_workshop_graded(tmp_path, record):
    edition, handins, out = tmp_path / "learner-edition", tmp_path / "handins", tmp_path / "grades"
    env = {**os.environ, "DOCKERLAB_STATE": str(tmp_path / "state")}
    cli = [sys.executable, "-m", "dockerlab"]

    done = harness.sh([*cli, "release", str(edition), "--notebooks", "00,02"], timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert sorted(p.name for p in edition.glob("*.ipynb")) == list(NOTEBOOKS)
    for notebook in NOTEBOOKS:
        assert "%%solution" not in (edition / notebook).read_text(), f"the learner edition of {notebook} has a solution"

    answers = {nb: solutions(harness.NOTEBOOKS, nb) for nb in NOTEBOOKS}
    assert {ex for nb in NOTEBOOKS for ex in answers[nb]} == set(EXERCISES)
    for k in range(LEARNERS):
        folder = handins / name_of(k)
        folder.mkdir(parents=True)
        for notebook in NOTEBOOKS:
            if k == ONLY_00 and notebook.startswith("02"):
                continue
            if k == TORN_00 and notebook.startswith("00"):
                (folder / notebook).write_text('{"cells": [{"cell_type": "code", "source": "engine_ver')  # cut off mid-upload
                continue
            nbformat.write(hand_in(edition, notebook, answers[notebook], done_by(k), raises=k == RAISES), folder / notebook)
    (tmp_path / "points.toml").write_text("".join(f'"{ex}" = {pts}\n' for ex, pts in POINTS.items()))

    started = time.monotonic()
    try:
        graded = subprocess.run([*cli, "grade", str(handins), "--out", str(out), "--points", str(tmp_path / "points.toml")],
                                capture_output=True, text=True, timeout=BOUND, env=env)
    finally:
        seconds = time.monotonic() - started
        # every session the grading kernels used, for the suite's end-of-run check
        for executed in (out / "executed").glob("*/*.ipynb"):
            harness.SEEN.update(harness.session_ids_in(executed.read_text(errors="replace")))
    (tmp_path / "grade.log").write_text(graded.stdout + graded.stderr)
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]

    problems = []
    if "LEFT ON THE ENGINE" in graded.stdout:
        problems.append("the grader says a run left something on the engine: " +
                        "; ".join(line.strip() for line in graded.stdout.splitlines() if "LEFT ON THE ENGINE" in line)[:500])

    # -- gradebook.csv as an LMS import reads it --------------------------------------------------
    raw = (out / "gradebook.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "gradebook.csv starts with a byte order mark"
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header == ["learner", *sorted(EXERCISES), "total", "possible"], header
    assert len(body) == LEARNERS, f"{len(body)} rows after the header for {LEARNERS} learners"
    assert [row[0] for row in body] == [name_of(k) for k in range(LEARNERS)]
    number = re.compile(r"^(0|[1-9]\d*)(\.\d+)?$")
    patterns = set()
    for k, row in enumerate(body):
        who, cells = row[0], dict(zip(header, row))
        if len(row) != len(header):
            problems.append(f"{who}: {len(row)} cells, header has {len(header)}")
            continue
        bad = [f"{col}={cells[col]!r}" for col in header[1:] if cells[col] != "" and not number.match(cells[col])]
        if bad:
            problems.append(f"{who}: cells that are neither a number nor empty: {bad}")
            continue
        items = {ex: float(cells[ex]) if cells[ex] else None for ex in EXERCISES}
        if None in items.values():
            problems.append(f"{who}: empty cells (no engine answered?): {[ex for ex, v in items.items() if v is None]}")
            continue
        wanted = expected_points(k)
        if items != wanted:
            problems.append(f"{who}: gradebook {items}, made to earn {wanted}")
        if abs(float(cells["total"]) - sum(items.values())) > 1e-9:
            problems.append(f"{who}: total {cells['total']} is not the sum of its items ({sum(items.values())})")
        if float(cells["possible"]) != sum(POINTS.values()):
            problems.append(f"{who}: possible {cells['possible']}, the points file says {sum(POINTS.values())}")
        patterns.add(frozenset(ex for ex, pts in wanted.items() if pts))
        # -- the feedback page names what this learner did not do ---------------------------------
        page = (out / "feedback" / f"{who}.txt").read_text(encoding="utf-8")
        for ex in EXERCISES:
            line = next((ln for ln in page.splitlines() if ln.startswith(ex + " ")), None)
            said = "not yet" if line and line.rstrip().endswith(")") and ": not yet (" in line else "done" if line and ": done (" in line else line
            should = "done" if wanted[ex] else "not yet"
            if said != should:
                problems.append(f"{who}: feedback says {line!r} about {ex}, expected {should}")
        html = (out / "feedback" / f"{who}.html").read_text(encoding="utf-8")
        if who not in html or "<script" in html.lower():
            problems.append(f"{who}: feedback page does not name the learner, or has a script")
        for other in (name_of(j) for j in range(LEARNERS) if j != k):
            if re.search(rf"\b{other}\b", page):
                problems.append(f"{who}: feedback page names {other}")
                break
        if k == RAISES and "NameError" not in page:
            problems.append(f"{who}: feedback does not show the NameError of the cell that raised")
        if k == TORN_00 and not re.search(r"^00\.engine-version .*\n    why: 00-welcome\.ipynb: the notebook could not be read", page, re.M):
            problems.append(f"{who}: feedback does not say, at 00.engine-version, that the torn notebook could not be read")
        if k == ONLY_00 and "no notebook of this lesson was handed in" not in page:
            problems.append(f"{who}: feedback does not say notebook 02 was not handed in")
    if LEARNERS >= 8:
        missing = {frozenset(ex for bit, ex in enumerate(EXERCISES) if m >> bit & 1) for m in range(8)} - patterns
        assert not missing, f"patterns that no learner made: {missing}"

    # -- the class view of the graded progress records, as `dockerlab class watch grades/progress` shows it --
    from dockerlab.classroom import classview
    from dockerlab.views.classview import page_html

    view = classview.build(out / "progress", now=time.time())
    rows_by_name = {lr.name: lr for lr in view.learners}
    for k in range(LEARNERS):
        who, wanted = name_of(k), expected_points(k)
        lr = rows_by_name.get(who)
        if lr is None or lr.problem:
            problems.append(f"{who}: the class view has no row for them, or cannot read their record: {lr and lr.problem}")
            continue
        if lr.done != sum(1 for pts in wanted.values() if pts):
            problems.append(f"{who}: the class view says {lr.done} done, made to do {sum(1 for pts in wanted.values() if pts)}")
        for ex in EXERCISES:
            unread = (k == ONLY_00 and ex.startswith("02")) or (k == TORN_00 and ex.startswith("00"))
            should = {"passed"} if wanted[ex] else {"not checked"} if unread else {"not yet", "not checked"} if k == RAISES else {"not yet"}
            if lr.cells.get(ex) not in should:
                problems.append(f"{who}: the class view shows {ex} as {lr.cells.get(ex)!r}, expected {sorted(should)}")
    page = page_html(view, 5)
    missing = [name_of(k) for k in range(LEARNERS) if f'data-learner="{name_of(k)}"' not in page]
    if missing:
        problems.append(f"the class view's page has no row for {missing}")

    sidecar = json.loads((out / "gradebook.json").read_text())
    if sidecar["learners"] != LEARNERS or sidecar["possible"] != sum(POINTS.values()):
        problems.append(f"gradebook.json: learners {sidecar['learners']}, possible {sidecar['possible']}")
    left = harness.resources_of(harness.SEEN)
    if left:
        problems.append(f"left on the engine after grading: {left}")

    runs = re.findall(r"^\s+(\d\d-[\w-]+\.ipynb): \d+ check\(s\) in (\d+) s", graded.stdout, re.M)
    by_notebook = {nb: harness.spread([float(s) for name, s in runs if name == nb]) for nb in NOTEBOOKS}
    measured = {"learners": LEARNERS, "grading_s": round(seconds, 1), "per_learner_s": round(seconds / LEARNERS, 1),
                "per_notebook_s": by_notebook, "machine": harness.machine(), "problems": problems,
                "when": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    from test_crowd import _report_dir

    (_report_dir() / f"workshop-{LEARNERS}.json").write_text(json.dumps(measured, indent=1))
    record(f"Workshop: {LEARNERS} hand-ins graded", f"dockerlab release (00, 02); {LEARNERS} learners hand in every pattern of "
           "3 exercises done (solutions from the instructor's edition in the ✍ cells), one only 00, one a torn 00, one a cell "
           "that raises; dockerlab grade --points; gradebook.csv read with the csv module",
           ("every row as the learner was made to earn it; totals the sums; feedback names what each did not do"
            if not problems else f"{len(problems)} problem(s): " + "; ".join(p[:160] for p in problems[:10]))
           + f"; grading {seconds:.0f} s ({seconds / LEARNERS:.1f} s per learner; "
           + ", ".join(f"{nb[:2]} {v.get('median', 0):.0f} s median" for nb, v in by_notebook.items()) + ")", seconds)
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
