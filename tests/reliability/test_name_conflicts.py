"""Names already taken by a previous run of the same lesson (a re-run cell, "Run All" again after
stopping half-way): each case is explained where it happens, and the lesson still works.

* a `!docker run --name {web}` cell run twice: the CLI's own message names the container and says
  to remove or rename it; the first container keeps serving, the next cells work;
* ``lesson.run(name=...)`` twice: :class:`errors.NameInUse` shown as message + fix (``docker rm -f
  NAME``) by the notebook's handler, no traceback, no half-made container left;
* notebook 04 run half-way, then from the top in the same kernel (solution mode): every cell runs,
  the cells whose names exist say so, every exercise still passes, and ``lesson.reset()`` leaves
  nothing.

A leftover of a *killed* kernel never collides: the new kernel has a new session id, and its
start sweeps the old one (test_killed_kernel.py).
"""

from __future__ import annotations

import re
import time

import harness


def test_rerun_cells_and_a_rerun_notebook(tmp_path, record):
    nb05, nb04 = harness.NOTEBOOKS / "05-ports-and-web-apps.ipynb", harness.NOTEBOOKS / "04-running-containers.ipynb"
    folder = harness.learner_folder(tmp_path, [nb05, nb04])
    env = {"DOCKERLAB_STATE": str(tmp_path / "state"), "DOCKERLAB_PROGRESS": str(tmp_path / "progress.json")}
    started = time.monotonic()

    cells = harness.code_cells(folder / nb05.name, mode="learner")
    web = harness.index_of(cells, r"^!docker run -d --name \{web\}")
    kernel = harness.Kernel(folder, env)
    try:
        assert all(c.status == "ok" for c in kernel.run_all(cells[: web + 1]))
        again = kernel.run(cells[web])
        assert again.status == "ok" and not again.traceback_frames(), again.shown
        assert re.search(r'The container name "/web-dl[0-9a-f]{6}" is already in use', again.text), again.text
        assert "You have to remove (or rename) that container" in again.text
        later = kernel.run_all(cells[web + 1 : harness.index_of(cells, r"^get\(f\"http://127\.0\.0\.1:\{port\}/\"\)") + 1])
        assert all(c.status == "ok" for c in later) and "Hello from simple-webapp" in later[-1].text, later[-1].shown

        twice = "c = lesson.run('busybox:1.37', ['sleep', '60'], name=lesson.name('twice'))"
        assert kernel.run(twice).status == "ok"
        refused = kernel.run(twice)
        assert refused.status == "error" and refused.ename == "NameInUse" and not refused.traceback_frames(), refused.shown
        assert "dockerlab-error" in refused.html and "docker rm -f twice-dl" in refused.html, refused.html
        count = kernel.run("!docker ps -a --filter name=twice-dl --format '{{{{.Names}}}}' | wc -l")
        assert count.text.strip() == "1", f"a container half-made by the refused call was left: {count.text}"
        assert kernel.run("lesson.reset()").status == "ok"
        sid = kernel.session_id()
        assert harness.resources_of([sid]) == {}
    finally:
        kernel.shutdown()

    cells = harness.code_cells(folder / nb04.name, mode="solution")
    keeper = harness.index_of(cells, r"^!docker exec \{keeper\} pwd")  # half-way: keeper runs, hello and fresh exist
    kernel = harness.Kernel(folder, env)
    try:
        first = kernel.run_all(cells[: keeper + 1])
        assert all(c.status == "ok" for c in first), [c.shown[:300] for c in first if c.status != "ok"]
        second = kernel.run_all(cells)
        failed = [c.source[:80] for c in second if c.status != "ok"]
        assert not failed, f"cells that failed on the re-run: {failed}"
        conflicts = [c for c in second if "is already in use" in c.text]
        assert conflicts, "the re-run should meet the names the first half made"
        assert all("You have to remove (or rename)" in c.text for c in conflicts)
        verdicts = [c.html for c in second if "lesson.check(" in c.source]
        assert verdicts and all(">Done<" in v for v in verdicts), [re.findall(r"font-weight:bold\">([^<]+)<", v) for v in verdicts]
        sid = kernel.session_id()
        assert harness.resources_of([sid]) == {}, harness.resources_of([sid])
    finally:
        kernel.shutdown()
    record("Name conflicts", "notebook 05's `docker run --name {web}` cell run twice; `lesson.run(name=...)` twice; notebook 04 "
           "run half-way then from the top in the same kernel (solution mode)",
           f"CLI says the name is in use and to remove or rename it ({len(conflicts)} cells on the re-run), NameInUse shows "
           "message + `docker rm -f` fix without traceback; every exercise passes on the re-run; nothing left",
           time.monotonic() - started)
