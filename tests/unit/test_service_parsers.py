"""Parsers of the service modules, on recorded engine/CLI output (no engine needed)."""

from __future__ import annotations

import json

import pytest

from dockerlab.services import compose
from dockerlab.services import containers
from dockerlab.services import kernel
from dockerlab.services import layers
from dockerlab import sizes


@pytest.mark.parametrize(
    ("created_by", "expected"),
    [
        ('/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]', 'CMD ["nginx" "-g" "daemon off;"]'),
        ("/bin/sh -c apt-get update &&     apt-get install -y curl", "RUN apt-get update && apt-get install -y curl"),
        ("|2 A=1 B=2 /bin/sh -c make", "RUN make"),
        ("RUN /bin/sh -c pip install flask # buildkit", "RUN pip install flask"),
        ("COPY . /app # buildkit", "COPY . /app"),
        ("/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / ",
         "ADD file:4b03b5f551e3… in /"),
        ("EXPOSE map[80/tcp:{} 443/tcp:{}]", "EXPOSE 80/tcp 443/tcp"),
        ("", "(base layer)"),
    ],
)
def test_readable_instruction(created_by, expected):
    assert layers.readable(created_by) == expected


def test_readable_base_layer_names_its_origin():
    assert layers.readable("", "Imported from -") == "(base layer: Imported from -)"


def _layers(*specs):
    return [layers.Layer(instruction=i, size=s, empty=False) for i, s in specs]


def test_mark_empty_uses_the_real_layer_count():
    stack = _layers(("CMD [\"sh\"]", 0), ("RUN true", 0), ("COPY a /a", 10))
    layers.mark_empty(stack, 2)
    assert [x.empty for x in stack] == [True, False, False]  # the 0-byte RUN made a layer
    stack = _layers(("CMD [\"sh\"]", 0), ("RUN true", 0), ("COPY a /a", 10))
    layers.mark_empty(stack, 1)
    assert [x.empty for x in stack] == [True, True, False]


def test_ports_merge_ipv4_and_ipv6_and_link_only_reachable_tcp():
    raw = [
        {"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 32768, "Type": "tcp"},
        {"IP": "::", "PrivatePort": 80, "PublicPort": 32768, "Type": "tcp"},
        {"PrivatePort": 443, "Type": "tcp"},
        {"IP": "0.0.0.0", "PrivatePort": 53, "PublicPort": 5353, "Type": "udp"},
        {"IP": "10.1.2.3", "PrivatePort": 81, "PublicPort": 8081, "Type": "tcp"},
    ]
    ports = containers._ports(raw)
    assert [str(p) for p in ports] == ["0.0.0.0:5353->53/udp", "0.0.0.0:32768->80/tcp", "10.1.2.3:8081->81/tcp", "443/tcp"]
    assert [p.url for p in ports] == [None, "http://127.0.0.1:32768", None, None]


INSIDE = """\
ns cgroup cgroup:[4026531835]
ns ipc ipc:[4026532182]
ns mnt mnt:[4026532180]
ns net net:[4026532184]
ns pid pid:[4026532183]
ns pid_for_children pid:[4026532183]
ns user user:[4026531837]
ns uts uts:[4026532181]
pid1 sleep 300
hostname 06271158da87
if lo
if eth0
"""


def test_parse_inside_and_compare():
    inside = kernel.parse_inside("c", INSIDE)
    assert inside.ids["net"] == 4026532184 and inside.pid1 == "sleep 300"
    assert inside.hostname == "06271158da87" and inside.interfaces == ["lo", "eth0"]
    host = kernel.Namespaces("host", {"net": 1, "user": 4026531837, "pid": 2, "pid_for_children": 2})
    rows = kernel.compare(host, inside)
    assert [r.kind for r in rows][:2] == ["pid", "net"] and "pid_for_children" not in [r.kind for r in rows]
    assert {r.kind: r.shared for r in rows}["user"] is True


@pytest.mark.parametrize(
    ("text", "memory", "pids", "cpus", "version"),
    [
        ("version 1\nmemory 67108864\npids 50\ncpu 50000 100000\n", 64 << 20, 50, 0.5, 1),
        ("version 1\nmemory 9223372036854771712\npids max\ncpu -1 100000\n", None, None, None, 1),
        ("version 2\nmemory 33554432\npids 128\ncpu 150000 100000\n", 32 << 20, 128, 1.5, 2),
        ("version 2\nmemory max\npids max\ncpu max 100000\n", None, None, None, 2),
        ("version 2\nmemory ?\npids ?\ncpu ? ?\n", None, None, None, 2),
    ],
)
def test_parse_cgroup_v1_and_v2(text, memory, pids, cpus, version):
    limits = kernel.parse_cgroup(text, kernel.CgroupLimits("c"))
    assert (limits.kernel_memory, limits.kernel_pids, limits.kernel_cpus, limits.cgroup_version) == (memory, pids, cpus, version)


def test_usage_from_stats_drops_inactive_page_cache():
    v1 = {"usage": 10_000, "limit": 100_000, "stats": {"total_inactive_file": 4_000}}
    v2 = {"usage": 10_000, "limit": 100_000, "stats": {"inactive_file": 1_000}}
    assert kernel.usage_from_stats("c", v1).usage == 6_000
    assert kernel.usage_from_stats("c", v2).percent == pytest.approx(9.0)
    assert not kernel.usage_from_stats("c", {}).running


def test_binary_size():
    assert sizes.binary(32 * 1024 * 1024) == "32.0 MiB"
    assert sizes.binary(512) == "512 B"


PS_LINE = {
    "Service": "web", "Name": "app-dl000001-web-1", "State": "running", "Health": "healthy",
    "Networks": "app-dl000001_back,app-dl000001_front", "ExitCode": 0, "Image": "busybox:1.37",
    "Publishers": [
        {"URL": "0.0.0.0", "TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"},
        {"URL": "::", "TargetPort": 80, "PublishedPort": 8080, "Protocol": "tcp"},
        {"URL": "", "TargetPort": 6379, "PublishedPort": 0, "Protocol": "tcp"},
    ],
}  # fmt: skip


@pytest.mark.parametrize("as_array", [False, True])
def test_parse_ps_json_lines_and_old_array(as_array):
    other = {**PS_LINE, "Service": "cache", "Name": "app-dl000001-cache-1", "Health": "", "Publishers": []}
    text = json.dumps([PS_LINE, other]) if as_array else json.dumps(PS_LINE) + "\n" + json.dumps(other) + "\n"
    states = compose.parse_ps(text, "app-dl000001")
    assert [s.service for s in states] == ["cache", "web"]
    web = states[1]
    assert web.networks == ["back", "front"] and web.health == "healthy"
    assert [str(p) for p in web.ports] == ["0.0.0.0:8080->80/tcp", "6379/tcp"]
    assert compose.parse_ps("") == []


def test_parse_config_defaults_to_the_default_network():
    raw = {"name": "p", "services": {"a": {"image": "x", "networks": {"n": None}}, "b": {"build": {"context": "."}}}}
    cfg = compose.parse_config(raw)
    services = {s.name: s for s in cfg.services}
    assert services["a"].networks == ["n"] and services["b"].networks == ["default"] and services["b"].build
