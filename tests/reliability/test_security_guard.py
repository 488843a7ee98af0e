"""Nothing the course does hands a container the host: asked to run privileged, to mount the
engine's socket or the host's ``/`` (directly or by a way round), a helper call refuses with
:class:`errors.Refused` (message + fix) and creates nothing; in a notebook the refusal shows as
message + fix without a traceback; the exercise checks create only labelled, limited, unprivileged
containers; and the hardening exercise does not accept a container that has the host anyway.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import docker.types
import pytest

import harness
from dockerlab import errors
from dockerlab import exercises


def _engine_socket() -> str:
    host = os.environ.get("DOCKER_HOST", "")
    return host.removeprefix("unix://") if host.startswith("unix://") else "/var/run/docker.sock"


SOCKET = _engine_socket()
ASKS = {
    "privileged": dict(privileged=True),
    "socket as a volume": dict(volumes={SOCKET: {"bind": "/var/run/docker.sock", "mode": "rw"}}),
    "socket, list form": dict(volumes=[f"{SOCKET}:/sock"]),
    "socket by /run": dict(volumes=["/run/docker.sock:/sock"]),
    "socket by a dotted path": dict(volumes=[f"{os.path.dirname(SOCKET)}/../{Path(SOCKET).parent.name}/{Path(SOCKET).name}:/sock"]),
    "socket as a Mount": dict(mounts=[docker.types.Mount("/sock", SOCKET, type="bind")]),
    "the socket's folder": dict(volumes={os.path.dirname(SOCKET): {"bind": "/hostrun"}}),
    "/run": dict(volumes=["/run:/hostrun:ro"]),
    "host /": dict(volumes={"/": {"bind": "/host", "mode": "ro"}}),
    "host / as //": dict(volumes=["//:/host"]),
    "host / as a Mount": dict(mounts=[docker.types.Mount("/host", "/", type="bind", read_only=True)]),
    "host / through a local volume": dict(mounts=[docker.types.Mount(
        "/host", "guard-vol", type="volume", driver_config=docker.types.DriverConfig("local", {"type": "none", "o": "bind", "device": "/"}))]),
    "host PID namespace": dict(pid_mode="host"),
    "SYS_ADMIN": dict(cap_add=["SYS_ADMIN"]),
}


def _names() -> set[str]:
    return {c["Names"][0].lstrip("/") for c in harness.api(30).containers(all=True)}


@pytest.mark.parametrize("ask", list(ASKS), ids=list(ASKS))
def test_helper_refuses(ask, course_session, record):
    from dockerlab.jupyter.lesson import Lesson

    lesson = Lesson("11-security", workdir=Path("/tmp") / "dockerlab-guard")
    name = lesson.name("guard")
    started = time.monotonic()
    try:
        with pytest.raises(errors.Refused) as refused:
            lesson.run("busybox:1.37", ["sleep", "30"], name=name, **ASKS[ask])
        seconds = time.monotonic() - started
        assert refused.value.message and refused.value.fix, refused.value
        assert name not in _names(), "a refused call left a container"
        assert harness.docker("volume", "inspect", "guard-vol").returncode != 0, "a refused call left a volume"
    finally:  # what an unrefused call made must not spoil the next case
        harness.docker("rm", "-f", name)
        harness.docker("volume", "rm", "-f", "guard-vol")
    record(f"Security guard: {ask}", f"lesson.run(..., {ASKS[ask]!r:.70})", f"Refused: {refused.value.message[:110]}", seconds)


def test_helper_refuses_a_volume_that_binds_the_host(course_session, record):
    from dockerlab.engine import session

    name = session.current().name("guard-vol")
    try:
        for device in ("/", os.path.dirname(SOCKET)):
            with pytest.raises(errors.Refused):
                session.current().volume(name, driver_opts={"type": "none", "o": "bind", "device": device})
            assert harness.docker("volume", "inspect", name).returncode != 0
    finally:
        harness.docker("volume", "rm", "-f", name)
    record("Security guard: bind volume", "session.volume(driver_opts={type: none, o: bind, device: /})",
           "Refused; no volume made", None)


def test_refusal_in_a_notebook_is_message_and_fix(tmp_path, record):
    folder = harness.learner_folder(tmp_path, [])
    kernel = harness.Kernel(folder, {"DOCKERLAB_STATE": str(tmp_path / "state")})
    try:
        assert kernel.run("import dockerlab\nlesson = dockerlab.start('11-security')").status == "ok"
        cell = kernel.run("lesson.run('busybox:1.37', ['true'], privileged=True)")
        assert cell.status == "error" and cell.ename == "Refused" and not cell.traceback_frames(), cell.shown
        assert "dockerlab refuses this on purpose" in cell.html and "What to do" in cell.html, cell.html
    finally:
        kernel.shutdown()
    record("Security guard: in a notebook", "lesson.run(privileged=True) in a kernel", "message + fix, no traceback", cell.seconds)


def test_checks_create_only_safe_containers(tmp_path, course_session, monkeypatch, record):
    """Every container an exercise check creates is the course's (labelled), limited and unprivileged.

    The check runs against the real engine; a spy on docker-py's ``create_container`` only records
    what each create request asked for (the request still goes to the engine).
    """
    from docker.api.container import ContainerApiMixin

    from dockerlab import checks
    from dockerlab.jupyter.lesson import Lesson

    asked: list[dict] = []
    real = ContainerApiMixin.create_container

    def spy(self, image, command=None, *args, **kwargs):
        asked.append({"image": image, "command": command, **kwargs})
        return real(self, image, command, *args, **kwargs)

    lesson = Lesson("07-data-and-volumes", workdir=tmp_path / "work")
    volume, reader = lesson.name("diary"), lesson.name("reader")
    try:
        for line in (f"volume create {volume}",
                     f"run --rm -v {volume}:/diary busybox:1.37 sh -c 'echo dear diary > /diary/entries.txt'",
                     f"run -d --name {reader} -v {volume}:/diary:ro busybox:1.37 sleep 600"):
            assert harness.sh("docker " + line, timeout=120).returncode == 0, line
        monkeypatch.setattr(ContainerApiMixin, "create_container", spy)
        result = exercises.run("07.persist-volume", lesson)
        monkeypatch.undo()
        assert result.passed, str(result)
    finally:
        lesson.reset()
    assert asked, "the check made no container: nothing was verified"
    for request in asked:
        host = request.get("host_config") or {}
        binds = " ".join(host.get("Binds") or [])
        assert (request.get("labels") or {}).get("org.dockerlab.managed") == "true", request
        assert not host.get("Privileged") and "docker.sock" not in binds and not any(b.startswith("/:") for b in host.get("Binds") or []), request
        assert host.get("PidsLimit") and host.get("Memory"), f"a check's container without limits: {request}"
    record("Security guard: check path", "every create request while 07.persist-volume is checked (spy on docker-py, real engine)",
           f"{len(asked)} container(s), each labelled, with memory and pids limits, unprivileged, no socket or / mount", None)


@pytest.mark.parametrize("extra", [["--privileged"], ["-v", f"{SOCKET}:/var/run/docker.sock"], ["-v", "/:/host:ro"]],
                         ids=["privileged", "socket", "host-root"])
def test_hardening_check_is_not_fooled(extra, tmp_path, course_session, record):
    """Every hardening flag right, plus one that hands over the host: "not yet", saying which."""
    from dockerlab import checks
    from dockerlab.jupyter.lesson import Lesson

    lesson = Lesson("11-security", workdir=tmp_path / "work")
    site = lesson.path("site")
    site.mkdir()
    (site / "index.html").write_text("<h1>Served by a hardened container</h1>\n")
    name = lesson.name("hardened")
    flags = ["--user", "1000:1000", "--read-only", "--cap-drop", "ALL", "--memory", "32m", "--cpus", "0.25", "--pids-limit", "30"]
    try:
        done = harness.docker("run", "-d", "--name", name, *flags, *extra, "-v", f"{site}:/www:ro", "-p", "127.0.0.1::8080",
                              "busybox:1.37", "httpd", "-f", "-p", "8080", "-h", "/www", timeout=120)
        assert done.returncode == 0, done.stderr
        result = exercises.run("11.hardened-server", lesson)
    finally:
        lesson.reset()
    assert not result.passed, f"a container with {' '.join(extra)} passed as hardened:\n{result}"
    word = {"--privileged": "runs --privileged", "-v": "mounts the engine's socket" if "sock" in extra[-1] else "mounts the host's /"}[extra[0]]
    assert any(word in r.reason for r in result.unmet), str(result)
    record(f"Security guard: hardening check with {' '.join(extra)}", "11.hardened-server on a container with every hardening flag plus this one",
           "not yet: " + next(r.reason for r in result.unmet if word in r.reason)[:120], None)
