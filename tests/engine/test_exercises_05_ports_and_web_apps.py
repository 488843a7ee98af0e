"""Notebook 05's exercise against real containers and real published ports.

``simple-webapp-<session>`` (the name the exercise expects for this test process's session) is built
from the very files the notebook writes (its ``%%writefile`` cells), so the test also proves the
notebook's app works: it answers, and it stops at once on SIGTERM. The tag is removed after.
"""

from __future__ import annotations

import time

import pytest

from dockerlab import checks
from dockerlab.engine import session as sessions
from dockerlab.exercises import nb05_ports_and_web_apps as ex
from dockerlab.jupyter.lesson import port_is_free
from dockerlab import exercises
from support import docker, notebook_file, unmet

pytestmark = [pytest.mark.engine, pytest.mark.lesson("05-ports-and-web-apps")]

NOTEBOOK = "05-ports-and-web-apps.ipynb"


def image() -> str:
    """The image the exercise expects in this process's session: ``simple-webapp-<session>``."""
    return sessions.current().name(ex.IMAGE)


@pytest.fixture(autouse=True)
def webapp(build_image):
    files = {name: notebook_file(NOTEBOOK, f"/{name}") for name in ("server.py", "Dockerfile")}
    return build_image(image(), files)


@pytest.fixture
def site(container_name):
    return container_name("site")


def run_site(site: str, *publish: str) -> None:
    docker("run", "-d", "--name", site, *publish, image())


def test_right_answer_passes(lesson, site):
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"127.0.0.1:{port}:80")
    res = exercises.run("05.publish-localhost", lesson)
    assert res.passed, str(res)


def test_the_app_stops_at_once_on_docker_stop(lesson, site, kind):
    run_site(site)
    time.sleep(0.5)  # let Python install its SIGTERM handler
    started = time.monotonic()
    docker("stop", site)
    assert time.monotonic() - started < 5, "server.py should end on SIGTERM, not be killed after 10 s"
    code = docker("inspect", "--format", "{{.State.ExitCode}}", site).stdout.strip()
    # Podman 4.3 kills a container the docker CLI made at once on docker stop (its StopTimeout is 0): 137
    assert code == ("137" if kind.product == "Podman" else "0")


def test_published_on_every_address(lesson, site):
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"{port}:80")
    res = exercises.run("05.publish-localhost", lesson)
    assert "every address of this machine" in unmet(res, "publishes port 80")
    assert len(res.requirements) == 3, "no page check while the publishing is wrong"


def test_wrong_container_port(lesson, site):
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"127.0.0.1:{port}:8080")
    res = exercises.run("05.publish-localhost", lesson)
    assert "publishes container port 8080/tcp but not 80" in unmet(res, "publishes port 80")


def test_not_published(lesson, site):
    run_site(site)
    res = exercises.run("05.publish-localhost", lesson)
    assert "publishes no ports" in unmet(res, "publishes port 80")


def test_other_host_port(lesson, site):
    other = lesson.port(ex.PREFERRED_PORT + 50)
    run_site(site, "-p", f"127.0.0.1:{other}:80")
    res = exercises.run("05.publish-localhost", lesson)
    assert f"host port {other}, not on host port {ex.exercise_port(lesson)}" in unmet(res, "publishes port 80")


def test_numbers_swapped(lesson, site):
    if not port_is_free(80):
        pytest.skip("host port 80 is in use here")
    port = ex.exercise_port(lesson)
    run_site(site, "-p", f"127.0.0.1:80:{port}")
    res = exercises.run("05.publish-localhost", lesson)
    assert "swapped" in unmet(res, "publishes port 80")


def test_not_running(lesson, site):
    port = ex.exercise_port(lesson)
    docker("create", "--name", site, "-p", f"127.0.0.1:{port}:80", image())
    res = exercises.run("05.publish-localhost", lesson)
    assert "created but never started" in unmet(res, "is running")
    assert len(res.requirements) == 1


def test_no_container(lesson, site):
    res = exercises.run("05.publish-localhost", lesson)
    assert f"no container named {site} exists" in unmet(res, "is running")


# -- 05.publish-localhost: answers that look right -------------------------------------------------

