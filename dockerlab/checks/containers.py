"""Building blocks about containers, found by name (the ``--name`` the learner gave ``docker run``).

    containers.exists(name)
    containers.running(name)                       running (not exited, restarting or paused)
    containers.exited(name, code=0)                finished with that exit code
    containers.from_image(name, "nginx:stable")
    containers.logs_contain(name, "Hello")
    containers.publishes(name, 80, host_port=8080, host_ip="127.0.0.1")
    containers.memory_limit(name, at_most="256m")  /  containers.pids_limit(name, at_most=100)
    containers.on_network(name, net)
    containers.mounts_volume(name, volume, "/data")
    containers.has_env(name, "DEBUG", "1")
    containers.restart_policy(name, "unless-stopped")
    containers.no_host_access(name)                not privileged, no engine socket or / mounted, no host namespaces

For an exercise's own blocks: :func:`get` (the container, or :class:`Unmet` saying what exists
instead), :func:`host_config`, :func:`already_running`, :func:`there_is`, :func:`wait_then_remove`.
"""

from __future__ import annotations

import contextlib
import re
import time
from datetime import datetime

import docker.errors

from dockerlab import engine
from dockerlab.checks import _ports
from dockerlab import sizes
from dockerlab.checks.blocks import Unmet, block, typo_of

_ANONYMOUS = re.compile(r"^[0-9a-f]{64}$")
_SESSION_SUFFIX = re.compile(r"-dl[0-9a-f]{6}$")

#: A running container younger than this is watched until it is this old (or stops) before it is
#: judged: a check run right after ``docker run -d`` (Run All, a quick learner) must not call
#: "running" a command that exits a moment later.
SETTLE_SECONDS = 2.0


def get(name: str):
    """The container named ``name`` (docker-py ``Container``), or :class:`Unmet` with what exists instead."""
    client = engine.client()
    try:
        container = client.containers.get(name)
    except docker.errors.NotFound:
        raise Unmet(_missing(name)) from None
    if container.name != name.lstrip("/") and not container.id.startswith(name):
        raise Unmet(_missing(name))
    try:
        return _settled(container)
    except docker.errors.NotFound:  # a --rm container that stopped while we watched
        raise Unmet(_missing(name)) from None


def there_is(name: str) -> bool:
    """Whether a container named ``name`` exists now (no waiting, no reason): for an exercise deciding
    whether there is more to judge about it."""
    try:
        engine.client().containers.get(name)
    except docker.errors.NotFound:
        return False
    return True


def already_running(name: str, so: str = ""):
    """The running container ``name``, for a requirement that builds on earlier ones about it.

    :class:`Unmet` pointing at those ("see above") when it does not exist or does not run; ``so``
    says what cannot be done then ("so nothing can be tried from inside it").
    """
    try:
        container = get(name)
    except Unmet:
        raise Unmet(f"there is no container {name} yet (see above)") from None
    if container.status != "running":
        raise Unmet(f"{name} is not running{', ' + so if so else ''} (see above)")
    return container


def _settled(container):
    """The container once it has run for :data:`SETTLE_SECONDS` (or stopped), reloaded."""
    state = container.attrs.get("State") or {}
    started = _engine_time(state.get("StartedAt"))
    if not state.get("Running") or started is None:
        return container
    now = time.time()
    deadline = min(started + SETTLE_SECONDS, now + SETTLE_SECONDS)  # a skewed engine clock waits no longer
    while time.time() < deadline:
        time.sleep(min(0.2, max(deadline - time.time(), 0)))
        container.reload()
        if not (container.attrs.get("State") or {}).get("Running"):
            break
    return container


def _engine_time(text: str | None) -> float | None:
    """``2026-11-28T01:05:32.123456789Z`` (the engine's nanoseconds) as seconds since the epoch."""
    if not text or text.startswith("0001-"):
        return None
    match = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$", text)
    if not match:
        return None
    fraction = (match.group(2) or ".0")[:7]
    zone = "+00:00" if match.group(3) == "Z" else match.group(3)
    return datetime.fromisoformat(match.group(1) + fraction + zone).timestamp()


