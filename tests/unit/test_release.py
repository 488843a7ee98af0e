"""dockerlab release: the learner edition has no worked solution, and is otherwise the course as it is."""

from __future__ import annotations

import json

import nbformat
import pytest

from dockerlab import cli, errors
from dockerlab.classroom import release
from dockerlab.classroom.runner import course_dir

COURSE = sorted(course_dir().glob("[0-9][0-9]-*.ipynb"))


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    return release.release(tmp_path_factory.mktemp("edition") / "learners")


def test_no_worked_solution_is_left_anywhere_in_the_edition(edition):
    written = sorted(edition.folder.glob("*.ipynb"))
    assert [p.name for p in written] == [p.name for p in COURSE]
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "%%solution" not in text and "A worked solution is in this cell" not in text, path.name


def test_each_solution_cell_becomes_a_note_in_its_place_and_every_other_cell_is_unchanged(edition):
    for source in COURSE:
        course, learner = (nbformat.read(p, as_version=4) for p in (source, edition.folder / source.name))
        assert len(learner.cells) == len(course.cells), source.name
        for theirs, ours in zip(course.cells, learner.cells):
            if release.is_solution(theirs):
                assert (ours.cell_type, ours.source, ours.get("id")) == ("markdown", release.NOTE, theirs.get("id"))
            else:
                assert ours == theirs, (source.name, theirs.get("id"))


def test_release_md_names_every_removed_solution_with_its_exercise(edition):
    expected = sum(release.is_solution(c) for p in COURSE for c in nbformat.read(p, as_version=4).cells)
    assert expected and edition.count == expected
    listed = (edition.folder / "RELEASE.md").read_text()
    assert f"{expected} worked solutions taken out" in listed
    assert "06-images-in-depth.ipynb: cell " in listed and "(06.multi-stage)" in listed
    welcome = [c for c in nbformat.read(COURSE[0], as_version=4).cells if release.is_solution(c)]
    assert (f"{COURSE[0].name}: no worked solution" in listed) == (not welcome)
    assert all(r.exercise != "?" for cells in edition.removed.values() for r in cells)
    assert (edition.folder / "figures").is_dir() and any((edition.folder / "figures").iterdir())


def test_a_folder_with_something_in_it_is_refused_and_left_alone(tmp_path):
    (tmp_path / "mine.txt").write_text("a learner's file")
    with pytest.raises(errors.DockerlabError, match="overwrites nothing"):
        release.release(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


def test_the_command_line_releases_the_notebooks_asked_for(tmp_path, capsys):
    assert cli.main(["release", str(tmp_path / "out"), "--notebooks", "04,06"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.ipynb")) == ["04-running-containers.ipynb", "06-images-in-depth.ipynb"]
    said = capsys.readouterr().out
    assert "04-running-containers.ipynb: cell" in said and "hand out that folder" in said
    assert json.loads((tmp_path / "out" / "04-running-containers.ipynb").read_text())["nbformat"] == 4
