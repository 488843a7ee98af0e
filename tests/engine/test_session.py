"""Labels, safe defaults, cleanup and the dead-session sweep, on the real engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from dockerlab.services import build
from dockerlab.engine import safety
from dockerlab.engine import session
from dockerlab import errors, labels


@pytest.fixture
def bystanders(docker_client, tmp_path):
    """A learner's own container, network, volume and image: unlabelled, made outside the course."""
    suffix = os.urandom(3).hex()
    image_dir = tmp_path / "img"
    image_dir.mkdir()
    (image_dir / "Dockerfile").write_text("FROM busybox:1.37\nCMD [\"true\"]\n")
    image_tag = f"learner-own-{suffix}:1"
    subprocess.run(["docker", "build", "-q", "-t", image_tag, str(image_dir)], check=True, capture_output=True)
    own = {
        "container": docker_client.containers.create("busybox:1.37", "sleep 1", name=f"learner-own-{suffix}"),
        "network": docker_client.networks.create(f"learner-own-{suffix}"),
        "volume": docker_client.volumes.create(f"learner-own-{suffix}"),
        "image": image_tag,
    }
    yield own
    own["container"].remove(force=True)
    own["network"].remove()
    own["volume"].remove(force=True)
    docker_client.images.remove(image_tag, force=True)


def _still_there(client, own) -> bool:
    client.containers.get(own["container"].id)
    client.networks.get(own["network"].id)
    client.volumes.get(own["volume"].name)
    client.images.get(own["image"])
    return True


def test_everything_created_is_labelled(course_session, docker_client, tmp_path):
    lesson = "test-labels"
    container = course_session.run("busybox:1.37", "sleep 30", lesson=lesson)
    network = course_session.network(course_session.name("net"), lesson=lesson)
    volume = course_session.volume(course_session.name("vol"), lesson=lesson)
    (tmp_path / "Dockerfile").write_text("FROM busybox:1.37\n")
    built = build.build(tmp_path, None, lesson=lesson)
    try:
        for attrs_labels in (
            container.labels,
            docker_client.networks.get(network.id).attrs["Labels"],
            docker_client.volumes.get(volume.name).attrs["Labels"],
        ):
            assert attrs_labels[labels.MANAGED] == "true"
            assert attrs_labels[labels.SESSION] == course_session.id
            assert attrs_labels[labels.LESSON] == lesson
        image_labels = docker_client.images.get(built.image_id).labels
        assert image_labels[labels.IMAGE_SESSION] == course_session.id
        assert image_labels[labels.IMAGE_LESSON] == lesson
        assert labels.MANAGED not in image_labels  # containers inherit image labels
    finally:
        removed = course_session.cleanup(lesson=lesson)
    assert container.name in removed.containers
    assert network.name in removed.networks and volume.name in removed.volumes
    assert built.image_id[7:19] in removed.images  # untagged: nothing can use it any more


def test_learner_containers_get_limits_and_loopback_ports(course_session):
    container = course_session.run("busybox:1.37", "sleep 30", ports={"80/tcp": None})
    try:
        host = container.attrs["HostConfig"]
        assert host["Memory"] == 256 * 1024 * 1024
        assert host["PidsLimit"] == session.DEFAULT_PIDS
        assert host["LogConfig"]["Config"]["max-size"] == "1m"
        binding = container.attrs["NetworkSettings"]["Ports"]["80/tcp"][0]
        assert binding["HostIp"] == "127.0.0.1" and int(binding["HostPort"]) > 0
        assert not host["Privileged"]
    finally:
        container.remove(force=True)


def test_cleanup_leaves_the_learners_own_things_alone(course_session, docker_client, bystanders):
    course_session.run("busybox:1.37", "sleep 30", lesson="test-bystanders")
    subprocess.run(["docker", "run", "-d", "--name", course_session.name("cli-made"), "busybox:1.37", "sleep", "30"],
                   check=True, capture_output=True)
    removed = course_session.cleanup()
    assert course_session.name("cli-made") in removed.containers
    assert _still_there(docker_client, bystanders)


def test_session_named_images_go_with_the_session_not_with_a_lesson_reset(course_session, docker_client, bystanders):
    """`docker build -t greeter-<session>` in a notebook: the tag stays through lesson.reset() and
    goes when the session ends. The same image under a learner's own name stays (removal is by
    name, not id)."""
    mine = course_session.name("greeter") + ":latest"
    shared = f"learner-copy-{os.urandom(3).hex()}:1"
    for tag in (mine, shared):
        subprocess.run(["docker", "tag", bystanders["image"], tag], check=True, capture_output=True)
    try:
        assert mine not in course_session.cleanup(lesson="some-lesson").images
        docker_client.images.get(mine)
        removed = course_session.cleanup()
        assert mine in removed.images
        assert mine not in (docker_client.images.get(bystanders["image"]).tags or [])
        assert shared in docker_client.images.get(bystanders["image"]).tags
        assert _still_there(docker_client, bystanders)
    finally:
        for tag in (mine, shared):
            subprocess.run(["docker", "rmi", tag], capture_output=True)


