"""Notebook 11's claims that depend on the engine, checked on the engine at hand.

Secrets: every engine writes a build argument's value into the ``RUN`` line of the history that used
it; the ``ARG`` line shows only the name on Engine 20.10 and the value too on Engine 28. Builders that
keep build records (buildx 0.21+ on an engine whose builder keeps them) record the build arguments,
values included, and keep the record when the image is removed; buildx 0.13 has no ``history`` command.
``--provenance=mode=max`` puts the build arguments in an attestation on the containerd image store and
is refused on the classic store. A secret mount leaves the token in none of these places, and a file
deleted by a later ``RUN`` stays in its layer, whose size the two image stores report differently.

Podman 4.3 (row p) has no BuildKit: its builder (Buildah) writes the classic builder's history lines (the ``RUN``
behind ``|1 API_TOKEN=VALUE``, the ``ARG`` with the name only), the CLI's classic build refuses
``--provenance``, a layer's size is the layer as a tar file, and the build record and the secret mount are skipped
with the reason the notebook gives.

Least privilege: the default capabilities (Docker's 14, ``CapEff`` ``a80425fb``; Podman's 11, ``800405fb``: no
NET_RAW, so ``ping`` fails), and root without ``CHOWN`` cannot change a file's owner.

Limits: the kernel files behind the limits view (cgroup v1 or v2) hold what the engine was asked for,
``--pids-limit 20`` stops the 20th process, and ``--memory 64m`` gets the hog OOM-killed (exit code 137,
``State.OOMKilled``, always false on Podman 4.3) after it reported 48 MiB and before 64.
"""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path

import pytest

from dockerlab.services import kernel
from dockerlab.exercises.nb11_security import TOKEN, where_in_image
from support import docker, notebook_file

pytestmark = [pytest.mark.engine, pytest.mark.lesson("11-security")]

LEAKY_ARG = """\
FROM busybox:1.37
ARG API_TOKEN
RUN test -n "$API_TOKEN" && echo "fetched with a ${#API_TOKEN}-character token" > /fetched.txt
CMD ["cat", "/fetched.txt"]
"""
LEAKY_COPY = """\
FROM busybox:1.37
COPY token.txt /tmp/token.txt
RUN echo "fetched with a $(wc -c < /tmp/token.txt)-character token" > /fetched.txt && rm /tmp/token.txt
CMD ["cat", "/fetched.txt"]
"""
WITH_SECRET = """\
FROM busybox:1.37
RUN --mount=type=secret,id=api_token \\
    echo "fetched with a $(wc -c < /run/secrets/api_token)-character token" > /fetched.txt
CMD ["cat", "/fetched.txt"]
"""
# The notebook's Go template for a build record's arguments.
ARGS_FORMAT = "{{range .BuildArgs}}{{.Name}}={{.Value}} {{end}}"


def buildx_version() -> tuple[int, int]:
    found = re.search(r"buildx v?(\d+)\.(\d+)", docker("buildx", "version").stdout)
    assert found, "docker buildx version names no version"
    return int(found.group(1)), int(found.group(2))


@pytest.fixture
def builds(tmp_path, course_session, made):
    """Build a Dockerfile as the notebook does (``docker build -q``); every tag is removed afterwards."""
    token_file = tmp_path / "token.txt"
    token_file.write_text(TOKEN)

    def build(name: str, dockerfile: str, *flags: str, check: bool = True) -> tuple[str, subprocess.CompletedProcess]:
        tag = course_session.name(name)
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        (folder / "Dockerfile").write_text(dockerfile)
        (folder / "token.txt").write_text(TOKEN)
        made.images.append(tag)
        args = [flag.replace("TOKEN_FILE", str(token_file)) for flag in flags]
        return tag, docker("build", "-q", *args, "-t", tag, str(folder), check=check)

    return build


def saved_files(tag: str, folder: Path) -> dict[str, list[str]]:
    """Where ``docker save`` puts the token: the config, files of layers, other files (attestations)."""
    tarball = folder / f"{tag}.tar"
    docker("save", "-o", str(tarball), tag)
    found: dict[str, list[str]] = {"config": [], "layers": [], "other": []}
    with tarfile.open(tarball) as image:
        manifest = json.load(image.extractfile("manifest.json"))[0]
        for member in image.getmembers():
            if not member.isfile():
                continue
            if member.name in manifest["Layers"]:
                with tarfile.open(fileobj=image.extractfile(member)) as files:
                    found["layers"] += [f.name for f in files.getmembers()
                                        if f.isfile() and TOKEN.encode() in files.extractfile(f).read()]
            elif TOKEN.encode() in image.extractfile(member).read():
                found["config" if member.name == manifest["Config"] else "other"].append(member.name)
    tarball.unlink()
    return found


