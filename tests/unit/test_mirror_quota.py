"""The class mirror's pure parts, and the doctor's pull quota against a registry stand-in on 127.0.0.1.

The stand-in answers as Docker Hub does (registry-1.docker.io with auth.docker.io, in Docker's own curl recipe):
a manifest HEAD without a token gets 401 and a ``Bearer realm=...`` challenge, the realm hands out an anonymous
token for ``repository:NAME:pull``, and the HEAD with it answers 200 with ``ratelimit-limit: 100;w=21600`` and
``ratelimit-remaining``. The whole engine side (serve, a second engine pulling) is tests/engine/test_mirror.py.
"""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import parse_qs, urlparse

import pytest

from dockerlab import errors
from dockerlab.services import doctor
from dockerlab.services.images import registry, serve


@pytest.fixture
def hub():
    """A registry stand-in; ``answers`` picks its headers, ``seen`` records the token requests and HEADs."""
    answers = {"headers": {"ratelimit-limit": "100;w=21600", "ratelimit-remaining": "76;w=21600",
                           "docker-ratelimit-source": "192.0.2.7"}, "token": True, "status": 200}
    seen = {"token": [], "head": []}

    class Hub(http.server.BaseHTTPRequestHandler):
        def _reply(self, status, headers=None, body=b""):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_GET(self):
            url = urlparse(self.path)
            if url.path == "/token":
                seen["token"].append(parse_qs(url.query))
                return self._reply(200, {"Content-Type": "application/json"}, json.dumps({"token": "anon-token"}).encode())
            return self._reply(404)

        def do_HEAD(self):
            seen["head"].append((self.path, self.headers.get("Authorization"), self.headers.get("Accept")))
            if answers["token"] and self.headers.get("Authorization") != "Bearer anon-token":
                realm = f"http://127.0.0.1:{self.server.server_address[1]}/token"
                return self._reply(401, {"WWW-Authenticate": f'Bearer realm="{realm}",service="registry.docker.io"'})
            return self._reply(answers["status"], {"Docker-Distribution-API-Version": "registry/2.0", **answers["headers"]})

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield answers, seen, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the doctor's quota -------------------------------------------------------------------------------

def test_quota_as_docker_hub_reports_it_after_an_anonymous_token(hub):
    answers, seen, url = hub
    quota = registry.pull_quota(url)
    assert (quota.limit, quota.remaining, quota.window, quota.source) == (100, 76, 21600, "192.0.2.7")
    assert seen["token"] == [{"service": ["registry.docker.io"], "scope": ["repository:ratelimitpreview/test:pull"]}]
    path, auth, accept = seen["head"][-1]
    assert path == "/v2/ratelimitpreview/test/manifests/latest" and auth == "Bearer anon-token"
    assert "application/vnd.docker.distribution.manifest.v2+json" in accept
    [finding] = doctor.pull_quota(hub=url)
    assert finding.ok is True
    assert finding.detail.endswith("76 of 100 pulls left per 6 h, counted for 192.0.2.7")


def test_quota_nearly_spent_is_a_note_with_the_ways_out(hub):
    answers, _seen, url = hub
    answers["headers"]["ratelimit-remaining"] = "2;w=21600"
    [finding] = doctor.pull_quota(hub=url)
    assert finding.ok is None and "2 of 100 pulls left" in finding.detail
    assert "docker login" in finding.fix and "--mirror" in finding.fix


def test_a_registry_without_ratelimit_headers_says_none_is_reported(hub, monkeypatch):
    answers, seen, url = hub
    answers.update(headers={}, token=False)
    monkeypatch.delenv("DOCKERLAB_MIRROR", raising=False)
    mirror = url.split("://")[1]
    hub_finding, mirror_finding = doctor.pull_quota(hub=url, mirror=mirror)
    assert hub_finding.ok is True and "reports no pull limit" in hub_finding.detail
    assert mirror_finding.name == "class mirror" and "reports no pull limit" in mirror_finding.detail
    assert seen["token"] == []  # no challenge, no token asked
    assert seen["head"][-1][0] == "/v2/debian/manifests/trixie-slim"  # the mirror is asked for a course image


def test_no_registry_answering_is_said_and_is_no_problem(monkeypatch):
    monkeypatch.delenv("DOCKERLAB_MIRROR", raising=False)
    [finding] = doctor.pull_quota(hub=f"http://127.0.0.1:{closed_port()}")
    assert finding.ok is True and "connection refused" in finding.detail and "no quota to show" in finding.detail


def test_a_mirror_named_but_silent_is_a_note_with_the_fix(monkeypatch):
    port = closed_port()
    monkeypatch.setenv("DOCKERLAB_MIRROR", f"127.0.0.1:{port}")
    _hub, finding = doctor.pull_quota(hub=f"http://127.0.0.1:{closed_port()}")
    assert finding.ok is None and f"127.0.0.1:{port} did not answer (connection refused)" in finding.detail
    assert "dockerlab images serve" in finding.fix


@pytest.mark.parametrize("value, parsed", [("76;w=21600", (76, 21600)), ("100", (100, None)), (" 5 ; w = 60", (5, 60)),
                                           ("", (None, None)), (None, (None, None)), ("many", (None, None))])
def test_ratelimit_header_values(value, parsed):
    assert registry.parse_ratelimit(value) == parsed


# -- addresses and trust -------------------------------------------------------------------------------

@pytest.mark.parametrize("given, address", [("192.168.1.10", "192.168.1.10:5000"), ("192.168.1.10:5001", "192.168.1.10:5001"),
                                            ("http://teacher.local:5000/", "teacher.local:5000"), (" 10.0.0.2:80 ", "10.0.0.2:80"),
                                            ("[fd00::1]:5000", "[fd00::1]:5000")])
