"""Exercises of notebook 06-images-in-depth: the build cache, multi-stage builds, a non-root user.

``06.cache-order``   ``cache-exercise/Dockerfile`` copies the app before installing figlet, so every
                     code change reinstalls it. The learner reorders it. The check copies the folder,
                     builds it, changes one line of ``app.py`` in the copy, builds again and reads
                     BuildKit's steps: the install step must come from the cache, and the image must
                     still work.
``06.multi-stage``   ``stars/Dockerfile`` compiles a C program in an image that keeps the compiler
                     (hundreds of MB). The learner makes it a multi-stage build and builds the image
                     ``lesson.name("stars")``: at least two stages, ``COPY --from`` an earlier stage,
                     under 10 MB, and a container of it still prints the stars.
``06.non-root``      ``visits/Dockerfile`` runs a small app as root. The learner adds a user and
                     ``USER`` and builds ``lesson.name("visits")``: the image's default user is not root,
                     and a container of it still counts a visit (it writes into ``data/``, so that
                     folder must belong to the new user).

The files are the notebook's own (its ``%%writefile`` cells); the engine tests read them from the
notebook, so nothing here has to be kept in step with it.
"""

from __future__ import annotations

import contextlib
import functools
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import docker.errors

from dockerlab import engine, errors, sizes
from dockerlab.checks import Unmet, block, containers, dockerfile, exercise, images, prerequisite
from dockerlab.services import build as builds

# -- what the checks expect of the notebook's files ----------------------------------------------
# The files themselves are the notebook's (its %%writefile cells, shipped and in %%solution); the
# engine tests read them from there (tests/support.py notebook_file), so they have one source.

CACHE_FOLDER = "cache-exercise"
#: What the cache exercise's app.py prints last.
CACHE_OK = "cache exercise app: ok"
STARS_FOLDER = "stars"
#: What the stars program prints.
STARS_OUTPUT = "*\n**\n***\n****\nfour rows of stars"
STARS_LIMIT = "10MB"
VISITS_FOLDER = "visits"


def folder(lesson, name: str) -> Path:
    return lesson.path(name)


def stars_tag(lesson) -> str:
    return lesson.name("stars")


def visits_tag(lesson) -> str:
    return lesson.name("visits")


def dockerfile_exercise(folder_name: str, tag_of, *, image):
    """Make the decorated ``file_checks(path)``, which yields the requirements on a Dockerfile, the check of an
    exercise that builds an image from it, in its order: ``folder_name/Dockerfile`` parses and meets ``file_checks``;
    the image ``tag_of(lesson)`` exists (the rest builds on it); then ``image(lesson, tag)``, what the built image
    must be and do.
    """

    def wrap(file_checks):
        @functools.wraps(file_checks)
        def check(lesson):
            path = folder(lesson, folder_name) / "Dockerfile"
            tag = tag_of(lesson)
            yield prerequisite(dockerfile.parses(path))
            yield from file_checks(path)
            yield prerequisite(images.exists(tag))
            yield from image(lesson, tag)

        return check

    return wrap


# -- running an image once ----------------------------------------------------------------------


def run_once(lesson, image: str, command=None, timeout: float = 60) -> tuple[int, str]:
    """Start a container of ``image`` (its own CMD unless ``command``), wait, return (exit code, output).

    The container is labelled as the lesson's and removed at once. A container that cannot even
    start (an unknown USER, a missing program) raises :class:`Unmet` with the engine's words.
    """
    try:
        container = lesson.run(image, command)
    except Exception as exc:  # noqa: BLE001 - the engine's refusal is the learner's answer here
        raise Unmet(_start_failure(image, exc)) from None
    return containers.wait_then_remove(container, image, timeout, "it should finish at once")


def _start_failure(image: str, exc: BaseException) -> str:
    text = str(getattr(exc, "explanation", None) or getattr(exc, "message", None) or exc)
    user = re.search(r"unable to find user (\S+?):", text)
    if user:
        return (
            f"a container from {image} cannot start: the image says USER {user.group(1)}, but no such user exists in it. "
            f"Create the user before switching to it: RUN useradd --create-home {user.group(1)}"
        )
    return f"a container from {image} cannot start: {text.strip()[:300]}"


