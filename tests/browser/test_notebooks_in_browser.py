"""Every notebook, run as a learner runs it: JupyterLab in Chromium, Run All, look at the page.

For each notebook: shut down any kernel of the lab, open the notebook, clear its stored outputs,
Run All from the Run menu, wait (bounded) until every code cell has run and the kernel is idle, then
assert:

* every code cell has an execution count, and no cell has an error output (a Python traceback:
  JupyterLab renders it with the same stderr MIME type as a CLI's stderr, so the cell *models* are
  read for ``output_type == "error"``; CLI stderr is allowed);
* a ``dockerlab.errors`` message box appears only in cells that show one on purpose
  (their source names ``errors.`` or catches an exception), and the read-only banner never (an
  engine is here);
* every widget output rendered (no "Error displaying widget"), and each cell shows the views its
  source asks for (the table in :data:`VIEWS`, e.g. ``show_build(`` -> a finished progress bar);
* every check cell shows its result, and a result that is "not yet" has its "Show a hint" button;
  the first such button is clicked and the hint must appear.

Then a full-page screenshot goes to ``screenshots/<notebook>.png``, the kernel is shut down through
the REST API, and its dockerlab session must have removed everything it made.

Last, the progress strip: in notebook 04, the learner's "✍ Your turn" cell gets the worked solution's command and
runs; the strip at the top must show the exercise done within seconds (a quiet check after the cell) while the
check cell has not run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

from dockerlab.exercises import course

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots"
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
RUN_TIMEOUT = float(os.environ.get("DOCKERLAB_BROWSER_TIMEOUT", "300"))  # s per notebook, Run All to idle
RENDER_TIMEOUT = 30_000  # ms for the widgets to appear once the kernel is idle

# A live ipywidgets view (JupyterLab gives widget outputs no data-mime-type; the static HTML
# fallback of a view has no .jupyter-widgets element).
WIDGET = ".jp-OutputArea-output .jupyter-widgets"
TOP_WIDGET = ".jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output > .jupyter-widgets"
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


@dataclass
class Expected:
    """An element a cell's output must contain, because the cell's source calls ``call``."""

    call: str  # regular expression over the cell's source
    selector: str  # CSS within the cell's output area
    what: str


VIEWS = [
    Expected(r"\bshow_build\(", f"{WIDGET} .widget-hprogress", "build view with a progress bar"),
    Expected(r"\bDoctorView\(", f"{WIDGET} .dockerlab-doctor", "doctor table (live widget)"),
    Expected(r"\bLayersView\(", f"{WIDGET} .dockerlab-layers", "layers table (live widget)"),
    Expected(r"\bNamespacesView\(", f"{WIDGET} .dockerlab-namespaces", "namespaces view (live widget)"),
    Expected(r"\bCgroupView\(", f"{WIDGET} .dockerlab-cgroups", "cgroup limits view (live widget)"),
    Expected(r"\bContainerCard\(", f"{WIDGET} .dockerlab-card", "container card (live widget)"),
    Expected(r"\bContainersTable\(", f"{WIDGET} .widget-button", "containers table with its Refresh button"),
    Expected(r"\bComposeView\(", f"{WIDGET} .dockerlab-compose svg", "Compose drawing (SVG)"),
    Expected(r"\bprogress\.summary\(", ".dockerlab-progress", "progress overview"),
    Expected(r"\bdockerlab\.start\(", f"{WIDGET} .dockerlab-strip", "progress strip (live widget)"),
    Expected(r"\blesson\.ask\(", f"{WIDGET} .widget-radio-box", "concept question with its choices (live widget)"),
    Expected(r"\bcheck\(\s*(lesson\s*,\s*)?[\"']\d\d\.", f"{WIDGET} .dockerlab-check", "exercise check result"),
]
CHECK_CALL = VIEWS[-1].call
DELIBERATE_ERROR = re.compile(r"\berrors\.|\bexcept\b")

# Per cell: what the page shows (prompt, outputs, the elements asked about). Cells are JupyterLab's
# own cell widgets (window.jupyterapp is exposed by the harness), so their models are exact.
STATE_JS = """({selectors, WIDGET, TOP_WIDGET, STDERR}) => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = panel.content.widgets.map((cell, index) => {
    const m = cell.model;
    const prompt = cell.node.querySelector('.jp-InputArea-prompt');
    const outputs = m.type === 'code' ? m.outputs.toJSON() : [];
    const found = {};
    for (const s of selectors) found[s] = cell.node.querySelectorAll(s).length;
    const hintButtons = Array.from(cell.node.querySelectorAll(WIDGET + ' button'))
      .filter(b => /Show (a|another) hint/.test(b.textContent) && b.offsetParent !== null).length;
    return {
      index, type: m.type, source: m.sharedModel.getSource(), tags: m.getMetadata('tags') || [],
      count: m.type === 'code' ? m.executionCount : null,
      running: m.type === 'code' && (m.executionState === 'running' || (prompt && prompt.textContent.includes('*'))),
      errors: outputs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      stderr: cell.node.querySelectorAll(STDERR).length,
      widgetOutputs: outputs.filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length,
      widgetsRendered: cell.node.querySelectorAll(TOP_WIDGET).length,
      widgetFailures: Array.from(cell.node.querySelectorAll('.jp-OutputArea-output'))
        .filter(o => /Error displaying widget/i.test(o.textContent)).length,
      found, hintButtons,
      checkText: Array.from(cell.node.querySelectorAll('.dockerlab-check')).map(e => e.textContent).join(' | '),
    };
  });
  return {title: panel.title.label, kernel: kernel ? kernel.status : null, ready: panel.sessionContext.isReady, cells};
}"""

ALWAYS = [".dockerlab-error", ".dockerlab-readonly", f"{WIDGET} .widget-hprogress .progress-bar-success",
          f"{WIDGET} .widget-hprogress .progress-bar-danger", ".dockerlab-hint"]
SELECTORS = sorted({v.selector for v in VIEWS} | set(ALWAYS))


@dataclass
class Run:
    notebook: str
    seconds: dict[str, float] = field(default_factory=dict)
    session_id: str | None = None
    hint_clicked: str | None = None
    notes: list[str] = field(default_factory=list)
    views_in_screenshot: list[dict] = field(default_factory=list)


def state(page) -> dict | None:
    return page.evaluate(STATE_JS, {"selectors": SELECTORS, "WIDGET": WIDGET, "TOP_WIDGET": TOP_WIDGET, "STDERR": STDERR})


def output_text(page, index: int, limit: int = 1500) -> str:
    text = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-Cell-outputArea").inner_text()
    return text if len(text) <= limit else "…" + text[-limit:]


def menu(page, top: str, command: str) -> None:
    """Click a menu bar entry, then the item bound to ``command`` (as a learner would)."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    item = page.locator(f'.lm-Menu-item[data-command="{command}"]')
    item.wait_for(state="visible", timeout=10_000)
    item.click()
    page.locator(".lm-Menu").first.wait_for(state="hidden", timeout=10_000)


