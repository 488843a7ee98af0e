"""Notebook 08's claims about the engine, checked against the engine the tests run on.

What the notebook shows about networks holds on every engine of the matrix (20.10 and 28.5, the engine
visible or not): the three built-in networks; no names on the default bridge; Docker's DNS at 127.0.0.11 on
a user-defined network, answering only for that network; traffic between two bridge networks dropped (a
timeout, not a refusal); a container reachable at its own port from its network and at the published
port from this machine; the exercises' too: a network alias, a second name valid on its network only, given
to a running container; the counter's errors (`nc: bad address` on the default bridge, `Connection refused`
at the host's port) and Redis's answers. These tests do each for real, so an engine that behaves otherwise fails here.

Podman 4.3 (row p) differs in two: through Docker's API it lists one network, `bridge` (its own `podman`
network under Docker's name; `host` and `none` are still modes of `--network`), and its DNS server, aardvark-dns,
answers at the network's gateway with the names under `dns.podman`. The rest holds there too. The client
containers run without `--rm` and their exit code is read with `docker inspect`: Podman 4.3's `docker run --rm`
exits with 0 whatever the program did.
"""

from __future__ import annotations

import itertools
import re
import subprocess
import time
import urllib.request

import pytest

from dockerlab.jupyter.lesson import Lesson
from support import docker

pytestmark = pytest.mark.engine


_clients = itertools.count()


