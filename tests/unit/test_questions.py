"""Concept questions without an engine: the model refuses bad declarations and judges every choice; the widget's
static forms list the choices and never the answer; an answer goes the check's way into progress, the listeners,
the gradebook (its column, its points), the feedback page and the class view; every question of the course has an
explanation for every choice."""

from __future__ import annotations

import csv
import html
import json
from pathlib import Path

import pytest

from dockerlab import exercises  # noqa: F401 - declares the course's questions
from dockerlab.checks import questions
from dockerlab.checks.questions import question, right, wrong
from dockerlab.checks.result import CheckResult
from dockerlab.classroom import classview, feedback, gradebook, points
from dockerlab.classroom.grade import Cell, Grades, Learner
from dockerlab.jupyter.lesson import Lesson
from dockerlab.record import events, progress
from dockerlab.views.questions import QuestionView, question_html, question_text

CHOICES = [wrong("Only running containers", why="the socket gives every call"),
           right("Root-equivalent access", why="the engine runs as root"),
           wrong("Read-only access", why="there is no read-only socket"),
           wrong("Nothing without sudo", why="the group exists so nobody needs sudo")]


@pytest.fixture
def sample():
    found = question("97.q-sample", title="A sample", prompt="What does the group grant?", choices=CHOICES, points=2)
    yield found
    questions.unregister("97.q-sample")


@pytest.fixture(autouse=True)
def _own_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path / "state"))


# -- the model ---------------------------------------------------------------------------------------------


def test_each_wrong_choice_gives_its_own_explanation_and_the_right_one_passes(sample):
    assert sample.keys == ["a", "b", "c", "d"] and sample.answer.key == "b"
    for choice in sample.choices:
        result = sample.judge(choice.key)
        assert isinstance(result, CheckResult) and result.exercise == "97.q-sample" and len(result.requirements) == 1
        if choice.right:
            assert result.passed and result.requirements[0].reason == ""
        else:
            assert not result.passed and result.unmet[0].reason == choice.why
            assert f"({choice.key})" in result.unmet[0].description
    assert sample.judge("B").passed and sample.judge(" (b) ").passed


@pytest.mark.parametrize("answer", ["e", "", None, 2, "right"])
def test_an_answer_that_is_no_choice_is_not_yet_never_an_exception(sample, answer):
    result = sample.judge(answer)
    assert not result.passed and "a, b, c, d" in result.unmet[0].reason


@pytest.mark.parametrize(("choices", "words"), [
    ([right("x", why="1"), right("y", why="2"), wrong("z", why="3")], "2 right choices"),
    ([wrong("x", why="1"), wrong("y", why="2"), wrong("z", why="3")], "0 right choices"),
    ([right("x", why="1"), wrong("y", why=""), wrong("z", why="3")], "each wrong choice needs its own explanation"),
    ([right("x", why=" "), wrong("y", why="2"), wrong("z", why="3")], "the right choice needs a short why"),
    ([right("x", why="1"), wrong("y", why="2")], "has 2 choices"),
    ([right("a", why="1"), wrong("b", why="2"), wrong("c", why="3"), wrong("d", why="4"), wrong("e", why="5")], "has 5 choices"),
    ([right("x", why="1"), wrong("y", why="2"), wrong("z", why="2")], "share a text or an explanation"),
])
def test_a_bad_declaration_is_refused(choices, words):
    with pytest.raises(ValueError, match=words):
        question("97.q-bad", title="Bad", prompt="?", choices=choices)
    assert "97.q-bad" not in questions.registered()


@pytest.mark.parametrize("bad_id", ["97.docker-group", "q-docker", "97.Q-x"])
def test_an_id_is_nn_dot_q_name(bad_id):
    with pytest.raises(ValueError, match="02.q-docker-group"):
        question(bad_id, title="t", prompt="p", choices=CHOICES)


