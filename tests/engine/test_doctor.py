"""The doctor, on real faults: each one found, each with the command that fixes it.

Each fault is caused for real in a child process (the engine client is one per process): no socket
at DOCKER_HOST, a user outside the docker group, CLI plugins hidden by a private mount namespace,
a free-disk threshold above what the disk has, an image the engine lacks; and the engine reached
through a real `docker context` rather than DOCKER_HOST.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockerlab.services import doctor
from dockerlab import engine
from dockerlab.engine import kind as enginekind
from dockerlab.services.images.manifest import ImageSpec, load_manifest
from support import docker as docker_cli, output

ROOT = Path(__file__).resolve().parents[2]
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="switches user or mount namespace: needs root")

FINDINGS = "import json; from dockerlab.services import doctor; print(json.dumps([vars(f) for f in doctor.run_checks().findings]))"
# Where the docker CLI looks for plugins on Linux, besides $DOCKER_CONFIG/cli-plugins.
PLUGIN_DIRS = ("/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
               "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins")


def _env(tmp_path: Path, **extra: str) -> dict:
    env = {**os.environ, "HOME": str(tmp_path), "DOCKERLAB_STATE": str(tmp_path / "state"), **extra}
    for name in ("DOCKER_HOST", "DOCKER_CONTEXT"):
        if name not in extra:
            env.pop(name, None)
    return env


def _findings(env: dict, prefix: tuple[str, ...] = ()) -> dict[str, dict]:
    """The doctor's findings in a child process with ``env`` (run through ``prefix``), by name."""
    done = subprocess.run([*prefix, sys.executable, "-c", FINDINGS], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return {f["name"]: f for f in json.loads(done.stdout.splitlines()[-1])}


def _problem(findings: dict, name: str) -> dict:
    found = findings[name]
    assert found["ok"] is False, found
    assert found["fix"], f"{name} is a problem without a fix: {found}"
    return found


def _doctor_cli(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dockerlab", "doctor", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_no_engine_at_docker_host(tmp_path, docker_client):
    findings = _findings(_env(tmp_path, DOCKER_HOST="unix:///nonexistent"))
    socket = _problem(findings, "engine socket")
    assert "/nonexistent" in socket["detail"] and "DOCKER_HOST" in socket["detail"]
    engine_found = _problem(findings, "Docker engine")
    assert "unix:///nonexistent" in engine_found["detail"]
    assert "make lab" in engine_found["fix"] and "https://docs.docker.com/engine/install/" in engine_found["fix"]


@needs_root
def test_a_user_outside_the_docker_group_is_told_how_and_why(tmp_path, docker_client):
    tmp_path.chmod(0o777)
    as_nobody = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")
    findings = _findings(_env(tmp_path), prefix=as_nobody)
    socket = _problem(findings, "engine socket")
    assert "not writable by this user" in socket["detail"]
    assert "usermod -aG docker" in socket["fix"] and "root-equivalent" in socket["fix"]
    assert "usermod -aG docker" in _problem(findings, "Docker engine")["fix"]


@needs_root
def test_missing_cli_plugins_come_with_the_install_command(tmp_path, docker_client):
    """The real CLI, in a private mount namespace where every plugin folder is empty."""
    empty = tmp_path / "no-plugins"
    empty.mkdir()
    hide = " ".join(f'[ -d {d} ] && mount --bind {empty} {d};' for d in PLUGIN_DIRS)
    script = f'{hide} docker buildx version >/dev/null 2>&1 && exit 97; exec "$@"'
    prefix = ("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh")
    env = _env(tmp_path, DOCKER_CONFIG=str(tmp_path / "docker-config"))
    findings = _findings(env, prefix=prefix)
    for name, command in (("BuildKit (docker buildx)", "buildx"), ("Compose (docker compose)", "compose")):
        found = _problem(findings, name)
        assert f"`docker {command}` is missing" in found["detail"]
        assert "scripts/ensure-engine.sh" in found["fix"]
    assert findings["Docker engine"]["ok"] is not False  # the engine itself is fine (a note if its release line has ended)
    assert subprocess.run(["docker", "buildx", "version"], capture_output=True, timeout=60).returncode == 0  # outside: intact


def test_too_little_free_disk(tmp_path, docker_client):
    findings = _findings(_env(tmp_path, DOCKERLAB_MIN_FREE_GB="1000000"))  # a petabyte
    found = _problem(findings, "free disk")
    assert "GB free at" in found["detail"]
    assert "docker image prune" in found["fix"]


def test_an_image_the_engine_lacks(course_session):
    absent = ImageSpec(f"dockerlab-test/absent-{course_session.id}:1", "test", ("00-welcome",), "busybox.Dockerfile")
    report = doctor.run_checks(specs=[load_manifest()[0], absent])
    found = _problem({f.name: vars(f) for f in report.findings}, "course images")
    assert found["detail"].startswith("1 of 2 present") and found["detail"].endswith(f"; missing: {absent.name}")
    assert found["fix"] == "dockerlab images ensure"
    assert not report.ok and "fix: dockerlab images ensure" in report.as_text()


def test_exit_codes(tmp_path, docker_client):
    """A PROBLEM fails the command, so `dockerlab doctor && ...` stops; notes fail it only with --strict."""
    healthy = _doctor_cli(_env(tmp_path))
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert healthy.stdout.rstrip().endswith("Ready for the course.")
    notes = [line for line in healthy.stdout.splitlines() if line.lstrip().startswith("note")]
    strict = _doctor_cli(_env(tmp_path), "--strict")
    assert strict.returncode == (1 if notes else 0), strict.stdout
    broken = _env(tmp_path, DOCKER_HOST="unix:///nonexistent")
    for args in ((), ("--strict",)):
        failed = _doctor_cli(broken, *args)
        assert failed.returncode == 1 and "PROBLEM  engine socket" in failed.stdout
        lines = failed.stdout.splitlines()
        problems = [i for i, line in enumerate(lines) if line.lstrip().startswith("PROBLEM")]
        assert len(problems) == 2, failed.stdout  # the socket and the engine
        assert all(lines[i + 1].strip().startswith("fix: ") for i in problems), failed.stdout
    # The shell sees it: a script's `dockerlab doctor && make lab` stops at the doctor.
    chained = subprocess.run(f"{sys.executable} -m dockerlab doctor >/dev/null && echo went-on", shell=True, env=broken,
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "went-on" not in chained.stdout


@pytest.fixture
def cli_context(tmp_path, course_session):
    """A real `docker context` in a config folder of the test's own, whose socket is a link to the engine's."""
    config = tmp_path / "docker-config"
    config.mkdir()
    link = tmp_path / "engine.sock"
    link.symlink_to(engine.address().socket)  # the engine the suite uses, wherever its socket is
    name = f"dl-test-{course_session.id}"
    env = _env(tmp_path, DOCKER_CONFIG=str(config))

    def docker(*args: str, **extra: str) -> subprocess.CompletedProcess:
        return docker_cli(*args, env={**env, **extra}, timeout=60)

    docker("context", "create", name, "--docker", f"host=unix://{link}")
    try:
        yield name, link, env, docker
    finally:
        docker("context", "use", "default")
        docker("context", "rm", "-f", name)


def test_the_engine_of_the_current_docker_context(cli_context):
    name, link, env, docker = cli_context
    # The CLI itself goes there...
    assert docker("version", "--format", "{{.Server.Version}}", DOCKER_CONTEXT=name).stdout.strip()
    # ...and so does dockerlab, whether the context comes from DOCKER_CONTEXT or from `docker context use`.
    by_variable = _findings({**env, "DOCKER_CONTEXT": name})
    docker("context", "use", name)
    by_config = _findings(env)
    for findings in (by_variable, by_config):
        assert findings["engine socket"]["ok"] is True
        assert f"{link} usable by root" in findings["engine socket"]["detail"]
        assert findings["Docker engine"]["ok"] is not False
        assert f"at unix://{link} (docker context {name})" in findings["Docker engine"]["detail"]


def test_a_context_whose_engine_is_gone(cli_context):
    name, link, env, _docker = cli_context
    link.unlink()
    findings = _findings({**env, "DOCKER_CONTEXT": name})
    socket = _problem(findings, "engine socket")
    assert f"{link} (docker context {name}) does not exist" in socket["detail"]
    assert f"there is no socket at unix://{link}" in _problem(findings, "Docker engine")["detail"]


def test_a_context_that_does_not_exist(tmp_path, docker_client):
    findings = _findings(_env(tmp_path, DOCKER_CONTEXT="dl-test-no-such-context"))
    for name in ("engine socket", "Docker engine"):
        found = _problem(findings, name)
        assert "'dl-test-no-such-context'" in found["detail"]
        assert "docker context ls" in found["fix"]



def test_the_kind_of_engine_matches_what_the_cli_says(tmp_path, docker_client):
    """On every engine of the matrix: the doctor's engine, image store, cgroups, location and Compose
    lines say what the docker CLI, asked independently, says of the same engine."""
    findings = _findings({**os.environ, "DOCKERLAB_STATE": str(tmp_path / "state")})
    version = output("version", "--format", "{{.Server.Version}}")
    assert version in findings["Docker engine"]["detail"]
    assert ("reached its end of life" in findings["Docker engine"]["detail"]) == (findings["Docker engine"]["ok"] is None)
    driver_type = output("info", "--format", "{{range .DriverStatus}}{{index . 0}}={{index . 1}} {{end}}")
    containerd_store = "driver-type=io.containerd.snapshotter.v1" in driver_type
    assert findings["image store"]["detail"].startswith("containerd" if containerd_store else "classic")
    assert output("info", "--format", "{{.Driver}}") in findings["image store"]["detail"]
    cgroup = output("info", "--format", "v{{.CgroupVersion}} ({{.CgroupDriver}} driver")
    assert findings["cgroups"]["detail"].startswith(cgroup)
    kernel = output("info", "--format", "{{.KernelVersion}}")
    same_kernel = kernel == os.uname().release
    # Local (True) only on this kernel and with this machine's processes in view; a notebook in a PID
    # namespace of its own (row d) shares the kernel but cannot see the engine's processes (None).
    seen = same_kernel and not enginekind.own_pid_namespace()
    assert (findings["engine location"]["ok"] is True) == seen
    assert ("PID namespace of its own" in findings["engine location"]["detail"]) == (same_kernel and not seen)
    compose = output("compose", "version", "--short")
    assert doctor.compose_version(compose) is not None
    assert ".".join(map(str, doctor.compose_version(compose))) in findings["Compose (docker compose)"]["detail"]
