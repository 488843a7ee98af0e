"""Notebook 06's exercises against the real engine: real builds, real cache, real containers.

The right answer passes; each wrong answer a learner is likely to give gets its own reason. Images
are tagged with this test session's id (as the notebook's are) and untagged by the lesson's reset after
each test, as the notebook's last cell untags them.
"""

from __future__ import annotations

import uuid

import pytest

from dockerlab import engine
from dockerlab import checks
from dockerlab.exercises import nb06_images_in_depth as ex
from dockerlab import exercises
from support import docker, met, notebook_file, unmet, write_files

pytestmark = [pytest.mark.engine, pytest.mark.lesson("06-images-in-depth")]

# The exercises' files as the notebook writes them: as shipped (the learner's cell) and solved.
NOTEBOOK = "06-images-in-depth.ipynb"
CACHE_APP_PY = notebook_file(NOTEBOOK, "{cache_exercise}/app.py")
CACHE_SHIPPED = notebook_file(NOTEBOOK, "{cache_exercise}/Dockerfile")
CACHE_SOLUTION = notebook_file(NOTEBOOK, "{cache_exercise}/Dockerfile", solution=True)
STARS_C = notebook_file(NOTEBOOK, "{stars_dir}/stars.c")
STARS_SHIPPED = notebook_file(NOTEBOOK, "{stars_dir}/Dockerfile")
STARS_SOLUTION = notebook_file(NOTEBOOK, "{stars_dir}/Dockerfile", solution=True)
VISITS_APP_PY = notebook_file(NOTEBOOK, "{visits_dir}/app.py")
VISITS_SHIPPED = notebook_file(NOTEBOOK, "{visits_dir}/Dockerfile")
VISITS_SOLUTION = notebook_file(NOTEBOOK, "{visits_dir}/Dockerfile", solution=True)


def build(tag: str, folder) -> None:
    docker("build", "-q", "-t", tag, str(folder), timeout=600)


# -- 06.cache-order -----------------------------------------------------------------------------


def cache_folder(lesson, dockerfile_text: str | None):
    dockerfile = {} if dockerfile_text is None else {"Dockerfile": dockerfile_text}
    return write_files(lesson.path(ex.CACHE_FOLDER), {"app.py": CACHE_APP_PY, **dockerfile})


def test_cache_order_right_answer_passes(lesson):
    cache_folder(lesson, CACHE_SOLUTION)
    res = exercises.run("06.cache-order", lesson)
    assert res.passed, str(res)
    # the check's own images are gone again
    assert not engine.client().images.list(name=lesson.name("cache-check"))


def test_cache_order_as_shipped_says_the_install_reran(lesson):
    cache_folder(lesson, CACHE_SHIPPED)
    res = exercises.run("06.cache-order", lesson)
    assert "copies the app before line" in unmet(res, "comes before the app's code")
    reason = unmet(res, "takes the install step from the cache")
    assert "it ran [3/4] COPY . . and [4/4] RUN apt-get" in reason and "every code change reinstalls" in reason


def test_cache_order_a_step_that_fails_is_named(lesson):
    cache_folder(lesson, CACHE_SOLUTION.replace("CMD", "RUN test -f settings.toml\nCMD"))
    reason = unmet(exercises.run("06.cache-order", lesson), "takes the install step from the cache")
    assert reason == "the Dockerfile does not build: it stopped at [5/5] RUN test -f settings.toml"


def test_cache_order_reads_the_rebuilds_steps(lesson):
    """What the check reads: BuildKit's steps of the rebuild after a one-line change (as the notebook shows)."""
    folder = cache_folder(lesson, CACHE_SOLUTION)
    tag = lesson.name("cache-steps")
    lesson.build(folder, f"{tag}:1")
    (folder / "app.py").write_text(CACHE_APP_PY + f"# changed ({uuid.uuid4().hex})\n")  # new to the cache
    after = lesson.build(folder, f"{tag}:2")
    assert [(s.step.number, s.cached) for s in after.steps[1:]] == [(2, True), (3, True), (4, False)]
    assert after.steps[2].step.instruction.startswith("RUN apt-get update")
    assert (after.steps_total, after.cached_steps) == (4, sum(s.cached for s in after.steps))


def test_cache_order_copying_only_app_py_first_is_still_slow(lesson):
    text = CACHE_SOLUTION.replace("WORKDIR /app\n", "WORKDIR /app\nCOPY app.py .\n")
    cache_folder(lesson, text)
    res = exercises.run("06.cache-order", lesson)
    assert "COPY app.py ." in unmet(res, "comes before the app's code")


def test_cache_order_without_the_install(lesson):
    cache_folder(lesson, 'FROM python:3.13-slim\nWORKDIR /app\nCOPY . .\nCMD ["python", "app.py"]\n')
    res = exercises.run("06.cache-order", lesson)
    assert "keep that RUN" in unmet(res, "comes before the app's code")
    assert len(res.requirements) == 2, "no build when there is nothing to cache"


