"""What notebook 01 says about the engine, checked on the engine this test runs against.

Each claim of the notebook that depends on the engine (its version, image store, cgroup version and
driver, where it runs) is done here for real and asserted for this engine's kind
(:func:`dockerlab.engine.kind.current`): the matrix runs this file on every row, so each row checks
the branch of the claim that is its own. The cells that read this machine's kernel are also run
without /proc (an empty folder mounted over it, in a mount namespace of their own), as on macOS or Windows, where they must say
so instead of raising.
"""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from dockerlab.engine import kind as enginekind
from support import ROOT, docker

pytestmark = [pytest.mark.engine, pytest.mark.lesson("01-architecture")]

NOTEBOOK = ROOT / "notebooks" / "01-architecture.ipynb"
IMAGE = "busybox:1.37"


@pytest.fixture
def box(container_name):
    """A running busybox, as the notebook's box: removed afterwards."""
    name = container_name("claims01-box")
    docker("run", "-d", "--name", name, IMAGE, "sleep", "600")
    return name


def inspect(name: str, template: str) -> str:
    return docker("inspect", "--format", template, name).stdout.strip()


def ns_inside(name: str, ns: str) -> str:
    return docker("exec", name, "readlink", f"/proc/self/ns/{ns}").stdout.strip()


def visible_here(pid: str, container_id: str) -> bool:
    """The notebook's test: the container's main process is in this machine's /proc (its cgroup names the id)."""
    try:
        return container_id in Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False


def kernel_here(kind) -> bool:
    return kind.location in ("local", "hidden") and os.path.isdir("/proc/self/ns")


# -- section 2: the engine's address ---------------------------------------------------------------


def test_the_starred_context_is_the_engine_the_notebook_reaches(box):
    """The current context's endpoint is the engine's address: Cell 3 sends its raw request there, and finds the
    container the CLI started (the engine's ID would not tell on Podman, whose /info answers a new one each time)."""
    contexts = [json.loads(line) for line in docker("context", "ls", "--format", "json").stdout.splitlines() if line.strip()]
    current = [c for c in contexts if c["Current"]]
    assert len(current) == 1, contexts
    default = [c for c in contexts if c["Name"] == "default"]
    assert default and default[0]["DockerEndpoint"] == "unix:///var/run/docker.sock", contexts
    inspected = json.loads(docker("context", "inspect").stdout)[0]["Endpoints"]["docker"]["Host"]
    assert inspected == current[0]["DockerEndpoint"]
    if os.environ.get("DOCKER_HOST") is None and current[0]["Name"] != "default":
        # Docker Desktop's way (row d): a context of its own with its own socket.
        assert current[0]["DockerEndpoint"] != "unix:///var/run/docker.sock"
    assert inspected.startswith("unix://")
    box_id = inspect(box, "{{.Id}}")
    connection = _UnixHTTP(inspected.removeprefix("unix://"))
    connection.request("GET", "/containers/json?filters=" + urllib.parse.quote(json.dumps({"name": [box]})))
    assert [found["Id"] for found in json.loads(connection.getresponse().read())] == [box_id]


class _UnixHTTP(http.client.HTTPConnection):
    """HTTP through a Unix socket, as the notebook's EngineConnection."""

    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)


# -- section 2: is the engine on this machine? ----------------------------------------------------


def test_the_engine_is_where_the_notebook_says(kind, box):
    """engine_here (the container's process in this /proc) holds exactly for a local engine; a hidden one
    (row d: this process in a PID namespace of its own) shares the kernel all the same."""
    pid, cid = inspect(box, "{{.State.Pid}} {{.Id}}").split()
    assert visible_here(pid, cid) == (kind.location == "local"), kind
    same_kernel = docker("exec", box, "uname", "-r").stdout.strip() == platform.release()
    assert same_kernel == (kind.location in ("local", "hidden")), kind
    if kind.location == "hidden":
        assert enginekind.own_pid_namespace()


# -- section 3: namespaces -------------------------------------------------------------------------


def test_cgroup_namespace_follows_the_cgroup_version(kind, box, container_name):
    """cgroup v1: the host's cgroup namespace (HostConfig.CgroupnsMode host); v2: one of its own (private).
    Podman 4.3 leaves CgroupnsMode empty and, through Docker's API, ignores `--cgroupns`: on cgroup v1 every
    container is in the host's cgroup namespace, `--cgroupns private` too (measured on row p)."""
    mode = inspect(box, "{{.HostConfig.CgroupnsMode}}")
    if kind.product == "Podman":
        assert mode == "", (kind, mode)
        private = container_name("claims01-privatecg")
        docker("run", "-d", "--name", private, "--cgroupns", "private", IMAGE, "sleep", "600")
        assert ns_inside(private, "cgroup") == ns_inside(box, "cgroup")
        if kernel_here(kind):
            # v2 (not run here): Podman's documented default is a namespace of its own
            assert (ns_inside(box, "cgroup") == os.readlink("/proc/self/ns/cgroup")) == (kind.cgroup_version == 1), kind
        return
    assert mode == ("private" if kind.cgroup_version == 2 else "host"), (kind, mode)
    shared = container_name("claims01-hostcg")
    docker("run", "-d", "--name", shared, "--cgroupns", "host", IMAGE, "sleep", "600")
    same = ns_inside(box, "cgroup") == ns_inside(shared, "cgroup")
    assert same == (mode == "host")
    if kernel_here(kind):
        assert (ns_inside(box, "cgroup") == os.readlink("/proc/self/ns/cgroup")) == (mode == "host")


