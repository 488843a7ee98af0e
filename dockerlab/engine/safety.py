"""What a container may never have from dockerlab: a way into the host.

One set of rules judges three forms of the same request, each first turned into a
:class:`HostRequest`:

* docker-py ``containers.create`` options (:meth:`dockerlab.session.Session.run`);
* the services of ``docker compose config --format json`` (:func:`dockerlab.compose.up`);
* an inspected container's ``HostConfig`` (the exercise checks, through :func:`host_access`).

:func:`dangers` applies the rules. dockerlab refuses to create anything they find
(:class:`errors.Refused`, before the engine is asked); a check reports them as "not yet".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from dockerlab import engine
from dockerlab import errors

_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")

#: Capabilities that each open a way into the host, and what they allow.
DANGEROUS_CAPS = {
    "ALL": "it has every capability, SYS_ADMIN included: close to root on the host",
    "SYS_ADMIN": "it may mount filesystems and much more: close to root on the host",
    "SYS_MODULE": "it may load modules into the host's kernel, code that runs with no limits at all",
    "SYS_PTRACE": "it may read and change the memory of any process it can see",
    "NET_ADMIN": "it may reconfigure network interfaces and firewall rules",
}

#: Namespaces a container must not share with the host: (their name in words, what sharing gives it).
HOST_NAMESPACES = {
    "pid": ("process", "it sees, and may signal, every process of the machine"),
    "network": ("network", "it uses the host's own network interfaces, past the rule that ports bind 127.0.0.1"),
    "ipc": ("IPC", "it reaches the shared memory of the host's processes"),
    "uts": ("hostname (UTS)", "it may change the machine's hostname"),
    "userns": ("user", "it opts out of user-namespace remapping: its root is the host's root"),
}

# How each form spells a setting: to read it, and so that a fix names the key the caller wrote.
_CREATE_KEYS = {"pid": "pid_mode", "network": "network_mode", "ipc": "ipc_mode", "uts": "uts_mode",
                "userns": "userns_mode", "privileged": "privileged", "cap_add": "cap_add",
                "devices": "devices", "security_opt": "security_opt"}
_COMPOSE_KEYS = {"pid": "pid", "network": "network_mode", "ipc": "ipc", "uts": "uts", "userns": "userns_mode",
                 "privileged": "privileged", "cap_add": "cap_add", "devices": "devices", "security_opt": "security_opt"}
_INSPECT_KEYS = {"pid": "PidMode", "network": "NetworkMode", "ipc": "IpcMode", "uts": "UTSMode", "userns": "UsernsMode",
                 "privileged": "Privileged", "cap_add": "CapAdd", "devices": "Devices", "security_opt": "SecurityOpt"}
_CLI_FLAGS = {"pid": "--pid", "network": "--network", "ipc": "--ipc", "uts": "--uts", "userns": "--userns",
              "privileged": "--privileged", "cap_add": "--cap-add", "devices": "--device", "security_opt": "--security-opt"}


@dataclass
class HostRequest:
    """What a container asks of the host, whichever form the request came in.

    Attributes:
        privileged: Privileged mode (for Compose, also a privileged build).
        host_namespaces: Namespaces shared with the host (keys of :data:`HOST_NAMESPACES`).
        cap_add: Added capabilities, upper case, without ``CAP_``.
        devices: Host paths of devices handed in.
        security_opt: Security options as written (``seccomp=unconfined``...).
        mounts: Host paths bind-mounted (or bound through a local volume's ``device``).
        keys: How the request's form spells each setting (``pid`` -> ``pid_mode``).
    """

    privileged: bool = False
    host_namespaces: list[str] = field(default_factory=list)
    cap_add: set[str] = field(default_factory=set)
    devices: list[str] = field(default_factory=list)
    security_opt: list[str] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=lambda: dict(_CREATE_KEYS))

    @classmethod
    def _read(cls, settings: dict, keys: dict[str, str], mounts: list[str], shown_as: dict[str, str] | None = None) -> HostRequest:
        """From ``settings`` in any form: ``keys`` says how the form spells each setting, ``mounts`` are its host paths.

        Args:
            shown_as: How fixes name each setting, when not as ``keys`` do (an inspected container's
                ``HostConfig`` is fixed with ``docker run`` flags).
        """
        return cls(
            privileged=bool(settings.get(keys["privileged"])),
            host_namespaces=[ns for ns in HOST_NAMESPACES if settings.get(keys[ns]) == "host"],
            cap_add=_caps(settings.get(keys["cap_add"])),
            devices=[_device_source(d) for d in settings.get(keys["devices"]) or ()],
            security_opt=[str(o) for o in settings.get(keys["security_opt"]) or ()],
            mounts=mounts,
            keys=dict(shown_as or keys),
        )

    @classmethod
    def from_create_options(cls, options: dict) -> HostRequest:
        """From docker-py ``containers.create``/``run`` keyword arguments."""
        return cls._read(options, _CREATE_KEYS, _create_mount_sources(options))

    @classmethod
    def from_compose_service(cls, service: dict, project: dict | None = None) -> HostRequest:
        """From one service of ``docker compose config --format json``.

        Args:
            service: The service's resolved settings.
            project: The whole resolved project, for the files its ``secrets`` and ``configs``
                bind into the container.
        """
        build = service.get("build") if isinstance(service.get("build"), dict) else {}
        mounts = [v.get("source", "") for v in service.get("volumes") or () if v.get("type") == "bind"]
        for kind in ("secrets", "configs"):
            declared = (project or {}).get(kind) or {}
            for used in service.get(kind) or ():
                source = declared.get(used.get("source") if isinstance(used, dict) else used) or {}
                if source.get("file"):
                    mounts.append(source["file"])
        request = cls._read(service, _COMPOSE_KEYS, mounts)
        request.privileged = request.privileged or bool(build.get("privileged"))
        return request

    @classmethod
    def from_host_config(cls, host_config: dict) -> HostRequest:
        """From an inspected container's ``HostConfig``; fixes name the ``docker run`` flags."""
        mounts = [str(b).split(":", 1)[0] for b in host_config.get("Binds") or ()]
        mounts += [m.get("Source", "") for m in host_config.get("Mounts") or () if m.get("Type", "bind") == "bind"]
        return cls._read(host_config, _INSPECT_KEYS, mounts, shown_as=_CLI_FLAGS)


@dataclass
class Danger:
    """One way into the host that a request asks for.

    Attributes:
        setting: What is asked, in words ("it runs privileged").
        why: What that gives the container.
        fix: What to change.
    """

    setting: str
    why: str
    fix: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.why}"

    def refused(self, what: str = "this container") -> errors.Refused:
        """The error dockerlab raises instead of creating ``what``."""
        return errors.Refused(f"dockerlab will not start {what}: {self.setting}, so {self.why}.", self.fix)