def dismiss_toasts(page) -> None:
    for close in page.locator(".jp-toast-button, .Toastify__close-button").all():
        if close.is_visible():
            close.click()


def kernel_pid(kernel_id: str) -> int | None:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if f"kernel-{kernel_id}.json".encode() in (proc / "cmdline").read_bytes():
                    return int(proc.name)
            except OSError:
                continue
    return None


def dockerlab_session_of(pid: int | None) -> str | None:
    """The dockerlab session id a kernel process holds (its state file names its pid)."""
    from dockerlab.engine import session as sessions

    for info in (sessions.state_dir() / "sessions").glob("dl*.json"):
        try:
            if json.loads(info.read_text()).get("pid") == pid:
                return info.stem
        except (OSError, ValueError):
            continue
    return None


def engine_resources_of(session_id: str) -> list[str]:
    from dockerlab import engine
    from dockerlab.engine import session as sessions

    api = engine.client().api
    found = [(c["Names"][0].lstrip("/"), c.get("Labels")) for c in api.containers(all=True)]
    found += [(n["Name"], n.get("Labels")) for n in api.networks()]
    found += [(v["Name"], v.get("Labels")) for v in api.volumes().get("Volumes") or []]
    return [name for name, labels in found if sessions.owner_of(labels, name)[0] == session_id]


