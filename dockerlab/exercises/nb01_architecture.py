"""Exercises of notebook 01-architecture: a container's limits, and its PID 1 seen from the host.

``01.limits``     a busybox container named ``limited-<session>`` runs with ``--memory 48m`` and
                  ``--pids-limit 20``; the check reads both the engine's settings and the kernel's
                  cgroup files inside the container.
``01.find-pid1``  the learner writes the host PID of the ``mystery-<session>`` container's PID 1
                  into ``pid1-answer.txt`` in the lesson's folder; each plausible wrong number (1, a
                  child process, the shim) gets its own explanation.
"""

from __future__ import annotations

from dockerlab import engine
from dockerlab.services import kernel
from dockerlab.checks import Unmet, block, containers, exercise, prerequisite
from dockerlab.checks.blocks import show

MEMORY = 48 * 1024**2  # --memory 48m
MEMORY_FLAG = "48m"
PIDS = 20  # --pids-limit 20
LIMITED_IMAGE = "busybox:1.37"
ANSWER_FILE = "pid1-answer.txt"


def _mib(size: int) -> str:
    if size % 1024**3 == 0:
        return f"{size // 1024**3} GiB"
    if size % 1024**2 == 0:
        return f"{size // 1024**2} MiB"
    return f"{size} bytes"


def _kernel_differs(name: str, limit: str, asked: int) -> int | None:
    """The ``limit`` the kernel enforces inside the container (``kernel_memory``, ``kernel_pids``) when it is
    not the one the engine was ``asked`` for; None when it is, or when the kernel does not say or the
    container is not running."""
    info = containers.get(name).attrs
    if not (info.get("State") or {}).get("Running"):
        return None
    enforced = getattr(kernel.cgroup_limits(name), limit)
    return None if enforced in (None, asked) else enforced


@block(lambda name: f"the kernel limits {name} to {MEMORY_FLAG} of memory (--memory {MEMORY_FLAG})")
def memory_is(name: str):
    """HostConfig.Memory is 48 MiB, and so is the cgroup's memory limit inside the container."""
    asked = int(containers.host_config(name).get("Memory") or 0)
    if asked == 0:
        return (
            f"the container has no memory limit: it may use all of the machine's memory. "
            f"Start it with --memory {MEMORY_FLAG}"
        )
    if asked != MEMORY:
        hint = ""
        if asked == MEMORY * 1024:
            hint = " (48g is gigabytes: use 48m)"
        elif asked in (48 * 1000**2, 48 * 1000):
            hint = " (docker's m means MiB, 1024 x 1024 bytes: write 48m)"
        return f"the memory limit is {_mib(asked)}, not 48 MiB{hint}; remove the container and start it with --memory {MEMORY_FLAG}"
    enforced = _kernel_differs(name, "kernel_memory", MEMORY)
    return None if enforced is None else f"the engine was asked for 48 MiB but the kernel shows {_mib(enforced)} in the container's cgroup"


@block(lambda name: f"the kernel limits {name} to {PIDS} processes (--pids-limit {PIDS})")
def pids_is(name: str):
    """HostConfig.PidsLimit is 20, and so is pids.max inside the container."""
    asked = containers.host_config(name).get("PidsLimit") or 0
    if asked <= 0:
        return (
            "the container has no process limit, so a runaway program (a fork bomb) inside it could fill the "
            f"machine's process table. Start it with --pids-limit {PIDS}"
        )
    if asked != PIDS:
        return f"the process limit is {asked}, not {PIDS}; remove the container and start it with --pids-limit {PIDS}"
    enforced = _kernel_differs(name, "kernel_pids", PIDS)
    return None if enforced is None else f"the engine was asked for {PIDS} but the kernel's pids.max in the container says {enforced}"


@block(lambda name: f"the container {name} is running")
def keeps_running(name: str):
    """Running; a busybox that exited at once gets the reason why (its default command is sh)."""
    outcome = containers.running(name)
    if outcome.met:
        return None
    info = containers.get(name).attrs
    cmd = (info.get("Config") or {}).get("Cmd") or []
    state = info.get("State") or {}
    if state.get("Status") == "exited" and cmd in (["sh"], ["/bin/sh"]) and not (info.get("Config") or {}).get("Tty"):
        return (
            "the container ran busybox's default command, sh, which ends at once when no terminal is attached, "
            "so the container exited. Give it a command that keeps running: ... busybox:1.37 sleep 3600"
        )
    return outcome.reason