def dangers(request: HostRequest) -> list[Danger]:
    """Every way into the host that ``request`` asks for (empty when there is none)."""
    keys = request.keys
    found = []
    if request.privileged:
        found.append(Danger(
            "it runs --privileged",
            "it has every capability and all host devices, whatever cap_drop says, and can take over the machine",
            f"Remove `{keys['privileged']}`; add only the one capability the container needs with `{keys['cap_add']}`, if any.",
        ))
    for ns in request.host_namespaces:
        words, why = HOST_NAMESPACES[ns]
        found.append(Danger(f"it shares the host's {words} namespace (`{keys[ns]}` is host)", why, f"Remove `{keys[ns]}`."))
    for cap in sorted(request.cap_add & set(DANGEROUS_CAPS)):
        found.append(Danger(
            f"it adds the capability {cap}", DANGEROUS_CAPS[cap],
            f"Remove {cap} from `{keys['cap_add']}`; add only the one capability the container needs "
            "(NET_BIND_SERVICE to listen below port 1024, say).",
        ))
    for device in request.devices:
        found.append(Danger(
            f"it is handed the host device {device}",
            "it reaches the machine's hardware directly, past the container's isolation",
            f"Remove `{keys['devices']}`: the course's containers need no host devices.",
        ))
    for option in request.security_opt:
        if _disables_confinement(option):
            found.append(Danger(
                f"it turns off a kernel security profile ({option})",
                "the kernel stops filtering what the container may ask of it (the work of seccomp, AppArmor and "
                "SELinux), and breaking out is much easier",
                f"Remove {option!r} from `{keys['security_opt']}`.",
            ))
    found += [d for d in map(mount_danger, request.mounts) if d is not None]
    return found


def refuse_unsafe(options: dict) -> None:
    """Raise :class:`errors.Refused` for docker-py create options that would hand a container the host."""
    found = dangers(HostRequest.from_create_options(options))
    if found:
        raise found[0].refused()


def refuse_unsafe_volume(driver_opts: dict | None, name: str = "") -> None:
    """Raise :class:`errors.Refused` for a local volume that is really a bind of a dangerous host path."""
    device = (driver_opts or {}).get("device")
    danger = mount_danger(str(device)) if device else None
    if danger is not None:
        volume = f"the volume {name}" if name else "this volume"
        raise errors.Refused(f"dockerlab will not create {volume}: it binds the host path {device} into any "
                             f"container that mounts it, so {danger.why}.", danger.fix)