@pytest.mark.parametrize("bad", [-1, "2", True, float("nan")])
def test_points_are_a_number_of_zero_or_more(bad):
    with pytest.raises(ValueError, match="points"):
        question("97.q-points", title="t", prompt="p", choices=CHOICES, points=bad)


def test_declaring_again_is_the_same_question_and_other_content_is_refused(sample):
    assert question("97.q-sample", title="A sample", prompt="What does the group grant?", choices=CHOICES, points=2) == sample
    with pytest.raises(ValueError, match="already declared"):
        question("97.q-sample", title="Another", prompt="?", choices=CHOICES)
    with pytest.raises(KeyError, match="did you mean '97.q-sample'"):
        questions.get("97.q-sampel")


def test_importing_a_module_with_a_bad_question_fails_that_module(tmp_path, monkeypatch):
    """The refusal happens at import: exercises.load_all lists the module as failed, the others still load."""
    module = tmp_path / "badq.py"
    module.write_text("from dockerlab.checks.questions import question, right, wrong\n"
                      "question('96.q-two-right', title='t', prompt='p', choices=[right('x', why='1'), right('y', why='2'), wrong('z', why='3')])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ValueError, match="exactly one must be right"):
        __import__("badq")


# -- the course's questions ----------------------------------------------------------------------------------


def test_every_question_of_the_course_explains_every_choice():
    course = questions.every()
    assert {q.lesson for q in course} >= {"02", "03", "06", "10"}
    assert all(len(questions.of_lesson(n)) >= 2 for n in ("02", "03", "06", "10"))
    for q in course:
        assert 3 <= len(q.choices) <= 4 and sum(c.right for c in q.choices) == 1, q.id
        for choice in q.choices:
            assert len(choice.why.split()) >= 6, f"{q.id} ({choice.key}): explain it in plain words"
            result = q.judge(choice.key)
            assert result.passed == choice.right
            assert choice.right or result.unmet[0].reason == choice.why


def test_each_question_has_its_ask_cell_in_its_notebook():
    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    for q in questions.every():
        [notebook] = notebooks.glob(f"{q.lesson}-*.ipynb")
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        assert f'lesson.ask("{q.id}")' in sources, f"{notebook.name} has no cell lesson.ask(\"{q.id}\")"


# -- the view ---------------------------------------------------------------------------------------------


def test_the_static_forms_list_the_question_and_its_choices_not_the_answer(sample):
    view = QuestionView(sample, sample.judge)
    bundle = view._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "text/html", "text/plain"} <= set(bundle)
    for form in (html.unescape(bundle["text/html"]), bundle["text/plain"]):
        assert "What does the group grant?" in form
        assert all(c.text in form for c in sample.choices)
        assert not any(c.why in form for c in sample.choices), "the saved notebook must not give the answer away"
        assert 'lesson.ask("97.q-sample", answer=' in form
    assert question_text(sample).splitlines()[2] == "  (a) Only running containers"


def test_an_answer_given_in_code_shows_with_its_explanation(sample):
    result = sample.judge("c")
    assert "Not quite: (c) Read-only access. there is no read-only socket" in question_text(sample, "c", result)
    assert "there is no read-only socket" in question_html(sample, "c", result)


def test_the_button_judges_the_chosen_answer_and_says_how_to_keep_it(sample):
    seen = []
    view = QuestionView(sample, lambda key: seen.append(key) or sample.judge(key))
    assert view.check() is None and "Choose an answer first" in view._answer.value and seen == []
    view._radio.value = "a"
    assert not view.check().passed and "the socket gives every call" in view._answer.value
    view._radio.value = "b"  # a wrong answer can be changed and checked again
    assert view.check().passed and "the engine runs as root" in view._answer.value
    assert "lesson.ask(&quot;97.q-sample&quot;, answer=&quot;b&quot;)" in view._answer.value
    assert seen == ["a", "b"]


# -- progress, listeners, gradebook, feedback, class view -----------------------------------------------------


