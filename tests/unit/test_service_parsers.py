"""Parsers of the service modules, on recorded engine/CLI output (no engine needed)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from dockerlab.services import buildkit
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


# -- BuildKit's progress (docker buildx build --progress=rawjson) --------------------------------------
# Recorded from real builds on the project's engine by tests/data/buildkit/record.py (which says what
# each build is). Timings differ with every recording, so they are matched by pattern.

BUILDKIT = Path(__file__).resolve().parents[1] / "data" / "buildkit"
STAMPED = r"\d+\.\d{1,3}"  # an output line's seconds since its step started


def recorded(name: str) -> list[str]:
    return (BUILDKIT / f"{name}.rawjson").read_text().splitlines()


def summary(vertexes) -> list[tuple[str, bool]]:
    return [(str(v.step), v.cached) for v in vertexes]


def test_buildkit_uncached_build():
    reader = buildkit.read(recorded("uncached"))
    run = "RUN echo compiling && sleep 1 && printf 'step 1\\rstep 2\\rall steps done\\n' && echo done > /out"
    assert summary(reader.steps) == [
        ("[build 1/2] FROM docker.io/library/busybox:1.37", True),  # the base, ready: BuildKit says cached
        (f"[build 2/2] {run}", False),
        ("[stage-1 2/3] COPY --from=build /out /out", False),
        ("[stage-1 3/3] RUN cat /out && printf 'no newline at the end'", False),
    ]
    assert (reader.steps_total, reader.cached_steps, reader.failure) == (3, 1, "")
    assert reader.steps[1].seconds > 1  # it slept 1 s
    log = "\n".join(reader.log)
    assert re.search(rf"^#5 \[build 2/2\] RUN echo compiling.*\n#5 {STAMPED} compiling\n#5 {STAMPED} all steps done\n#5 DONE \d+\.\ds$", log, re.M)
    assert "step 1" not in log.replace(run, "")  # a line redrawn with \r shows as a terminal leaves it
    assert re.search(rf"^#7 {STAMPED} no newline at the end\n#7 DONE", log, re.M)  # kept until the step ended
    assert re.search(r"^#8 exporting to image\n#8 exporting layers( \d+\.\ds)? done\n#8 writing image sha256:[0-9a-f]{64} done$", log, re.M)


def test_buildkit_log_reads_like_plain_progress():
    """Each vertex: a blank line, its header, its lines, one closing word; as ``--progress=plain`` prints."""
    log = buildkit.read(recorded("uncached")).log
    assert log[:7] == [
        "#1 [internal] load build definition from Dockerfile",
        "#1 transferring dockerfile: 254B done",
        "#1 DONE 0.0s",
        "",
        "#2 [internal] load .dockerignore",
        "#2 transferring context: 2B done",
        "#2 DONE 0.0s",  # told done twice (it ran twice): shown once
    ]
    for block in "\n".join(log).split("\n\n"):
        lines = block.splitlines()
        number = lines[0].split(" ", 1)[0]
        assert all(line.startswith(number + " ") for line in lines), block
        assert re.fullmatch(r"#\d+ (DONE \d+\.\ds|CACHED)", lines[-1]), block


def test_buildkit_cached_build():
    reader = buildkit.read(recorded("cached"))
    assert [v.cached for v in reader.steps] == [False, True, True, True]  # the base is not even loaded
    assert (reader.steps_total, reader.cached_steps) == (3, 3)
    assert all(v.seconds < 0.05 for v in reader.steps[1:])
    # Notebook 06 prints these lines of a BuildResult's log: each step's header and its CACHED mark.
    picked = [line for line in reader.log if re.match(r"#\d+ (\[\d+/\d+\] |CACHED$)", line)]
    assert picked == ["#5 CACHED", "#6 CACHED", "#7 CACHED"]  # multi-stage headers say [build 2/2]
    staged = [line for line in reader.log if re.match(r"#\d+ (\[[\w.-]+ \d+/\d+\] |CACHED$)", line)]
    assert len(staged) == 7


def test_buildkit_failing_build():
    reader = buildkit.read(recorded("failing"))
    failed = "[3/3] RUN echo about to fail && echo on stderr >&2 && exit 3"
    assert reader.failure == failed
    assert [v.error for v in reader.steps] == ["", "", "executor failed running [/bin/sh -c echo about to fail "
                                                       "&& echo on stderr >&2 && exit 3]: exit code: 3"]
    tail = reader.log[-7:]
    assert re.fullmatch(r"#6 ERROR: executor failed running .*: exit code: 3", tail[0])
    assert tail[1:3] == ["------", f" > {failed}:"]  # the failing step's last lines, framed as buildx does
    assert re.fullmatch(rf"{STAMPED} about to fail", tail[3]) and re.fullmatch(rf"{STAMPED} on stderr", tail[4])
    assert tail[5:] == ["------", "ERROR: failed to solve: executor failed running [/bin/sh -c echo about to fail "
                                  "&& echo on stderr >&2 && exit 3]: exit code: 3"]


def test_buildkit_failure_outside_any_step_comes_from_buildx_last_line():
    reader = buildkit.read(recorded("unparsable"))
    assert reader.steps == [] and reader.steps_total == 0
    assert reader.failure.startswith("failed to solve: ") and reader.failure.endswith("unknown instruction: RUNN")
    assert reader.text == [reader.log[-1]] and reader.log[-1].startswith("ERROR: failed to solve")


def test_buildkit_lines_come_while_the_build_runs():
    """Each line is handed out as soon as the object that caused it has been read, not at the end."""
    stream = recorded("uncached")
    reader = buildkit.ProgressReader()
    seen_at: dict[str, int] = {}
    for number, line in enumerate(stream):
        for out in reader.feed(line):
            seen_at.setdefault(out.text, number)
    last = [line.text for line in reader.finish()]
    printed = next(i for i, line in enumerate(stream) if base64.b64encode(b"compiling\n").decode() in line)
    output = next(text for text in seen_at if text.endswith(" compiling"))
    assert seen_at["#5 [build 2/2] " + reader.steps[1].step.instruction] < printed < seen_at[output] <= printed + 4
    assert last == ["#8 DONE 0.0s"]  # only the last vertex's closing word waits for the end


def test_buildkit_lines_know_their_step():
    lines = []
    reader = buildkit.ProgressReader()
    for line in recorded("failing"):
        lines += reader.feed(line)
    lines += reader.finish()
    by_text = {line.text: line for line in lines}
    assert by_text["#5 [2/3] RUN echo fine"].step == buildkit.Step(2, 3, None, "RUN echo fine")
    assert by_text["#1 [internal] load build definition from Dockerfile"].step is None
    assert lines[-1].vertex is None  # buildx's own text


def vertex(name="[1/1] RUN x", **more) -> dict:
    return {"digest": "sha256:1", "name": name, "started": "2026-12-05T06:21:04.5Z", **more}


def log(data: bytes, at: str) -> dict:
    return {"vertex": "sha256:1", "stream": 1, "data": base64.b64encode(data).decode(), "timestamp": at}


def test_buildkit_output_split_anywhere():
    reader = buildkit.ProgressReader()
    shown = reader.update({"vertexes": [vertex()]})
    shown += reader.update({"logs": [log("caf\u00e9 ".encode()[:4], "2026-12-05T06:21:05.5Z")]})  # half an é
    shown += reader.update({"logs": [log("caf\u00e9 ".encode()[4:] + b"ok\nnext", "2026-12-05T06:21:06Z")]})
    shown += reader.update({"vertexes": [vertex(completed="2026-12-05T06:21:16Z")]})
    shown += reader.finish()
    assert [line.text for line in shown] == [
        "#1 [1/1] RUN x", "#1 1.000 café ok", "#1 1.500 next", "#1 DONE 11.5s",
    ]


def test_buildkit_vertexes_that_run_side_by_side_each_keep_their_header():
    reader = buildkit.ProgressReader()
    both = [vertex("[internal] load build context"), {**vertex("[1/2] FROM x"), "digest": "sha256:2"}]
    reader.update({"vertexes": both})
    reader.update({"vertexes": [{**both[0], "completed": "2026-12-05T06:21:05Z"}]})
    reader.update({"vertexes": [{**both[1], "completed": "2026-12-05T06:21:05Z", "cached": True}]})
    reader.finish()
    assert reader.log == ["#1 [internal] load build context", "", "#2 [1/2] FROM x", "", "#1 DONE 0.5s", "", "#2 CACHED"]


def test_buildkit_long_status_shows_while_it_runs():
    reader = buildkit.ProgressReader()
    reader.update({"vertexes": [vertex("[internal] load build context")]})
    status = {"id": "transferring context:", "vertex": "sha256:1", "started": "2026-12-05T06:21:04.5Z"}
    quick = reader.update({"statuses": [{**status, "current": 1000, "timestamp": "2026-12-05T06:21:05Z"}]})
    slow = reader.update({"statuses": [{**status, "current": 45_600_000, "timestamp": "2026-12-05T06:21:10Z"}]})
    done = reader.update({"statuses": [{**status, "current": 45_612_345, "timestamp": "2026-12-05T06:21:11Z",
                                        "completed": "2026-12-05T06:21:11Z"}]})
    assert quick == []
    assert [line.text for line in slow + done] == [
        "#1 transferring context: 45.60MB 5.5s", "#1 transferring context: 45.61MB 6.5s done",
    ]


def test_buildkit_old_buildx_plain_text_passes_through():
    """A buildx older than 0.12 is run with --progress=plain: its lines are shown as they come."""
    plain = ["#5 [2/2] RUN exit 3", "#5 ERROR: process did not complete successfully", "ERROR: failed to solve: exit code: 3"]
    reader = buildkit.read(plain)
    assert reader.log == plain and reader.steps == []
    assert reader.failure == "failed to solve: exit code: 3"


@pytest.mark.parametrize(
    ("version", "mode", "doctor"),
    [
        ("github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3", "rawjson", True),  # Debian trixie's
        ("github.com/docker/buildx v0.29.1 a1b2c3d", "rawjson", True),
        ("github.com/docker/buildx v0.11.2 9872040", "plain", None),  # refuses --progress=rawjson
    ],
)
def test_buildx_versions_choose_the_progress_to_read(monkeypatch, version, mode, doctor):
    from dockerlab.engine import dockercli
    from dockerlab.services import build
    from dockerlab.services import doctor as doctors

    monkeypatch.setattr(dockercli, "plugin_version", lambda name: version)
    build.progress_mode.cache_clear()
    try:
        assert build.progress_mode() == mode
    finally:
        build.progress_mode.cache_clear()
    finding = doctors._buildx()
    assert finding.ok is doctor and finding.detail.startswith(version)
    assert ("older than 0.12" in finding.detail) is (doctor is None)
