"""Notebook 04's claims about the engine, checked against the engine the tests run on.

The notebook quotes the engine's words for two errors, by release line: removing a running container
(Engine 20.10: "You cannot remove a running container ID ..."; Engine 28: 'cannot remove container "NAME":
container is running ...'), and a command runc cannot start (Engine 28 puts "failed to create task for
container:" in front; 20.10 leaves it out and ends with ": unknown"; both end in runc's own words). And it
states the exit codes those cases give: 127 (no such command), 126 (not executable), 125 (docker run itself
failed), 137 (SIGKILL after docker stop's grace period), 143 (SIGTERM passed on by --init). Each test does
the real thing and asserts what the notebook says for this engine's release line. Podman 4.3 has words of its own
for each error, and through its Docker-compatible API a command that cannot start makes `docker run` say "unable to
upgrade to tcp, received 409" and exit with 1 (the notebook skips those cells there, `%%needs exit-codes`, and says
where runc's words are): asserted as Podman does it.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from support import docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("04-running-containers")]

#: A Python script without the executable permission, like the notebook's app.py.
DOCKERFILE = 'FROM python:3.13-slim\nWORKDIR /app\nCOPY app.py .\nCMD ["python", "app.py"]\n'


@pytest.fixture
def app_image(lesson, build_image):
    """The notebook's my-python-app image (built once for the module, tagged again for each test)."""
    return build_image(lesson.name("claims-app"), {"app.py": 'print("Hello, World from Docker!")\n', "Dockerfile": DOCKERFILE})


def run(name: str, *args: str) -> subprocess.CompletedProcess:
    """``docker run --name NAME ARGS``, whatever it gives."""
    return docker("run", "--name", name, *args, check=False)


def test_removing_a_running_container_is_refused_in_the_engines_words(container_name, app_image, kind):
    name = container_name("claims-running")
    docker("run", "-d", "--name", name, app_image, "sleep", "infinity")
    refused = docker("rm", name, check=False)
    assert refused.returncode != 0
    container_id = docker("inspect", "--format", "{{.Id}}", name).stdout.strip()
    if kind.product == "Podman":
        assert refused.stderr.strip() == (f"Error response from daemon: cannot remove container {container_id} as it is "
                                          "running - running or paused containers cannot be removed without force: "
                                          "container state improper")
    elif kind.release_line >= (28, 0):
        assert refused.stderr.strip() == (f'Error response from daemon: cannot remove container "{name}": container is running: '
                                          "stop the container before removing or force remove")
    else:
        assert refused.stderr.strip() == (f"Error response from daemon: You cannot remove a running container {container_id}. "
                                          "Stop the container before attempting removal or force remove")


def _runc_words(kind, what: str) -> str:
    """The engine's error for a command runc cannot start, as the notebook describes it by release line."""
    inner = ("failed to create shim task: OCI runtime create failed: runc create failed: "
             f"unable to start container process: {what}")
    if kind.release_line >= (28, 0):
        return f"docker: Error response from daemon: failed to create task for container: {inner}"
    return f"docker: Error response from daemon: {inner}: unknown"