def history(tag: str) -> list[str]:
    return docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", tag).stdout.splitlines()


# -- secrets --------------------------------------------------------------------------------------


def test_a_build_argument_is_in_the_history(builds, tmp_path, kind):
    tag, _ = builds("leaky-arg", LEAKY_ARG, "--build-arg", f"API_TOKEN={TOKEN}")
    lines = history(tag)
    if kind.product == "Podman":
        # Podman's builder writes the classic builder's lines: the RUN behind the build arguments it used, values
        # included, and the ARG with the name only
        run = [line for line in lines if line.startswith("|1 ")]
        assert run == [f'|1 API_TOKEN={TOKEN} /bin/sh -c test -n "$API_TOKEN" && echo "fetched with a '
                       '${#API_TOKEN}-character token" > /fetched.txt'], lines
        assert [line for line in lines if "ARG " in line] == ["/bin/sh -c #(nop) ARG API_TOKEN"], lines
    else:
        run = [line for line in lines if line.startswith("RUN ")]
        assert run and f"API_TOKEN={TOKEN}" in run[0], lines
        arg = [line for line in lines if line.startswith("ARG ")]
        line = kind.release_line
        if line <= (20, 10):
            assert arg == ["ARG API_TOKEN"], lines
        elif line >= (28, 0):
            assert arg == [f"ARG API_TOKEN={TOKEN}"], lines
    # In the saved image: in its configuration (where the history lives), and nowhere else.
    found = saved_files(tag, tmp_path)
    assert found["config"] and not found["layers"] and not found["other"], found


def test_the_builders_record_keeps_build_arguments(builds, tmp_path, kind):
    """The notebook's `docker buildx history inspect --format ...` cells, and the record outliving the image."""
    if kind.lacks("buildkit"):
        pytest.skip(kind.lacks("buildkit"))  # no BuildKit, no build records: buildx would start a BuildKit container
    if buildx_version() < (0, 21):  # `history inspect --format` came with buildx 0.21
        done = docker("buildx", "history", "inspect", "--format", ARGS_FORMAT, check=False)
        # The notebook prints the answer's first two lines; buildx's usage follows them.
        first = " ".join((done.stdout + done.stderr).splitlines()[:2]).strip()
        assert done.returncode != 0 and first == "unknown flag: --format See 'docker buildx --help'.", done
        return
    if kind.release_line < (28, 0):
        pytest.skip("buildx 0.21+ against an engine older than 28: the notebook names no outcome for it")
    meta = tmp_path / "leaky.json"
    tag, _ = builds("leaky-arg", LEAKY_ARG, "--build-arg", f"API_TOKEN={TOKEN}", "--metadata-file", str(meta))
    ref = json.loads(meta.read_text())["buildx.build.ref"].rsplit("/", 1)[-1]
    latest = docker("buildx", "history", "inspect", "--format", ARGS_FORMAT).stdout.strip()
    assert latest == f"API_TOKEN={TOKEN}"  # what the notebook prints: the latest build is the one just made
    docker("image", "rm", tag)
    assert docker("buildx", "history", "inspect", ref, "--format", ARGS_FORMAT).stdout.strip() == f"API_TOKEN={TOKEN}"

    secret_meta = tmp_path / "secret.json"
    builds("with-secret", WITH_SECRET, "--no-cache", "--secret", "id=api_token,src=TOKEN_FILE", "--metadata-file", str(secret_meta))
    secret_ref = json.loads(secret_meta.read_text())["buildx.build.ref"].rsplit("/", 1)[-1]
    assert docker("buildx", "history", "inspect", "--format", ARGS_FORMAT).stdout.strip() == ""
    assert TOKEN not in docker("buildx", "history", "inspect", secret_ref).stdout
    # No `docker buildx history rm` here: on Engine 28.5 (BuildKit before v0.29, moby/buildkit#6614) listing the
    # records after one was removed crashes dockerd (nil pointer in filterHistoryEvents), so the notebook names no rm.


