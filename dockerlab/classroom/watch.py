"""``dockerlab class watch FOLDER``: the class view served to a browser, from the standard library's http.server.

Three addresses, each reading FOLDER afresh (a class's files are a few kilobytes each):

    /             the page (:func:`dockerlab.views.classview.page_html`), which fetches /table every few seconds
    /table        the changing part of the page
    /state.json   the model itself (:meth:`dockerlab.classroom.classview.ClassView.to_dict`), for a script

It listens on 127.0.0.1 unless told otherwise: the page names learners and is served without a password, so
put it on the room's network (``--host 0.0.0.0`` or the machine's address there) only to show it on another
screen. Nothing it serves writes anything.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dockerlab.classroom import classview
from dockerlab.views.classview import page_html, table_html

#: Seconds between the page's refreshes, by default.
REFRESH = 5.0


def make_server(folder: str | os.PathLike, host: str = "127.0.0.1", port: int = 0, refresh: float = REFRESH,
                thresholds: classview.Thresholds = classview.Thresholds(),
                clock: Callable[[], float] = time.time) -> ThreadingHTTPServer:
    """A server for the class view of ``folder`` (not yet serving: call ``serve_forever``); port 0 picks a free one."""
    folder = Path(folder)

    def view() -> classview.ClassView:
        return classview.build(folder, clock(), thresholds)

    class Handler(BaseHTTPRequestHandler):
        server_version = "dockerlab-classview"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            try:
                if path == "/":
                    self._send(200, "text/html; charset=utf-8", page_html(view(), refresh))
                elif path == "/table":
                    self._send(200, "text/html; charset=utf-8", table_html(view()))
                elif path == "/state.json":
                    self._send(200, "application/json", json.dumps(view().to_dict(), indent=1))
                else:
                    self._send(404, "text/plain; charset=utf-8", "not found: the class view is at /\n")
            except OSError as exc:  # the folder went away (an unmounted share): say so, keep serving
                self._send(503, "text/plain; charset=utf-8", f"cannot read {folder}: {exc}\n")

        def _send(self, status: int, kind: str, body: str) -> None:
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args) -> None:  # noqa: A002 - a request every few seconds per screen: not worth a line
            pass

    return ThreadingHTTPServer((host, port), Handler)