def test_mirror_addresses_are_normalised(given, address):
    assert registry.normal_address(given) == address


@pytest.mark.parametrize("given", ["", "host:port", "a b:5000", "user@host:5000", "host:5000/path", "host:70000", ":5000"])
def test_other_mirror_addresses_are_refused(given):
    with pytest.raises(registry.BadMirrorAddress):
        registry.normal_address(given)


DEFAULTS = {"InsecureRegistryCIDRs": ["127.0.0.0/8"], "IndexConfigs": {"docker.io": {"Name": "docker.io", "Secure": True}}}


def test_an_engine_with_defaults_refuses_a_lan_mirror_and_says_how_to_fix_it():
    problem = registry.trust_problem("192.168.1.10:5000", DEFAULTS)
    assert isinstance(problem, registry.MirrorNotTrusted)
    assert "plain HTTP" in problem.message and "127.0.0.0/8" in problem.message
    assert '"insecure-registries": ["192.168.1.10:5000"]' in problem.fix
    assert "/etc/docker/daemon.json" in problem.fix and "restart" in problem.fix and "Docker Desktop" in problem.fix


def test_loopback_and_listed_mirrors_are_trusted():
    assert registry.trust_problem("127.0.0.1:5000", DEFAULTS) is None
    assert registry.trust_problem("localhost:5000", DEFAULTS) is None
    by_name = {**DEFAULTS, "IndexConfigs": {**DEFAULTS["IndexConfigs"], "192.168.1.10:5000": {"Secure": False}}}
    assert registry.trust_problem("192.168.1.10:5000", by_name) is None
    assert registry.trust_problem("192.168.1.10:5001", by_name) is not None  # another port is another registry
    by_range = {**DEFAULTS, "InsecureRegistryCIDRs": ["127.0.0.0/8", "192.168.1.0/24"]}
    assert registry.trust_problem("192.168.1.10:5000", by_range) is None
    assert registry.trust_problem("192.168.2.10:5000", by_range) is not None
    assert registry.trust_problem("192.168.2.10:5000", None) is None  # an engine that does not say (Podman): try


# The engine's own words (Engine 20.10 pulling from a plain-HTTP registry it was not told about; seen in
# tests/engine/test_mirror.py on a second engine).
PLAIN_HTTP = 'Get "https://10.213.1.1:5000/v2/": http: server gave HTTP response to HTTPS client'


def test_the_engines_refusal_becomes_the_plain_words_error():
    import docker.errors

    failure = docker.errors.APIError("500 Server Error", explanation=PLAIN_HTTP)
    found = registry.explain(failure, "10.213.1.1:5000", "busybox:1.37")
    assert isinstance(found, registry.MirrorNotTrusted) and found.__cause__ is failure
    streamed = errors.ImageMissing("x")  # a stream's error event, as kit.show_pull_progress raises it
    streamed.__cause__ = RuntimeError(PLAIN_HTTP)
    assert isinstance(registry.explain(streamed, "10.213.1.1:5000", "busybox:1.37"), registry.MirrorNotTrusted)


def test_other_mirror_failures_are_named():
    missing = errors.ImageMissing("10.0.0.2:5000/redis:8", pulled=True)
    assert isinstance(registry.explain(missing, "10.0.0.2:5000", "redis:8"), registry.MirrorLacksImage)
    refused = errors.RegistryUnreachable("x")
    refused.__cause__ = RuntimeError("dial tcp 10.0.0.2:5000: connect: connection refused")
    found = registry.explain(refused, "10.0.0.2:5000", "redis:8")
    assert isinstance(found, registry.MirrorUnreachable) and "nothing listens on that port" in found.message
    assert registry.explain(ValueError("else"), "10.0.0.2:5000", "redis:8") is None


# -- pushing ---------------------------------------------------------------------------------------------

def test_push_progress_per_layer_and_the_digest():
    events = [
        {"status": "The push refers to repository [127.0.0.1:5000/busybox]"},
        {"status": "Preparing", "id": "aaa"},
        {"status": "Pushing", "id": "aaa", "progressDetail": {"current": 10, "total": 100}},
        {"status": "Pushing", "id": "aaa", "progressDetail": {"current": 30, "total": 100}},
        {"status": "Pushing", "id": "aaa", "progressDetail": {"current": 60, "total": 100}},
        {"status": "Pushed", "id": "aaa"},
        {"status": "Layer already exists", "id": "bbb"},
        {"status": "1.37: digest: sha256:abc size: 527"},
        {"progressDetail": {}, "aux": {"Tag": "1.37", "Digest": "sha256:abc", "Size": 527}},
    ]
    lines = []
    assert serve.show_push_progress(iter(events), "x", lines.append) == "sha256:abc"
    assert lines == ["layer aaa: 0%", "layer aaa: 25%", "layer aaa: 50%", "layer aaa: pushed", "layer bbb: layer already exists"]


def test_a_push_that_fails_or_ends_without_a_digest_raises():
    with pytest.raises(errors.DockerlabError) as raised:
        serve.show_push_progress(iter([{"error": "received unexpected HTTP status: 405 Method Not Allowed"}]), "x", print)
    assert "405" in raised.value.message
    with pytest.raises(errors.DockerlabError, match="without a digest"):
        serve.show_push_progress(iter([{"status": "Pushed", "id": "a"}]), "x", print)


def test_the_registry_recipe_changes_with_its_files(tmp_path, monkeypatch):
    first = serve.recipe()
    (tmp_path / "Dockerfile").write_text("FROM debian:trixie-slim\n")
    monkeypatch.setattr(serve, "CONTEXT", tmp_path)
    assert serve.recipe() != first
