"""HTTP blocks against real local servers (a thread here; the engine tests use a container)."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dockerlab.checks import http
from support import reason


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        routes = {
            "/": (200, "<h1>Hello dockerlab</h1>"),
            "/hello": (200, "HELLO DOCKERLAB"),
            "/empty": (200, ""),
            "/missing": (404, "not here"),
            "/boom": (500, "Traceback: KeyError"),
        }
        if self.path == "/slow":
            time.sleep(1.5)
            status, body = 200, "late"
        else:
            status, body = routes.get(self.path, (404, "nope"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def hangup_port():
    """A listener that accepts and closes at once: a published port with nothing behind it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def serve():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    listener.close()


def test_answers(server):
    assert http.answers(server + "/", contains="Hello dockerlab").met
    assert http.answers(server + "/missing", status=404).met


def test_wrong_status(server):
    assert f"{server}/missing answered 404 Not Found, not 200 OK: the server answers, but has no page at that path" in reason(
        http.answers(server + "/missing")
    )
    assert "answered 500 Internal Server Error, not 200 OK: the app failed while answering (docker logs" in reason(
        http.answers(server + "/boom")
    )


def test_wrong_body(server):
    assert "but the page does not contain 'Goodbye'; it starts with: <h1>Hello dockerlab</h1>" in reason(
        http.answers(server + "/", contains="Goodbye")
    )
    assert "the page is empty" in reason(http.answers(server + "/empty", contains="Hello"))
    assert "has 'Hello dockerlab' but with other capital letters" in reason(http.answers(server + "/hello", contains="Hello dockerlab"))


def test_nothing_listening(closed_port):
    started = time.monotonic()
    text = reason(http.answers(f"http://127.0.0.1:{closed_port}/", wait=0.5))
    assert f"nothing answers at http://127.0.0.1:{closed_port}/ (connection refused): is the container running" in text
    assert time.monotonic() - started < 3


def test_connection_closed_without_answer(hangup_port):
    text = reason(http.answers(f"http://127.0.0.1:{hangup_port}/", wait=0))
    assert "was closed without an answer" in text and "listen on 0.0.0.0" in text


def test_timeout(server):
    started = time.monotonic()
    assert "did not answer within 0.5 s" in reason(http.answers(server + "/slow", timeout=0.5))
    assert time.monotonic() - started < 1.4


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://127.0.0.1/", "not a url"])
def test_not_a_url(url):
    assert "is not a web address" in reason(http.answers(url))


def test_unknown_host():
    assert "is unknown; use 127.0.0.1 or localhost" in reason(http.answers("http://no-such-host.invalid/", wait=0))


def test_proxy_settings_are_ignored(server, monkeypatch):
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    assert http.answers(server + "/").met
