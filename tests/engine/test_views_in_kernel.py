"""show_build in a real Jupyter kernel (nbclient, as papermill runs the notebooks).

Checks what a saved notebook keeps: the display updated to the finished build's HTML and text,
and the build log inside the Output widget's stored state (lines appended, not printed).
"""

from __future__ import annotations

import contextlib
import re

import docker.errors
import nbformat
from nbclient import NotebookClient

from dockerlab import engine
from dockerlab.engine import session

CELL = """\
from dockerlab.views.build import show_build
result = show_build({context!r}, {tag!r}, no_cache=True)
print(result.image_id)
"""


def test_show_build_in_a_kernel(tmp_path):
    context = tmp_path / "ctx"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM busybox:1.37\nRUN echo built-in-a-kernel\n")
    tag = session.current().name("kernelbuild")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL.format(context=str(context), tag=tag))])
    image_id = None
    try:
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
        outputs = nb.cells[0].outputs
        image_id = next(o["text"] for o in outputs if o["output_type"] == "stream").strip()
        shown = next(o for o in outputs if o["output_type"] == "display_data")
        assert "application/vnd.jupyter.widget-view+json" in shown["data"]
        assert image_id[7:19] in shown["data"]["text/html"]  # updated to the result
        assert image_id[7:19] in shown["data"]["text/plain"]
        state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        logs = [
            o["text"]
            for model in state.values()
            if model["model_name"] == "OutputModel"
            for o in model["state"].get("outputs", [])
        ]
        assert any("built-in-a-kernel" in text for text in logs)
        assert all(re.match(r"^#\d+ |^$|^[A-Z]", text) for text in logs)  # one BuildKit line per entry
    finally:
        if image_id:
            with contextlib.suppress(docker.errors.NotFound):
                engine.client().api.remove_image(image_id, force=True)