def wget(nets: dict, *args: str, network: str | None = None, seconds: int = 3) -> subprocess.CompletedProcess:
    """busybox's wget in a container of its own, its exit code the container's as `docker inspect` reads it."""
    name = f"{nets['api']}-wget{next(_clients)}"
    net = ["--network", network] if network else []
    try:
        done = docker("run", "--name", name, *net, "busybox:1.37", "wget", "-qO-", "-T", str(seconds), *args, check=False)
        code = docker("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip()
        return subprocess.CompletedProcess(done.args, int(code), done.stdout, done.stderr)
    finally:
        docker("rm", "-f", name, check=False)


@pytest.fixture(scope="module")
def nets(docker_client, tmp_path_factory):
    """Two user-defined networks, an nginx on each (one publishing its port 80 on 127.0.0.1)."""
    lesson = Lesson("08-networks", workdir=tmp_path_factory.mktemp("claims-08"))
    front, back = lesson.name("claims-front"), lesson.name("claims-back")
    api, admin = lesson.name("claims-api"), lesson.name("claims-admin")
    port, cache_port = lesson.port(8080), lesson.port(16379)
    try:
        docker("network", "create", front)
        docker("network", "create", back)
        docker("run", "-d", "--name", api, "--network", front, "-p", f"127.0.0.1:{port}:80", "nginx:stable")
        docker("run", "-d", "--name", admin, "--network", back, "nginx:stable")
        for network, server in ((front, api), (back, admin)):  # both serving before the tests ask
            docker("run", "--rm", "--network", network, "busybox:1.37", "sh", "-c",
                   f"for i in $(seq 40); do wget -qO- -T 1 http://{server}/ >/dev/null 2>&1 && exit 0; sleep 0.25; done; exit 1")
        yield {"front": front, "back": back, "api": api, "admin": admin, "port": port, "cache_port": cache_port}
    finally:
        lesson.reset()


def ip_of(container: str) -> str:
    return docker("inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container).stdout.strip()


def test_three_builtin_networks(kind):
    if kind.product == "Podman":
        # no `type` filter (%%needs filters); the networks a fresh engine lists: Podman's own, named bridge
        refused = docker("network", "ls", "--filter", "type=builtin", check=False)
        assert refused.returncode != 0 and "invalid filter" in refused.stderr, refused
        named = docker("network", "ls", "--format", "{{.Name}} {{.Driver}}").stdout.split("\n")
        assert "bridge bridge" in named and not {"host host", "none null"} & set(named), named
        assert docker("run", "--rm", "--network", "none", "busybox:1.37", "ip", "-o", "link").stdout.startswith("1: lo:")
        return
    names = docker("network", "ls", "--filter", "type=builtin", "--format", "{{.Name}} {{.Driver}}").stdout.split("\n")
    assert sorted(n for n in names if n) == ["bridge bridge", "host host", "none null"]


def test_the_default_bridge_has_no_names(nets):
    web = nets["api"] + "-bridge"
    docker("run", "-d", "--name", web, "nginx:stable")
    try:
        docker("run", "--rm", "busybox:1.37", "sh", "-c",
               f"for i in $(seq 40); do wget -qO- -T 1 http://{ip_of(web)}/ >/dev/null 2>&1 && exit 0; sleep 0.25; done; exit 1")
        by_name = wget(nets, f"http://{web}/")
        assert by_name.returncode != 0 and f"bad address '{web}'" in by_name.stderr, by_name
        by_address = wget(nets, f"http://{ip_of(web)}/")
        assert by_address.returncode == 0 and "<title>Welcome to nginx!</title>" in by_address.stdout, by_address
    finally:
        docker("rm", "-f", web)


def test_dns_at_127_0_0_11_answers_for_its_own_network(nets, kind):
    found = docker("run", "--rm", "--network", nets["front"], "busybox:1.37", "sh", "-c",
                   f"grep nameserver /etc/resolv.conf; nslookup {nets['api']}").stdout
    if kind.product == "Podman":  # aardvark-dns at the network's gateway, names under dns.podman
        gateway = docker("network", "inspect", "--format", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", nets["front"]).stdout.strip()
        assert found.splitlines()[0] == f"nameserver {gateway}", found
        assert f"Name:\t{nets['api']}.dns.podman\nAddress: {ip_of(nets['api'])}\n" in found, found
    else:
        assert "nameserver 127.0.0.11" in found
        assert f"Name:\t{nets['api']}\nAddress: {ip_of(nets['api'])}\n" in found, found
    page = wget(nets, f"http://{nets['api']}/", network=nets["front"])
    assert page.returncode == 0 and "<title>Welcome to nginx!</title>" in page.stdout



def test_the_embedded_dns_server_is_dockerd_listening_in_the_containers_namespace(nets, kind):
    """08: 127.0.0.11:53 is redirected to a port dockerd listens on in the container's network namespace; no DNS
    process runs in the container. (Podman: aardvark-dns at the gateway, asserted above.)"""
    if kind.product == "Podman":
        pytest.skip("Podman's DNS server, aardvark-dns, answers at the network's gateway (the test above)")
    found = docker("run", "--rm", "--network", nets["front"], "busybox:1.37", "sh", "-c", "netstat -lnu; netstat -lnt; ps -o comm").stdout
    listening = re.findall(r"^(udp|tcp) .* 127\.0\.0\.11:(\d+) ", found, re.M)
    assert {proto for proto, _ in listening} == {"udp", "tcp"}, found
    assert all(port != "53" for _, port in listening), found
    processes = found.split("COMMAND\n")[1].split()
    assert set(processes) <= {"sh", "ps"}, found  # the shell, or ps alone where busybox's sh handed over to it

def test_two_networks_are_isolated_by_a_drop(nets):
    by_name = wget(nets, f"http://{nets['admin']}/", network=nets["front"])
    assert by_name.returncode != 0 and f"bad address '{nets['admin']}'" in by_name.stderr, by_name
    by_address = wget(nets, f"http://{ip_of(nets['admin'])}/", network=nets["front"], seconds=2)
    # dropped, so the client waits and gives up; a refusal or a reset would mean another firewall
    assert by_address.returncode != 0 and "download timed out" in by_address.stderr, by_address


def test_connect_gives_a_container_both_networks_while_it_runs(nets):
    tool = nets["api"] + "-tool"
    docker("run", "-d", "--name", tool, "--network", nets["front"], "busybox:1.37", "sleep", "3600")
    try:
        docker("network", "connect", nets["back"], tool)
        names = docker("inspect", "--format", "{{range $name, $settings := .NetworkSettings.Networks}}{{$name}} {{end}}", tool).stdout.split()
        assert sorted(names) == sorted([nets["back"], nets["front"]])
        page = docker("exec", tool, "wget", "-qO-", "-T", "3", f"http://{nets['admin']}/")
        assert "<title>Welcome to nginx!</title>" in page.stdout
        docker("network", "disconnect", nets["back"], tool)
        gone = docker("exec", tool, "wget", "-qO-", "-T", "3", f"http://{nets['admin']}/", check=False)
        assert gone.returncode != 0 and "bad address" in gone.stderr
    finally:
        docker("rm", "-f", tool)


def test_published_port_for_this_machine_container_port_inside(nets):
    port = nets["port"]
    assert docker("port", nets["api"]).stdout.strip() == f"80/tcp -> 127.0.0.1:{port}"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
        assert "<title>Welcome to nginx!</title>" in answer.read().decode()
    inside = wget(nets, f"http://{nets['api']}:80/", network=nets["front"])
    assert "<title>Welcome to nginx!</title>" in inside.stdout
    host_port = wget(nets, f"http://{nets['api']}:{port}/", network=nets["front"])
    assert host_port.returncode != 0 and "Connection refused" in host_port.stderr, host_port


# -- the exercises' claims ---------------------------------------------------------------------------


def test_an_alias_is_a_second_name_on_one_network_only(nets):
    """Exercise 2: a running container joins a network under a network alias; the alias answers there, not
    on its other networks, and the engine lists it among the container's aliases on that network."""
    web = nets["api"] + "-aliased"
    docker("run", "-d", "--name", web, "--network", nets["back"], "nginx:stable")
    try:
        docker("network", "connect", "--alias", "books", nets["front"], web)
        listed = docker("inspect", "--format", "{{json .NetworkSettings.Networks}}", web).stdout
        assert '"books"' in listed, listed
        addresses = docker("inspect", "--format", f'{{{{(index .NetworkSettings.Networks "{nets["front"]}").IPAddress}}}}', web).stdout.strip()
        found = docker("run", "--rm", "--network", nets["front"], "busybox:1.37", "nslookup", "books").stdout
        assert f"Address: {addresses}" in found, found
        for i in range(40):  # nginx serving before the page is asked for
            page = wget(nets, "http://books/", network=nets["front"], seconds=1)
            if page.returncode == 0:
                break
        assert "<title>Welcome to nginx!</title>" in page.stdout, page
        elsewhere = wget(nets, "http://books/", network=nets["back"])
        assert elsewhere.returncode != 0 and "bad address 'books'" in elsewhere.stderr, elsewhere
    finally:
        docker("rm", "-f", web)


def test_the_counter_fails_by_name_then_by_port_then_counts(nets):
    """Exercise 3: the counter's loop on the default bridge logs `nc: bad address 'CACHE'`; on the cache's
    network with the host's published port, `Connection refused`; with Redis's own port, `:N` then `+OK`."""
    from dockerlab.exercises import nb08_networks as ex

    cache, counter = nets["api"] + "-cache", nets["api"] + "-counter"
    docker("run", "-d", "--name", cache, "--network", nets["front"], "-p", f"127.0.0.1:{nets['cache_port']}:6379", "redis:8")

    def log_of(*args: str, port: int) -> list[str]:
        docker("run", "-d", "--name", counter, *args, "-e", f"REDIS_HOST={cache}", "-e", f"REDIS_PORT={port}",
               "busybox:1.37", "sh", "-c", ex.COUNTER_LOOP)
        try:
            for _ in range(40):
                done = docker("logs", counter)
                lines = [line.strip() for line in done.stdout.splitlines() + done.stderr.splitlines() if line.strip()]
                if len(lines) >= 2:
                    return lines
                time.sleep(0.25)
            return lines
        finally:
            docker("rm", "-f", counter)

    try:
        assert f"nc: bad address '{cache}'" in log_of(port=nets["cache_port"])
        refused = log_of("--network", nets["front"], port=nets["cache_port"])
        assert refused[0].startswith("nc: can't connect to remote host (") and refused[0].endswith("): Connection refused"), refused
        for _ in range(20):  # Redis answering before the counter starts
            if "PONG" in docker("exec", cache, "redis-cli", "ping", check=False).stdout:
                break
            time.sleep(0.25)
        counted = log_of("--network", nets["front"], port=6379)
        assert re.fullmatch(r":\d+", counted[0]) and counted[1] == "+OK", counted
    finally:
        docker("rm", "-f", cache)
