"""How make test's work is cut into jobs for engines side by side (matrix/split.py): every test file and
notebook in exactly one job, each notebook with its solution-mode run, the machine's own tests apart,
chunks of about the size asked, longest first."""

from __future__ import annotations

from matrix import split


def _every_path(jobs):
    return [p for job in jobs for p in job.paths]


def test_every_test_file_of_make_test_is_in_exactly_one_job():
    paths = _every_path(split.file_jobs({}))
    assert sorted(paths) == sorted(split.test_files())
    assert len(paths) == len(set(paths))
    assert not [p for p in paths if p.startswith(split.NOT_IN_MAKE_TEST) or p == split.SOLUTION_TESTS]
    assert "tests/unit/test_split_jobs.py" in paths and "tests/engine/test_compose.py" in paths


def test_each_notebook_is_one_job_with_its_solution_mode_run():
    notebooks = sorted(p.stem for p in (split.ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    jobs = split.notebook_jobs({})
    assert [j.name for j in jobs] == notebooks
    for job in jobs:
        assert job.paths == [f"notebooks/{job.name}.ipynb", f"{split.SOLUTION_TESTS}::test_solution_mode[{job.name}]"]
        assert not job.on_the_machine


def test_the_machines_own_tests_are_jobs_of_their_own():
    jobs = split.file_jobs({})
    for job in jobs:
        assert {p in split.ON_THE_MACHINE for p in job.paths} == {job.on_the_machine}, job
    assert any(j.on_the_machine for j in jobs)


def test_files_are_packed_into_chunks_of_about_the_size_asked():
    files = split.test_files()
    known = {f: 10.0 for f in files}
    known[files[0]] = 500.0  # one file alone is longer than a chunk: a job of its own
    jobs = split.file_jobs(known, chunk=60)
    assert [j.paths for j in jobs if files[0] in j.paths] == [[files[0]]]
    for job in jobs:
        if len(job.paths) > 1:
            assert job.estimate <= 60, job
    # at most one chunk per kind is less than half full: packing goes on until a file does not fit
    assert sum(1 for j in jobs if j.estimate < 30) <= 2


def test_measured_durations_order_the_jobs_longest_first(tmp_path, monkeypatch):
    durations = tmp_path / "durations.json"
    durations.write_text('{"03-first-image": 999, "06-images-in-depth": 1}')
    monkeypatch.setattr(split, "DURATIONS", durations)
    jobs = split.all_jobs()
    assert jobs[0].name == "03-first-image"
    assert [j.estimate for j in jobs] == sorted((j.estimate for j in jobs), reverse=True)
    assert next(j for j in jobs if j.name == "06-images-in-depth").estimate == 1


def test_without_measurements_a_notebook_is_guessed_from_its_code_cells():
    small, big = (split.ROOT / "tests/data/split/tidy.ipynb"), (split.ROOT / "notebooks/06-images-in-depth.ipynb")
    assert 0 < split._guess(small) < split._guess(big)


def test_pytests_summary_keeps_the_failures_and_the_safety_findings():
    log = "\n".join(["....F", "FAILED notebooks/x.ipynb::Cell 3 - AssertionError", "", "SAFETY CHECK FAILED:",
                     "course resource left after the suite: web-dl1234", "==== 1 failed, 4 passed in 9.1s ===="])
    summary = split._summary(log).splitlines()
    assert summary[0] == "1 failed, 4 passed in 9.1s"
    assert "FAILED notebooks/x.ipynb::Cell 3 - AssertionError" in summary
    assert "course resource left after the suite: web-dl1234" in summary


def test_another_engine_named_by_docker_host_is_tested_alone(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    here = split.can_start_engines()
    monkeypatch.setenv("DOCKER_HOST", "tcp://elsewhere:2375")
    reason = split.can_start_engines()
    assert reason  # never side by side then: the split would test engines of this machine instead
    if here is None:  # everything else allows separate engines here: DOCKER_HOST is the reason given
        assert "DOCKER_HOST" in reason


def test_make_reliability_runs_each_idempotence_run_anywhere_and_the_scenarios_on_the_machine():
    notebooks = sorted(p.stem for p in (split.ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    jobs = split.reliability_jobs(["learner", "solution"], known={})
    idempotence = [j for j in jobs if j.name.startswith("idempotence-")]
    assert sorted(j.paths[0] for j in idempotence) == sorted(
        f"{split.IDEMPOTENCE}::test_run_twice_in_one_kernel[{nb}-{mode}]" for nb in notebooks for mode in ("learner", "solution"))
    assert not any(j.on_the_machine for j in idempotence)
    scenarios = [j for j in jobs if j not in idempotence]
    files = sorted(str(p.relative_to(split.ROOT)) for p in (split.ROOT / split.RELIABILITY).glob("test_*.py"))
    assert sorted(p for j in scenarios for p in j.paths) == [
        f for f in files if f != split.IDEMPOTENCE and f not in split.NOT_IN_MAKE_RELIABILITY]
    assert all(j.on_the_machine for j in scenarios)
    # the engine-down scenario exists and runs alone: it would cut the other engines' clients off their sockets
    assert set(split.ALONE) <= {j.name for j in scenarios}