#: A web server in busybox on port 80: a container that publishes right but is not from the notebook's image.
BUSYBOX_WEB = ["busybox:1.37", "sh", "-c", "mkdir /www && echo hello > /www/index.html && exec httpd -f -p 80 -h /www"]


def test_other_image_published_right(lesson, site):
    port = ex.exercise_port(lesson)
    docker("run", "-d", "--name", site, "-p", f"127.0.0.1:{port}:80", *BUSYBOX_WEB)
    res = exercises.run("05.publish-localhost", lesson)
    assert f"busybox:1.37, not {image()}" in unmet(res, "was started from the image")  # Podman: localhost/busybox
    assert "Hello from simple-webapp" in unmet(res, "answers")


def test_published_right_but_the_app_does_not_run(lesson, site, kind):
    port = ex.exercise_port(lesson)
    docker("run", "-d", "--name", site, "-p", f"127.0.0.1:{port}:80", image(), "sleep", "300")
    res = exercises.run("05.publish-localhost", lesson)
    reason = unmet(res, "answers")
    if kind.product == "Podman":  # the port is forwarded in the kernel: nothing accepts the connection
        assert "nothing answers" in reason and "connection refused" in reason, reason
    else:  # Docker's proxy accepts it, finds nothing behind, and ends it
        assert "closed without an answer" in reason, reason


# -- 05.engine-port --------------------------------------------------------------------------------


@pytest.fixture
def picked(container_name):
    return container_name("picked")


def live_port(name: str) -> str:
    """The host port ``docker port NAME 80`` shows, as the learner reads it."""
    return docker("port", name, "80/tcp").stdout.splitlines()[0].rsplit(":", 1)[1]


def run_picked(lesson, picked: str, *publish: str, write: str | None = "port") -> str:
    """``picked`` from the notebook's image with ``publish``; the port file written with the live port (``write``
    "port"), the given text, or not at all (None). The live host port."""
    docker("run", "-d", "--name", picked, *publish, image())
    port = live_port(picked) if write == "port" else ""
    if write is not None:
        ex.port_file(lesson).write_text(port + "\n" if write == "port" else write)
    return port


def test_engine_port_right_answer_passes(lesson, picked):
    run_picked(lesson, picked, "-p", "127.0.0.1::80")
    res = exercises.run("05.engine-port", lesson)
    assert res.passed, str(res)
    assert len(res.requirements) == 6


def test_engine_port_no_container(lesson, picked):
    res = exercises.run("05.engine-port", lesson)
    assert f"no container named {picked} exists" in unmet(res, "is running")


def test_engine_port_created_not_started(lesson, picked):
    docker("create", "--name", picked, "-p", "127.0.0.1::80", image())
    res = exercises.run("05.engine-port", lesson)
    assert "created but never started" in unmet(res, "is running")


def test_engine_port_other_image(lesson, picked):
    docker("run", "-d", "--name", picked, "-p", "127.0.0.1::80", *BUSYBOX_WEB)
    ex.port_file(lesson).write_text(live_port(picked))
    res = exercises.run("05.engine-port", lesson)
    assert f"busybox:1.37, not {image()}" in unmet(res, "was started from the image")  # Podman: localhost/busybox


def test_engine_port_not_published(lesson, picked):
    run_picked(lesson, picked, write=None)
    res = exercises.run("05.engine-port", lesson)
    assert "publishes no ports" in unmet(res, "publishes port 80")


def test_engine_port_on_every_address(lesson, picked):
    run_picked(lesson, picked, "-p", "80")
    res = exercises.run("05.engine-port", lesson)
    assert "every address of this machine" in unmet(res, "publishes port 80")


def test_engine_port_other_container_port(lesson, picked):
    run_picked(lesson, picked, "-p", "127.0.0.1::8080", write=None)
    res = exercises.run("05.engine-port", lesson)
    assert "publishes container port 8080/tcp but not 80" in unmet(res, "publishes port 80")