def test_time_namespace_follows_the_engine_version(kind, box):
    """Before Engine 29.5 a container is in the host's time namespace; 29.5 and later give it its own.
    Either way it reads the host's wall clock."""
    if not os.path.exists("/proc/self/ns/time"):
        pytest.skip("this kernel has no time namespaces (Linux before 5.6)")
    inside = ns_inside(box, "time")
    if kernel_here(kind):
        assert (inside == os.readlink("/proc/self/ns/time")) == (not kind.private_time_namespace), (kind, inside)
    clock = int(docker("exec", box, "date", "+%s").stdout.strip())
    assert abs(clock - time.time()) < 30  # the same wall clock (not a duration)


def test_user_namespace_is_the_hosts(kind, box):
    """Root in the container is root on the host: no user namespace, unless rootless or userns-remap."""
    options = docker("info", "--format", "{{json .SecurityOptions}}").stdout
    if "rootless" in options or "userns" in options or not kernel_here(kind):
        pytest.skip("a user namespace by design (rootless, userns-remap), or not this machine's kernel")
    assert ns_inside(box, "user") == os.readlink("/proc/self/ns/user")


def test_the_namespaces_the_box_has_of_its_own(kind, box):
    """pid, net, mnt, uts, ipc: the box's own (compared with this process's, on one kernel)."""
    if not kernel_here(kind):
        pytest.skip("namespace numbers compare only on one kernel")
    for ns in ("pid", "net", "mnt", "uts", "ipc"):
        assert ns_inside(box, ns) != os.readlink(f"/proc/self/ns/{ns}"), ns


# -- section 4: cgroups ----------------------------------------------------------------------------


@pytest.fixture
def capped(container_name):
    name = container_name("claims01-capped")
    docker("run", "-d", "--name", name, "--memory", "64m", "--pids-limit", "50", IMAGE, "sleep", "600")
    return name


def test_limit_files_inside_follow_the_cgroup_version(kind, capped):
    """Inside: v1 has a tree per resource, v2 one tree (the files the notebook and the cgroup view name)."""
    files = (("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max") if kind.cgroup_version == 2
             else ("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/pids/pids.max"))
    assert docker("exec", capped, "cat", files[0]).stdout.strip() == str(64 * 1024**2)
    assert docker("exec", capped, "cat", files[1]).stdout.strip() == "50"
    from dockerlab.services import kernel

    assert kernel.cgroup_limits(capped).cgroup_version == kind.cgroup_version


def test_the_limit_file_on_the_host(kind, capped):
    """Cell 19: the cgroup folder is the cgroup parent plus the id (cgroupfs) or system.slice/docker-ID.scope
    (systemd); found through /proc/PID/cgroup where the process is visible, by the id where only the kernel is."""
    pid, cid = inspect(capped, "{{.State.Pid}} {{.Id}}").split()
    if visible_here(pid, cid):
        entries = [line.strip().split(":", 2) for line in open(f"/proc/{pid}/cgroup")]
        memory = [path for _, controllers, path in entries if "memory" in controllers.split(",")]
        if memory:
            folder = f"/sys/fs/cgroup/memory{memory[0]}"
        else:
            folder = "/sys/fs/cgroup" + [path for _, controllers, path in entries if controllers == ""][0]
    elif kernel_here(kind):
        import glob

        v1 = os.path.isdir("/sys/fs/cgroup/memory")
        found = glob.glob(f"/sys/fs/cgroup{'/memory' if v1 else ''}/**/*{cid}*", recursive=True)
        assert found, "the container's cgroup folder is not in this kernel's cgroup tree"
        folder = found[0]
    else:
        pytest.skip("the cgroup tree is the engine's VM's")
    name = os.path.basename(folder)
    if kind.product == "Podman":
        # cgroupfs (row p): libpod_parent/libpod-ID; systemd (not run here): machine.slice/libpod-ID.scope
        assert name == (f"libpod-{cid}.scope" if kind.cgroup_driver == "systemd" else f"libpod-{cid}"), (kind, folder)
        if kind.cgroup_driver == "cgroupfs":
            assert os.path.basename(os.path.dirname(folder)) == "libpod_parent", folder
    else:
        assert name == (f"docker-{cid}.scope" if kind.cgroup_driver == "systemd" else cid), (kind, folder)
    limit = "memory.max" if kind.cgroup_version == 2 else "memory.limit_in_bytes"
    assert Path(folder, limit).read_text().strip() == str(64 * 1024**2)