@exercise(
    "01.limits",
    title="Start a container with a memory limit and a process limit",
    hints=[
        "docker run -d --name NAME --memory SIZE --pids-limit NUMBER IMAGE COMMAND",
        "Use the name from the cell (it ends in your session id), busybox:1.37, and sleep 3600 as the command.",
        "Limits are fixed when a container is created: to change them, docker rm -f NAME and run it again.",
    ],
)
def limits(lesson):
    name = lesson.name("limited")
    yield prerequisite(containers.exists(name))  # every other requirement is about that container
    yield keeps_running(name)
    yield containers.from_image(name, LIMITED_IMAGE)
    yield memory_is(name)
    yield pids_is(name)


# -- 01.find-pid1 -----------------------------------------------------------------------------


def _process_table(name: str) -> list[dict[str, str]]:
    """``docker top``: the container's processes with host PIDs (works for remote engines too)."""
    container = containers.get(name)
    top = engine.client().api.top(container.id, ps_args="-o pid,ppid,args")
    titles = [t.upper() for t in top.get("Titles") or []]
    return [dict(zip(titles, row)) for row in top.get("Processes") or []]


@block(lambda answer_file: f"{show(answer_file)} holds a number")
def answer_is_number(answer_file):
    if not answer_file.exists():
        return f"there is no answer yet: run the cell that writes {answer_file.name}"
    text = answer_file.read_text(errors="replace").strip()
    if text in ("", "None"):
        return "the answer is still None: put the PID you found in place of None and run the cell again"
    if not text.isdigit():
        return f"the answer is {text[:40]!r}, not a whole number: write just the PID, like 12345"
    return None


@block(lambda name, answer_file: f"the number is the host PID of the PID 1 of {name}")
def answer_is_pid1(name: str, answer_file):
    text = answer_file.read_text(errors="replace").strip() if answer_file.exists() else ""
    if not text.isdigit():
        raise Unmet("first write a number (see above)")
    answer = int(text)
    info = containers.get(name).attrs
    state = info.get("State") or {}
    if not state.get("Running"):
        raise Unmet(f"the container {name} is not running, so its processes have no PIDs now; run the cell that starts it again")
    pid1 = int(state.get("Pid") or 0)
    if answer == pid1:
        return None
    if answer == 1:
        return (
            "1 is its PID inside the container, in the container's own PID namespace. The host numbers the same "
            "process differently: find that number with docker top or docker inspect"
        )
    rows = _process_table(name)
    by_pid = {int(r["PID"]): r for r in rows if r.get("PID", "").isdigit()}
    if answer in by_pid:
        row = by_pid[answer]
        return (
            f"{answer} is a process of the container ({row.get('CMD') or row.get('COMMAND') or '?'}), but not its PID 1: "
            f"its parent is {row.get('PPID')}, a process of the container too. PID 1 is the first process, the one "
            "whose parent is outside the container"
        )
    parents = {int(r["PPID"]) for r in rows if r.get("PPID", "").isdigit()} - set(by_pid)
    if answer in parents:
        return (
            f"{answer} is the parent of the container's PID 1 on the host: containerd-shim-runc-v2, which "
            "watches the container from outside. Look one level down"
        )
    return f"no process of {name} has the host PID {answer} now; docker top {name} lists its processes with their host PIDs"


@exercise(
    "01.find-pid1",
    title="Find the mystery container's PID 1 on the host",
    hints=[
        "docker top NAME lists a container's processes with the PIDs the host gives them.",
        "Two processes run in it: PID 1 is the one whose parent (PPID) is not in the list.",
        "docker inspect --format '{{.State.Pid}}' NAME prints exactly that number.",
    ],
)
def find_pid1(lesson):
    name = lesson.name("mystery")
    answer_file = lesson.path(ANSWER_FILE)
    yield containers.running(name)
    yield answer_is_number(answer_file)
    yield answer_is_pid1(name, answer_file)
