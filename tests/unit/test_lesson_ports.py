"""lesson.port_is_free: a listener makes a port taken; a closed connection's TIME_WAIT does not."""

from __future__ import annotations

import socket
import time

from dockerlab.jupyter.lesson import port_is_free


def _listener() -> socket.socket:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen()
    return server


def test_a_listening_port_is_taken():
    with _listener() as server:
        assert not port_is_free(server.getsockname()[1])


def test_a_port_whose_connection_sits_in_time_wait_is_free():
    server = _listener()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = server.accept()
    accepted.close()  # the server side closes first: the TIME_WAIT is on (127.0.0.1:port, client)
    server.close()
    time.sleep(0.1)
    client.close()
    plain = socket.socket()
    try:
        plain.bind(("0.0.0.0", port))
        lingering = False
    except OSError:
        lingering = True  # what made the reliability suite's port holder think someone held the port
    finally:
        plain.close()
    assert lingering, "no TIME_WAIT was made; the test proves nothing"
    assert port_is_free(port)
