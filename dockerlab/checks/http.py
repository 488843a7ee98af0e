"""Building blocks about a web app answering over HTTP.

    http.answers("http://127.0.0.1:8080/", contains="Hello")      status 200 and the text
    http.container_answers(name, 80, path="/health", contains="ok")  via the port it publishes

Requests go straight to the address (no proxy from the environment), time out after a few
seconds, and are retried for a moment while nothing listens yet (a server that was just
started needs a second).
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from http import HTTPStatus

from dockerlab import config
from dockerlab.engine import quiet
from dockerlab.checks.blocks import Unmet, block

#: Most of a body read; a page is judged by its beginning.
MAX_BODY = 1024 * 1024

_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _status_text(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def fetch(url: str, timeout: float | None = None, wait: float = 2.0) -> tuple[int, str]:
    """GET ``url``; (status, body text). Raises :class:`Unmet` with a plain reason when nothing answers.

    Args:
        timeout: Seconds one request may take; unset, ``DOCKERLAB_HTTP_TIMEOUT`` (3 s).
        wait: Seconds to keep retrying while the connection is refused or reset.
    """
    quiet.refuse(f"fetch {url}")  # the app's log would show a quiet check's request
    timeout = config.HTTP_TIMEOUT.number() if timeout is None else timeout
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Unmet(f"{url!r} is not a web address (it should look like http://127.0.0.1:8080/)")
    deadline = time.monotonic() + max(wait, 0)
    while True:
        try:
            with _opener.open(urllib.request.Request(url, headers={"User-Agent": "dockerlab-check"}), timeout=timeout) as response:
                return response.status, response.read(MAX_BODY).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            body = ""
            try:
                body = exc.read(MAX_BODY).decode("utf-8", "replace")
            except (OSError, http.client.HTTPException):
                pass
            return exc.code, body
        except (urllib.error.URLError, ConnectionError, http.client.HTTPException, socket.timeout, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            retry = isinstance(reason, (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected)) or isinstance(
                exc, (ConnectionResetError, http.client.RemoteDisconnected)
            )
            if retry and time.monotonic() < deadline:
                time.sleep(0.25)
                continue
            raise Unmet(_no_answer(url, parts, reason, timeout)) from None


def _no_answer(url: str, parts, reason, timeout: float) -> str:
    if isinstance(reason, ConnectionRefusedError):
        return (
            f"nothing answers at {url} (connection refused): is the container running, and is its port published "
            f"on {parts.port or 80}? (docker ps shows the PORTS column)"
        )
    if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
        return f"{url} did not answer within {timeout:g} s: the app may be stuck, or listening but not replying"
    if isinstance(reason, (ConnectionResetError, http.client.RemoteDisconnected)):
        return (
            f"the connection to {url} was closed without an answer: the port is published, but inside the container "
            "nothing listens on that port, or the app listens on 127.0.0.1 only (it must listen on 0.0.0.0)"
        )
    if isinstance(reason, socket.gaierror):
        return f"the host name {parts.hostname} in {url} is unknown; use 127.0.0.1 or localhost"
    return f"{url} could not be reached: {reason}"


def _judge(url: str, status: int, contains: str | None, timeout: float | None, wait: float) -> str | None:
    got, body = fetch(url, timeout=timeout, wait=wait)
    if got != status:
        extra = ""
        if got == 404:
            extra = ": the server answers, but has no page at that path"
        elif got >= 500:
            extra = ": the app failed while answering (docker logs shows its error)"
        return f"{url} answered {_status_text(got)}, not {_status_text(status)}{extra}"
    if contains is not None and contains not in body:
        start = " ".join(body.split())[:120]
        if contains.lower() in body.lower():
            return f"{url} answers, and the page has {contains!r} but with other capital letters"
        shown = f"; it starts with: {start}" if start else "; the page is empty"
        return f"{url} answers {_status_text(got)} but the page does not contain {contains!r}{shown}"
    return None


@block(
    lambda url, status=200, contains=None, timeout=None, wait=2.0: f"{url} answers with status {status}"
    + (f" and a page containing {contains!r}" if contains is not None else "")
)
def answers(url: str, status: int = 200, contains: str | None = None, timeout: float | None = None, wait: float = 2.0):
    """GET ``url`` answers ``status`` and (if given) its body contains ``contains``."""
    return _judge(url, status, contains, timeout, wait)


@block(
    lambda name, container_port, path="/", status=200, contains=None, timeout=None, wait=2.0: f"the app in {name} answers on its port {container_port}"
    + (f" with a page containing {contains!r}" if contains is not None else "")
)
def container_answers(
    name: str, container_port: int, path: str = "/", status: int = 200, contains: str | None = None,
    timeout: float | None = None, wait: float = 2.0,
):
    """Like :func:`answers`, at the host port the container ``name`` publishes ``container_port`` on."""
    from dockerlab.checks import containers

    container = containers.get(name)
    bound = [b for b in containers._bindings(container) if b.container_port == int(container_port) and b.host_port]
    if not bound:
        raise Unmet(f"the container does not publish port {container_port}, so it cannot be reached from here; use -p 127.0.0.1:8080:{container_port}")
    b = bound[0]
    host = "127.0.0.1" if b.host_ip in ("", "0.0.0.0", "::") else b.host_ip
    return _judge(f"http://{host}:{b.host_port}{path if path.startswith('/') else '/' + path}", status, contains, timeout, wait)