def _missing(name: str) -> str:
    # The low-level list: one call, no inspect per container (which races with removals).
    names = [n.lstrip("/") for c in engine.client().api.containers(all=True) for n in (c.get("Names") or [])[:1]]
    reason = f"no container named {name} exists; did you pass --name {name} to docker run?"
    base = _SESSION_SUFFIX.sub("", name)
    if base != name and base in names:
        return (
            f"no container named {name} exists, but there is one named {base}: the lesson's names end in the "
            f"session id, so use --name {name}"
        )
    # Compare without the session suffix, which every course name shares.
    bases = {_SESSION_SUFFIX.sub("", n): n for n in names if n != name}
    close = typo_of(_SESSION_SUFFIX.sub("", name), bases)
    if close:
        return f"{reason} (there is a container named {bases[close]}: a typo?)"
    return reason + " (a container started with --rm is also removed as soon as it stops)"


def wait_then_remove(container, image: str, timeout: float, should: str) -> tuple[int, str]:
    """Wait for a container a check started from ``image`` to finish, then remove it: (exit code, output).

    A container still running after ``timeout`` seconds is :class:`Unmet`, with ``should`` saying
    what its program should have done ("it should finish at once").
    """
    try:
        try:
            status = container.wait(timeout=timeout)
        except Exception:  # noqa: BLE001 - requests' ReadTimeout and friends
            raise Unmet(f"a container from {image} was still running after {timeout:.0f} s; {should}") from None
        output = container.logs(stdout=True, stderr=True).decode("utf-8", "replace").strip()
    finally:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)
    return int(status.get("StatusCode") or 0), output


def _last_lines(container, lines: int = 3) -> str:
    try:
        raw = container.logs(stdout=True, stderr=True, tail=lines)
    except docker.errors.APIError:
        return ""
    text = raw.decode("utf-8", "replace").strip()
    if not text:
        return ""
    short = " | ".join(line.strip() for line in text.splitlines()[-lines:])
    return short if len(short) <= 300 else short[:297] + "..."


def _state(container) -> dict:
    return container.attrs.get("State") or {}


def host_config(name: str) -> dict:
    """How the container named ``name`` was started (its ``HostConfig``: limits, flags, mounts), or :class:`Unmet` as :func:`get`."""
    return get(name).attrs.get("HostConfig") or {}


@block("a container named {name} exists")
def exists(name: str):
    get(name)


@block("the container {name} is running")
def running(name: str):
    container = get(name)
    state = _state(container)
    status = state.get("Status") or container.status
    if state.get("Restarting") or status == "restarting":
        return f"the container keeps restarting: it exits (last exit code {state.get('ExitCode')}) and its restart policy starts it again; docker logs {name} shows why"
    if status == "running":
        if state.get("Paused"):
            return f"the container is paused; resume it with docker unpause {name}"
        return None
    if status == "paused":
        return f"the container is paused; resume it with docker unpause {name}"
    if status == "created":
        return f"the container was created but never started; start it with docker start {name}"
    if status == "exited":
        return _exit_story(container, state)
    return f"the container is {status}, not running"


def _exit_story(container, state: dict) -> str:
    code = state.get("ExitCode")
    text = f"the container exited with code {code}"
    if state.get("OOMKilled"):
        text += " because it used more memory than its limit allows (OOMKilled)"
    elif code == 137:
        text += " (killed by SIGKILL: docker kill, or docker stop after the 10 s grace period)"
    elif code == 127:
        text += " (command not found: check the command and the image)"
    elif code == 126:
        text += " (the command is not executable)"
    last = _last_lines(container)
    text += f"; its last output: {last}" if last else "; it printed nothing"
    return text


