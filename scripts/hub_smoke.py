"""JupyterHub smoke test on one machine (run by scripts/hub_smoke.sh, with the hub's own venv).

Builds the learner image (and, with --dind, the per-learner engine image) offline, writes login cards for
two learners with deploy/jupyterhub/cards.py, starts JupyterHub with deploy/jupyterhub/jupyterhub_config.py
as a class would (FirstUseAuthenticator with the cards' passwords, the idle culler, the limits, a home volume
per learner, the proxy on 127.0.0.1), and checks:

* where it listens: the proxy answers on 127.0.0.1 and on no other address of this machine; the hub's API
  on the learners' bridge's gateway only (found by the config itself), not on 127.0.0.1;
* the idle culler runs as a hub service, with the documented default timeout;
* login: each learner logs in with their card's password at /hub/login and reaches their own JupyterLab
  (and not the other's); a wrong password and an unknown name are refused; no password is in the hub's log;
* each server answers through the proxy, lists the course's notebooks, runs in a container that is not
  privileged, holds no host socket, has the documented CPU, memory and process limits (and the memory
  it uses is shown), and keeps the learner's home in a volume of their own;
* a learner's file and their engine's images survive stopping and starting their server;
* the culler, run with a timeout of a few seconds, stops both idle servers.

--engines gives each learner a Docker engine of their own and checks that each learner's `docker`
(and dockerlab's doctor) reaches only theirs:
  socket  one dockerd per learner on this host (its own data root, socket, and a cgroup with the
          DLHUB_ENGINE_* limits that holds the daemon and every container it starts), whose socket alone
          is mounted into that learner's container. Run as root here, so it separates learners but is no
          security boundary; in a class, make it each learner's rootless dockerd.
  dind    a privileged Docker-in-Docker sidecar per learner (needs privileged containers).
  sysbox  the same sidecar under the Sysbox runtime (needs sysbox-runc installed).
Then it stops everything and removes every container, network, volume, image, engine process, cgroup and
data folder it made (all named dlhub-...), and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker
import requests

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py"
PREFIX = "dlhub"
LEARNER_IMAGE = f"{PREFIX}-learner:smoke"
DIND_IMAGE = f"{PREFIX}-dind:smoke"
NETWORK = f"{PREFIX}-net"
ENGINES = Path(f"/run/{PREFIX}-engines")  # mode "socket": the learners' engine sockets
CARDS = ROOT / "deploy" / "jupyterhub" / "cards.py"
USERS = ["alice", "bob"]
CGROUPS = Path("/sys/fs/cgroup")
timings: dict[str, float] = {}


def step(name: str):
    """Time a block and print it as it starts and ends."""

    @contextlib.contextmanager
    def timed():
        print(f"--- {name} ...", flush=True)
        started = time.monotonic()
        yield
        timings[name] = time.monotonic() - started
        print(f"--- {name}: {timings[name]:.1f} s", flush=True)

    return timed()


def free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def build(context: Path, dockerfile: str, tag: str) -> None:
    subprocess.run(["docker", "build", "--network", "none", "-q", "-f", str(ROOT / "deploy" / "jupyterhub" / dockerfile),
                    "-t", tag, str(context)], check=True, timeout=600)


def wait_for(what: str, probe, timeout: float, every: float = 0.5):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            result = probe()
            if result:
                return result
        except SpawnFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - keep trying until the deadline
            last = exc
        time.sleep(every)
    raise TimeoutError(f"{what}: not within {timeout:.0f} s (last error: {last})")


def exec_in(client, container: str, command: list[str], stdin: bytes | None = None, check: bool = True) -> str:
    """Run a command in a container (as its user, with its environment) and return its output;
    with ``check``, a non-zero exit raises."""
    args = ["docker", "exec", *(["-i"] if stdin else []), container, *command]
    done = subprocess.run(args, input=stdin, capture_output=True, timeout=120)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} in {container}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout.decode(errors="replace").strip()


def ready(api: str, headers: dict, user: str) -> bool:
    """True once the user's server is ready; raises (so the wait ends) when its spawn has failed."""
    server = requests.get(f"{api}/users/{user}", headers=headers, timeout=5).json()["servers"].get("")
    if server is None:
        raise SpawnFailed(f"{user}'s server is gone: its spawn failed (see the hub log)")
    return bool(server.get("ready"))


