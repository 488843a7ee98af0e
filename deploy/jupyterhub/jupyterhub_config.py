"""JupyterHub for a dockerlab class: one JupyterLab container per learner (DockerSpawner), and with
DLHUB_ENGINE one Docker engine per learner (see the modes below). See docs/hub.md.

Read by `jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`, with the packages of requirements.lock beside
it; every site-specific value comes from a DLHUB_* environment variable (docs/hub.md lists them with their
defaults), so scripts/hub_smoke.py runs this very file.
"""

import csv
import os
import sys

from dockerspawner import DockerSpawner

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

env = os.environ.get
state = env("DLHUB_STATE", "/srv/dlhub")
prefix = env("DLHUB_PREFIX", "dlhub")
network_name = env("DLHUB_NETWORK", f"{prefix}-net")

# -- the hub and its proxy ----------------------------------------------------------------------
# The public side (the login page and every learner's JupyterLab) listens on 127.0.0.1 only unless
# DLHUB_PROXY_IP says otherwise: 0.0.0.0 opens it to every network this machine is on, over plain HTTP
# (docs/hub.md, "Opening the hub to the room": put a TLS reverse proxy in front instead where you can).
c.JupyterHub.ip = env("DLHUB_PROXY_IP", "127.0.0.1")
c.JupyterHub.port = int(env("DLHUB_PROXY_PORT", "8000"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('DLHUB_PROXY_API_PORT', '8001')}"
if env("DLHUB_CHP"):
    c.ConfigurableHTTPProxy.command = [env("DLHUB_CHP")]


def learners_gateway() -> str:
    """The address of this host on the learners' network (made here if it does not exist yet): the
    learners' containers reach the hub's API there, and nothing else does. 127.0.0.1 if no engine answers
    (then no learner can start either, and the hub's log says why)."""
    import docker

    try:
        client = docker.from_env(timeout=20)
        try:
            network = client.networks.get(network_name)
        except docker.errors.NotFound:
            network = client.networks.create(network_name, driver="bridge", labels={"org.dockerlab.hub": "network"})
            network.reload()
        return network.attrs["IPAM"]["Config"][0]["Gateway"]
    except Exception as exc:  # noqa: BLE001 - said, and the hub stays on loopback
        print(f"jupyterhub_config: no gateway of {network_name} ({exc}); the hub's API listens on 127.0.0.1", file=sys.stderr)
        return "127.0.0.1"


# The hub's own API, which each learner's server calls: on the learners' network's gateway only (an
# address of this host on that bridge), never on every interface. DLHUB_HUB_IP overrides it.
c.JupyterHub.hub_ip = env("DLHUB_HUB_IP") or learners_gateway()
c.JupyterHub.hub_port = int(env("DLHUB_HUB_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.ConfigurableHTTPProxy.pid_file = f"{state}/proxy.pid"
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the learners' servers (their work stays: volumes below)
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}
c.JupyterHub.services = []
c.JupyterHub.load_roles = []

# -- who may log in -----------------------------------------------------------------------------
#   firstuse  (default) FirstUseAuthenticator: a user name and a password per learner, bcrypt-hashed in
#             DLHUB_STATE/passwords.dbm. The learners come from DLHUB_LEARNERS, the username,password file
#             that deploy/jupyterhub/cards.py writes beside the printable login cards: at the hub's start
#             each learner is allowed and, if they have no password yet, gets the card's. A learner changes
#             it at /hub/auth/change-password. Nobody else can log in (create_users is off: a name the hub
#             does not know is refused, whatever the password).
#   other     any authenticator's class or entry point name (e.g. "github" from OAuthenticator):
#             DLHUB_USERS, comma-separated, are then the allowed users.
AUTHENTICATOR = env("DLHUB_AUTHENTICATOR", "firstuse")
c.Authenticator.admin_users = set(filter(None, env("DLHUB_ADMINS", "").split(",")))
c.Authenticator.allowed_users = set(filter(None, env("DLHUB_USERS", "").split(",")))
if AUTHENTICATOR == "firstuse":
    import dbm

    import bcrypt
    from firstuseauthenticator import FirstUseAuthenticator

    def read_learners(path: str) -> dict[str, str]:
        with open(path, newline="", encoding="utf-8") as handle:
            return {row["username"].strip(): row["password"] for row in csv.DictReader(handle)}

    LEARNERS = read_learners(env("DLHUB_LEARNERS")) if env("DLHUB_LEARNERS") else {}

    class LearnerAuthenticator(FirstUseAuthenticator):
        """FirstUseAuthenticator whose learners start with the password printed on their card."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            added = kept = 0
            with dbm.open(self.dbm_path, "c", 0o600) as db:
                for username, password in LEARNERS.items():
                    key = self.normalize_username(username).encode()
                    if key in db:
                        kept += 1  # their password is theirs now: never reset it from the file
                        continue
                    if not self.validate_username(username) or not self._validate_password(password):
                        raise ValueError(f"DLHUB_LEARNERS: cannot register {username!r} (user name, or a password under "
                                         f"{self.min_password_length} characters)")
                    db[key] = bcrypt.hashpw(password.encode(), bcrypt.gensalt())
                    added += 1
            self.log.info("DLHUB_LEARNERS: %d learner(s) given their card's password, %d had one already", added, kept)

    c.JupyterHub.authenticator_class = LearnerAuthenticator
    c.FirstUseAuthenticator.dbm_path = f"{state}/passwords.dbm"
    c.FirstUseAuthenticator.create_users = False  # only the learners the hub knows may log in
    c.FirstUseAuthenticator.min_password_length = 10  # the cards' are 14 (12 random characters)
    c.Authenticator.allowed_users |= {name.lower() for name in LEARNERS}
    # Allowed once, allowed until removed (the learners file can go once the hub has started with it).
    c.Authenticator.allow_existing_users = True
else:
    c.JupyterHub.authenticator_class = AUTHENTICATOR

if env("DLHUB_SERVICE_TOKEN"):
    # A service (the smoke test, or an instructor's script) that starts, stops and reaches servers.
    c.JupyterHub.services.append({"name": "instructor", "api_token": env("DLHUB_SERVICE_TOKEN")})
    c.JupyterHub.load_roles.append({
        "name": "instructor", "services": ["instructor"],
        "scopes": ["list:users", "read:users", "servers", "access:servers", "list:services", "read:services"],
    })

# -- the idle culler: stops a server nobody has used for DLHUB_CULL_TIMEOUT seconds ----------------
# (default 3600: an hour without a browser tab or a running kernel; 0 turns it off). Its work stays in
# the learner's volume; logging in again starts a new server in seconds. Checked every DLHUB_CULL_EVERY s.
CULL_TIMEOUT = int(env("DLHUB_CULL_TIMEOUT", "3600"))
if CULL_TIMEOUT > 0:
    c.JupyterHub.services.append({
        "name": "idle-culler",
        "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={CULL_TIMEOUT}",
                    f"--cull-every={env('DLHUB_CULL_EVERY', '300')}"],
    })
    c.JupyterHub.load_roles.append({
        "name": "idle-culler", "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    })


# -- what each learner may use -------------------------------------------------------------------
# Defaults sized for 30 learners on a 2-core, 24 GiB machine (docs/hub.md, "Limits"). Memory cannot be
# shared by time, so the caps add up to what the machine has: 30 x (384 MiB + 320 MiB) = 20.6 GiB, leaving
# about 3 GiB for the system, the host's engine, the hub and the proxy. CPU is shared by time: each cap
# only keeps one learner from taking the machine (at most 0.5 + 1 of the 2 cores; the kernel's scheduler
# gives every busy container an equal share when all want more).
LEARNER_CPU = float(env("DLHUB_CPU", "0.5"))  # JupyterLab, its kernels and terminals
LEARNER_MEM = env("DLHUB_MEM", "384M")
LEARNER_PIDS = int(env("DLHUB_PIDS", "512"))
ENGINE_CPU = float(env("DLHUB_ENGINE_CPU", "1"))  # the learner's engine and every container it runs
ENGINE_MEM = env("DLHUB_ENGINE_MEM", "320M")
ENGINE_PIDS = int(env("DLHUB_ENGINE_PIDS", "1024"))

# -- one JupyterLab container per learner, and (DLHUB_ENGINE) one Docker engine per learner -------
#   (unset)  no engine: the notebooks run in read-only mode (they say so)
#   socket   an engine per learner already runs on the host (e.g. a rootless dockerd of that learner's
#            own Unix account); its socket, DLHUB_ENGINE_SOCKET with {username}, is mounted, nothing else.
#            Whoever runs those engines bounds them (DLHUB_ENGINE_* are for that: docs/hub.md).
#   dind     a Docker-in-Docker sidecar per learner: needs privileged containers
#   sysbox   the same sidecar under the Sysbox runtime (sysbox-runc), not privileged
ENGINE = env("DLHUB_ENGINE", "")
LEARNER_SOCKET = "/run/dind/docker.sock"


class LearnerSpawner(DockerSpawner):
    """DockerSpawner that gives the learner's container an engine of its own (never the host's).

    Sidecar modes start ``<prefix>-dind-<learner>`` right after the learner's container, in that
    container's network namespace (so ``-p 127.0.0.1:8080:80`` lands where the learner's kernel looks,
    as on a laptop), sharing its socket through the volume ``<prefix>-sock-<learner>``. The sidecar has
    the engine's limits and a cgroup namespace of its own, so the containers its engine starts are
    nested in its cgroup and count against them. Its data (``<prefix>-engine-<learner>``: images, volumes,
    stopped containers) is a volume kept across server restarts, like the learner's home.
    Not run on the project's machine (privileged containers fail there, Sysbox is not installed):
    see docs/hub.md for what each mode does and does not protect.
    """

    def _engine_names(self):
        user = self.escaped_name
        return f"{prefix}-dind-{user}", f"{prefix}-sock-{user}", f"{prefix}-engine-{user}"

    async def start(self):
        if ENGINE == "socket":
            socket = env("DLHUB_ENGINE_SOCKET", "/run/dlhub-engines/{username}.sock").format(username=self.escaped_name)
            self.volumes = {**self.volumes, socket: LEARNER_SOCKET}
            self.environment = {**self.environment, "DOCKER_HOST": f"unix://{LEARNER_SOCKET}"}
        elif ENGINE in ("dind", "sysbox"):
            _name, sock, _data = self._engine_names()
            self.volumes = {**self.volumes, sock: "/run/dind"}
            self.environment = {**self.environment, "DOCKER_HOST": f"unix://{LEARNER_SOCKET}"}
        started = await super().start()
        if ENGINE in ("dind", "sysbox"):
            await self._start_engine()
        return started

    async def stop(self, now=False):
        if ENGINE in ("dind", "sysbox"):
            await self._stop_engine()
        await super().stop(now=now)

    async def _start_engine(self):
        name, sock, data = self._engine_names()
        isolation = {"runtime": "sysbox-runc"} if ENGINE == "sysbox" else {"privileged": True}
        host_config = await self.docker(
            "create_host_config",
            network_mode=f"container:{self.container_name}",
            binds={sock: {"bind": "/run/dind", "mode": "rw"}, data: {"bind": "/var/lib/docker", "mode": "rw"}},
            mem_limit=ENGINE_MEM,
            cpu_period=100_000,
            cpu_quota=int(ENGINE_CPU * 100_000),
            pids_limit=ENGINE_PIDS,
            cgroupns="private",  # the inner engine's containers are made inside the sidecar's cgroup
            **isolation,
        )
        try:
            await self.docker("remove_container", name, force=True)
        except Exception:  # noqa: BLE001 - none yet
            pass
        await self.docker(
            "create_container",
            image=env("DLHUB_DIND_IMAGE", f"{prefix}-dind:latest"),
            name=name,
            host_config=host_config,
            labels={"org.dockerlab.hub": "engine", "org.dockerlab.hub.user": self.user.name},
            command=["dockerd", "-H", f"unix://{LEARNER_SOCKET}", "--group", "1000", "--iptables=false",
                     "--ip-masq=false", "--data-root", "/var/lib/docker"],
        )
        try:
            await self.docker("start", name)
        except Exception:
            await self._stop_engine()  # e.g. "unable to apply caps" where privileged containers are not allowed
            raise

    async def _stop_engine(self):
        """Remove the sidecar and its socket's volume; the engine's data volume stays for the next start
        (the culler's stop included). Its running containers stop with the sidecar."""
        name, sock, _data = self._engine_names()
        try:
            await self.docker("remove_container", name, force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
        try:
            await self.docker("remove_volume", sock, force=True)
        except Exception:  # noqa: BLE001
            pass


c.JupyterHub.spawner_class = LearnerSpawner
c.DockerSpawner.image = env("DLHUB_IMAGE", f"{prefix}-learner:latest")
c.DockerSpawner.prefix = prefix
c.DockerSpawner.name_template = "{prefix}-{username}"
c.DockerSpawner.network_name = network_name
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True  # a stopped server's container goes; the learner's home stays in a volume (below)
c.DockerSpawner.notebook_dir = "/home/learner/notebooks"
c.DockerSpawner.cpu_limit = LEARNER_CPU
c.DockerSpawner.mem_limit = LEARNER_MEM
c.DockerSpawner.extra_host_config = {"pids_limit": LEARNER_PIDS}
c.DockerSpawner.extra_create_kwargs = {"labels": {"org.dockerlab.hub": "learner"}}
# Each learner's home in a named volume of their own, <prefix>-home-<learner>: the first start fills it
# from the image (the notebooks, ready to run); from then on their notebooks, work/ folder and progress
# (~/.local/state/dockerlab) are kept across a server's stop and start, the culler's, and the hub's restart.
# A new learner image does not change a home that exists (docs/hub.md says how to hand out new notebooks).
c.DockerSpawner.volumes = {f"{prefix}-home-{{username}}": "/home/learner"}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 120