@block(lambda name, code=0: f"the container {name} has finished with exit code {code}")
def exited(name: str, code: int = 0):
    container = get(name)
    state = _state(container)
    status = state.get("Status") or container.status
    if status in ("running", "restarting", "paused"):
        return f"the container is still {status}; wait for it to finish (docker wait {name}) or check the command it runs"
    if status == "created":
        return f"the container was created but never started; start it with docker start -a {name}"
    got = state.get("ExitCode")
    if got == code:
        return None
    story = _exit_story(container, state)
    return f"{story}; expected code {code}"


def _same_image(container, wanted) -> bool:
    return container.attrs.get("Image") == wanted.id


@block("the container {name} was started from the image {image}")
def from_image(name: str, image: str):
    container = get(name)
    client = engine.client()
    typed = (container.attrs.get("Config") or {}).get("Image") or container.attrs.get("Image", "?")
    try:
        wanted = client.images.get(image)
    except docker.errors.ImageNotFound:
        raise Unmet(f"the image {image} is not on this engine (docker images); build or load it first") from None
    if _same_image(container, wanted):
        return None
    same_name = typed.split(":")[0] == image.split(":")[0]
    extra = " (the same name with another tag or an older build: a rebuilt image gets a new id, and running containers keep the old one)" if same_name else ""
    if not same_name and typed.split(":")[0] == _SESSION_SUFFIX.sub("", image.split(":")[0]):
        extra = " (the course's image names end in this session's id, like the containers' names)"
    return f"the container was started from {typed}, not {image}{extra}; remove it and docker run {image} again"


@block(lambda name, text: f"the output of {name} contains {text!r}")
def logs_contain(name: str, text: str):
    """``docker logs`` (stdout and stderr) contains ``text``."""
    container = get(name)
    output = container.logs(stdout=True, stderr=True, tail=2000).decode("utf-8", "replace")
    if text in output:
        return None
    status = _state(container).get("Status") or container.status
    if not output.strip():
        if status == "created":
            return f"the container was created but never started, so it printed nothing; docker start {name}"
        still = " yet (it is still running)" if status == "running" else ""
        return f"the container printed nothing{still}, so its output cannot contain {text!r}"
    if text.lower() in output.lower():
        return f"the output contains {text!r} but with other capital letters; the check wants exactly {text!r}"
    return f"the output does not contain {text!r}; its last lines: {_last_lines(container)}"


def _bindings(container) -> list[_ports.Binding]:
    """What the container publishes: the live mapping when running, else the configured one."""
    live = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
    configured = (container.attrs.get("HostConfig") or {}).get("PortBindings") or {}
    source = live if any(live.values()) else configured
    found = []
    for key, bound in source.items():
        port, _, proto = key.partition("/")
        for b in bound or []:
            found.append(_ports.Binding(int(port), proto or "tcp", b.get("HostIp") or "", str(b.get("HostPort") or "")))
    return found


@block(
    lambda name, container_port, host_port=None, host_ip="127.0.0.1", protocol="tcp": f"the container {name} publishes port {container_port}"
    + (f" on {host_ip or '0.0.0.0'}:{host_port}" if host_port is not None else (f" on {host_ip}" if host_ip else ""))
)
def publishes(name: str, container_port: int, host_port: int | None = None, host_ip: str | None = "127.0.0.1", protocol: str = "tcp"):
    """The container publishes ``container_port`` on ``host_port`` (any if None) at ``host_ip`` (any if None)."""
    container = get(name)
    return _ports.problem(_bindings(container), container_port, host_port, host_ip, protocol, "the container", _ports.run_flag)


@block(lambda name, at_most=None: f"the container {name} has a memory limit" + (f" of at most {at_most}" if at_most else ""))
def memory_limit(name: str, at_most: int | str | None = None):
    """The container runs with ``--memory`` (at most ``at_most``: bytes, or "256m")."""
    limit = int(host_config(name).get("Memory") or 0)
    suggestion = at_most or "256m"
    if limit <= 0:
        return f"the container has no memory limit, so it may use all of the machine's memory; start it with --memory {suggestion}"
    if at_most is not None and limit > sizes.parse(at_most):
        return f"the container's memory limit is {_binary(limit)}, more than {at_most}; use --memory {at_most}"
    return None


