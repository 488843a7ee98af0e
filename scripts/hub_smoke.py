"""JupyterHub smoke test on one machine (run by scripts/hub_smoke.sh, with the hub's own venv).

Builds the learner image (and, with --dind, the per-learner engine image) offline, starts JupyterHub
with deploy/jupyterhub/jupyterhub_config.py (DockerSpawner, configurable-http-proxy on 127.0.0.1),
starts two learners' servers through the REST API with a service token, checks that each answers
through the proxy, and that the learners' containers hold no host socket and are not privileged.

--engines gives each learner a Docker engine of their own and checks that each learner's `docker`
(and dockerlab's doctor) reaches only theirs:
  socket  one dockerd per learner on this host (its own data root, socket and cgroup parent), whose
          socket alone is mounted into that learner's container. Run as root here, so it separates
          learners but is no security boundary; in a class, make it each learner's rootless dockerd.
  dind    a privileged Docker-in-Docker sidecar per learner (needs privileged containers).
  sysbox  the same sidecar under the Sysbox runtime (needs sysbox-runc installed).
Then it stops everything and removes every container, network, volume, image, engine process and
data folder it made (all named dlhub-...), and says so.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
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
USERS = ["alice", "bob"]
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


def start_engines(state: Path) -> dict[str, subprocess.Popen]:
    """One dockerd per learner on this host (mode "socket"), each with its own data root and socket."""
    ENGINES.mkdir(parents=True, exist_ok=True)
    engines = {}
    for user in USERS:
        name = f"{PREFIX}-engine-{user}"
        log = open(state / f"{name}.log", "w")  # noqa: SIM115 - lives as long as the engine
        # Each learner engine gets a network namespace of its own: dockerd with --bridge=none deletes
        # the default bridge "docker0", and in the host's namespace that breaks the host's engine.
        engines[user] = subprocess.Popen(
            ["unshare", "--net", "--", "dockerd", "--data-root", f"/var/lib/{name}", "--exec-root", f"/var/run/{name}", "--pidfile",
             f"/var/run/{name}.pid", "-H", f"unix://{ENGINES}/{user}.sock", "--group", "1000", "--bridge=none",
             "--iptables=false", "--ip-masq=false", "--cgroup-parent", f"/{name}"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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
    with contextlib.suppress(OSError):
        ENGINES.rmdir()


def check_learner(api, proxy: str, token: str, client, user: str, dind: bool) -> dict:
    facts: dict = {}
    session = requests.Session()
    session.headers["Authorization"] = f"token {token}"
    status = session.get(f"{proxy}/user/{user}/api/status", timeout=10)
    status.raise_for_status()
    facts["server status"] = status.json().get("started", "?")
    contents = session.get(f"{proxy}/user/{user}/api/contents", timeout=10)
    contents.raise_for_status()
    names = sorted(item["name"] for item in contents.json()["content"])
    assert "00-welcome.ipynb" in names, names
    facts["notebooks"] = len([n for n in names if n.endswith(".ipynb")])
    lab = session.get(f"{proxy}/user/{user}/lab", timeout=20)
    assert lab.status_code == 200 and "JupyterLab" in lab.text, lab.status_code
    container = client.containers.get(f"{PREFIX}-{user}")
    host = container.attrs["HostConfig"]
    mounts = [m.get("Source", "") + " -> " + m.get("Destination", "") for m in container.attrs.get("Mounts", [])]
    assert not host.get("Privileged"), "learner container is privileged"
    hosts = {"/var/run/docker.sock", "/run/docker.sock", os.environ.get("DOCKER_HOST", "").removeprefix("unix://")}
    sources = {m.get("Source", "") for m in container.attrs.get("Mounts", [])}
    assert not sources & hosts, f"the host engine's socket is mounted: {mounts}"
    facts["container"] = f"{container.name}: privileged={host.get('Privileged')}, memory={host.get('Memory')}, mounts={mounts}"
    if dind:
        engine_id = wait_for(f"{user}'s engine", lambda: exec_in(client, container.name, ["docker", "info", "--format", "{{.ID}} {{.DockerRootDir}}"]), 60)
        facts["engine"] = engine_id
        # The doctor exits non-zero on any PROBLEM (a small disk, images not loaded yet): what this test
        # asks is that the learner's own engine answers it, so only a problem with the engine fails here.
        doctor = exec_in(client, container.name, ["python", "-m", "dockerlab", "doctor"], check=False).splitlines()
        problems = [line.strip() for line in doctor if line.strip().startswith("PROBLEM")]
        engine_problems = [line for line in problems if any(k in line for k in ("engine socket", "Docker engine", "API version"))]
        assert not engine_problems, f"the doctor in {container.name} finds no engine: {engine_problems}"
        facts["dockerlab doctor"] = " | ".join(line.strip() for line in doctor if "engine" in line.lower())
        facts["dockerlab doctor's other problems"] = " | ".join(problems) or "none"
    return facts


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
    engines: dict[str, subprocess.Popen] = {}
    made_images: list[str] = []
    ok = False
    started = time.monotonic()
    try:
        with step("build learner image (offline, --network none)"):
            build(args.context, "learner.Dockerfile", LEARNER_IMAGE)
            made_images.append(LEARNER_IMAGE)
        if args.engines == "socket":
            with step("start one engine per learner on this host"):
                engines = start_engines(state)
        if args.engines in ("dind", "sysbox"):
            with step("build engine image (offline)"):
                build(args.dind_context, "dind.Dockerfile", DIND_IMAGE)
                made_images.append(DIND_IMAGE)
        network = client.networks.create(NETWORK, driver="bridge", labels={"org.dockerlab.hub": "smoke"})
        network.reload()
        gateway = network.attrs["IPAM"]["Config"][0]["Gateway"]
        proxy_port, api_port = free_port("127.0.0.1"), free_port("127.0.0.1")
        hub_port = wait_for("a free hub port on the learners' bridge", lambda: free_port(gateway), 10)
        token = secrets.token_hex(32)
        env = {
            **os.environ,
            "DLHUB_STATE": str(state), "DLHUB_PREFIX": PREFIX, "DLHUB_IMAGE": LEARNER_IMAGE, "DLHUB_DIND_IMAGE": DIND_IMAGE,
            "DLHUB_NETWORK": NETWORK, "DLHUB_HUB_IP": gateway, "DLHUB_HUB_PORT": str(hub_port),
            "DLHUB_PROXY_PORT": str(proxy_port), "DLHUB_PROXY_API_PORT": str(api_port), "DLHUB_CHP": args.chp,
            "DLHUB_USERS": ",".join(USERS), "DLHUB_SERVICE_TOKEN": token, "DLHUB_ENGINE": "" if args.engines == "none" else args.engines,
            "DLHUB_ENGINE_SOCKET": f"{ENGINES}/{{username}}.sock",
        }
        proxy = f"http://127.0.0.1:{proxy_port}"
        api = f"{proxy}/hub/api"
        with step("start JupyterHub and its proxy"):
            log = open(state / "hub.log", "w")  # noqa: SIM115 - closed with the hub
            hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)], cwd=state, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
            wait_for("the hub API", lambda: requests.get(f"{api}/", timeout=2).ok, 60)
        print(f"    hub API on {gateway}:{hub_port} (learners' bridge only), proxy on 127.0.0.1:{proxy_port}")
        headers = {"Authorization": f"token {token}"}
        with step("spawn two learners through the REST API"):
            for user in USERS:
                answer = requests.post(f"{api}/users/{user}/server", headers=headers, timeout=30)
                assert answer.status_code in (201, 202), (answer.status_code, answer.text)
            for user in USERS:
                wait_for(f"{user}'s server", lambda u=user: ready(api, headers, u), 180, every=1)
        with step("check each learner's server" + (" and own engine" if dind else "")):
            facts = {user: check_learner(api, proxy, token, client, user, dind) for user in USERS}
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
        with step("stop the servers and the hub"):
            for user in USERS:
                requests.delete(f"{api}/users/{user}/server", headers=headers, timeout=60)
            for user in USERS:
                wait_for(f"{user}'s server to stop", lambda u=user: "" not in requests.get(
                    f"{api}/users/{u}", headers=headers, timeout=5).json()["servers"], 90, every=1)
            os.killpg(hub.pid, signal.SIGTERM)
            hub.wait(timeout=60)
            hub = None
        ok = True
    except Exception as exc:  # noqa: BLE001 - reported, then everything is cleaned up below
        print(f"FAILED: {type(exc).__name__}: {exc}")
    finally:
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
