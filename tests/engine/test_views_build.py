"""BuildView against real BuildKit builds: lines arrive while the build runs, results and failures shown.

The lines come from BuildKit's structured progress (``--progress=rawjson``, read by
:mod:`dockerlab.services.buildkit`) and read as ``--progress=plain`` does: step names, CACHED or
DONE with a timing, and for a failure the failing step's last lines.
"""

from __future__ import annotations

import contextlib
import re
import time

import docker.errors
import pytest

from dockerlab import engine
from dockerlab.engine import session
from dockerlab import errors
from dockerlab.views.build import BuildView


@pytest.fixture
def built_images():
    """Image ids the test built; removed afterwards (only those, by id)."""
    ids: list[str] = []
    yield ids
    for image_id in ids:
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            engine.client().api.remove_image(image_id, force=True)


def test_first_line_arrives_before_the_build_ends(tmp_path, built_images):
    (tmp_path / "Dockerfile").write_text("FROM busybox:1.37\nRUN sleep 3\nRUN echo done > /done\n")
    tag = session.current().name("firstline")
    arrivals: list[float] = []
    view = BuildView(tmp_path, tag)
    live = view.on_event

    def record(event):
        arrivals.append(time.monotonic())
        live(event)

    view.on_event = record
    started = time.monotonic()
    result = view.run(no_cache=True)
    ended = time.monotonic()
    built_images.append(result.image_id)

    first = arrivals[0] - started
    print(
        f"\nfirst line after {first:.3f} s (build.py measured {result.first_line_after:.3f} s); "
        f"build took {ended - started:.2f} s; {len(arrivals)} lines"
    )
    assert arrivals[0] < ended - 2.5, "the first line must reach on_event while the build still runs (RUN sleep 3)"
    # Every line went into the Output widget as its own stream entry, as it came.
    assert len(view.out.outputs) == len(arrivals)
    assert all(o["output_type"] == "stream" and o["name"] == "stdout" for o in view.out.outputs)
    assert view.progress.value == view.progress.max == 3
    assert view.progress.bar_style == "success"
    assert [str(v.step) for v in result.steps] == [
        "[1/3] FROM docker.io/library/busybox:1.37", "[2/3] RUN sleep 3", "[3/3] RUN echo done > /done",
    ]
    slept = result.steps[1]
    assert not slept.cached and 3 <= slept.seconds < 10
    assert f"#{slept.number} DONE {slept.seconds:.1f}s" in view.lines
    assert arrivals[view.lines.index(f"#{slept.number} [2/3] RUN sleep 3")] < ended - 2.5, "a step shows when it starts"
    assert result.image_id[7:19] in view.html() and result.image_id[7:19] in view.text()
    bundle = view._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"} <= set(bundle)


def test_a_rebuild_says_which_steps_came_from_the_cache(tmp_path, built_images):
    (tmp_path / "Dockerfile").write_text("FROM busybox:1.37\nRUN echo one > /one\nRUN echo two > /two\n")
    tag = session.current().name("cachedview")
    built_images.append(BuildView(tmp_path, tag).run(no_cache=True).image_id)
    view = BuildView(tmp_path, tag)
    result = view.run()
    assert [v.cached for v in result.steps[1:]] == [True, True]
    assert result.cached_steps == sum(v.cached for v in result.steps) >= 2
    for step in result.steps[1:]:
        at = view.lines.index(f"#{step.number} {step.step}")
        assert view.lines[at + 1] == f"#{step.number} CACHED"
    assert f"{result.cached_steps} of 3 steps from cache" in view.summary.value


def test_failed_build_shows_the_failing_step(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM busybox:1.37\nRUN echo about to fail && exit 3\n")
    view = BuildView(tmp_path, session.current().name("broken"))
    with pytest.raises(errors.BuildFailed) as caught:
        view.run(no_cache=True)
    assert caught.value.step == "[2/2] RUN echo about to fail && exit 3"
    # The failing step's last lines, framed as buildx frames them, end the log and the error's message.
    at = view.lines.index(" > [2/2] RUN echo about to fail && exit 3:")
    assert view.lines[at - 1] == "------" and re.fullmatch(r"\d\.\d{3} about to fail", view.lines[at + 1])
    assert view.lines[-1].startswith("ERROR: failed to solve:") and "exit code: 3" in view.lines[-1]
    assert "about to fail" in caught.value.message and "exit code: 3" in caught.value.log
    assert view.progress.bar_style == "danger"
    assert "Build failed" in view.summary.value and "exit 3" in view.html()
    assert "build failed at" in str(view)
    assert view.run(no_cache=True, raise_on_failure=False) is None


def test_long_logs_are_folded_in_the_widget(tmp_path, built_images):
    (tmp_path / "Dockerfile").write_text("FROM busybox:1.37\nRUN for i in $(seq 1 120); do echo line $i; done\n")
    view = BuildView(tmp_path, session.current().name("longlog"), max_lines=40)
    result = view.run(no_cache=True)
    built_images.append(result.image_id)
    assert len(view.lines) > 120
    assert len(view.out.outputs) <= 40
    assert "earlier lines not shown" in view.out.outputs[0]["text"]
    assert view.lines[-1].rstrip() in "".join(o["text"] for o in view.out.outputs)