def _binary(size: int) -> str:
    for unit, factor in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{unit}"
    return sizes.decimal(size)


@block(lambda name, at_most=None: f"the container {name} has a process limit" + (f" of at most {at_most}" if at_most else ""))
def pids_limit(name: str, at_most: int | None = None):
    """The container runs with ``--pids-limit`` (at most ``at_most``)."""
    limit = host_config(name).get("PidsLimit")
    suggestion = at_most or 100
    if not limit or limit <= 0:
        return f"the container has no process limit, so a fork bomb inside it could exhaust the machine; start it with --pids-limit {suggestion}"
    if at_most is not None and limit > at_most:
        return f"the container's process limit is {limit}, more than {at_most}; use --pids-limit {at_most}"
    return None


@block("the container {name} is attached to the network {network}")
def on_network(name: str, network: str):
    container = get(name)
    settings = container.attrs.get("NetworkSettings") or {}
    attached = sorted((settings.get("Networks") or {}).keys())
    if network in attached:
        return None
    mode = (container.attrs.get("HostConfig") or {}).get("NetworkMode") or ""
    try:
        engine.client().networks.get(network)
    except docker.errors.NotFound:
        return f"no network named {network} exists; create it with docker network create {network}, then start the container with --network {network}"
    if mode in ("none", "host"):
        return f"the container runs with --network {mode}; start it with --network {network} instead"
    now = f"is attached to {', '.join(attached)}" if attached else "is attached to no network"
    return f"the container {now}, not {network}; connect it with docker network connect {network} {name} (or use --network {network} on docker run)"


@block(
    lambda name, volume, target, read_only=None: f"the container {name} mounts the volume {volume} at {target}"
    + (" read-only" if read_only else "")
)
def mounts_volume(name: str, volume: str, target: str, read_only: bool | None = None):
    """The named volume ``volume`` is mounted at ``target`` (read-only if ``read_only``, writable if False)."""
    mounts = get(name).attrs.get("Mounts") or []
    target = target.rstrip("/") or "/"
    fix = f"-v {volume}:{target}" + (":ro" if read_only else "")
    at_target = [m for m in mounts if (m.get("Destination") or "").rstrip("/") == target]
    if not at_target:
        elsewhere = [m for m in mounts if m.get("Name") == volume]
        if elsewhere:
            return f"the container mounts {volume} at {elsewhere[0].get('Destination')}, not at {target}; use {fix}"
        if mounts:
            listed = ", ".join(sorted(str(m.get("Destination")) for m in mounts))
            return f"the container mounts nothing at {target} (it mounts {listed}); use {fix}"
        return f"the container mounts nothing at {target}, so what it writes there is lost with it; start it with {fix}"
    mount = at_target[0]
    kind = mount.get("Type")
    if kind == "bind":
        return (
            f"the container mounts the host folder {mount.get('Source')} at {target} (a bind mount), not the volume "
            f"{volume}; give -v a volume name instead of a path: {fix}"
        )
    if kind != "volume":
        return f"the container mounts a {kind} at {target}, not the volume {volume}; use {fix}"
    got = mount.get("Name") or ""
    if got != volume:
        if _ANONYMOUS.match(got):
            return f"the container mounts an anonymous volume at {target} (Docker named it {got[:12]}...); name it: {fix}"
        return f"the container mounts the volume {got} at {target}, not {volume}; use {fix}"
    if read_only is True and mount.get("RW", True):
        return f"the volume {volume} is mounted writable; add :ro to mount it read-only: {fix}"
    if read_only is False and not mount.get("RW", True):
        return f"the volume {volume} is mounted read-only, but the app must write to it; drop :ro"
    return None