def _podman_cannot_start(name: str, what: str, done: subprocess.CompletedProcess) -> None:
    """Podman 4.3: `docker run` exits with 1 and "unable to upgrade to tcp, received 409"; the container stays
    created (exit code 0), and `docker start` gives runc's words, as the notebook says."""
    assert (done.returncode, done.stderr) == (1, "unable to upgrade to tcp, received 409\n")
    assert docker("inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name).stdout.strip() == "created 0"
    started = docker("start", name, check=False)
    assert started.returncode == 1
    assert started.stderr.splitlines()[0] == ("Error response from daemon: runc: runc create failed: unable to start container "
                                              f"process: {what}")


def test_a_command_that_does_not_exist_gives_127_in_the_engines_words(container_name, app_image, kind):
    name = container_name("claims-0")
    done = run(name, app_image, "nosuchcommand")
    if kind.product == "Podman":
        return _podman_cannot_start(name, 'exec: "nosuchcommand": executable file not found in $PATH: OCI runtime '
                                          "attempted to invoke a command that was not found", done)
    assert done.returncode == 127
    assert done.stderr.splitlines()[0] == _runc_words(kind, 'exec: "nosuchcommand": executable file not found in $PATH')


def test_a_file_that_may_not_be_executed_gives_126_in_the_engines_words(container_name, app_image, kind):
    name = container_name("claims-0")
    done = run(name, app_image, "./app.py")
    if kind.product == "Podman":
        return _podman_cannot_start(name, 'exec: "./app.py": permission denied: OCI permission denied', done)
    assert done.returncode == 126
    assert done.stderr.splitlines()[0] == _runc_words(kind, 'exec: "./app.py": permission denied')


def test_docker_run_itself_failing_gives_125(container_name, app_image, kind):
    name = container_name("claims-0")
    first = run(name, app_image, "sh", "-c", "exit 3")
    assert first.returncode == 3, "docker run passes the container's exit code on"
    taken = docker("run", "--name", name, app_image, check=False)
    in_use = f'the container name "{name}" is already in use by' if kind.product == "Podman" else "is already in use by container"
    assert taken.returncode == 125 and in_use in taken.stderr, taken.stderr
    unknown = docker("run", "--no-such-option", app_image, check=False)
    assert unknown.returncode == 125


def test_docker_stop_kills_sleep_after_the_grace_period_but_init_passes_sigterm_on(container_name, app_image):
    """137 for sleep as process 1 (SIGTERM ignored, SIGKILL after the grace period: 1 s here, 10 s in the
    notebook), 143 with --init, which passes SIGTERM on. No timing is asserted."""
    plain, init = container_name("claims-plain"), container_name("claims-init")
    docker("run", "-d", "--name", plain, app_image, "sleep", "infinity")
    docker("run", "-d", "--init", "--name", init, app_image, "sleep", "infinity")
    docker("stop", "-t", "1", plain)
    docker("stop", "-t", "30", init)
    codes = [docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() for name in (plain, init)]
    assert codes == ["137", "143"]


def test_exec_of_a_program_the_image_lacks_names_it(container_name, kind):
    """busybox has no bash: the notebook's cell shows it (nbval compares that cell's output away: the CLI
    ends its line with a lone carriage return under a terminal), so it is checked here, by release line."""
    box = container_name("claims-box")
    docker("run", "-d", "--name", box, "busybox:1.37", "sleep", "3600")
    done = docker("exec", box, "bash", check=False)
    assert done.returncode != 0
    if kind.product == "Podman":
        # runc's words, then the attach connection Podman 4.3 drops
        first, *rest = (done.stdout + done.stderr).strip().splitlines()
        assert first == ('Error: runc: exec failed: unable to start container process: exec: "bash": executable file not '
                         "found in $PATH: OCI runtime attempted to invoke a command that was not found")
        assert len(rest) == 1 and re.fullmatch(r"Error: read unixpacket @->/proc/self/fd/\d+/attach: read: connection reset by peer",
                                               rest[0]), rest
    else:
        words = ('OCI runtime exec failed: exec failed: unable to start container process: '
                 'exec: "bash": executable file not found in $PATH')
        assert (done.stdout + done.stderr).strip() == (words if kind.release_line >= (28, 0) else words + ": unknown")
    assert docker("exec", box, "sh", "-c", "echo sh works").stdout == "sh works\n"


def test_a_typo_in_the_image_name_is_looked_for_on_docker_hub_and_fails_with_125(lesson):
    # 04's typo demo: Docker Hub's "pull access denied" where it answers, "no such host" where no registry is reachable.
    typo = "y" + lesson.name("my-python-app")
    done = docker("run", "--rm", typo, check=False)
    assert done.returncode == 125, done
    words = done.stdout + done.stderr
    answered = (f"pull access denied for {typo}, repository does not exist or may require 'docker login': "
                "denied: requested access to the resource is denied")
    unreachable = "lookup registry-1.docker.io" in words and "no such host" in words
    assert answered in words or unreachable, words