def test_engine_port_host_port_given(lesson, picked, kind):
    port = lesson.port(ex.PREFERRED_PORT + 60)
    run_picked(lesson, picked, "-p", f"127.0.0.1:{port}:80")
    res = exercises.run("05.engine-port", lesson)
    if kind.product == "Podman":  # Podman records a picked port as a given one: the check cannot tell them apart
        assert res.passed, str(res)
        return
    assert f"host port {port}, which docker run was given" in unmet(res, "a host port the engine picked")
    assert "-p 127.0.0.1::80" in unmet(res, "a host port the engine picked")


def test_engine_port_no_file(lesson, picked):
    run_picked(lesson, picked, "-p", "127.0.0.1::80", write=None)
    res = exercises.run("05.engine-port", lesson)
    assert "there is no port file at" in unmet(res, "holds the host port")


def test_engine_port_file_holds_the_whole_line(lesson, picked):
    run_picked(lesson, picked, "-p", "127.0.0.1::80", write=None)
    ex.port_file(lesson).write_text(docker("port", picked, "80").stdout)
    res = exercises.run("05.engine-port", lesson)
    assert "the whole line docker port prints" in unmet(res, "holds the host port")


def test_engine_port_file_holds_the_container_port(lesson, picked):
    run_picked(lesson, picked, "-p", "127.0.0.1::80", write="80")
    res = exercises.run("05.engine-port", lesson)
    assert "holds 80, the container's port" in unmet(res, "holds the host port")


def test_engine_port_file_from_an_earlier_container(lesson, picked):
    old = run_picked(lesson, picked, "-p", "127.0.0.1::80")
    assert old
    docker("rm", "-f", picked)
    holder = lesson.name("picked-holder")  # keeps the old port taken, so the new container gets another
    try:
        docker("run", "-d", "--name", holder, "-p", f"127.0.0.1:{old}:80", image())
        run_picked(lesson, picked, "-p", "127.0.0.1::80", write=None)
        new = live_port(picked)
        res = exercises.run("05.engine-port", lesson)
        assert f"holds {old}, but {picked} publishes port 80 on host port {new} now" in unmet(res, "holds the host port")
        assert res.requirements[-1].met, "the app itself answers on its new port"
    finally:
        docker("rm", "-f", holder, check=False)


def test_engine_port_file_empty(lesson, picked):
    run_picked(lesson, picked, "-p", "127.0.0.1::80", write="")
    res = exercises.run("05.engine-port", lesson)
    assert "is empty" in unmet(res, "holds the host port")


# -- 05.fix-devserver ------------------------------------------------------------------------------

DEV_FILES = {"index.html": notebook_file(NOTEBOOK, "{dev_dir}/index.html")}
BROKEN = notebook_file(NOTEBOOK, "{dev_dir}/Dockerfile")
FIXED = notebook_file(NOTEBOOK, "{dev_dir}/Dockerfile", solution=True)


def dev_image() -> str:
    return sessions.current().name(ex.DEV_IMAGE_NAME)


@pytest.fixture
def dev_build(build_image):
    """``dev_build(variant, dockerfile)``: the dev server built from that Dockerfile (as ``devserver-VARIANT-<session>``,
    once a module) and tagged as the exercise's image, as the learner's ``docker build -t {dev_image}`` tags it."""

    def build(variant: str, dockerfile: str) -> str:
        tag = build_image(sessions.current().name(f"{ex.DEV_IMAGE_NAME}-{variant}"), {**DEV_FILES, "Dockerfile": dockerfile})
        docker("tag", tag, dev_image())
        return dev_image()

    return build


@pytest.fixture
def dev(container_name):
    return container_name(ex.DEV_CONTAINER)


def run_dev(lesson, dev: str, *command: str, publish: str | None = None) -> None:
    publish = publish or f"127.0.0.1:{ex.dev_port(lesson)}:{ex.DEV_PORT}"
    docker("run", "-d", "--name", dev, "-p", publish, dev_image(), *command)


def test_the_notebooks_dev_server_is_broken_as_it_says(dev_build, lesson, dev):
    assert '"--bind", "127.0.0.1"' in BROKEN and '"--bind", "0.0.0.0"' in FIXED
    dev_build("broken", BROKEN)
    run_dev(lesson, dev)
    res = exercises.run("05.fix-devserver", lesson)
    reason = unmet(res, "listens on port 8000 on every address")
    assert f"listens on 127.0.0.1:{ex.DEV_PORT} only, the container's own loopback" in reason
    assert [r.met for r in res.requirements] == [True, True, True, True, False], "stops before fetching the page"