def test_the_oom_killer(container_name, kind):
    """Over its limit the process is killed: exit code 137, an oom event beside die, and OOMKilled usually true;
    an engine that records the exit before the OOM notice leaves OOMKilled false (row e saw it on cgroup v2 with
    Engine 20.10 and containerd 1.6, make test's second engine on cgroup v1 on a busy machine), as notebook 01 says."""
    hog = container_name("claims01-hog")
    done = docker("run", "--name", hog, "--memory", "32m", "--memory-swap", "32m", "python:3.13-slim", "python", "-c",
                  "hog = [b'x' * 2**20 for _ in range(1000)]", check=False)
    assert done.returncode == 137, done.stderr
    state = inspect(hog, "{{.State.ExitCode}} {{.State.OOMKilled}}")
    cid, created = inspect(hog, "{{.Id}} {{.Created}}").split()
    events = docker("events", "--since", created, "--until", str(int(time.time()) + 1), "--filter", f"container={cid}",
                    "--format", "{{.Action}}").stdout.split()
    if kind.product == "Podman":
        # Podman 4.3 through Docker's API: OOMKilled false and no oom event, every time on row p
        assert state == "137 false", (state, kind)
        assert events[:4] == ["create", "init", "attach", "start"] and "die" in events[4:], events
        assert "oom" not in events, events
        return
    assert state in ("137 true", "137 false"), (state, kind)
    assert events[:3] == ["create", "attach", "start"] and "die" in events[3:], events
    if state == "137 true" or kind.cgroup_version == 1:  # v1: the notice came, only after the exit
        assert sorted(events[3:]) == ["die", "oom"], events


# -- without /proc: macOS and Windows ----------------------------------------------------------------

#: The cells that read this machine's kernel, by a line each contains, in the notebook's order.
GUARDED = {
    "where": "engine_here = on_this_machine(box_pid, box_id)",
    "own namespaces": "kernel.namespaces_host()",
    "own cgroups": "!cat /proc/self/cgroup",
    "view": "display(NamespacesView(box))",
    "limit file": "capped_pid, capped_id =",
    "kernel log": "kernel.kernel_oom_lines(hog_id)",
    "which case": "engine_os, engine_kernel, engine_platform =",
}

_CHILD = r"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell
cells, names = json.loads(sys.argv[1]), json.loads(sys.argv[2])
shell = InteractiveShell.instance()
shell.user_ns.update(names)
for label, source in cells:
    print(f"@@cell {label}", flush=True)
    result = shell.run_cell(source)
    sys.stdout.flush()
    if not result.success:
        print(f"@@raised {label}: {result.error_in_exec or result.error_before_exec!r}", flush=True)
"""


def _cells() -> list[tuple[str, str]]:
    sources = [c.source for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    found = []
    for label, marker in GUARDED.items():
        matching = [s for s in sources if marker in s and not s.startswith("%%solution")]
        assert len(matching) == 1, f"{label}: {len(matching)} cells contain {marker!r}"
        found.append((label, matching[0]))
    return found


@pytest.mark.skipif(os.geteuid() != 0, reason="hides /proc in a mount namespace of its own: needs root")
def test_kernel_cells_without_proc_say_so(box, capped):
    """On a machine without /proc (macOS, Windows) the kernel cells say where things are instead of raising."""
    names = {"box": box, "capped": capped, "hog_id": "0" * 64}
    child = [sys.executable, "-c", _CHILD, json.dumps(_cells()), json.dumps(names)]
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                           'mount -t tmpfs -o size=1m none /proc && exec "$@"', "sh", *child],
                          capture_output=True, text=True, timeout=300, cwd=NOTEBOOK.parent)
    assert done.returncode == 0, done.stderr
    assert "@@raised" not in done.stdout, done.stdout
    out = dict(re.findall(r"@@cell ([^\n]+)\n(.*?)(?=@@cell |\Z)", done.stdout, re.S))
    assert "the engine runs in a VM (Docker Desktop, WSL 2)" in out["where"], out["where"]
    assert out["own namespaces"].startswith("No /proc/self/ns: this machine's kernel is not Linux"), out["own namespaces"]
    assert out["own cgroups"].startswith("No /proc/self/cgroup"), out["own cgroups"]
    assert re.search(r"pid -> '?pid:\[\d+\]", out["view"]), out["view"]  # the box's namespaces, from inside it
    assert out["limit file"].startswith("Not on this machine: the cgroup tree is the engine's VM's."), out["limit file"]
    assert out["kernel log"].startswith("The kernel log is not readable from here"), out["kernel log"]
    assert "=> The engine runs on another machine or VM" in out["which case"], out["which case"]