def wait_for_notebook(page, name: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog")
        if dialog.count() and dialog.first.is_visible():
            raise AssertionError(f"a dialog opened with the notebook: {dialog.first.inner_text()[:300]}")
        current = state(page)
        if current and current["title"] == name and current["ready"] and current["kernel"] == "idle":
            return current
        time.sleep(0.5)
    raise AssertionError(f"{name} did not open with an idle kernel within {timeout:.0f} s")


def processes_below(pid: int | None) -> str:
    """The kernel's process tree (state, what each waits in, how long it has run): where a stuck cell waits."""
    if pid is None:
        return "(no kernel process found)"
    rows = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,etimes=,stat=,wchan:24=,args="], capture_output=True, text=True,
                          timeout=10).stdout.splitlines()
    below, tree = {pid}, []
    for row in rows:  # ps lists parents before their children
        fields = row.split(None, 2)
        if int(fields[0]) in below or int(fields[1]) in below:
            below.add(int(fields[0]))
            tree.append(row[:300])
    tree = "\n".join(tree)
    threads = subprocess.run(["ps", "-L", "-o", "tid,stat,wchan:24,comm", "-p", str(pid)], capture_output=True, text=True,
                             timeout=10).stdout
    return f"{tree}\nthe kernel's threads:\n{threads}"


def wait_for_run(page, name: str, kernel_id: str | None = None) -> dict:
    """Until no cell is queued or running and the kernel is idle (twice in a row), bounded.

    On time-out the message carries what a stuck cell printed so far and where the kernel's processes wait."""
    deadline = time.monotonic() + RUN_TIMEOUT
    started, settled = False, 0
    current = state(page)
    while time.monotonic() < deadline:
        time.sleep(1)
        current = state(page)
        code = [c for c in current["cells"] if c["type"] == "code"]
        started = started or any(c["running"] or c["count"] is not None for c in code)
        settled = settled + 1 if started and current["kernel"] == "idle" and not any(c["running"] for c in code) else 0
        if settled >= 2:
            return current
    stuck = [c["index"] for c in current["cells"] if c["running"]]
    first = f"cell {stuck[0]} printed so far:\n{output_text(page, stuck[0])}\n" if stuck else ""
    where = processes_below(kernel_pid(kernel_id)) if kernel_id else ""
    raise AssertionError(f"{name}: still running after {RUN_TIMEOUT:.0f} s (cells {stuck} queued or running, "
                         f"kernel {current['kernel']})\n{first}{where}")


def expectations(cell: dict) -> list[Expected]:
    """The views a code cell's source asks for; %%solution cells do not run in learner mode."""
    source = cell["source"]
    if cell["type"] != "code" or source.lstrip().startswith("%%solution"):
        return []
    return [v for v in VIEWS if re.search(v.call, source)]


