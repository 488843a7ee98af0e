"""JupyterHub for a dockerlab class: one JupyterLab container per learner (DockerSpawner), and with
DLHUB_ENGINE one Docker engine per learner (see the modes below). See docs/classroom.md.

Read by `jupyterhub -f deploy/jupyterhub/jupyterhub_config.py`; every site-specific value comes from
an environment variable, so scripts/hub_smoke.py runs this very file. For a real class, replace the
null authenticator and the fixed service token (see docs/classroom.md, "Before real learners").
"""

import os

from dockerspawner import DockerSpawner

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

env = os.environ.get
state = env("DLHUB_STATE", "/srv/dlhub")
prefix = env("DLHUB_PREFIX", "dlhub")

# -- the hub and its proxy: the public side on loopback (put a TLS reverse proxy in front) -------
c.JupyterHub.ip = env("DLHUB_PROXY_IP", "127.0.0.1")
c.JupyterHub.port = int(env("DLHUB_PROXY_PORT", "8000"))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('DLHUB_PROXY_API_PORT', '8001')}"
if env("DLHUB_CHP"):
    c.ConfigurableHTTPProxy.command = [env("DLHUB_CHP")]
# Learner containers call the hub's API: it listens on the gateway of the learners' network
# (an address of this host on that bridge only), not on every interface.
c.JupyterHub.hub_ip = env("DLHUB_HUB_IP", "0.0.0.0")
c.JupyterHub.hub_port = int(env("DLHUB_HUB_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{state}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{state}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = f"{state}/jupyterhub.pid"
c.ConfigurableHTTPProxy.pid_file = f"{state}/proxy.pid"
c.JupyterHub.cleanup_servers = True  # stopping the hub stops the learners' servers
c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}

# -- who may log in ---------------------------------------------------------------------------
c.Authenticator.allowed_users = set(filter(None, env("DLHUB_USERS", "").split(",")))
c.JupyterHub.authenticator_class = env("DLHUB_AUTHENTICATOR", "null")  # smoke test only: API tokens, no login page
if env("DLHUB_SERVICE_TOKEN"):
    # A service (the smoke test, or an instructor's script) that starts, stops and reaches servers.
    c.JupyterHub.services = [{"name": "instructor", "api_token": env("DLHUB_SERVICE_TOKEN")}]
    c.JupyterHub.load_roles = [
        {"name": "instructor", "scopes": ["read:users", "servers", "access:servers"], "services": ["instructor"]}
    ]


# -- one JupyterLab container per learner, and (DLHUB_ENGINE) one Docker engine per learner -------
#   (unset)  no engine: the notebooks run in read-only mode (they say so)
#   socket   an engine per learner already runs on the host (e.g. a rootless dockerd of that learner's
#            own Unix account); its socket, DLHUB_ENGINE_SOCKET with {username}, is mounted, nothing else
#   dind     a Docker-in-Docker sidecar per learner: needs privileged containers
#   sysbox   the same sidecar under the Sysbox runtime (sysbox-runc), not privileged
ENGINE = env("DLHUB_ENGINE", "")
LEARNER_SOCKET = "/run/dind/docker.sock"


class LearnerSpawner(DockerSpawner):
    """DockerSpawner that gives the learner's container an engine of its own (never the host's).

    Sidecar modes start ``<prefix>-dind-<learner>`` right after the learner's container, in that
    container's network namespace (so ``-p 127.0.0.1:8080:80`` lands where the learner's kernel looks,
    as on a laptop), sharing its socket through the volume ``<prefix>-sock-<learner>``.
    Not run on the project's machine (privileged containers fail there, Sysbox is not installed):
    see docs/classroom.md for what each mode does and does not protect.
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
            mem_limit=env("DLHUB_ENGINE_MEM", "2g"),
            pids_limit=1024,
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
                     "--ip-masq=false", "--data-root", "/var/lib/docker", "--cgroup-parent", f"/{name}"],
        )
        try:
            await self.docker("start", name)
        except Exception:
            await self._stop_engine()  # e.g. "unable to apply caps" where privileged containers are not allowed
            raise

    async def _stop_engine(self):
        name, sock, data = self._engine_names()
        try:
            await self.docker("remove_container", name, force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass
        for volume in (sock, data):
            try:
                await self.docker("remove_volume", volume, force=True)
            except Exception:  # noqa: BLE001
                pass


c.JupyterHub.spawner_class = LearnerSpawner
c.DockerSpawner.image = env("DLHUB_IMAGE", f"{prefix}-learner:latest")
c.DockerSpawner.prefix = prefix
c.DockerSpawner.name_template = "{prefix}-{username}"
c.DockerSpawner.network_name = env("DLHUB_NETWORK", f"{prefix}-net")
c.DockerSpawner.use_internal_ip = True
c.DockerSpawner.remove = True  # a stopped server's container goes; keep work in a volume (below) for a real class
c.DockerSpawner.notebook_dir = "/home/learner/notebooks"
c.DockerSpawner.mem_limit = env("DLHUB_MEM", "1G")
c.DockerSpawner.extra_host_config = {"pids_limit": 512}
c.DockerSpawner.extra_create_kwargs = {"labels": {"org.dockerlab.hub": "learner"}}
if env("DLHUB_WORK_VOLUMES") == "1":
    c.DockerSpawner.volumes = {f"{prefix}-work-{{username}}": "/home/learner/notebooks/work"}
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 120
