"""A lesson's first cell says when images it uses are offline stand-ins, and which."""

from __future__ import annotations

import pytest

import dockerlab
from dockerlab.services import images
from dockerlab.services.images import load_manifest
from dockerlab.views.doctor import StandinNotice, standin_notice

LESSONS = sorted({nb for spec in load_manifest() for nb in spec.notebooks})


@pytest.mark.parametrize("key", LESSONS)
def test_start_shows_the_lessons_standins_and_only_those(key, docker_client, capsys):
    used = {spec.name for spec in load_manifest() if key in spec.notebooks}
    expected = sorted(s.spec.name for s in images.standins_in_use() if s.spec.name in used)

    lesson = dockerlab.start(key)
    shown = capsys.readouterr().out  # outside IPython, display() prints the text form
    lesson.reset()

    # First the progress strip (one line), then the notice.
    strip, _, shown = shown.partition("\n")
    assert strip.startswith("Exercises: ") and key[:2] + "." in strip
    if expected:
        assert shown.startswith("Offline stand-in images in use.")
        listed = sorted(line.removeprefix("  - ").split(": ", 1)[0] for line in shown.splitlines() if line.startswith("  - "))
        assert listed == expected
    else:
        assert "stand-in" not in shown


def test_notice_reads_as_text_and_html(docker_client):
    standins = images.standins_in_use()
    if not standins:
        assert standin_notice() is None
        return
    notice = standin_notice()
    assert isinstance(notice, StandinNotice)
    for item in standins:
        assert item.spec.name in repr(notice)
        assert f"<code>{item.spec.name}</code>" in notice._repr_html_()
    # Limited to names no stand-in has: nothing to say.
    assert standin_notice(["no-such/image:1"]) is None
