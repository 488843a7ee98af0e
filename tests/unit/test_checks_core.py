"""The check framework itself: results, blocks, the registry, check(), the result view."""

from __future__ import annotations

import json
import os

import pytest

import dockerlab.checks as checks
from dockerlab import engine
from dockerlab import errors
from dockerlab.checks import CheckResult, Requirement, Unmet, block, exercise
from dockerlab.exercises import run as run_exercise
from dockerlab.checks.blocks import read_text
from dockerlab.sizes import parse as parse_size
from dockerlab import exercises
from dockerlab.jupyter.lesson import Lesson
from dockerlab.views.checks import result_html


@pytest.fixture
def registered():
    """Exercise ids registered by a test, unregistered afterwards."""
    ids: list[str] = []
    yield ids
    for exercise_id in ids:
        checks.unregister(exercise_id)


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(path))
    return path


# -- CheckResult --------------------------------------------------------------------------------


def make_result(*met: bool, hints=("first hint", "second hint")) -> CheckResult:
    reqs = [Requirement(f"thing {i}", m, "" if m else f"thing {i} is <missing>") for i, m in enumerate(met)]
    return CheckResult("99.demo", "A <demo>", reqs, hints=list(hints), lesson="99-demo")


def test_result_passes_only_when_every_requirement_is_met():
    assert make_result(True, True).passed
    assert not make_result(True, False).passed
    assert not CheckResult("99.empty", "Empty").passed  # nothing checked is not a pass


def test_hints_are_revealed_one_at_a_time():
    result = make_result(False)
    assert result.revealed_hints == [] and result.hints_left == 2
    assert result.next_hint() == "first hint"
    assert result.revealed_hints == ["first hint"]
    assert result.next_hint() == "second hint"
    assert result.next_hint() is None
    assert result.hints_left == 0


def test_text_form_lists_requirements_and_reasons():
    text = str(make_result(True, False))
    assert "99.demo: A <demo> - not yet (1 of 2 met)" in text
    assert "✓ thing 0" in text
    assert "✗ thing 1" in text and "thing 1 is <missing>" in text
    assert "2 more hints" in text
    assert "done" in str(make_result(True)).splitlines()[0]


def test_html_form_escapes_and_reads_without_styles():
    html = result_html(make_result(True, False))
    assert "&lt;missing&gt;" in html and "<missing>" not in html
    assert "A &lt;demo&gt;" in html
    assert "Not yet: 1 of 2 met" in html  # the verdict is words, not only a colour
    assert "&#10003;" in html and "&#10007;" in html


def test_to_dict_is_json_ready():
    result = make_result(True, False)
    result.next_hint()
    data = json.loads(json.dumps(result.to_dict()))
    assert data["exercise"] == "99.demo" and data["passed"] is False
    assert data["met"] == 1 and data["unmet"] == 1 and data["hints_shown"] == 1
    assert data["requirements"][1] == {"description": "thing 1", "met": False, "reason": "thing 1 is <missing>"}


# -- blocks -------------------------------------------------------------------------------------


@block("the number {n} is even")
def even(n):
    if n == "boom":
        raise KeyError("surprise")
    if n == "file":
        open("/nonexistent/dockerlab/file")  # noqa: SIM115
    if n == "unmet":
        raise Unmet("told you so")
    if n % 2:
        return f"{n} is odd"
    return None


def test_block_met_and_unmet_with_reason():
    assert even(2) == Requirement("the number 2 is even", True)
    assert even(3) == Requirement("the number 3 is even", False, "3 is odd")
    assert even("unmet").reason == "told you so"


def test_block_turns_any_exception_into_an_unmet_requirement():
    missing = even("file")
    assert not missing.met and missing.reason == "/nonexistent/dockerlab/file does not exist"
    bug = even("boom")
    assert not bug.met and "KeyError" in bug.reason and "bug in the exercise" in bug.reason


def test_block_description_from_function_with_optional_arguments():
    @block(lambda path, level="error": f"{path} at {level}")
    def checker(path, level="error", extra=None):
        return None

    assert checker("x", extra=1).description == "x at error"


