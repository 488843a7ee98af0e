"""Notebook 07's claims about the engine, checked against the engine the tests run on.

Section 3 says where a volume's files are (the engine's data folder) and when the notebook can read them
there (the engine on this machine, the notebook as root) or must go through a container (the engine's
processes not visible, as with Docker Desktop); section 4 that ``-v`` creates a missing host folder owned by
root on Linux while ``--mount`` refuses; section 5 what ``docker volume prune`` removes, by the engine's
release line. Each test does the real thing and asserts what the notebook says for this engine's kind.
The prune is confined to volumes carrying a label only this test gives (``--filter label=...``).

Podman 4.3 (row p), as the notebook says and as measured there: ``--mount type=bind`` makes a missing host folder
too, as ``-v`` does (that container runs without ``--rm`` and its exit code is read with ``docker inspect``: Podman
4.3's ``docker run --rm`` exits with 0 whatever the program did); its anonymous volumes carry no mark, and ``docker
volume prune`` removes every unused volume, named ones too, as engines before 23.0 do.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from dockerlab import engine
from support import docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("07-data-and-volumes")]

ANONYMOUS = "com.docker.volume.anonymous"  # the engine's own mark on anonymous volumes (Engine 23.0+)


def marks_and_keeps_named(kind) -> bool:
    """Docker Engine 23.0 and later: anonymous volumes carry the engine's mark, and prune keeps named ones (Podman 4.3: neither)."""
    return kind.product != "Podman" and kind.release_line >= (23, 0)


def volume_with_a_file(lesson, made) -> str:
    name = lesson.name("claims-notes")
    made.volumes.append(name)
    docker("volume", "create", name)
    docker("run", "--rm", "-v", f"{name}:/notes", "busybox:1.37", "sh", "-c", 'echo "buy milk" > /notes/todo.txt')
    return name


def test_a_volume_lives_in_the_engines_data_folder(made, lesson):
    name = volume_with_a_file(lesson, made)
    root = engine.client().info()["DockerRootDir"]
    mountpoint = docker("volume", "inspect", "--format", "{{.Mountpoint}}", name).stdout.strip()
    assert mountpoint == f"{root}/volumes/{name}/_data"


def test_the_notebook_reads_the_folder_only_where_it_can(made, lesson, kind):
    name = volume_with_a_file(lesson, made)
    mountpoint = docker("volume", "inspect", "--format", "{{.Mountpoint}}", name).stdout.strip()
    # Through a container: on every engine
    through = docker("run", "--rm", "-v", f"{name}:/notes", "busybox:1.37", "cat", "/notes/todo.txt").stdout
    assert through == "buy milk\n"
    if kind.location != "local":
        # the engine's processes are not visible (row d, Docker Desktop), in a VM or elsewhere: the
        # notebook does not look on this machine, whatever happens to be at that path here
        return
    # The engine on this machine: the folder is on this machine's disk; root reads it ...
    if os.geteuid() == 0:
        assert os.access(mountpoint, os.R_OK)
        with open(f"{mountpoint}/todo.txt") as file:
            assert file.read() == "buy milk\n"
        # ... an ordinary user gets "Permission denied"
        as_nobody = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "cat", f"{mountpoint}/todo.txt"],
                                   capture_output=True, text=True, timeout=30)
        assert as_nobody.returncode != 0 and "Permission denied" in as_nobody.stderr, as_nobody
    else:
        assert not os.access(mountpoint, os.R_OK)


def made_empty_by_the_engine(typo, kind) -> None:
    assert typo.is_dir() and not any(typo.iterdir())
    if kind.location in ("local", "hidden"):  # Linux, this kernel: the engine (root) made it
        assert typo.stat().st_uid == 0
    typo.rmdir()


def test_v_creates_a_missing_host_folder_and_mount_refuses(container_name, kind, tmp_path):
    typo = tmp_path / "sahred"
    mount = ["--mount", f"type=bind,source={typo},target=/shared", "busybox:1.37", "ls", "-A", "/shared"]
    if kind.product == "Podman":  # no refusal (%%needs mount-checks-source): the folder is made, as -v makes it
        name = container_name("claims-mount")
        listed = docker("run", "--name", name, *mount)
        assert docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
        assert listed.stdout == ""
        made_empty_by_the_engine(typo, kind)
    else:
        refused = docker("run", "--rm", *mount, check=False)
        assert refused.returncode != 0
        assert f'invalid mount config for type "bind": bind source path does not exist: {typo}' in refused.stderr
        assert not typo.exists()
    made = docker("run", "--rm", "-v", f"{typo}:/shared", "busybox:1.37", "ls", "-A", "/shared")
    assert made.stdout == ""
    made_empty_by_the_engine(typo, kind)


def test_anonymous_volumes_carry_the_engines_mark_from_23(lesson, kind):
    container = lesson.name("claims-cache")
    docker("run", "--name", container, "-v", "/cache", "busybox:1.37", "true")
    try:
        volume = docker("inspect", "--format", "{{range .Mounts}}{{.Name}}{{end}}", container).stdout.strip()
        volume_labels = engine.client().api.inspect_volume(volume).get("Labels") or {}
        assert (ANONYMOUS in volume_labels) == marks_and_keeps_named(kind), volume_labels
    finally:
        docker("rm", "-v", container)