def test_provenance_max_keeps_build_arguments_on_the_containerd_store_only(builds, tmp_path, kind):
    flags = ("--provenance=mode=max", "--build-arg", f"API_TOKEN={TOKEN}")
    if kind.lacks("buildkit"):
        # Podman: the CLI's classic build (DOCKER_BUILDKIT=0) refuses the option, as the classic store's builder does
        _, done = builds("leaky-max", LEAKY_ARG, *flags, check=False)
        assert done.returncode != 0 and "unknown flag: --provenance" in done.stderr, done.stderr
        return
    if kind.image_store == "classic":
        _, done = builds("leaky-max", LEAKY_ARG, *flags, check=False)
        assert done.returncode != 0 and "Attestation is not supported for the docker driver" in done.stderr, done.stderr
        return
    tag, _ = builds("leaky-min", LEAKY_ARG, "--build-arg", f"API_TOKEN={TOKEN}")
    assert saved_files(tag, tmp_path)["other"] == []  # the default, mode=min, leaves build arguments out
    tag, _ = builds("leaky-max", LEAKY_ARG, *flags)
    assert saved_files(tag, tmp_path)["other"], "mode=max: the provenance attestation should hold the build argument"
    assert any("attestation" in place for place in where_in_image(tag, TOKEN))  # the exercise's check sees it too
    tag, _ = builds("secret-max", WITH_SECRET, "--no-cache", "--provenance=mode=max", "--secret", "id=api_token,src=TOKEN_FILE")
    assert saved_files(tag, tmp_path) == {"config": [], "layers": [], "other": []}


def test_a_secret_mount_leaves_no_trace(builds, tmp_path, kind):
    if kind.lacks("buildkit"):
        pytest.skip(kind.lacks("buildkit"))  # a secret mount is BuildKit's: the notebook's cells say so and are skipped
    tag, _ = builds("with-secret", WITH_SECRET, "--no-cache", "--secret", "id=api_token,src=TOKEN_FILE")
    assert docker("run", "--rm", tag).stdout.strip() == f"fetched with a {len(TOKEN)}-character token"
    assert saved_files(tag, tmp_path) == {"config": [], "layers": [], "other": []}
    assert not any(TOKEN in line for line in history(tag))


def test_a_deleted_file_stays_in_its_layer(builds, tmp_path, docker_client, kind):
    tag, _ = builds("leaky-copy", LEAKY_COPY)
    assert saved_files(tag, tmp_path) == {"config": [], "layers": ["tmp/token.txt"], "other": []}
    # Podman's builder names the copied file by a hash: "COPY file:HASH in /tmp/token.txt"
    copied = re.compile(r"COPY file:[0-9a-f]{64} in /tmp/token\.txt" if kind.product == "Podman" else r"COPY token\.txt")
    copy = [entry for entry in docker_client.api.history(tag) if copied.search(entry.get("CreatedBy", ""))]
    assert copy, "no COPY entry in the history"
    size = copy[0]["Size"]
    if kind.product == "Podman":
        # the layer as a tar file: the folder tmp/ and the 24-byte file behind 512-byte headers, the closing blocks
        assert size == 512 + 512 + 512 + 1024 == 2560, size
    elif kind.image_store == "classic":
        assert size == len(TOKEN), size  # the layer's content: the token file
    else:
        assert size >= 1000, size  # the snapshot's disk blocks: kilobytes, even for a 24-byte file


# -- least privilege --------------------------------------------------------------------------------

#: Linux's capabilities by bit number (linux/capability.h), up to SETFCAP (31).
CAPABILITIES = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE "
                "NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT "
                "SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE "
                "AUDIT_WRITE AUDIT_CONTROL SETFCAP").split()


def in_container(*args: str) -> str:
    """What a busybox container prints, stdout and stderr (Podman's ``docker run --rm`` exits with 0 whatever happened)."""
    done = docker("run", "--rm", *args[:-1], "busybox:1.37", "sh", "-c", args[-1], check=False)
    return (done.stdout + done.stderr).strip()


def test_the_default_capabilities(kind):
    """Section 4's CapEff: Docker's default set of 14; Podman 4.3's (Debian's containers.conf) has 11, without
    NET_RAW, MKNOD and AUDIT_WRITE, so ping fails there. Without any, root cannot chown; on Podman it cannot even make
    the file, since the container's / has no write permission for its owner (dr-xr-xr-x) and DAC_OVERRIDE is gone."""
    mask = in_container("grep CapEff /proc/self/status")
    held = {name for bit, name in enumerate(CAPABILITIES) if int(mask.split()[-1], 16) >> bit & 1}
    assert in_container("--cap-drop", "ALL", "grep CapEff /proc/self/status") == "CapEff:\t0000000000000000"
    chown = "touch /file && chown 1000 /file && echo 'chown worked'"
    assert in_container(chown) == "chown worked"
    ping = in_container("ping -c 1 -W 5 127.0.0.1 >/dev/null && echo answered")
    if kind.product == "Podman":
        assert mask == "CapEff:\t00000000800405fb" and len(held) == 11, mask
        assert held == DOCKER_DEFAULT - {"NET_RAW", "MKNOD", "AUDIT_WRITE"}, held
        assert ping == "ping: permission denied (are you root?)", ping
        assert in_container("--cap-add", "NET_RAW", "ping -c 1 -W 5 127.0.0.1 >/dev/null && echo answered") == "answered"
        root, refused = in_container("--cap-drop", "ALL", "ls -ld / && " + chown).splitlines()
        assert root.startswith("dr-xr-xr-x ") and root.endswith(" /") and refused == "touch: /file: Permission denied"
        assert in_container("--cap-drop", "ALL", "--cap-add", "DAC_OVERRIDE", chown) == "chown: /file: Operation not permitted"
        return
    assert mask == "CapEff:\t00000000a80425fb" and held == DOCKER_DEFAULT, mask
    assert ping == "answered", ping
    assert in_container("--cap-drop", "ALL", chown) == "chown: /file: Operation not permitted"