def refuse_unsafe_project(raw: dict, file: str = "the compose file") -> None:
    """Raise :class:`errors.Refused` if any service or volume of a resolved Compose project is unsafe.

    Args:
        raw: ``docker compose config --format json``, parsed.
        file: How to name the file in the message.
    """
    for name, volume in sorted((raw.get("volumes") or {}).items()):
        refuse_unsafe_volume((volume or {}).get("driver_opts"), f"{name} of {file}")
    for name, service in sorted((raw.get("services") or {}).items()):
        found = dangers(HostRequest.from_compose_service(service, raw))
        if found:
            raise found[0].refused(f"the service {name} of {file}")


def host_access(host_config: dict) -> list[str]:
    """What in an inspected container's ``HostConfig`` hands it the host, in plain words (empty if nothing).

    The checks use it to judge a learner's container; :func:`refuse_unsafe` keeps dockerlab's own
    containers from ever having any of it.
    """
    return [str(d) for d in dangers(HostRequest.from_host_config(host_config))]


def engine_sockets() -> set[str]:
    """Where the engine's socket is on this machine: the usual places and the one in use, resolved."""
    paths = set(_SOCKETS)
    in_use = engine.address().socket  # a context's socket may be anywhere (rootless, Docker Desktop)
    if in_use:
        paths.add(in_use)
    return paths | {os.path.realpath(p) for p in paths}


def host_path_danger(source: str) -> str | None:
    """Why bind-mounting the host path ``source`` hands a container the host, or None.

    The path is resolved first (``//``, ``..`` and symlinks such as ``/var/run`` -> ``/run``), and a
    folder that holds the engine's socket is as dangerous as the socket itself.

    Returns:
        ``"root"``, ``"socket"``, ``"folder:<socket path>"``, or None.
    """
    if not source.startswith("/"):
        return None  # a named volume
    real = os.path.realpath(source)
    if real == "/":
        return "root"
    for socket_path in engine_sockets():
        if real == socket_path or real.endswith("/docker.sock") or os.path.normpath(source) == socket_path:
            return "socket"
        if socket_path.startswith(real.rstrip("/") + "/"):
            return f"folder:{socket_path}"
    return None


def mount_danger(source: str) -> Danger | None:
    """The :class:`Danger` of bind-mounting the host path ``source``, or None."""
    danger = host_path_danger(source)
    if danger is None:
        return None
    if danger == "socket":
        return Danger(
            f"it mounts the engine's socket ({source})",
            "whoever controls the container can start any container through it, a privileged one included, and owns the host",
            "Remove the socket mount. A container that must build images needs a separate, rootless builder, "
            "not the host's engine.",
        )
    if danger == "root":
        return Danger("it mounts the host's /", "it can read and change every file of the machine",
                      "Mount only the one folder the container needs.")
    return Danger(
        f"it mounts {source}, which holds the engine's socket ({danger.removeprefix('folder:')})",
        "whoever controls the container can talk to the engine through it and owns the host",
        "Mount only the one folder the container needs, one that holds no engine socket.",
    )


def _device_source(device) -> str:
    """The host path of a device: ``"/dev/x:/dev/y:rwm"``, Compose's ``{"source": ...}`` or inspect's ``{"PathOnHost": ...}``."""
    if isinstance(device, dict):
        return str(device.get("source") or device.get("PathOnHost") or "")
    return str(device).split(":", 1)[0]


def _caps(values) -> set[str]:
    return {str(c).upper().removeprefix("CAP_") for c in values or ()}


def _disables_confinement(option: str) -> bool:
    """``seccomp=unconfined``, ``apparmor:unconfined``, ``systempaths=unconfined``, ``label=disable``..."""
    key, _sep, value = option.replace(":", "=", 1).partition("=")
    return value.strip().lower() == "unconfined" or (key.strip().lower() == "label" and value.strip().lower() == "disable")


def _create_mount_sources(options: dict) -> list[str]:
    """Host paths in docker-py's ``volumes`` (dict or list form) and ``mounts`` (``docker.types.Mount``)."""
    sources: list[str] = []
    volumes = options.get("volumes") or {}
    if isinstance(volumes, dict):
        sources += list(volumes)
    else:
        sources += [str(v).split(":", 1)[0] for v in volumes]
    for mount in options.get("mounts") or ():
        get = mount.get if isinstance(mount, dict) else getattr(mount, "get", lambda _k, _d=None: None)
        source = get("Source")
        if source:
            sources.append(source)
        # A "local" volume with type none / o bind is a bind of its device: judge the device.
        driver = (get("VolumeOptions") or {}).get("DriverConfig") or {}
        device = (driver.get("Options") or {}).get("device")
        if device:
            sources.append(str(device))
    return sources