# -- 06.cache-order -----------------------------------------------------------------------------


def _install_and_copies(path):
    """(the RUN that installs packages, the COPY instructions before it) in the final stage."""
    df = dockerfile.parse(path)
    stage = df.final
    install = next((i for i in stage.find("RUN") if re.search(r"\b(apt-get|apt|pip)\b.*\binstall\b", i.value)), None)
    if install is None:
        raise Unmet("no RUN instruction installs anything (apt-get install figlet): the app needs figlet, keep that RUN")
    earlier = [i for i in stage.instructions if i.keyword in ("COPY", "ADD") and i.line < install.line]
    return install, earlier


@block("the slow install step comes before the app's code is copied in")
def install_before_code(path):
    install, copies = _install_and_copies(path)
    code = [c for c in copies if not re.search(r"--from[= ]", c.value)]
    if not code:
        return None
    first = code[0]
    return (
        f"line {first.line} ({first}) copies the app before line {install.line} installs figlet: when app.py changes, "
        f"the COPY step changes, and BuildKit must redo every step after it, the install too. Move the RUN "
        f"apt-get ... line above the COPY"
    )


@block("after a one-line change to app.py, the rebuild takes the install step from the cache")
def install_cached_after_edit(lesson, path):
    """Build a copy of the folder, edit app.py in the copy, build again: the install must be CACHED."""
    source = Path(path).parent
    _install_and_copies(path)  # a Dockerfile without the install is reported by the block above
    client = engine.client()
    tags = [f"{lesson.name('cache-check')}:before", f"{lesson.name('cache-check')}:after"]
    with tempfile.TemporaryDirectory(prefix="dockerlab-cache-check-") as scratch:
        context = Path(scratch) / "context"
        shutil.copytree(source, context, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        try:
            try:
                builds.build(context, tags[0], lesson=lesson.key)
                app = context / "app.py"
                app.write_text(app.read_text() + f"# a one-line change ({secrets.token_hex(4)})\n")
                after = builds.build(context, tags[1], lesson=lesson.key)
            except errors.BuildFailed as exc:
                raise Unmet(f"the Dockerfile does not build: it stopped at {exc.step or 'an unknown step'}") from None
            install = next((s for s in after.steps if re.search(r"\binstall\b", s.step.instruction)), None)
            if install is None:
                raise Unmet("the rebuild had no install step to look at")
            if install.cached:
                return _image_works(lesson, tags[1])
            rerun = [s.step for s in after.steps if not s.cached and not s.step.instruction.startswith("FROM")]
            listed = " and ".join(f"[{s.number}/{s.total}] {_short(s.instruction)}" for s in rerun)
            return (
                f"the rebuild took {after.seconds:.1f} s: it ran {listed} again. The install comes after a step "
                f"that copies app.py, so every code change reinstalls; copy the code after installing"
            )
        finally:
            for tag in tags:
                with contextlib.suppress(docker.errors.APIError):
                    client.images.remove(tag)


def _short(text: str, limit: int = 32) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _image_works(lesson, tag: str) -> str | None:
    code, output = run_once(lesson, tag)
    if code == 0 and CACHE_OK in output:
        return None
    if "figlet" in output and ("No such file" in output or "not found" in output):
        return "the rebuilt image has no figlet: keep the RUN apt-get ... install -y ... figlet line, only move it"
    return f"the rebuilt image does not run the app: it exited with code {code} and printed: {output[-300:] or 'nothing'}"


@exercise(
    "06.cache-order",
    title="Reorder a Dockerfile so a code change rebuilds from the cache",
    hints=[
        "BuildKit reuses a step only if that step and every step before it are unchanged. COPY . . changes "
        "whenever any file in the folder changes.",
        "Put the steps that change rarely (installing packages) first, and the step that changes often "
        "(copying your code) as late as possible.",
        "The order that works: FROM, WORKDIR, RUN apt-get ... figlet ..., COPY . ., CMD.",
    ],
)
def cache_order(lesson):
    path = folder(lesson, CACHE_FOLDER) / "Dockerfile"
    yield prerequisite(dockerfile.parses(path))
    order = install_before_code(path)
    yield order
    if not order.met and "installs anything" in order.reason:
        return
    yield install_cached_after_edit(lesson, path)


# -- 06.multi-stage -----------------------------------------------------------------------------


@block("the Dockerfile has at least two stages (two FROM lines)")
def several_stages(path):
    df = dockerfile.parse(path)
    if len(df.stages) >= 2:
        return None
    return (
        f"there is one FROM, so one stage: everything it installs (gcc and its libraries) stays in the image. "
        f"Name this stage (FROM {df.final.base} AS build), then start a second one (FROM scratch) for the result"
    )


@block("the final stage copies the program from an earlier stage (COPY --from=...)")
def copies_from_stage(path):
    df = dockerfile.parse(path)
    if len(df.stages) < 2:
        raise Unmet("there is no earlier stage to copy from yet (see the line above)")
    final = df.final
    if df.stage_named(final.base) is not None:
        return (
            f"the final stage is FROM {final.base}, the build stage itself, so it keeps the compiler; start it FROM "
            f"scratch (or another small image) and copy only the program"
        )
    for copy in final.find("COPY"):
        if re.search(r"--from[= ]", copy.value):
            return None
    return (
        "the final stage has no COPY --from=..., so the compiled program is not in it; add "
        "COPY --from=build /usr/local/bin/stars /stars (build being the name of the first stage)"
    )


@block(lambda lesson, tag, limit: f"the image {tag} is smaller than {sizes.decimal(sizes.parse(limit))}")
def small_enough(lesson, tag: str, limit: str):
    image = images.get(tag)
    size = int(image.attrs.get("Size") or 0)
    if size < sizes.parse(limit):
        return None
    path = folder(lesson, STARS_FOLDER) / "Dockerfile"
    try:
        df = dockerfile.parse(path)
    except Unmet:
        df = None
    base = df.final.base if df else "?"
    if df is not None and len(df.stages) >= 2 and base.lower() == "scratch":
        return (
            f"{tag} is {sizes.decimal(size)}, but your Dockerfile's final stage is FROM scratch: the image was built "
            f"before your last change. Build it again"
        )
    if df is not None and len(df.stages) >= 2:
        return (
            f"{tag} is {sizes.decimal(size)}: its final stage starts FROM {base}, which is big by itself. Start the final "
            f"stage FROM scratch (empty: the program is static) or busybox:1.37 (2 MB)"
        )
    return f"{tag} is {sizes.decimal(size)}: it still holds the compiler and its libraries; a multi-stage build leaves them behind"


@block(lambda lesson, tag: f"a container from {tag} prints the four rows of stars")
def prints_stars(lesson, tag: str):
    images.get(tag)
    code, output = run_once(lesson, tag)
    if code == 0 and output.strip() == STARS_OUTPUT:
        return None
    if "no such file or directory" in output and "exec" in output:
        return (
            f"the container could not start the program ({output.strip()[:120]}). If the file is there, it was linked "
            "against the C library, which scratch does not have: keep gcc's -static flag, and check the COPY --from "
            "path and the CMD path are the same"
        )
    if "executable file not found" in output:
        return f"the CMD names a program that is not in the final image ({output.strip()[:160]}); CMD [\"/stars\"] runs the copied file"
    return f"the container exited with code {code} and printed: {output[-300:] or 'nothing'}"


def stars_image(lesson, tag: str):
    """What the built stars image must be: small, and still printing the stars."""
    yield small_enough(lesson, tag, STARS_LIMIT)
    yield prints_stars(lesson, tag)


@exercise(
    "06.multi-stage",
    title="Ship only the program: a multi-stage build under 10 MB",
    hints=[
        "A Dockerfile can have several FROM lines; each starts a stage. Only the last stage becomes the image.",
        "Name the first stage: FROM debian:trixie-slim AS build. Keep its RUN lines as they are.",
        "Then: FROM scratch, COPY --from=build /usr/local/bin/stars /stars, CMD [\"/stars\"]. Build again.",
    ],
)
@dockerfile_exercise(STARS_FOLDER, stars_tag, image=stars_image)
def multi_stage(path):
    yield several_stages(path)
    yield copies_from_stage(path)


# -- 06.non-root --------------------------------------------------------------------------------


@block(lambda lesson, tag: f"a container from {tag} counts a visit as a user other than root")
def counts_as_non_root(lesson, tag: str):
    images.get(tag)
    code, output = run_once(lesson, tag)
    if "Permission denied" in output or "PermissionError" in output:
        return (
            "the app runs as your user but may not write data/visits.txt: the folder data/ belongs to root, who "
            "made it. Give it to the user in the same step: RUN mkdir data && chown app:app data"
        )
    found = re.search(r"running as user id (\d+)", output)
    if code == 0 and found:
        if found.group(1) == "0":
            return "the app still runs as user id 0, root; add USER app after creating the user, and build again"
        return None
    return f"the container exited with code {code} and printed: {output[-300:] or 'nothing'}"


def visits_image(lesson, tag: str):
    """What the built visits image must be: a user other than root by default, and still counting visits."""
    yield images.user_non_root(tag)
    yield counts_as_non_root(lesson, tag)


@exercise(
    "06.non-root",
    title="Run the app as a user other than root",
    hints=[
        "Two steps: create a user (RUN useradd --create-home app), then switch to it (USER app).",
        "USER affects the instructions after it and the container's process. Put it after the steps that need root.",
        "The app writes into data/: that folder must belong to the new user (RUN mkdir data && chown app:app data).",
    ],
)
@dockerfile_exercise(VISITS_FOLDER, visits_tag, image=visits_image)
def non_root(path):
    yield dockerfile.non_root_user(path)


# -- concept questions ---------------------------------------------------------------------------------
from dockerlab.checks.questions import question, right, wrong  # noqa: E402 - the questions go after the exercises

question(
    "06.q-copy-order",
    title="Why the order of COPY and RUN matters",
    prompt="Why does a Dockerfile install its packages (RUN apt-get / pip install) before it copies the app's code?",
    choices=[
        right("A code change then misses the cache only from COPY on: the slow install above it stays cached",
              why="A changed file invalidates the COPY that reads it and every step after it. With the install first, "
                  "a code change re-runs only the quick COPY; with COPY first, every code change re-runs the install. "
                  "(So on every engine of the course: Engine 20.10 and 28.5 with BuildKit, Podman 4.3 with Buildah.)"),
        wrong("RUN cannot see files that are copied before it",
              why="It can: a RUN after COPY sees the copied files (that is how pip install -r requirements.txt works). "
                  "The order is about the cache, not about what a step sees."),
        wrong("The order makes the image smaller",
              why="The same steps in another order make the same files, so about the same size: the order decides "
                  "which steps a rebuild can take from the cache, not what ends up in the image."),
        wrong("Docker runs the RUN lines first anyway, so the order only matters for reading",
              why="Docker runs the steps exactly in the order written, each on top of the one before."),
    ],
)

question(
    "06.q-multi-stage",
    title="What a multi-stage build keeps",
    prompt="A Dockerfile has a build stage (FROM debian AS build, compiles with gcc) and a final stage "
           "(FROM scratch, COPY --from=build /greet /greet). What is in the final image?",
    choices=[
        wrong("Both stages' layers; the build stage is only hidden",
              why="The image's layers are those of its final stage alone (docker history shows them); the build "
                  "stage's layers stay in the build cache on the building machine, not in the image."),
        right("Only the final stage: its base (here nothing) and what COPY --from took from the build stage",
              why="An image is its last stage. COPY --from copies files across, so the program comes along and the "
                  "compiler, its headers and apt's files stay behind. (The same on every engine of the course.)"),
        wrong("The build stage, with the final stage's files added on top",
              why="It is the other way round: the final stage starts from its own FROM, and only the files named in "
                  "COPY --from come from the build stage."),
    ],
)
