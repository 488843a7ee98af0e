"""make test side by side (matrix/split.py): a worker on an engine of its own still reports what a notebook
leaves behind, as the serial run does. Runs on the machine's own engine and namespaces (split.ON_THE_MACHINE),
starts one separate engine from the machine's programs, and needs root, as make test's workers do."""

from __future__ import annotations

import pytest

from matrix import split

pytestmark = pytest.mark.engine

PLANTED = "tests/data/split"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    why_not = split.can_start_engines()
    if why_not:
        pytest.skip(f"no separate engine here: {why_not}")
    jobs = [split.Job("planted-tidy", [f"{PLANTED}/tidy.ipynb"], 1.0),
            split.Job("planted-leftover", [f"{PLANTED}/leaves-a-container.ipynb"], 1.0)]
    lines: list[str] = []
    # Named on the command line, the planted notebooks run, though the suite's own collection skips them
    # (tests/data/conftest.py).
    done = split.run(jobs, workers=1, machine=False, names="leak", results=tmp_path_factory.mktemp("split"),
                     say=lines.append)
    return done, lines


def test_the_job_ran_on_a_separate_engine(report):
    done, lines = report
    assert done.workers == ["w0"] and {o.worker for o in done.outcomes} == {"w0"}
    assert any("new engine leak1" in line for line in lines), lines


def test_a_tidy_notebook_passes_in_a_worker(report):
    done, _ = report
    tidy = next(o for o in done.outcomes if o.job.name == "planted-tidy")
    assert tidy.code == 0, tidy.log.read_text()


def test_a_container_left_in_a_worker_fails_the_run_and_is_named(report):
    done, _ = report
    assert [o.job.name for o in done.failed] == ["planted-leftover"]
    log = done.failed[0].log.read_text()
    assert "left resources on the engine after its last cell" in log and "planted-leftover" in log, log[-2000:]


def test_nothing_of_the_worker_engine_is_left(report):
    from matrix import netns

    assert netns.existing("leak1") is None
