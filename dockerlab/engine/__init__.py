"""Engine access and safety: the layer every service stands on.

* :mod:`.client`     the one docker-py client, the engine's address (DOCKER_HOST, docker context,
                     default socket), docker-py failures translated into :mod:`dockerlab.errors`
* :mod:`.dockercli`  the ``docker`` CLI as a subprocess (buildx, compose), with timeouts
* :mod:`.kind`       what kind of engine it is, and what follows for the lessons
* :mod:`.safety`     what no container gets (privileged, host namespaces, the engine's socket, ...)
* :mod:`.session`    session id, labels, safe creation, cleanup by label or name, dead-session sweep

``from dockerlab import engine`` gives the client's functions directly (``engine.client()``,
``engine.translated()``), as docker-py's ``docker`` package gives its client.
"""

from dockerlab.engine.client import (
    DEFAULT_HOST,
    DEFAULT_TIMEOUT,
    Address,
    address,
    answers,
    available,
    classify,
    client,
    negotiated_api_version,
    problem,
    reset,
    server_version,
    translated,
)

__all__ = ["DEFAULT_HOST", "DEFAULT_TIMEOUT", "Address", "address", "answers", "available", "classify", "client",
           "negotiated_api_version", "problem", "reset", "server_version", "translated"]