@block(lambda name, key, value=None: f"the container {name} has the environment variable {key}" + (f"={value}" if value is not None else ""))
def has_env(name: str, key: str, value: str | None = None):
    """The container's environment (image defaults included) sets ``key`` (to ``value`` if given)."""
    env_list = (get(name).attrs.get("Config") or {}).get("Env") or []
    env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env_list)
    fix = f"-e {key}={value}" if value is not None else f"-e {key}=..."
    if key in env:
        if value is None or env[key] == str(value):
            return None
        return f"the container has {key}={env[key]}, not {key}={value}; start it with {fix}"
    same_case = [k for k in env if k.lower() == key.lower()]
    if same_case:
        return f"the container sets {same_case[0]}, not {key} (names are case-sensitive); use {fix}"
    close = typo_of(key, env)
    if close:
        return f"the container sets {close} but not {key} (a typo?); use {fix}"
    return f"the container has no {key} in its environment; start it with {fix}"


@block(lambda name, policy="unless-stopped": f"the container {name} has the restart policy {policy}")
def restart_policy(name: str, policy: str = "unless-stopped"):
    """``docker run --restart POLICY`` was used (``on-failure`` also matches ``on-failure:N``)."""
    rp = host_config(name).get("RestartPolicy") or {}
    got = rp.get("Name") or "no"
    if got == policy.split(":", 1)[0]:
        if ":" in policy and str(rp.get("MaximumRetryCount")) != policy.split(":", 1)[1]:
            return f"the container retries {rp.get('MaximumRetryCount')} times, not {policy.split(':', 1)[1]}; use --restart {policy}"
        return None
    if got == "no":
        return f"the container has no restart policy, so it stays down after a crash or a reboot; start it with --restart {policy}"
    return f"the container's restart policy is {got}, not {policy}; use --restart {policy} (docker update --restart {policy} {name} changes it in place)"


@block("the container {name} has no way into the host (not privileged, no engine socket or / mounted)")
def no_host_access(name: str):
    """Nothing in the container's settings hands it the host (see :func:`dockerlab.safety.host_access`)."""
    from dockerlab.engine.safety import host_access

    found = host_access(host_config(name))
    if not found:
        return None
    return "; ".join(found) + ". Whatever else it drops, such a container is not hardened: remove that flag"



# -- added for notebook 05 --

#: A TCP socket's state in /proc/net/tcp: 0A is LISTEN.
_LISTEN = "0A"
#: The container's own loopback, as /proc/net/tcp{,6} writes it (IPv4, IPv6 ::1, IPv4-mapped 127.0.0.1).
_LOOPBACK_V4_PREFIX = "7F"  # 127.x.x.x, last byte first


def _proc_address(hex_address: str) -> str:
    """An address from /proc/net/tcp{,6} (``0100007F``, 32 hex digits for IPv6) as people write it."""
    import ipaddress

    raw = bytes.fromhex(hex_address)
    # the kernel prints each 32-bit word in host order (little-endian here)
    ordered = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    address = ipaddress.ip_address(ordered)
    if address.version == 6 and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address) if address.version == 4 else f"[{address}]"


def listeners(name: str) -> list[tuple[str, int]]:
    """What listens on TCP inside the running container ``name``: (address, port) pairs read from its
    /proc/net/tcp and /proc/net/tcp6 (``docker exec NAME cat ...``), or :class:`Unmet` when it cannot be read."""
    container = already_running(name, so="so nothing can be looked at inside it")
    try:
        done = container.exec_run(["cat", "/proc/net/tcp", "/proc/net/tcp6"], stdout=True, stderr=True)
    except docker.errors.APIError as exc:
        raise Unmet(f"could not look inside {name} (docker exec failed: {exc.explanation or exc})") from None
    text = (done.output or b"").decode("utf-8", "replace")
    if not text.strip():
        raise Unmet(f"could not look inside {name}: cat /proc/net/tcp printed nothing (exit code {done.exit_code})")
    found = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 4 or ":" not in fields[1] or fields[3] != _LISTEN:
            continue
        address, _, port = fields[1].partition(":")
        try:
            found.append((_proc_address(address), int(port, 16)))
        except ValueError:
            continue
    return found