def test_read_text_reasons(tmp_path):
    with pytest.raises(Unmet, match="there is no Dockerfile at .*; there is dockerfile: is that it"):
        (tmp_path / "dockerfile").write_text("FROM x\n")
        read_text(tmp_path / "Dockerfile", "Dockerfile")
    with pytest.raises(Unmet, match="is a folder"):
        read_text(tmp_path, "Dockerfile")
    (tmp_path / "junk").write_bytes(bytes(range(256)))
    with pytest.raises(Unmet, match="not a text file"):
        read_text(tmp_path / "junk")
    (tmp_path / "latin1").write_bytes("ENV X=caf\xe9\n".encode("latin-1"))
    with pytest.raises(Unmet, match="not UTF-8 text .*line 1"):
        read_text(tmp_path / "latin1")
    (tmp_path / "huge").write_bytes(b"# x\n" * 300_000)
    with pytest.raises(Unmet, match="1.2 MB: far too big"):
        read_text(tmp_path / "huge")


def test_parse_size():
    assert parse_size("256m") == 256 * 1024**2
    assert parse_size("200MB") == 200_000_000
    assert parse_size("1.5 GB") == 1_500_000_000
    assert parse_size(1234) == 1234
    with pytest.raises(ValueError):
        parse_size("lots")


# -- registry -----------------------------------------------------------------------------------


def test_register_and_run(registered):
    @exercise("99.evens", title="Even numbers", hints=["2 is even"])
    def evens(lesson):
        yield even(2)
        yield [even(4), even(5)]

    registered.append("99.evens")
    result = run_exercise("99.evens", "99-numbers")
    assert [r.met for r in result.requirements] == [True, True, False]
    assert result.requirements[2].reason == "5 is odd"
    assert result.title == "Even numbers" and result.hints == ["2 is even"] and result.lesson == "99-numbers"
    assert exercises.get("99.evens").belongs_to("99-numbers")


def test_exception_in_exercise_keeps_earlier_requirements(registered):
    @exercise("99.crashes", title="Crashes half-way")
    def crashes(lesson):
        yield even(2)
        raise RuntimeError("author bug")

    registered.append("99.crashes")
    result = run_exercise("99.crashes")
    assert result.requirements[0].met
    assert not result.requirements[1].met and "RuntimeError: author bug" in result.requirements[1].reason
    assert not result.passed


def test_an_unmet_prerequisite_stops_the_check_after_it(registered):
    asked = []

    def judged(number):
        asked.append(number)
        return even(number)

    @exercise("99.gated", title="Gated")
    def gated(lesson):
        yield checks.prerequisite(judged(2))  # met: the check goes on
        yield [judged(4), checks.prerequisite(judged(5))]  # unmet, even inside a nested list
        yield judged(6)

    registered.append("99.gated")
    result = run_exercise("99.gated")
    assert [r.met for r in result.requirements] == [True, True, False]
    assert asked == [2, 4, 5]  # nothing after the unmet prerequisite is even judged
    assert not result.passed

    @exercise("99.gated-alone", title="A prerequisite returned alone")
    def alone(lesson):
        return checks.prerequisite(judged(8))

    registered.append("99.gated-alone")
    assert run_exercise("99.gated-alone").passed


def test_exercise_with_nothing_to_check_does_not_pass(registered):
    @exercise("99.nothing", title="Nothing")
    def nothing(lesson):
        return []

    registered.append("99.nothing")
    result = run_exercise("99.nothing")
    assert not result.passed and "produced no requirements" in result.requirements[0].reason


def test_unknown_id_names_close_ones(registered):
    @exercise("99.name-container", title="x")
    def named(lesson):
        return [even(2)]

    registered.append("99.name-container")
    with pytest.raises(KeyError, match="did you mean '99.name-container'"):
        run_exercise("99.name-contianer")


def test_bad_and_duplicate_ids_are_refused(registered):
    with pytest.raises(ValueError, match="should look like"):
        exercise("Name Container", title="x")

    @exercise("99.once", title="x")
    def first(lesson):
        return []

    registered.append("99.once")

    def second(lesson):
        return []

    with pytest.raises(ValueError, match="already registered by .*first"):
        exercise("99.once", title="y")(second)
    exercise("99.once", title="again")(first)  # the same function again (a re-run cell) is fine
    assert exercises.get("99.once").title == "again"