@pytest.mark.parametrize(
    "options",
    [
        {"privileged": True},
        {"volumes": {"/var/run/docker.sock": {"bind": "/var/run/docker.sock", "mode": "rw"}}},
        {"volumes": ["/run/docker.sock:/sock"]},
        {"volumes": {"/": {"bind": "/host", "mode": "ro"}}},
        {"pid_mode": "host"},
        {"uts_mode": "host"},
        {"ipc_mode": "host"},
        {"userns_mode": "host"},
        {"cap_add": ["SYS_ADMIN"]},
        {"cap_add": ["CAP_SYS_MODULE"]},
        {"cap_add": ["sys_ptrace"]},
        {"cap_add": ["NET_BIND_SERVICE", "NET_ADMIN"]},
        {"cap_add": ["ALL"]},
        {"devices": ["/dev/null:/dev/host-null:rwm"]},
        {"security_opt": ["seccomp=unconfined"]},
        {"security_opt": ["apparmor:unconfined"]},
    ],
)
def test_unsafe_requests_are_refused_before_reaching_the_engine(course_session, docker_client, options):
    lesson = "test-refused"
    with pytest.raises(errors.Refused) as raised:
        course_session.run("busybox:1.37", "true", lesson=lesson, **options)
    assert raised.value.message.startswith("dockerlab will not start this container: it ")
    key = next(iter(options))
    if key != "volumes":  # a mount's fix says what to mount instead
        assert f"`{key}`" in raised.value.fix  # the fix names the option the caller wrote
    ours = docker_client.containers.list(all=True, filters={"label": labels.filter_for(course_session.id, lesson)})
    assert ours == []


def test_safe_options_are_not_refused(course_session):
    """The hardening a lesson teaches passes: a harmless capability, no-new-privileges, a plain bind."""
    container = course_session.run(
        "busybox:1.37", "true", lesson="test-safe-options", cap_drop=["ALL"], cap_add=["NET_BIND_SERVICE"],
        security_opt=["no-new-privileges"], volumes={"/tmp": {"bind": "/host-tmp", "mode": "ro"}},
    )
    try:
        assert container.attrs["HostConfig"]["CapAdd"] == ["NET_BIND_SERVICE"]
    finally:
        container.remove(force=True)


def test_host_access_reads_what_the_engine_recorded(course_session, docker_client):
    """The checks judge an inspected container (made with docker-py directly, as a learner's CLI would)
    by the same rules that refuse the helper's own requests."""
    risky = docker_client.containers.create(
        "busybox:1.37", "true", name=course_session.name("risky"), labels=course_session.labels("test-host-access"),
        cap_add=["NET_ADMIN"], devices=["/dev/null:/dev/host-null:rwm"], security_opt=["seccomp=unconfined"],
        uts_mode="host", volumes={"/var/run/docker.sock": {"bind": "/sock", "mode": "ro"}},
    )
    plain = docker_client.containers.create("busybox:1.37", "true", name=course_session.name("plain"),
                                            labels=course_session.labels("test-host-access"))
    try:
        found = safety.host_access(risky.attrs["HostConfig"])
        for words in ("capability NET_ADMIN", "host device /dev/null", "seccomp=unconfined",
                      "hostname (UTS) namespace (`--uts` is host)", "engine's socket (/var/run/docker.sock)"):
            assert any(words in line for line in found), (words, found)
        assert safety.host_access(plain.attrs["HostConfig"]) == []
    finally:
        course_session.cleanup(lesson="test-host-access")


def _child(code: str, state_dir) -> subprocess.Popen:
    env = {**os.environ, "DOCKERLAB_STATE": str(state_dir)}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


CHILD = """
    import sys, time
    from dockerlab.engine import session
    s = session.current()
    s.run("busybox:1.37", "sleep 300", name=s.name("left"), lesson="test-sweep")
    s.network(s.name("left-net"), lesson="test-sweep")
    print(s.id, flush=True)
    sys.stdin.readline()  # until the test closes our stdin: then a normal exit
"""


def test_sweep_removes_what_a_killed_kernel_left_and_spares_live_sessions(course_session, docker_client, tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKERLAB_STATE", str(session.state_dir()))  # children share our state dir
    killed = _child(CHILD, session.state_dir())
    alive = _child(CHILD, session.state_dir())
    try:
        killed_id = killed.stdout.readline().strip()
        alive_id = alive.stdout.readline().strip()
        killed.send_signal(signal.SIGKILL)  # no atexit cleanup: as a crashed kernel
        killed.wait()
        removed = session.sweep_dead()
        assert f"left-{killed_id}" in removed.containers and f"left-net-{killed_id}" in removed.networks
        assert all(alive_id not in name for name in removed.containers + removed.networks)
        docker_client.containers.get(f"left-{alive_id}")  # still there
    finally:
        alive.stdin.close()  # a normal exit, as a kernel shut down from Jupyter: atexit cleans up
        alive.wait(timeout=60)
    assert docker_client.containers.list(all=True, filters={"name": f"left-{alive_id}"}) == []


def test_a_session_of_another_machine_is_never_swept(course_session, docker_client):
    foreign = "dl0f0f0f"  # no state file here: it may live on another machine sharing the engine
    container = docker_client.containers.create("busybox:1.37", "true", name=f"x-{foreign}")
    try:
        assert f"x-{foreign}" not in session.sweep_dead().containers
    finally:
        container.remove(force=True)


def test_a_dead_session_of_another_engine_keeps_its_files(course_session, monkeypatch):
    # A kernel that used another engine on this machine (a classroom machine running two) died:
    # this engine cannot see its resources, so its files must stay for a sweep on its own engine.
    monkeypatch.setenv("DOCKER_HOST", "unix:///var/run/some-other-engine.sock")
    other = session.Session()
    other._drop_lock()  # as if its process died
    monkeypatch.delenv("DOCKER_HOST")
    info = session.state_dir() / "sessions" / f"{other.id}.json"
    try:
        session.sweep_dead()
        assert info.exists()
    finally:
        info.unlink(missing_ok=True)
        info.with_suffix(".lock").unlink(missing_ok=True)