def test_volume_prune_removes_named_volumes_only_before_23(made, lesson, kind):
    mark = lesson.name("claims-prune")
    named, anonymous = lesson.name("claims-named"), lesson.name("claims-anonymous")
    made.volumes += [named, anonymous]
    docker("volume", "create", "--label", f"{mark}=1", named)
    # an unused volume that the engine takes for an anonymous one (the mark it gives them since 23.0)
    docker("volume", "create", "--label", f"{mark}=1", "--label", f"{ANONYMOUS}=", anonymous)
    docker("volume", "prune", "--force", "--filter", f"label={mark}")
    left = set(docker("volume", "ls", "--quiet", "--filter", f"label={mark}").stdout.split())
    if marks_and_keeps_named(kind):
        assert left == {named}, left  # anonymous ones only; --all would add the named one
        docker("volume", "prune", "--force", "--all", "--filter", f"label={mark}")
        assert docker("volume", "ls", "--quiet", "--filter", f"label={mark}").stdout.split() == []
    else:
        assert left == set(), left  # every unused volume, the named one too


# -- the exercises' claims: a backup that unpacks anywhere, a typo that makes a volume without a word ----------


def test_a_typo_in_a_volume_name_makes_a_new_empty_volume_without_a_word(made, lesson):
    """Exercise 3: ``docker run -v NAME:PATH`` with a misspelt NAME prints nothing, makes the volume (empty), and the
    volume meant stays as it was: on every engine of the matrix, Podman 4.3 included."""
    name = volume_with_a_file(lesson, made)
    typo = lesson.name("claims-ntoes")
    made.volumes.append(typo)
    run = docker("run", "--rm", "-v", f"{typo}:/notes", "busybox:1.37", "ls", "-A", "/notes")
    assert (run.returncode, run.stdout, run.stderr) == (0, "", "")
    assert docker("volume", "inspect", "--format", "{{.Name}}", typo).stdout.strip() == typo
    kept = docker("run", "--rm", "-v", f"{name}:/notes", "busybox:1.37", "cat", "/notes/todo.txt").stdout
    assert kept == "buy milk\n"


def test_a_backup_from_the_volumes_top_unpacks_into_any_volume_mounted_anywhere(made, lesson, tmp_path):
    """Exercise 2: ``tar cf ... -C /ledger .`` in a throw-away container writes the archive into a bind-mounted folder
    of this machine; unpacked into another volume, mounted elsewhere,
    its files land at that volume's top. Archived as ``tar cf ... /ledger``, they land in a folder ``ledger``."""
    ledger, restored = lesson.name("claims-ledger"), lesson.name("claims-restored")
    made.volumes += [ledger, restored]
    backups = tmp_path / "backups"
    backups.mkdir()
    docker("run", "--rm", "-v", f"{ledger}:/ledger", "busybox:1.37", "sh", "-c",
           "mkdir -p /ledger/2026 && echo 'rent 800' > /ledger/2026/january.txt")
    docker("run", "--rm", "-v", f"{ledger}:/ledger", "-v", f"{backups}:/backup", "busybox:1.37",
           "sh", "-c", "tar cf /backup/top.tar -C /ledger . && tar cf /backup/mount.tar /ledger")
    assert (backups / "top.tar").is_file() and (backups / "mount.tar").is_file()  # on this machine, after --rm
    docker("run", "--rm", "-v", f"{restored}:/elsewhere", "-v", f"{backups}:/backup:ro", "busybox:1.37",
           "sh", "-c", "tar xf /backup/top.tar -C /elsewhere && mkdir /elsewhere/m && tar xf /backup/mount.tar -C /elsewhere/m")
    listed = docker("run", "--rm", "-v", f"{restored}:/r:ro", "busybox:1.37", "find", "/r", "-type", "f").stdout.split()
    assert sorted(listed) == ["/r/2026/january.txt", "/r/m/ledger/2026/january.txt"], listed


def cli_version() -> tuple[int, int]:
    """The ``docker`` CLI's own release line (``Client.Version``): relative bind paths depend on it, not on the engine."""
    found = docker("version", "--format", "{{.Client.Version}}", check=False).stdout.strip()
    major, minor = found.split(".")[:2]
    return int(major), int(minor)


def test_a_relative_bind_path_works_from_cli_23_and_is_refused_before(container_name, tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "note.txt").write_text("relative\n")
    name = container_name("claims-relative")
    done = docker("run", "--name", name, "-v", "./data:/data", "busybox:1.37", "cat", "/data/note.txt", cwd=tmp_path, check=False)
    mounted = docker("run", "--rm", "--mount", "type=bind,source=./data,target=/data", "busybox:1.37", "cat", "/data/note.txt",
                     cwd=tmp_path, check=False)
    if cli_version() >= (23, 0):  # the CLI makes the path absolute against its own folder
        assert done.stdout == "relative\n", done.stderr
        assert mounted.stdout == "relative\n", mounted.stderr
    else:  # Debian 12's 20.10 CLI passes it on as it is: a volume name for -v, a path for --mount
        assert done.returncode != 0
        assert ('"./data" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are '
                "allowed. If you intended to pass a host directory, use absolute path") in done.stderr, done.stderr
        assert mounted.returncode != 0
        assert "invalid mount path: './data' mount path must be absolute" in mounted.stderr, mounted.stderr