class SpawnFailed(Exception):
    pass


def config_default(name: str) -> str:
    """The default jupyterhub_config.py gives a DLHUB_* variable (read from the file: one source of truth)."""
    found = re.search(rf'env\("{name}", "([^"]*)"\)', CONFIG.read_text())
    assert found, f"jupyterhub_config.py has no default for {name}"
    return os.environ.get(name, found.group(1))


def to_bytes(size: str) -> int:
    """Docker's memory sizes (binary units): 384M -> 402653184."""
    units = {"": 1, "B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
    number, unit = re.fullmatch(r"(\d+)([bkmgBKMG]?)", size.strip()).groups()
    return int(number) * units[unit.upper()]


def engine_cgroup(user: str) -> str | None:
    """cgroup v1 path for a learner's engine, under this process's own memory cgroup (so that nothing here
    leaves the cgroup it was started in), or None on cgroup v2 (not set up by this test: docs/hub.md)."""
    if (CGROUPS / "cgroup.controllers").exists():
        return None
    mine = next(line.split(":", 2)[2] for line in Path("/proc/self/cgroup").read_text().splitlines()
                if line.split(":", 2)[1] == "memory")
    return f"{mine.rstrip('/')}/{PREFIX}-engine-{user}"


def limit_engine_cgroup(path: str) -> list[Path]:
    """The host's side of "the learner's engine within limits", as a class's admin would set it: one cgroup
    with DLHUB_ENGINE_CPU/MEM/PIDS for the engine's daemons and (--cgroup-parent) every container they start."""
    cpu, memory, pids = float(config_default("DLHUB_ENGINE_CPU")), to_bytes(config_default("DLHUB_ENGINE_MEM")), int(config_default("DLHUB_ENGINE_PIDS"))
    settings = {"memory": {"memory.limit_in_bytes": memory}, "cpu": {"cpu.cfs_period_us": 100_000, "cpu.cfs_quota_us": int(cpu * 100_000)},
                "pids": {"pids.max": pids}}
    folders = []
    for controller, files in settings.items():
        folder = CGROUPS / controller / path.lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        folders.append(folder)
        for name, value in files.items():
            (folder / name).write_text(str(value))
    return folders


def join_cgroup(folders: list[Path]):
    """A preexec_fn that puts the new process into these cgroups."""
    def join():
        for folder in folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))
    return join