def full_page_screenshot(page, path: Path) -> list[dict]:
    """The whole notebook in one picture: the window made as tall as the notebook's content."""
    width = page.viewport_size["width"]
    height = page.evaluate("""() => {
      const outer = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer');
      if (!outer) return window.innerHeight;
      outer.scrollTop = 0;
      return Math.ceil(outer.scrollHeight + window.innerHeight - outer.clientHeight);
    }""")
    try:
        page.set_viewport_size({"width": width, "height": min(max(height, 900), 30_000)})
        page.wait_for_timeout(700)  # layout and lazy widget sizes
        page.screenshot(path=str(path), full_page=True)
        # Where the dockerlab views are in the picture, for whoever reviews it (browser-run.json).
        return page.evaluate("""() => Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')).map((cell, index) => {
            const out = cell.querySelector('.jp-Cell-outputArea');
            if (!out || !out.querySelector('.jupyter-widgets, [class^="dockerlab-"]')) return null;
            const box = out.getBoundingClientRect();
            return {cell: index, y: Math.round(box.top), height: Math.round(box.height)};
          }).filter(Boolean)""")
    finally:
        page.set_viewport_size({"width": width, "height": 900})


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_in_browser(name, lab, page, runs):
    run = Run(name)
    runs.append(run)
    t0 = time.monotonic()
    lab.shut_down_kernels()  # JupyterLab would reattach a kernel left for this notebook
    kernel = None

    try:
        page.goto(f"{lab.url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
        loaded = wait_for_notebook(page, name)
        dismiss_toasts(page)
        if page.evaluate("() => !window.jupyterapp.shell.leftCollapsed"):
            page.evaluate("() => window.jupyterapp.shell.collapseLeft()")  # more width for the outputs
        [kernel] = lab.kernels()
        run.seconds["open"] = round(time.monotonic() - t0, 1)

        # Stored outputs first cleared, so every count and widget seen below comes from this run.
        page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        menu(page, "Edit", "editmenu:clear-all")
        cleared = state(page)
        assert all(c["count"] is None for c in cleared["cells"] if c["type"] == "code"), "outputs were not cleared"

        t_run = time.monotonic()
        menu(page, "Run", "runmenu:run-all")
        done = wait_for_run(page, name, kernel["id"])
        run.seconds["run_all"] = round(time.monotonic() - t_run, 1)

        code = [c for c in done["cells"] if c["type"] == "code"]
        errors = [f"cell {c['index']}: {e}" for c in code for e in c["errors"]]
        assert not errors, f"{name}: error outputs:\n" + "\n".join(errors)
        not_run = [c["index"] for c in code if c["count"] is None]
        if not_run:
            # Run All stops at a cell that raised (a DockerlabError is shown as a message, not a traceback).
            last = max((c for c in code if c["count"] is not None), key=lambda c: c["count"], default=None)
            where = (f"; the last cell that ran, {last['index']}:\n{last['source'][:400]}\n--- its output ---\n"
                     f"{output_text(page, last['index'])}") if last else ""
            pytest.fail(f"{name}: cells that did not run: {not_run}{where}")

        # Widgets render after the kernel is idle: wait for each expected element, bounded.
        wanted = [(c, v) for c in loaded["cells"] for v in expectations(c)]
        for cell, view in wanted:
            locator = page.locator(".jp-Notebook .jp-Cell").nth(cell["index"]).locator(view.selector).first
            try:
                locator.wait_for(state="attached", timeout=RENDER_TIMEOUT)
            except Exception:
                pytest.fail(f"{name} cell {cell['index']}: no {view.what} ({view.selector}); the cell:\n{cell['source'][:400]}")
        deadline = time.monotonic() + RENDER_TIMEOUT / 1000
        shown = state(page)
        while any(c["widgetsRendered"] < c["widgetOutputs"] for c in shown["cells"]) and time.monotonic() < deadline:
            time.sleep(0.5)
            shown = state(page)
        problems = [f"cell {c['index']}: {c['widgetOutputs'] - c['widgetsRendered']} widget output(s) not rendered"
                    for c in shown["cells"] if c["widgetsRendered"] < c["widgetOutputs"]]
        for c in shown["cells"]:
            if c["widgetFailures"]:
                problems.append(f"cell {c['index']}: {c['widgetFailures']} widget output(s) failed to render")
            if c["found"][".dockerlab-error"] and not DELIBERATE_ERROR.search(c["source"]):
                problems.append(f"cell {c['index']}: shows a dockerlab error message box:\n{c['source'][:300]}")
            if c["found"][".dockerlab-readonly"]:
                problems.append(f"cell {c['index']}: shows the read-only banner, but an engine is here")
            unfinished = (c["found"][f"{WIDGET} .widget-hprogress"] - c["found"][f"{WIDGET} .widget-hprogress .progress-bar-success"]
                          - c["found"][f"{WIDGET} .widget-hprogress .progress-bar-danger"])
            if unfinished > 0:
                problems.append(f"cell {c['index']}: {unfinished} build progress bar(s) neither done nor failed")
            if re.search(CHECK_CALL, c["source"]) and not c["source"].lstrip().startswith("%%solution"):
                if "Not yet" in c["checkText"] and not c["hintButtons"]:
                    problems.append(f"cell {c['index']}: a 'not yet' check result without its Show a hint button")
        assert not problems, f"{name}:\n" + "\n".join(problems)

        # One hint, clicked as a learner would: the hint text must appear in that result.
        with_hint = [c for c in shown["cells"] if c["hintButtons"]]
        if with_hint:
            cell = page.locator(".jp-Notebook .jp-Cell").nth(with_hint[0]["index"])
            cell.get_by_role("button", name=re.compile("Show a hint")).first.click()
            cell.locator(".dockerlab-hint").first.wait_for(state="visible", timeout=20_000)
            run.hint_clicked = f"cell {with_hint[0]['index']}: " + cell.locator(".dockerlab-hint").first.inner_text()[:120]

        run.notes.append("views: " + ", ".join(sorted({v.what for _c, v in wanted})) if wanted else "views: none asked for")
        run.notes.append(f"stderr outputs (CLI): {sum(c['stderr'] for c in code)}; "
                         f"widget outputs: {sum(c['widgetOutputs'] for c in code)}; "
                         f"deliberate error boxes: {sum(c['found']['.dockerlab-error'] for c in code)}")
    finally:
        try:
            SCREENSHOTS.mkdir(exist_ok=True)
            if page.evaluate("() => !!(window.jupyterapp && window.jupyterapp.shell.currentWidget)"):
                run.views_in_screenshot = full_page_screenshot(page, SCREENSHOTS / name.replace(".ipynb", ".png"))
        finally:
            if kernel is not None:
                run.session_id = dockerlab_session_of(kernel_pid(kernel["id"]))
            page.goto("about:blank")
            t_down = time.monotonic()
            lab.shut_down_kernels()
            run.seconds["shutdown"] = round(time.monotonic() - t_down, 1)
            run.seconds["total"] = round(time.monotonic() - t0, 1)

    # The kernel is gone: its dockerlab session must have cleaned up and released its files.
    if run.session_id:
        from dockerlab.engine import session as sessions

        left = engine_resources_of(run.session_id)
        assert not left, f"{name}: session {run.session_id} left {left} on the engine after its kernel shut down"
        assert not (sessions.state_dir() / "sessions" / f"{run.session_id}.json").exists(), \
            f"{name}: session {run.session_id} still has its state file after its kernel shut down"
    assert not lab.saved_files(), f"JupyterLab wrote files during the run: {lab.saved_files()}"


# -- the progress strip -----------------------------------------------------------------------------

STRIP_NOTEBOOK = "04-running-containers.ipynb"
STRIP_EXERCISE = "04.keep-running"
STRIP_WAIT = 30  # s: the quiet check runs a second after the cell, in the kernel's background


def cells_of_exercise() -> tuple[int, int, int, str]:
    """(the learner's cell, the solution cell, the check cell) of STRIP_EXERCISE, and the solution's command."""
    cells = nbformat.read(ROOT / "notebooks" / STRIP_NOTEBOOK, as_version=4).cells
    check = next(i for i, c in enumerate(cells) if course.checked_in(c) == STRIP_EXERCISE)
    solution = max(i for i, c in enumerate(cells[:check]) if course.is_solution(c))
    yours = max(i for i, c in enumerate(cells[:solution]) if c.cell_type == "code")
    [command] = course.worked_solution(STRIP_NOTEBOOK.removesuffix(".ipynb"), STRIP_EXERCISE)
    return yours, solution, check, command.strip()


def run_command(page, command: str) -> None:
    page.evaluate("(id) => window.jupyterapp.commands.execute(id)", command)


def test_a_correct_command_turns_the_strip_done_without_the_check_cell(lab, page):
    yours, _solution, check, command = cells_of_exercise()
    lab.shut_down_kernels()
    kernel = None
    try:
        page.goto(f"{lab.url}/lab/tree/{STRIP_NOTEBOOK}?reset", wait_until="domcontentloaded")
        wait_for_notebook(page, STRIP_NOTEBOOK)
        dismiss_toasts(page)
        [kernel] = lab.kernels()
        page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
        menu(page, "Edit", "editmenu:clear-all")

        # Everything above the learner's cell, as a learner reading down the notebook would have run it.
        page.evaluate("(i) => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", yours)
        run_command(page, "notebook:run-all-above")
        wait_for_run(page, STRIP_NOTEBOOK)
        strip = page.locator(".jp-Notebook .jp-Cell .jupyter-widgets .dockerlab-strip").first
        strip.wait_for(state="attached", timeout=30_000)
        assert f"✓ {STRIP_EXERCISE}" not in strip.inner_text(), strip.inner_text()

        # The learner writes the command into their cell and runs it: no check cell.
        page.evaluate("([i, text]) => { const nb = window.jupyterapp.shell.currentWidget.content;"
                      " nb.widgets[i].model.sharedModel.setSource(text); nb.activeCellIndex = i; }", [yours, command])
        run_command(page, "notebook:run-cell")
        deadline = time.monotonic() + STRIP_WAIT
        while f"✓ {STRIP_EXERCISE}" not in strip.inner_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        shown = strip.inner_text()
        assert re.search(rf"✓ {re.escape(STRIP_EXERCISE)}", shown), f"the strip did not turn done within {STRIP_WAIT} s: {shown}"
        cells = state(page)["cells"]
        assert cells[yours]["count"] is not None and not cells[yours]["errors"], cells[yours]
        assert cells[check]["count"] is None, "the check cell ran: the strip must turn done without it"
    finally:
        session = dockerlab_session_of(kernel_pid(kernel["id"])) if kernel is not None else None
        page.goto("about:blank")
        lab.shut_down_kernels()
        if session:
            deadline = time.monotonic() + 30
            while engine_resources_of(session) and time.monotonic() < deadline:
                time.sleep(1)
            assert not engine_resources_of(session), f"the kernel's session left {engine_resources_of(session)}"
