"""Which docker CLI calls a quiet check may make (engine/quiet.py): reads only."""

from __future__ import annotations

import pytest

from dockerlab.engine import quiet


@pytest.mark.parametrize("args", [
    ["ps", "-a"], ["inspect", "web"], ["compose", "-f", "/w/compose.yaml", "config", "--format", "json"],
    ["compose", "-p", "shop", "ps", "--all"], ["network", "inspect", "net"], ["image", "ls"], ["version", "--format", "x"],
    ["buildx", "history", "ls"], ["logs", "--tail", "5", "web"],
])
def test_reads_pass(args):
    assert quiet.cli_reads(args)


@pytest.mark.parametrize("args", [
    ["run", "--rm", "busybox"], ["rm", "-f", "web"], ["compose", "-f", "/w/ps.yaml", "up", "-d"], ["network", "create", "ps"],
    ["exec", "web", "ls"], ["build", "."], ["compose", "-p", "config", "down"], ["volume", "rm", "v"], [],
])
def test_changes_are_refused(args):
    assert not quiet.cli_reads(args)


def test_refuse_only_inside_quietly():
    quiet.refuse("start a container")  # outside: nothing happens
    with quiet.quietly():
        assert quiet.active()
        with pytest.raises(quiet.NotQuietly) as raised:
            quiet.refuse("start a container")
    assert raised.value.what == "start a container" and not quiet.active()
