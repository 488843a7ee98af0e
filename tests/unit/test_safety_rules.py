"""The safety rules' pure parts: reading each form of a request, and which options turn confinement off.

The rules themselves run against the real engine in tests/engine (test_session.py: create options
and inspected containers; test_compose.py: compose files).
"""

from __future__ import annotations

import pytest

from dockerlab.engine import safety
from dockerlab import errors


@pytest.mark.parametrize(
    "option, unsafe",
    [
        ("seccomp=unconfined", True),
        ("seccomp:unconfined", True),
        ("apparmor=unconfined", True),
        ("systempaths=unconfined", True),
        ("label=disable", True),
        ("label:disable", True),
        ("no-new-privileges", False),
        ("no-new-privileges:true", False),
        ("seccomp=/etc/docker/strict.json", False),
        ("label=type:svirt_apache_t", False),
    ],
)
def test_which_security_options_turn_confinement_off(option, unsafe):
    found = safety.dangers(safety.HostRequest(security_opt=[option]))
    assert bool(found) is unsafe


def test_compose_devices_in_both_spellings():
    """Compose 2.26 resolves devices to objects; older versions kept "HOST:CONTAINER" strings."""
    for devices in ([{"source": "/dev/kvm", "target": "/dev/kvm", "permissions": "rwm"}], ["/dev/kvm:/dev/kvm"]):
        request = safety.HostRequest.from_compose_service({"devices": devices})
        assert request.devices == ["/dev/kvm"]


def test_each_form_names_its_own_key_in_the_fix():
    forms = {
        "pid_mode": safety.HostRequest.from_create_options({"pid_mode": "host"}),
        "pid": safety.HostRequest.from_compose_service({"pid": "host"}),
        "--pid": safety.HostRequest.from_host_config({"PidMode": "host"}),
    }
    for key, request in forms.items():
        (danger,) = safety.dangers(request)
        assert danger.fix == f"Remove `{key}`."
        assert isinstance(danger.refused(), errors.Refused)


def test_a_hardened_request_has_no_danger():
    request = safety.HostRequest.from_compose_service(
        {"cap_drop": ["ALL"], "cap_add": ["NET_BIND_SERVICE"], "read_only": True, "security_opt": ["no-new-privileges:true"],
         "volumes": [{"type": "bind", "source": "/srv/site", "target": "/www"}, {"type": "volume", "source": "data"}]}
    )
    assert safety.dangers(request) == []
