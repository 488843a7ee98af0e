"""What KubeSpawner would ask a cluster for, from deploy/kubernetes/values.yaml (no cluster runs here).

Runs in the hub's venv (`make hub-smoke`: the real KubeSpawner and JupyterHub at the versions of
deploy/jupyterhub/requirements.lock), not in make test's: `pytest -c tests/hub/pytest.ini tests/hub`.
The values file's `hub.config` sections are loaded the way the chart's hub loads them (each section
updates `c[section]`), then KubeSpawner builds the learner's pod and home claim as it would on a start.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.config import kube_config
from kubespawner import KubeSpawner
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
VALUES = yaml.safe_load((ROOT / "deploy" / "kubernetes" / "values.yaml").read_text())
ONE_BOX = (ROOT / "deploy" / "jupyterhub" / "jupyterhub_config.py").read_text()


@pytest.fixture(scope="module", autouse=True)
def no_cluster(tmp_path_factory):
    """A kube config naming an API server nobody runs: KubeSpawner loads one when it is made, and
    building manifests never calls it (a call would fail: nothing listens on port 9)."""
    config = tmp_path_factory.mktemp("kube") / "config"
    config.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "https://127.0.0.1:9"}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none", "namespace": "dockerlab"}}],
        "users": [{"name": "none", "user": {"token": "unused"}}],
    }))
    with pytest.MonkeyPatch.context() as patch:
        # kubernetes_asyncio reads $KUBECONFIG once, when imported: point its default there instead.
        patch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(config))
        yield


class Learner:
    """The parts of a JupyterHub user KubeSpawner reads while it builds manifests."""

    def __init__(self, name: str):
        self.name = name
        self.id = abs(hash(name)) % 1000
        self.url = f"/user/{name}/"


def built(name: str):
    """(spawner, pod, home claim) for the learner ``name``: the two manifests as the JSON KubeSpawner would
    send to the cluster's API."""

    async def build():
        config = Config()
        for section, settings in VALUES["hub"]["config"].items():
            config[section].update(settings)
        # Made inside an event loop, as in the hub: KubeSpawner's API client wants one.
        spawner = KubeSpawner(config=config, user=Learner(name), _mock=True)
        as_sent = ApiClient().sanitize_for_serialization
        return spawner, as_sent(await spawner.get_pod_manifest()), as_sent(spawner.get_pvc_manifest())

    return asyncio.run(build())


@pytest.fixture(scope="module")
def pod(no_cluster):
    return built("ada")[1]


def containers(pod) -> dict:
    return {container["name"]: container for container in pod["spec"]["containers"]}


def mounts(container) -> dict[str, str]:
    """mount path -> volume name"""
    return {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}


def volumes(pod) -> dict:
    return {volume["name"]: volume for volume in pod["spec"]["volumes"]}


def test_a_learner_pod_is_jupyterlab_beside_an_engine_of_its_own(pod):
    assert set(containers(pod)) == {"notebook", "engine"}
    notebook, engine = containers(pod)["notebook"], containers(pod)["engine"]
    assert notebook["image"].endswith("/dlhub-learner:2026.12") and engine["image"].endswith("/dlhub-dind:2026.12")
    env = {variable["name"]: variable.get("value") for variable in notebook["env"]}
    assert env["DOCKER_HOST"] == "unix:///run/dind/docker.sock"
    command = engine["command"]
    assert command[:3] == ["dockerd", "-H", "unix:///run/dind/docker.sock"]
    # The socket's group is the learner's (gid 1000, the image's `learner`): they use it without being root.
    assert command[command.index("--group") + 1] == str(pod["spec"]["securityContext"]["fsGroup"]) == "1000"


def test_only_the_engine_is_privileged(pod):
    notebook, engine = containers(pod)["notebook"], containers(pod)["engine"]
    assert engine["securityContext"]["privileged"] is True
    assert not notebook["securityContext"].get("privileged")
    assert notebook["securityContext"]["runAsUser"] == 1000
    assert notebook["securityContext"]["allowPrivilegeEscalation"] is False


def test_limits_are_the_one_box_recipes(pod):
    notebook, engine = containers(pod)["notebook"], containers(pod)["engine"]
    # KubeSpawner writes 384M as bytes (it reads M as MiB, like Docker's --memory 384m).
    assert notebook["resources"]["limits"] == {"cpu": 0.5, "memory": 384 * 2**20}
    # All the memory reserved (it cannot be shared by time); a tenth of a core.
    assert notebook["resources"]["requests"] == {"cpu": 0.1, "memory": 384 * 2**20}
    assert engine["resources"]["limits"] == {"cpu": "1", "memory": "320M"}
    assert engine["resources"]["requests"]["memory"] == "320M"
    # The same caps as jupyterhub_config.py's defaults, so one box and a cluster size a class alike.
    for default in ('env("DLHUB_CPU", "0.5")', 'env("DLHUB_MEM", "384M")', 'env("DLHUB_ENGINE_CPU", "1")',
                    'env("DLHUB_ENGINE_MEM", "320M")'):
        assert default in ONE_BOX, f"the one-box recipe's default changed: {default}"


def test_home_is_a_claim_of_the_learners_own_and_the_engine_shares_only_its_socket(pod):
    notebook, engine = containers(pod)["notebook"], containers(pod)["engine"]
    assert mounts(notebook) == {"/home/learner": "home", "/run/dind": "engine-socket"}
    assert mounts(engine) == {"/run/dind": "engine-socket", "/var/lib/docker": "engine-data"}
    found = volumes(pod)
    assert found["home"]["persistentVolumeClaim"]["claimName"] == "dockerlab-home-ada"
    assert found["engine-socket"]["emptyDir"]["medium"] == "Memory"
    assert found["engine-data"]["emptyDir"]["sizeLimit"] == "10Gi"


def test_the_home_claim_kubespawner_makes(no_cluster):
    spawner, _pod, claim = built("ada")
    assert claim["metadata"]["name"] == "dockerlab-home-ada"
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"] == {"storage": "2Gi"}
    assert spawner.storage_pvc_ensure


def test_two_learners_share_nothing(no_cluster):
    ada, bob = (built(name)[1] for name in ("ada", "bob"))
    assert ada["metadata"]["name"] != bob["metadata"]["name"]
    claims = {volumes(pod)["home"]["persistentVolumeClaim"]["claimName"] for pod in (ada, bob)}
    assert claims == {"dockerlab-home-ada", "dockerlab-home-bob"}
    # The engine's data and socket are pod-local volumes: no learner's engine can reach another's.
    for pod in (ada, bob):
        assert {key for name in ("engine-socket", "engine-data") for key in volumes(pod)[name]} == {"name", "emptyDir"}


def test_idle_servers_are_culled_and_only_listed_learners_log_in():
    assert VALUES["cull"] == {"enabled": True, "timeout": 3600, "every": 300}
    auth = VALUES["hub"]["config"]
    assert auth["FirstUseAuthenticator"]["create_users"] is False
    assert auth["Authenticator"]["allowed_users"]