def test_unreachable_engine_is_reported_not_raised(registered, monkeypatch):
    """A real failure: DOCKER_HOST points at a socket nobody listens on."""
    from dockerlab.checks import containers

    @exercise("99.no-engine", title="Needs the engine")
    def needs_engine(lesson):
        yield even(2)
        yield containers.running("web-dl000000")

    registered.append("99.no-engine")
    with monkeypatch.context() as patch:
        patch.setenv("DOCKER_HOST", "unix:///nonexistent/dockerlab.sock")
        engine.reset()
        try:
            result = run_exercise("99.no-engine")
        finally:
            engine.reset()
    assert isinstance(result.engine_error, errors.EngineNotRunning)
    assert not result.passed
    assert result.verdict() == "could not check"
    assert "could not reach a Docker engine" in str(result)


def test_check_outside_jupyter_prints_and_records(registered, capsys, progress_file, tmp_path):
    @exercise("99.printed", title="Printed", hints=["h"])
    def printed(lesson):
        return [even(2), even(3)]

    registered.append("99.printed")
    result = Lesson("99-printing", workdir=tmp_path).check("99.printed")
    assert isinstance(result, CheckResult) and not result.passed
    out = capsys.readouterr().out
    assert "99.printed: Printed - not yet (1 of 2 met)" in out and "3 is odd" in out
    saved = json.loads(progress_file.read_text())["exercises"]["99.printed"]
    assert saved["passed"] is False and saved["met"] == 1 and saved["unmet"] == 1


def test_check_does_not_record_when_engine_unreachable(registered, monkeypatch, progress_file, tmp_path):
    from dockerlab.checks import images

    @exercise("99.no-engine-progress", title="x")
    def needs_engine(lesson):
        return [images.exists("busybox:1.37")]

    registered.append("99.no-engine-progress")
    with monkeypatch.context() as patch:
        patch.setenv("DOCKER_HOST", "unix:///nonexistent/dockerlab.sock")
        engine.reset()
        try:
            result = Lesson("99-no-engine", workdir=tmp_path).check("99.no-engine-progress", show=False)
        finally:
            engine.reset()
    assert result.engine_error is not None
    assert not progress_file.exists()


def test_exercises_package_imports_every_module():
    import dockerlab.exercises as package

    assert package.failed == {}, package.failed
    assert os.path.basename(package.__file__) == "__init__.py"


# -- the view -----------------------------------------------------------------------------------


def test_view_reveals_hints_and_has_static_forms():
    from dockerlab.views.checks import CheckView

    result = make_result(True, False)
    view = CheckView(result)
    bundle = view._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "Not yet: 1 of 2 met" in bundle["text/html"]
    assert bundle["text/plain"].startswith("99.demo: A <demo> - not yet")
    assert view._button.layout.display is None and view._button.description == "Show a hint"
    view._button.click()
    assert "first hint" in view._body.value and "second hint" not in view._body.value
    assert "1 left" in view._button.description
    view._button.click()
    assert "second hint" in view._body.value
    assert view._button.layout.display == "none"


def test_view_hides_the_button_when_done():
    from dockerlab.views.checks import CheckView

    view = CheckView(make_result(True))
    assert view._button.layout.display == "none"


def test_typo_of():
    from dockerlab.checks.blocks import edit_distance, typo_of

    assert edit_distance("web", "wbe") == 1 and edit_distance("kitten", "sitting") == 3
    assert typo_of("wbe", ["db", "web"]) == "web"
    assert typo_of("chk-goood", ["chk-good"]) == "chk-good"
    assert typo_of("chk-nobody", ["chk-good"]) is None
    assert typo_of("web", ["web"]) is None


def test_after_the_last_hint_a_learner_still_stuck_is_told_how_to_apply_the_solution():
    res = CheckResult("04.keep-running", "Keep it running", [Requirement("runs", False, "it exited")], hints=["a", "b"])
    assert res.still_stuck is None and "lesson.solve" not in str(res) + result_html(res)
    res.next_hint()
    assert res.still_stuck is None
    res.next_hint()
    for form in (str(res), result_html(res)):
        assert 'lesson.solve("04.keep-running")' in form.replace("&quot;", '"') and "solved with help" in form
    done = CheckResult("04.keep-running", "Keep it running", [Requirement("runs", True)], hints=["a"], hints_shown=1)
    assert done.still_stuck is None and done.verdict() == "done"
    done.helped = True
    assert done.verdict() == "done with help" and "Done with the worked solution" in result_html(done)