def start_engines(state: Path) -> dict[str, subprocess.Popen]:
    """One dockerd per learner on this host (mode "socket"), each with its own data root, socket and cgroup."""
    ENGINES.mkdir(parents=True, exist_ok=True)
    engines = {}
    for user in USERS:
        name = f"{PREFIX}-engine-{user}"
        cgroup = engine_cgroup(user)
        folders = limit_engine_cgroup(cgroup) if cgroup else []
        log = open(state / f"{name}.log", "w")  # noqa: SIM115 - lives as long as the engine
        # Each learner engine gets a network namespace of its own: dockerd with --bridge=none deletes
        # the default bridge "docker0", and in the host's namespace that breaks the host's engine.
        engines[user] = subprocess.Popen(
            ["unshare", "--net", "--", "dockerd", "--data-root", f"/var/lib/{name}", "--exec-root", f"/var/run/{name}", "--pidfile",
             f"/var/run/{name}.pid", "-H", f"unix://{ENGINES}/{user}.sock", "--group", "1000", "--bridge=none",
             "--iptables=false", "--ip-masq=false", "--cgroup-parent", cgroup or f"/{name}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=join_cgroup(folders))
    for user in USERS:
        wait_for(f"{user}'s engine", lambda u=user: subprocess.run(
            ["docker", "-H", f"unix://{ENGINES}/{u}.sock", "info"], capture_output=True, timeout=10).returncode == 0, 60)
    return engines


def stop_engines(engines: dict[str, subprocess.Popen]) -> None:
    for user, process in engines.items():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        name = f"{PREFIX}-engine-{user}"
        for path in (Path(f"/var/lib/{name}"), Path(f"/var/run/{name}")):
            shutil.rmtree(path, ignore_errors=True)
        Path(f"{ENGINES}/{user}.sock").unlink(missing_ok=True)
        cgroup = engine_cgroup(user)
        for controller in ("memory", "cpu", "pids") if cgroup else ():
            folder = CGROUPS / controller / cgroup.lstrip("/")
            for _ in range(20):  # empty once the engine's last process has gone
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.25)
    with contextlib.suppress(OSError):
        ENGINES.rmdir()


def check_engine_limits(user: str, client) -> str:
    """Socket mode: the learner's engine and a container it starts are in the engine's cgroup, with its limits."""
    cgroup = engine_cgroup(user)
    if cgroup is None:
        return "not checked (cgroup v2: this test sets engine limits on cgroup v1 only)"
    daemon_pid = int(Path(f"/var/run/{PREFIX}-engine-{user}.pid").read_text())
    probe = f"{PREFIX}-probe-{user}"
    engine = ["docker", "-H", f"unix://{ENGINES}/{user}.sock"]
    subprocess.run([*engine, "run", "-d", "--name", probe, "busybox:1.37", "sleep", "60"], check=True, capture_output=True, timeout=60)
    try:
        pid = subprocess.run([*engine, "inspect", "-f", "{{.State.Pid}}", probe], check=True, capture_output=True, text=True, timeout=30).stdout.strip()

        def memory_cgroup(p) -> str:
            return next(line.split(":", 2)[2] for line in Path(f"/proc/{p}/cgroup").read_text().splitlines() if line.split(":", 2)[1] == "memory")

        assert memory_cgroup(daemon_pid) == cgroup, f"{user}'s dockerd is in {memory_cgroup(daemon_pid)}, not {cgroup}"
        assert memory_cgroup(pid).startswith(cgroup + "/"), f"a container of {user}'s engine is in {memory_cgroup(pid)}, outside {cgroup}"
    finally:
        subprocess.run([*engine, "rm", "-f", probe], capture_output=True, timeout=60)
    memory = int((CGROUPS / "memory" / cgroup.lstrip("/") / "memory.limit_in_bytes").read_text())
    quota = int((CGROUPS / "cpu" / cgroup.lstrip("/") / "cpu.cfs_quota_us").read_text())
    assert memory == to_bytes(config_default("DLHUB_ENGINE_MEM")), memory
    return f"dockerd and its containers in cgroup {cgroup}: memory {memory // 2**20} MiB, CPU {quota / 100_000:g}"


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback (`ip -4 -o addr`)."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, timeout=10).stdout
    return [a for a in re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", out) if not a.startswith("127.")]


def answers(address: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((address, port)) == 0


def check_listening(proxy_port: int, hub_port: int, gateway: str) -> str:
    """Proxy on 127.0.0.1 only; the hub's API on the learners' gateway only."""
    others = local_addresses()
    assert answers("127.0.0.1", proxy_port), "the proxy does not answer on 127.0.0.1"
    open_proxy = [a for a in others if answers(a, proxy_port)]
    assert not open_proxy, f"the proxy answers on {open_proxy} too: it should listen on 127.0.0.1 only"
    assert answers(gateway, hub_port), f"the hub's API does not answer on the learners' gateway {gateway}"
    open_hub = [a for a in ["127.0.0.1", *others] if a != gateway and answers(a, hub_port)]
    assert not open_hub, f"the hub's API answers on {open_hub} too: it should listen on {gateway} only"
    return f"proxy on 127.0.0.1:{proxy_port} and not on {', '.join(others)}; hub API on {gateway}:{hub_port} only"


def login(proxy: str, user: str, password: str) -> tuple[requests.Session, requests.Response]:
    """Log in at /hub/login as a browser does (the form, with its _xsrf); returns the session and the answer."""
    session = requests.Session()
    page = session.get(f"{proxy}/hub/login", timeout=10)
    page.raise_for_status()
    xsrf = session.cookies.get("_xsrf") or re.search(r'name="_xsrf" value="([^"]+)"', page.text).group(1)
    answer = session.post(f"{proxy}/hub/login", data={"username": user, "password": password, "_xsrf": xsrf},
                          allow_redirects=False, timeout=30)
    return session, answer


def new_password_like() -> str:
    """A password of the cards' length (an unknown user must not create themselves with it)."""
    return "-".join(secrets.token_hex(2) for _ in range(3))


def check_limits(container) -> str:
    host = container.attrs["HostConfig"]
    cpu = host.get("CpuQuota", 0) / (host.get("CpuPeriod") or 100_000) if host.get("CpuQuota") else host.get("NanoCpus", 0) / 1e9
    want = {"cpu": float(config_default("DLHUB_CPU")), "memory": to_bytes(config_default("DLHUB_MEM")), "pids": int(config_default("DLHUB_PIDS"))}
    found = {"cpu": cpu, "memory": host.get("Memory"), "pids": host.get("PidsLimit")}
    assert found == want, f"{container.name}'s limits are {found}, not {want}"
    return f"CPU {cpu:g}, memory {found['memory'] // 2**20} MiB, pids {found['pids']}"


def memory_in_use(container) -> str:
    usage = CGROUPS / "memory" / "docker" / container.id / "memory.usage_in_bytes"
    stat = CGROUPS / "memory" / "docker" / container.id / "memory.stat"
    if not usage.exists():
        return "?"
    cache = next((int(line.split()[1]) for line in stat.read_text().splitlines() if line.startswith("total_cache ")), 0)
    return f"{(int(usage.read_text()) - cache) / 2**20:.0f} MiB without page cache"


def check_learner(proxy: str, session: requests.Session, token: str, client, user: str, dind: bool) -> dict:
    """The learner's server, reached with their own login; its container; their engine."""
    facts: dict = {}
    # As a browser: the page first (the server sends it through the hub's OAuth, which sets its cookie), then its API
    lab = session.get(f"{proxy}/user/{user}/lab", timeout=30)
    assert lab.status_code == 200 and "JupyterLab" in lab.text, lab.status_code
    status = session.get(f"{proxy}/user/{user}/api/status", timeout=20)
    status.raise_for_status()
    facts["server status (with their login)"] = status.json().get("started", "?")
    contents = session.get(f"{proxy}/user/{user}/api/contents", timeout=10)
    contents.raise_for_status()
    names = sorted(item["name"] for item in contents.json()["content"])
    assert "00-welcome.ipynb" in names, names
    facts["notebooks"] = len([n for n in names if n.endswith(".ipynb")])
    container = client.containers.get(f"{PREFIX}-{user}")
    host = container.attrs["HostConfig"]
    mounts = [f"{m.get('Name') or m.get('Source', '')} -> {m.get('Destination', '')}" for m in container.attrs.get("Mounts", [])]
    assert not host.get("Privileged"), "learner container is privileged"
    hosts = {"/var/run/docker.sock", "/run/docker.sock", os.environ.get("DOCKER_HOST", "").removeprefix("unix://")}
    sources = {m.get("Source", "") for m in container.attrs.get("Mounts", [])}
    assert not sources & hosts, f"the host engine's socket is mounted: {mounts}"
    home = [m for m in container.attrs.get("Mounts", []) if m.get("Destination") == "/home/learner"]
    assert home and home[0].get("Name") == f"{PREFIX}-home-{user}", f"no volume {PREFIX}-home-{user} on /home/learner: {mounts}"
    facts["container"] = f"{container.name}: privileged={host.get('Privileged')}, mounts={mounts}"
    facts["limits"] = check_limits(container)
    facts["memory in use (JupyterLab, no kernel yet)"] = memory_in_use(container)
    if dind:
        engine_id = wait_for(f"{user}'s engine", lambda: exec_in(client, container.name, ["docker", "info", "--format", "{{.ID}} {{.DockerRootDir}}"]), 60)
        facts["engine"] = engine_id
        # The doctor exits non-zero on any PROBLEM (a small disk, images not loaded yet): what this test
        # asks is that the learner's own engine answers it, so only a problem with the engine fails here.
        doctor = exec_in(client, container.name, ["python", "-m", "dockerlab", "doctor"], check=False).splitlines()
        problems = [line.strip() for line in doctor if line.strip().startswith("PROBLEM")]
        engine_problems = [line for line in problems if any(k in line for k in ("engine socket", "Docker engine", "API version"))]
        assert not engine_problems, f"the doctor in {container.name} finds no engine: {engine_problems}"
        facts["dockerlab doctor"] = " | ".join(line.strip() for line in doctor if "engine socket" in line or "API version" in line)
    return facts


def server_running(api: str, headers: dict, user: str) -> bool:
    return "" in requests.get(f"{api}/users/{user}", headers=headers, timeout=5).json()["servers"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--context", required=True, type=Path, help="learner image build context (wheels/, docker, notebooks/)")
    parser.add_argument("--engines", choices=["none", "socket", "dind", "sysbox"], default="none", help="a Docker engine per learner")
    parser.add_argument("--dind-context", type=Path, help="engine image build context (bin/, lib/), for dind and sysbox")
    parser.add_argument("--chp", required=True, help="configurable-http-proxy executable")
    parser.add_argument("--keep-images", action="store_true", help="leave the two images for a second run")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(124))  # `timeout` stops us: clean up on the way out
    dind = args.engines != "none"
    client = docker.from_env()
    state = Path(tempfile.mkdtemp(prefix="dlhub-state-"))
    hub = None
    culler = None
    engines: dict[str, subprocess.Popen] = {}
    made_images: list[str] = []
    passwords: dict[str, str] = {}
    ok = False
    started = time.monotonic()
    try:
        with step("build learner image (offline, --network none)"):
            build(args.context, "learner.Dockerfile", LEARNER_IMAGE)
            made_images.append(LEARNER_IMAGE)
        if args.engines == "socket":
            with step("start one engine per learner on this host, each in a cgroup with the engine's limits"):
                engines = start_engines(state)
        if args.engines in ("dind", "sysbox"):
            with step("build engine image (offline)"):
                build(args.dind_context, "dind.Dockerfile", DIND_IMAGE)
                made_images.append(DIND_IMAGE)
        with step("login cards for the two learners (deploy/jupyterhub/cards.py)"):
            (state / "users.csv").write_text("username,name\n" + "".join(f"{u},{u.title()} Smoke\n" for u in USERS))
            said = subprocess.run([sys.executable, str(CARDS), str(state / "users.csv"), str(state / "cards.html"), "--address",
                                   "http://127.0.0.1:8000/"], capture_output=True, text=True, timeout=60, check=True)
            with open(state / "cards.learners.csv", newline="") as handle:
                passwords = {row["username"]: row["password"] for row in csv.DictReader(handle)}
            assert sorted(passwords) == USERS and len(set(passwords.values())) == len(USERS), sorted(passwords)
            assert not any(p in said.stdout + said.stderr for p in passwords.values()), "cards.py printed a password"
            assert (state / "cards.html").read_text().count('class="card"') == len(USERS)
            print(f"    {said.stdout.splitlines()[0]}")
        network = client.networks.create(NETWORK, driver="bridge", labels={"org.dockerlab.hub": "smoke"})
        network.reload()
        gateway = network.attrs["IPAM"]["Config"][0]["Gateway"]
        proxy_port, api_port = free_port("127.0.0.1"), free_port("127.0.0.1")
        hub_port = wait_for("a free hub port on the learners' bridge", lambda: free_port(gateway), 10)
        token = secrets.token_hex(32)
        env = {
            **os.environ,
            "DLHUB_STATE": str(state), "DLHUB_PREFIX": PREFIX, "DLHUB_IMAGE": LEARNER_IMAGE, "DLHUB_DIND_IMAGE": DIND_IMAGE,
            "DLHUB_NETWORK": NETWORK, "DLHUB_HUB_PORT": str(hub_port),  # DLHUB_HUB_IP unset: the config finds the gateway
            "DLHUB_PROXY_PORT": str(proxy_port), "DLHUB_PROXY_API_PORT": str(api_port), "DLHUB_CHP": args.chp,
            "DLHUB_LEARNERS": str(state / "cards.learners.csv"), "DLHUB_SERVICE_TOKEN": token,
            "DLHUB_ENGINE": "" if args.engines == "none" else args.engines, "DLHUB_ENGINE_SOCKET": f"{ENGINES}/{{username}}.sock",
        }
        for name in ("DLHUB_PROXY_IP", "DLHUB_HUB_IP", "DLHUB_AUTHENTICATOR", "DLHUB_CULL_TIMEOUT"):
            env.pop(name, None)  # the defaults are what is tested
        proxy = f"http://127.0.0.1:{proxy_port}"
        api = f"{proxy}/hub/api"
        headers = {"Authorization": f"token {token}"}
        with step("start JupyterHub and its proxy"):
            log = open(state / "hub.log", "w")  # noqa: SIM115 - closed with the hub
            hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)], cwd=state, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            wait_for("the hub API", lambda: requests.get(f"{api}/", timeout=2).ok, 60)
        with step("where it listens, and the idle culler"):
            print(f"    {check_listening(proxy_port, hub_port, gateway)}")
            services = requests.get(f"{api}/services", headers=headers, timeout=10).json()
            culler_service = services.get("idle-culler")
            assert culler_service, f"no idle-culler service: {sorted(services)}"
            timeout_arg = f"--timeout={config_default('DLHUB_CULL_TIMEOUT')}"
            assert timeout_arg in culler_service["command"], culler_service["command"]
            cmdline = Path(f"/proc/{culler_service['pid']}/cmdline").read_bytes().split(b"\0")
            assert b"jupyterhub_idle_culler" in cmdline and timeout_arg.encode() in cmdline, cmdline
            print(f"    idle-culler service running (pid {culler_service['pid']}): {' '.join(culler_service['command'][1:])}")
        with step("log in with the cards' passwords (FirstUseAuthenticator)"):
            sessions = {}
            for user in USERS:
                sessions[user], answer = login(proxy, user, passwords[user])
                assert answer.status_code == 302, f"{user} could not log in: {answer.status_code}"
            _, wrong = login(proxy, USERS[0], passwords[USERS[1]])
            assert wrong.status_code == 403 and "Invalid username or password" in wrong.text, wrong.status_code
            _, stranger = login(proxy, "mallory", new_password_like())
            assert stranger.status_code == 403, f"an unknown name logged in: {stranger.status_code}"
            print(f"    {', '.join(USERS)} logged in with their cards' passwords; {USERS[0]} with {USERS[1]}'s password: "
                  f"{wrong.status_code}; an unknown name: {stranger.status_code}")
        with step("spawn two learners through the REST API"):
            for user in USERS:
                answer = requests.post(f"{api}/users/{user}/server", headers=headers, timeout=30)
                assert answer.status_code in (201, 202), (answer.status_code, answer.text)
            for user in USERS:
                wait_for(f"{user}'s server", lambda u=user: ready(api, headers, u), 180, every=1)
        with step("check each learner's server, limits" + (" and own engine" if dind else "")):
            facts = {user: check_learner(proxy, sessions[user], token, client, user, dind) for user in USERS}
            other = sessions[USERS[1]].get(f"{proxy}/user/{USERS[0]}/lab", timeout=20)
            assert other.status_code == 403, f"{USERS[1]} reaches {USERS[0]}'s server: {other.status_code}"
            print(f"    {USERS[1]}'s login on {USERS[0]}'s server: {other.status_code}")
            for user, found in facts.items():
                for key, value in found.items():
                    print(f"    {user}: {key}: {value}")
            if dind:
                assert facts["alice"]["engine"] != facts["bob"]["engine"], "the two learners share an engine"
                exec_in(client, f"{PREFIX}-alice", ["docker", "load"], stdin=subprocess.run(
                    ["docker", "save", "busybox:1.37"], capture_output=True, check=True).stdout)
                said = exec_in(client, f"{PREFIX}-alice", ["docker", "run", "--rm", "busybox:1.37", "echo", "hello from alice's engine"])
                assert "hello from alice's engine" in said, said
                bob_images = exec_in(client, f"{PREFIX}-bob", ["docker", "images", "-q"])
                assert bob_images == "", f"bob sees images: {bob_images}"
                print("    alice ran a container on her engine; bob's engine has no images: engines are separate")
            if args.engines == "socket":
                print(f"    alice: engine limits: {check_engine_limits('alice', client)}")
        with step("alice's work across a stop and start of her server"):
            kept = secrets.token_hex(8)
            exec_in(client, f"{PREFIX}-alice", ["sh", "-c", f"mkdir -p work && echo {kept} > work/kept.txt"])
            requests.delete(f"{api}/users/alice/server", headers=headers, timeout=60)
            wait_for("alice's server to stop", lambda: not server_running(api, headers, "alice"), 90, every=0.5)
            assert not [c for c in client.containers.list(all=True) if c.name == f"{PREFIX}-alice"], "alice's container stayed"
            answer = requests.post(f"{api}/users/alice/server", headers=headers, timeout=30)
            assert answer.status_code in (201, 202), (answer.status_code, answer.text)
            wait_for("alice's server again", lambda: ready(api, headers, "alice"), 180, every=0.5)
            found = exec_in(client, f"{PREFIX}-alice", ["cat", "/home/learner/notebooks/work/kept.txt"])
            assert found == kept, f"alice's file after the restart: {found!r}"
            sessions["alice"].get(f"{proxy}/user/alice/lab", timeout=30).raise_for_status()  # a new server: its page again
            again = sessions["alice"].get(f"{proxy}/user/alice/api/contents/work/kept.txt", timeout=20)
            assert again.status_code == 200, again.status_code
            print("    alice's work/kept.txt is there after a new container (volume dlhub-home-alice), and her login still works")
            if dind:
                images = exec_in(client, f"{PREFIX}-alice", ["docker", "images", "-q", "busybox:1.37"])
                assert images, "alice's engine lost her image across the restart"
                print("    alice's engine still has busybox:1.37")
        with step("the idle culler stops idle servers (run here with --timeout=3)"):
            culler_log = open(state / "culler.log", "w")  # noqa: SIM115 - closed below
            culler = subprocess.Popen([sys.executable, "-m", "jupyterhub_idle_culler", f"--url={api}", "--timeout=3", "--cull-every=1"],
                                      env={**os.environ, "JUPYTERHUB_API_TOKEN": token}, stdout=culler_log, stderr=subprocess.STDOUT,
                                      start_new_session=True)
            for user in USERS:
                wait_for(f"the culler to stop {user}'s server", lambda u=user: not server_running(api, headers, u), 60, every=0.5)
            culler.terminate()
            culler.wait(timeout=10)
            culler = None
            culled = (state / "culler.log").read_text()
            for user in USERS:
                assert re.search(rf"Culling server {user} \(inactive", culled), f"the culler's log says nothing of {user}:\n{culled}"
            print(f"    the culler stopped {', '.join(USERS)}'s idle servers: " + "; ".join(
                line.split("] ", 1)[-1] for line in culled.splitlines() if "Culling server" in line))
        with step("stop the hub"):
            os.killpg(hub.pid, signal.SIGTERM)
            hub.wait(timeout=60)
            hub = None
            hub_log = (state / "hub.log").read_text()
            assert not [u for u, p in passwords.items() if p in hub_log], "a password is in the hub's log"
        ok = True
    except Exception as exc:  # noqa: BLE001 - reported, then everything is cleaned up below
        print(f"FAILED: {type(exc).__name__}: {exc}")
    finally:
        if culler is not None:
            culler.kill()
            culler.wait(timeout=10)
        if hub is not None:  # a failure: stop the hub as a clean exit does (it stops its proxy and servers)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hub.pid, signal.SIGTERM)
            try:
                hub.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
                hub.wait(timeout=15)
        stop_proxy(state / "proxy.pid")
        if not ok and (state / "hub.log").exists():
            lines = [line for line in (state / "hub.log").read_text().splitlines() if "200 GET /hub/api/users/" not in line]
            print("--- hub log (last 60 lines, polling left out):\n" + "\n".join(lines[-60:]))
        with step("clean up"):
            stop_engines(engines)
            left = cleanup(client, [] if args.keep_images else made_images)
            left += [f"engine data {p}" for p in Path("/var/lib").glob(f"{PREFIX}-engine-*")]
            left += [f"cgroup {c}" for u in USERS if (c := engine_cgroup(u)) and (CGROUPS / "memory" / c.lstrip("/")).exists()]
        shutil.rmtree(state, ignore_errors=True)
    total = time.monotonic() - started
    print(json.dumps({"ok": ok and not left, "seconds": round(total, 1), **{k: round(v, 1) for k, v in timings.items()}}, indent=1))
    if left:
        print(f"LEFT BEHIND: {left}")
    return 0 if ok and not left else 1


def stop_proxy(pid_file: Path) -> None:
    """The proxy outlives a hub that was killed (by design): end it by the pid the hub wrote."""
    with contextlib.suppress(OSError, ValueError):
        pid = int(pid_file.read_text().strip())
        if "configurable-http-proxy" in Path(f"/proc/{pid}/cmdline").read_text():
            os.kill(pid, signal.SIGTERM)


def cleanup(client, images: list[str]) -> list[str]:
    """Remove every dlhub- container, network and volume, and the images made here; return what is left."""
    def ours(name: str) -> bool:
        return name.lstrip("/").startswith(f"{PREFIX}-")

    for container in client.containers.list(all=True):
        if ours(container.name):
            container.remove(force=True, v=True)
    for network in client.networks.list():
        if ours(network.name):
            network.remove()
    for volume in client.volumes.list():
        if ours(volume.name):
            volume.remove(force=True)
    for image in images:
        with contextlib.suppress(docker.errors.ImageNotFound):
            client.images.remove(image, force=True)
    left = [f"container {c.name}" for c in client.containers.list(all=True) if ours(c.name)]
    left += [f"network {n.name}" for n in client.networks.list() if ours(n.name)]
    left += [f"volume {v.name}" for v in client.volumes.list() if ours(v.name)]
    left += [f"image {t}" for i in client.images.list() for t in i.tags if ours(t) and t in images]
    return left


if __name__ == "__main__":
    sys.exit(main())
