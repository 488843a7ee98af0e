"""Kernels that talk over Unix sockets instead of TCP ports, for running many notebooks at once.

Jupyter picks a kernel's five TCP ports by binding to port 0, noting the number and letting go;
the kernel binds them a moment later. On a machine where Docker publishes ports too
(``-p 127.0.0.1::80`` draws from the same ephemeral range) and ten kernels start together, another
process can take a port in that gap, and the kernel dies with ``ZMQError: Address already in use``
(seen in the reliability suite's crowd scenario). With the ``ipc`` transport the kernel's channels
are socket files next to its connection file: nothing to race for.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from jupyter_core.paths import jupyter_runtime_dir
from traitlets import default

#: For JupyterLab (scripts/lab.sh) and anything else configured by traitlets on the command line.
LAB_OPTION = "--KernelManager.transport=ipc"


class SocketFileKernelManager(AsyncKernelManager):
    """An :class:`AsyncKernelManager` (nbclient's and papermill's default) whose kernels use ``ipc``."""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default(self) -> str:
        # jupyter_client's default for ipc is "kernel-ipc", relative to the current folder: two
        # kernels started from one folder would share socket names, and a kernel whose working
        # folder differs from its manager's would not find them. An absolute, unique prefix fixes both.
        if self.connection_file:
            return str(Path(self.connection_file).with_suffix("")) + "-ipc"
        folder = Path(jupyter_runtime_dir())
        folder.mkdir(parents=True, exist_ok=True)
        return str(folder / f"kernel-{uuid.uuid4().hex[:12]}-ipc")