def _is_loopback(address: str) -> bool:
    return address.startswith("127.") or address == "[::1]"


def _is_every_address(address: str) -> bool:
    return address in ("0.0.0.0", "[::]")


@block("inside {name}, the app listens on port {port} on every address of the container (not only on 127.0.0.1)")
def listens_everywhere(name: str, port: int, wait: float = 2.0):
    """Something in the container listens on ``port`` on every address (0.0.0.0 or ::), the one way a published
    port reaches it; a listener on the container's loopback alone is named as the mistake it is."""
    deadline = time.monotonic() + max(wait, 0)
    while True:
        found = listeners(name)
        on_port = [address for address, p in found if p == int(port)]
        if any(_is_every_address(a) for a in on_port):
            return None
        if on_port or time.monotonic() >= deadline:
            break
        time.sleep(0.25)  # the app may still be starting
    if on_port:
        shown = ", ".join(f"{a}:{port}" for a in on_port)
        return (
            f"the app in {name} listens on {shown} only, the container's own loopback: a published port arrives at the "
            f"container's network address, where nothing listens, so the connection is closed or refused. Make the app "
            f"listen on 0.0.0.0 (every address of the container)"
            if all(_is_loopback(a) for a in on_port)
            else f"the app in {name} listens on {shown} only, not on every address of the container; make it listen on 0.0.0.0"
        )
    others = sorted({p for _, p in found})
    if others:
        listed = ", ".join(str(p) for p in others)
        return (
            f"nothing in {name} listens on port {port}: the app listens on port {listed}; the port the app listens on "
            f"and the container port you publish must be the same"
        )
    return f"nothing in {name} listens on any TCP port: has the app started? docker logs {name} shows what it printed"


@block("{name} runs its image's own command (none given after the image name in docker run)")
def runs_image_command(name: str):
    """The container's command and entrypoint are the image's: the learner fixed the image, not the run line."""
    container = get(name)
    config = container.attrs.get("Config") or {}
    try:
        image = engine.client().images.get(container.attrs.get("Image", ""))
    except docker.errors.ImageNotFound:
        raise Unmet(f"the image {name} was started from is gone, so its command cannot be compared") from None
    wanted = image.attrs.get("Config") or {}
    cmd, wanted_cmd = config.get("Cmd") or [], wanted.get("Cmd") or []
    entry, wanted_entry = config.get("Entrypoint") or [], wanted.get("Entrypoint") or []
    if entry != wanted_entry:
        return (
            f"{name} runs with --entrypoint {' '.join(entry)}, not its image's entrypoint; put the repair in the "
            f"Dockerfile, build again, and run the image without --entrypoint"
        )
    if cmd != wanted_cmd:
        return (
            f"{name} runs the command {' '.join(cmd)} given to docker run, not its image's own "
            f"({' '.join(wanted_cmd) or 'none'}); put the repair in the Dockerfile, build again, and give no command "
            f"after the image name"
        )
    return None


def published_host_port(name: str, container_port: int, protocol: str = "tcp") -> str | None:
    """The host port the running container ``name`` publishes ``container_port`` on now (``docker port``),
    or None when it publishes it on none (or does not exist)."""
    try:
        container = get(name)
    except Unmet:
        return None
    live = ((container.attrs.get("NetworkSettings") or {}).get("Ports") or {}).get(f"{int(container_port)}/{protocol}") or []
    ports = [str(b.get("HostPort")) for b in live if b.get("HostPort")]
    return ports[0] if ports else None