def test_cache_order_broken_dockerfile(lesson):
    cache_folder(lesson, "# ✍ Your turn\nWORKDIR /app\nCOPY . .\n")
    res = exercises.run("06.cache-order", lesson)
    assert not res.passed and len(res.requirements) == 1
    assert "FROM" in res.requirements[0].reason


def test_cache_order_missing_file(lesson):
    cache_folder(lesson, None)
    res = exercises.run("06.cache-order", lesson)
    assert "no Dockerfile" in res.requirements[0].reason


# -- 06.multi-stage -----------------------------------------------------------------------------


def stars(lesson, dockerfile_text: str, built: bool = True):
    folder = write_files(lesson.path(ex.STARS_FOLDER), {"stars.c": STARS_C, "Dockerfile": dockerfile_text})
    if built:
        build(ex.stars_tag(lesson), folder)
    return folder


def test_multi_stage_right_answer_passes(lesson):
    stars(lesson, STARS_SOLUTION)
    res = exercises.run("06.multi-stage", lesson)
    assert res.passed, str(res)


def test_multi_stage_busybox_final_stage_also_passes(lesson):
    stars(lesson, STARS_SOLUTION.replace("FROM scratch", "FROM busybox:1.37"))
    assert exercises.run("06.multi-stage", lesson).passed


def test_multi_stage_as_shipped_is_one_big_stage(lesson):
    stars(lesson, STARS_SHIPPED)
    res = exercises.run("06.multi-stage", lesson)
    assert "there is one FROM" in unmet(res, "at least two stages")
    assert "still holds the compiler" in unmet(res, "smaller than")
    met(res, "prints the four rows")


def test_multi_stage_final_stage_from_debian_is_too_big(lesson):
    text = STARS_SOLUTION.replace("FROM scratch", "FROM debian:trixie-slim")
    stars(lesson, text)
    res = exercises.run("06.multi-stage", lesson)
    met(res, "at least two stages")
    assert "starts FROM debian:trixie-slim" in unmet(res, "smaller than")


@pytest.mark.parametrize(
    ("dockerfile", "requirement", "words"),
    [
        pytest.param(STARS_SOLUTION.replace("-static ", ""), "prints the four rows", "-static",
                     id="dynamic-binary-cannot-start-in-scratch"),
        pytest.param(STARS_SOLUTION.replace("FROM scratch\nCOPY --from=build /usr/local/bin/stars /stars\n", "FROM build\n"),
                     "copies the program from an earlier stage", "the build stage itself", id="final-stage-from-the-build-stage"),
    ],
)
def test_multi_stage_wrong_answers(lesson, dockerfile, requirement, words):
    stars(lesson, dockerfile)
    assert words in unmet(exercises.run("06.multi-stage", lesson), requirement)


def test_multi_stage_not_rebuilt_after_editing(lesson):
    folder = stars(lesson, STARS_SHIPPED)
    (folder / "Dockerfile").write_text(STARS_SOLUTION)
    res = exercises.run("06.multi-stage", lesson)
    assert "Build it again" in unmet(res, "smaller than")


def test_multi_stage_not_built(lesson):
    stars(lesson, STARS_SOLUTION, built=False)
    res = exercises.run("06.multi-stage", lesson)
    assert "docker build" in unmet(res, f"the image {ex.stars_tag(lesson)} exists")


# -- 06.non-root --------------------------------------------------------------------------------


def visits(lesson, dockerfile_text: str):
    folder = write_files(lesson.path(ex.VISITS_FOLDER), {"app.py": VISITS_APP_PY, "Dockerfile": dockerfile_text})
    build(ex.visits_tag(lesson), folder)


def test_non_root_right_answer_passes(lesson):
    visits(lesson, VISITS_SOLUTION)
    res = exercises.run("06.non-root", lesson)
    assert res.passed, str(res)


def test_non_root_as_shipped_runs_as_root(lesson):
    visits(lesson, VISITS_SHIPPED)
    res = exercises.run("06.non-root", lesson)
    assert "no USER" in unmet(res, "runs the app as a user other than root")
    assert "no default user" in unmet(res, "runs as a user other than root")
    assert "user id 0" in unmet(res, "counts a visit")


@pytest.mark.parametrize(
    ("dockerfile", "requirement", "words"),
    [
        pytest.param(VISITS_SHIPPED.replace('CMD ["python"', 'USER app\nCMD ["python"'), "counts a visit",
                     "RUN useradd --create-home app", id="user-never-created"),
        pytest.param(VISITS_SOLUTION.replace(" && chown app:app data", ""), "counts a visit", "chown app:app data",
                     id="data-folder-still-belongs-to-root"),
        pytest.param(VISITS_SOLUTION.replace("USER app\n", "USER app\nUSER root\n"), "runs the app as a user other than root",
                     "is root", id="switching-back-to-root"),
    ],
)
def test_non_root_wrong_answers(lesson, dockerfile, requirement, words):
    visits(lesson, dockerfile)
    assert words in unmet(exercises.run("06.non-root", lesson), requirement)