#: Docker's default capabilities (moby's oci/caps/defaults.go), 14.
DOCKER_DEFAULT = {"CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
                  "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE"}


# -- limits ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limits_folder(tmp_path_factory):
    """fork.py and hog.py exactly as the notebook writes them."""
    folder = tmp_path_factory.mktemp("limits")
    for script in ("fork.py", "hog.py"):
        (folder / script).write_text(notebook_file("11-security.ipynb", f"{{limits}}/{script}"))
    return folder


def test_pids_limit_stops_the_twentieth_process(limits_folder):
    mount = f"{limits_folder}:/lab:ro"
    assert docker("run", "--rm", "-v", mount, "python:3.13-slim", "python", "/lab/fork.py").stdout.strip() == "started 200 processes"
    limited = docker("run", "--rm", "--pids-limit", "20", "-v", mount, "python:3.13-slim", "python", "/lab/fork.py").stdout
    assert limited.splitlines() == ["fork number 20 failed: [Errno 11] Resource temporarily unavailable", "started 19 processes"]


def test_memory_limit_gets_the_hog_oom_killed(limits_folder, container_name, kind):
    hog = container_name("claims-hog")
    done = docker("run", "--name", hog, "--memory", "64m", "--memory-swap", "64m", "-v", f"{limits_folder}:/lab:ro",
                  "python:3.13-slim", "python", "/lab/hog.py", check=False)
    assert "holding 48 MiB" in done.stdout and "holding 64 MiB" not in done.stdout, done.stdout
    state = docker("inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", hog).stdout.split()
    if kind.product == "Podman":
        assert state == ["false", "137"], state  # Podman 4.3: OOMKilled false every time (notebook 01 says so)
        return
    # OOMKilled is false where the engine records the exit before the OOM notice (notebook 01 says so)
    assert state[1] == "137" and state[0] in ("true", "false"), f"cgroup v{kind.cgroup_version}: {state}"


def test_the_kernel_files_hold_the_limits(container_name, kind):
    locked = container_name("claims-locked")
    docker("run", "-d", "--name", locked, "--user", "1000:1000", "--read-only", "--cap-drop", "ALL", "--security-opt",
           "no-new-privileges", "--memory", "64m", "--cpus", "0.5", "--pids-limit", "50", "busybox:1.37", "sleep", "300")
    limits = kernel.cgroup_limits(locked)
    assert limits.cgroup_version == kind.cgroup_version
    assert (limits.memory, limits.pids, limits.cpus) == (64 * 2**20, 50, 0.5)
    assert (limits.kernel_memory, limits.kernel_pids, limits.kernel_cpus) == (64 * 2**20, 50, 0.5), limits.raw


def test_root_in_a_container_is_also_under_a_seccomp_filter(kind):
    """11 (and 02) say root in a container is also fenced by seccomp, and by AppArmor where the host has it."""
    status = docker("run", "--rm", "busybox:1.37", "grep", "Seccomp:", "/proc/self/status").stdout.split()
    assert status == ["Seccomp:", "2"], status  # 2: a filter
    unconfined = docker("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox:1.37",
                        "grep", "Seccomp:", "/proc/self/status").stdout.split()
    assert unconfined == ["Seccomp:", "0"], unconfined
    options = docker("info", "--format", "{{json .SecurityOptions}}").stdout
    assert "name=seccomp" in options, options
    apparmor = Path("/sys/module/apparmor/parameters/enabled")
    if kind.location in ("local", "hidden") and kind.product != "Podman":  # this kernel is the engine's
        has_apparmor = apparmor.exists() and apparmor.read_text().strip() == "Y"
        assert ("name=apparmor" in options) == has_apparmor, (options, has_apparmor)