@block(lambda name, container_port, protocol="tcp": f"{name} publishes port {container_port} on a host port the engine picked (none given in -p)")
def host_port_picked_by_engine(name: str, container_port: int, protocol: str = "tcp"):
    """``-p ADDRESS::PORT``: the host port was left empty for the engine to pick. Podman 4.3 records the port it
    picked as if it had been asked for, so there this cannot be told apart and is taken as met."""
    from dockerlab.engine import kind as enginekind

    container = get(name)
    key = f"{int(container_port)}/{protocol}"
    configured = ((container.attrs.get("HostConfig") or {}).get("PortBindings") or {}).get(key) or []
    given = sorted({str(b.get("HostPort")) for b in configured if str(b.get("HostPort") or "0") != "0"})
    if not configured:
        return f"{name} does not publish port {container_port}"
    if len(given) < len(configured):
        return None
    if enginekind.current().product == "Podman":
        return None  # Podman stores the picked port in PortBindings too: nothing tells the two apart
    return (
        f"{name} publishes port {container_port} on host port {', '.join(given)}, which docker run was given; leave "
        f"the host port empty (-p 127.0.0.1::{container_port}) and the engine picks a free one"
    )


def _bare_image_name(ref: str) -> str:
    """An image name as the learner typed it: without Podman's ``localhost/`` or ``docker.io/library/`` and ``:latest``."""
    for prefix in ("docker.io/library/", "localhost/"):
        ref = ref.removeprefix(prefix)
    return ref.removesuffix(":latest")


@block("the container {name} was started from the current build of the image {image}")
def from_current_build(name: str, image: str):
    """Like :func:`from_image`; a container of an earlier build under the same name (on any engine's way of writing
    that name) is told to make way for one of the new build."""
    found = from_image(name, image)
    if found.met:
        return None
    typed = (get(name).attrs.get("Config") or {}).get("Image") or ""
    if _bare_image_name(typed) == _bare_image_name(image):
        return (
            f"the container was started from an older build of {image}: a rebuilt image gets a new id, and a container "
            f"keeps the image it started from; remove it (docker rm -f {name}) and docker run {image} again"
        )
    return found.reason


# -- added for notebook 08 --


@block("the container {name} publishes no port")
def publishes_nothing(name: str):
    """The container publishes no port on the host (other containers reach it over a network)."""
    bindings = _bindings(get(name))
    if not bindings:
        return None
    shown = ", ".join(sorted({f"{b.shown_ip}:{b.host_port or '(random port)'}->{b.container_port}/{b.protocol}" for b in bindings}))
    return (
        f"the container publishes {shown}; only other containers need it, and they reach it over the network: "
        f"start it without -p"
    )


def aliases(container, network: str) -> list[str]:
    """The extra names (network aliases) ``container`` answers to on ``network``, without the short id the
    engine may list among them."""
    settings = ((container.attrs.get("NetworkSettings") or {}).get("Networks") or {}).get(network) or {}
    return [a for a in settings.get("Aliases") or [] if a != container.id[:12] and a != container.name]


@block("the container {name} has the network alias {alias} on {network}")
def has_alias(name: str, network: str, alias: str):
    """On ``network``, the container answers to the extra name ``alias`` (``--network-alias`` or
    ``docker network connect --alias``)."""
    container = get(name)
    networks = (container.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    fix = f"docker network connect --alias {alias} {network} {name} (or --network-alias {alias} on docker run)"
    if network not in networks:
        elsewhere = [net for net in networks if alias in aliases(container, net)]
        where = f"it has the alias {alias} on {', '.join(elsewhere)}, but " if elsewhere else ""
        return f"{where}it is not attached to {network}, and an alias counts only on its own network; {fix}"
    own = aliases(container, network)
    if alias in own:
        return None
    if not own:
        return f"on {network} it has no alias, only its name; {fix}"
    close = typo_of(alias, own)
    listed = ", ".join(own)
    return f"on {network} its aliases are {listed}, not {alias}" + (" (a typo?)" if close else "") + f"; {fix}"
