"""kernel service and views on real containers: namespaces, cgroup limits both ways, memory, OOM."""

from __future__ import annotations

import contextlib

import docker.errors
import pytest

from dockerlab import engine
from dockerlab.services import kernel
from dockerlab.engine import session
from dockerlab import errors
from dockerlab.views.kernel import CgroupView, MemoryView, NamespacesView


@contextlib.contextmanager
def running(image: str, command, base: str, **kwargs):
    s = session.current()
    name = s.name(base)
    try:
        s.run(image, command, name=name, **kwargs)
        yield name
    finally:
        with contextlib.suppress(docker.errors.NotFound):
            engine.client().api.remove_container(name, force=True)


@pytest.mark.parametrize("image", ["busybox:1.37", "debian:trixie-slim"])
def test_namespaces_inside_busybox_and_debian(image):
    with running(image, ["sleep", "300"], "k-ns") as name:
        host = kernel.namespaces_host()
        inside = kernel.namespaces_of(name)
    assert {"pid", "net", "mnt", "uts", "ipc"} <= set(inside.ids)
    for kind in ("pid", "net", "mnt", "uts", "ipc"):
        assert inside.ids[kind] != host.ids[kind], kind
    assert inside.ids["user"] == host.ids["user"]  # no user namespace remapping on this engine
    assert inside.pid1 == "sleep 300"
    assert inside.interfaces[:1] == ["lo"] and "eth0" in inside.interfaces
    assert len(inside.hostname) == 12  # the engine names the UTS namespace after the short id
    rows = {r.kind: r for r in kernel.compare(host, inside)}
    assert not rows["pid"].shared and rows["user"].shared


def test_namespaces_view_and_no_shell_error():
    with running("busybox:1.37", ["sleep", "300"], "k-view") as name:
        view = NamespacesView(name)
        assert "its own" in view.html() and "shared with the host" in view.html()
        assert "sleep 300" in str(view)
        assert {"text/html", "text/plain", "application/vnd.jupyter.widget-view+json"} <= set(view._repr_mimebundle_())
    with running("hello-world", None, "k-noshell") as name:
        with pytest.raises(errors.DockerlabError, match="not running|without a shell"):
            kernel.namespaces_of(name)


def test_cgroup_limits_engine_and_kernel_agree():
    with running("busybox:1.37", ["sleep", "300"], "k-cg", mem_limit="48m", pids_limit=40, nano_cpus=500_000_000) as name:
        limits = kernel.cgroup_limits(name)
        view = CgroupView(name)
    assert limits.cgroup_version in (1, 2)
    assert limits.memory == limits.kernel_memory == 48 * 1024 * 1024
    assert limits.pids == limits.kernel_pids == 40
    assert limits.cpus == limits.kernel_cpus == 0.5
    assert "48.0 MiB" in view.html() and "pids" in view.text()


def test_memory_usage_and_live_bar():
    with running("busybox:1.37", ["sleep", "300"], "k-mem", mem_limit="64m") as name:
        usage = kernel.memory_usage(name)
        assert usage.running and usage.limit == 64 * 1024 * 1024
        assert 0 < usage.usage < usage.limit and 0 < usage.percent < 100
        view = MemoryView(name, every=0.2)
        assert view.bar.value == pytest.approx(view.usage.percent)
        assert "of 64.0 MiB" in view.html() and "64.0 MiB" in str(view)
        view.watch(seconds=0.5, background=False)
        assert not view.watch_button.disabled
        view.watch(seconds=30)  # a background loop that must stop when asked
        view.stop_watch()
        engine.client().api.stop(name, timeout=1)
        view.refresh()
        assert "not running" in view.html()


def test_oom_demo_gathers_evidence():
    evidence = kernel.oom_demo(limit="32m")
    print("\n" + str(evidence))
    assert evidence.oom_killed and evidence.exit_code == 137
    assert evidence.limit == 32 * 1024 * 1024
    assert "oom" in evidence.engine_events
    assert "MiB" in evidence.last_output
    with pytest.raises(docker.errors.NotFound):
        engine.client().api.inspect_container(evidence.container)