def test_dev_right_answer_passes(dev_build, lesson, dev):
    dev_build("fixed", FIXED)
    run_dev(lesson, dev)
    res = exercises.run("05.fix-devserver", lesson)
    assert res.passed, str(res)


def test_dev_no_container(lesson, dev):
    res = exercises.run("05.fix-devserver", lesson)
    assert f"no container named {dev} exists" in unmet(res, "is running")


def test_dev_not_started(dev_build, lesson, dev):
    dev_build("fixed", FIXED)
    docker("create", "--name", dev, "-p", f"127.0.0.1:{ex.dev_port(lesson)}:{ex.DEV_PORT}", dev_image())
    res = exercises.run("05.fix-devserver", lesson)
    assert "created but never started" in unmet(res, "is running")


def test_dev_rebuilt_but_the_old_container_still_runs(dev_build, lesson, dev):
    dev_build("broken", BROKEN)
    run_dev(lesson, dev)
    dev_build("fixed", FIXED)
    res = exercises.run("05.fix-devserver", lesson)
    assert "an older build of" in unmet(res, "was started from the current build")


def test_dev_repaired_on_the_run_line_only(dev_build, lesson, dev):
    dev_build("broken", BROKEN)
    run_dev(lesson, dev, "python", "-m", "http.server", "8000")
    res = exercises.run("05.fix-devserver", lesson)
    assert "runs the command python -m http.server 8000 given to docker run" in unmet(res, "own command")


def test_dev_repaired_with_an_entrypoint(dev_build, lesson, dev):
    dev_build("broken", BROKEN)
    docker("run", "-d", "--name", dev, "-p", f"127.0.0.1:{ex.dev_port(lesson)}:{ex.DEV_PORT}", "--entrypoint", "python",
           dev_image(), "-m", "http.server", "8000")
    res = exercises.run("05.fix-devserver", lesson)
    assert "runs with --entrypoint python" in unmet(res, "own command")


def test_dev_bound_to_localhost_instead(dev_build, lesson, dev):
    dev_build("localhost", BROKEN.replace('"127.0.0.1"', '"localhost"'))
    run_dev(lesson, dev)
    res = exercises.run("05.fix-devserver", lesson)
    assert "the container's own loopback" in unmet(res, "listens on port 8000 on every address")


def test_dev_app_moved_to_another_port(dev_build, lesson, dev):
    dev_build("port80", FIXED.replace('"8000"', '"80"'))
    run_dev(lesson, dev)
    res = exercises.run("05.fix-devserver", lesson)
    assert "nothing in" in (reason := unmet(res, "listens on port 8000 on every address")) and "listens on port 80;" in reason


def test_dev_published_on_every_address(dev_build, lesson, dev):
    dev_build("fixed", FIXED)
    run_dev(lesson, dev, publish=f"{ex.dev_port(lesson)}:{ex.DEV_PORT}")
    res = exercises.run("05.fix-devserver", lesson)
    assert "every address of this machine" in unmet(res, "publishes port 8000")


def test_dev_other_host_port(dev_build, lesson, dev):
    other = lesson.port(ex.DEV_PREFERRED_PORT + 50)
    dev_build("fixed", FIXED)
    run_dev(lesson, dev, publish=f"127.0.0.1:{other}:{ex.DEV_PORT}")
    res = exercises.run("05.fix-devserver", lesson)
    assert f"host port {other}, not on host port {ex.dev_port(lesson)}" in unmet(res, "publishes port 8000")


def test_dev_published_container_port_80(dev_build, lesson, dev):
    dev_build("fixed", FIXED)
    run_dev(lesson, dev, publish=f"127.0.0.1:{ex.dev_port(lesson)}:80")
    res = exercises.run("05.fix-devserver", lesson)
    assert "publishes container port 80/tcp but not 8000" in unmet(res, "publishes port 8000")