def test_an_answer_goes_the_way_of_a_check(sample, tmp_path, capsys):
    heard = []
    stop = events.subscribe(lambda result, lesson: heard.append((result.exercise, result.passed, lesson.key)))
    try:
        lesson = Lesson("97-sample", workdir=tmp_path / "work")
        assert lesson.ask("97.q-sample") is None and heard == []  # shown, nothing judged or recorded
        assert not lesson.ask("97.q-sample", answer="d").passed
        record = progress.load()["97.q-sample"]
        assert (record["passed"], record["lesson"], record["attempts"], record["not_yet_in_row"]) == (False, "97-sample", 1, 1)
        assert lesson.ask("97.q-sample", answer="b").passed
        record = progress.load()["97.q-sample"]
        assert record["passed"] and record["attempts"] == 2 and record["first_passed"]
    finally:
        stop()
    assert heard == [("97.q-sample", False, "97-sample"), ("97.q-sample", True, "97-sample")]
    assert "Question 97.q-sample" in capsys.readouterr().out  # outside a kernel: the text form


def test_a_question_is_a_gradebook_column_worth_its_declared_points(sample, tmp_path):
    columns = [("04.exit-code", "Find the exit code"), ("97.q-sample", "A sample")]
    items = points.items(columns)
    assert [(i.id, i.kind, i.points) for i in items] == [("04.exit-code", "exercise", 1), ("97.q-sample", "question", 2)]
    grades = Grades([Learner("ada", [], cells={"04.exit-code": Cell("passed", 1, 1), "97.q-sample": Cell("passed", 1, 1)}),
                     Learner("bo", [], cells={"04.exit-code": Cell("passed", 1, 1),
                                             "97.q-sample": Cell("not yet", 0, 1, ["the right answer is chosen: there is no read-only socket"])}),
                     Learner("cy", [], cells={"04.exit-code": Cell("not yet", 0, 1)})], columns, 0.0)
    files = gradebook.write(grades, items, tmp_path)
    with open(files["gradebook"], newline="", encoding="utf-8") as handle:
        rows = {r["learner"]: r for r in csv.DictReader(handle)}
    assert [(rows[n]["97.q-sample"], rows[n]["total"], rows[n]["possible"]) for n in ("ada", "bo", "cy")] == [
        ("2", "3", "3"), ("0", "1", "3"), ("0", "0", "3")]  # cy never answered: not attempted, 0 points
    sidecar = json.loads(files["sidecar"].read_text(encoding="utf-8"))
    assert {"id": "97.q-sample", "kind": "question", "title": "A sample", "points": 2, "points_from": "declared"} in sidecar["items"]
    page = feedback.page(grades.learners[1], items)
    assert [(e.id, e.word, e.earned, e.reasons) for e in page.entries][1] == (
        "97.q-sample", "not yet", "0", ["the right answer is chosen: there is no read-only socket"])


def test_the_points_file_sets_a_questions_points(sample, tmp_path):
    file = tmp_path / "points.toml"
    file.write_text('"97.q-sample" = 0.5\n', encoding="utf-8")
    overrides = points.load(file, [e.id for e in exercises.every()])
    assert overrides == {"97.q-sample": 0.5}
    assert points.items([("97.q-sample", "A sample")], overrides)[0] == points.Item("97.q-sample", "A sample", 0.5, "question", "points file")


def test_the_class_view_has_a_column_for_each_question_of_a_lesson_someone_answered(sample, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    lesson = Lesson("97-sample", workdir=tmp_path / "work")
    lesson.ask("97.q-sample", answer="a", show=False)
    (folder / "ada.json").write_bytes(progress.path().read_bytes())
    view = classview.build(folder, now=progress.time.time())
    assert ("97.q-sample", "A sample") in view.exercises
    [ada] = view.learners
    assert ada.cells["97.q-sample"] == "not yet" and ada.current == "97.q-sample"
