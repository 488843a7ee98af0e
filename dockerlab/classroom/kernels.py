"""Kernels that talk over Unix sockets instead of TCP ports, for running many notebooks at once.

Jupyter picks a kernel's five TCP ports by binding to port 0, noting the number and letting go;
the kernel binds them a moment later. On a machine where Docker publishes ports too
(``-p 127.0.0.1::80`` draws from the same ephemeral range) and ten kernels start together, another
process can take a port in that gap, and the kernel dies with ``ZMQError: Address already in use``
(seen in the reliability suite's crowd scenario). With the ``ipc`` transport the kernel's channels
are socket files: nothing to race for.

Where the socket files go: jupyter_client's default is ``kernel-ipc-N`` in the current folder
(shared by every kernel started there, and wrong for a kernel whose working folder differs), or
the connection file's path, which can exceed the 107 bytes a Unix socket path may have (a long
home folder or ``JUPYTER_RUNTIME_DIR``). So each kernel gets a short private folder of its own in
the temporary folder (mode 0700, like the runtime folder), removed when the kernel shuts down.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import HasTraits, default


class SocketFiles(HasTraits):
    """Mixin for a jupyter_client kernel manager: ``ipc`` transport, sockets in a private folder."""

    @default("transport")
    def _transport_default(self) -> str:
        return "ipc"

    @default("ip")
    def _ip_default(self) -> str:
        return str(Path(tempfile.mkdtemp(prefix="dlk-")) / "k")  # the sockets are k-1 ... k-5

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)  # removes the socket files
        folder = Path(self.ip).parent
        if not restart and folder.name.startswith("dlk-"):
            shutil.rmtree(folder, ignore_errors=True)


class SocketFileKernelManager(SocketFiles, AsyncKernelManager):
    """nbclient's and papermill's default manager, over socket files (``kernel_manager_class=``).

    JupyterLab's counterpart is :class:`dockerlab.classroom.labkernels.LabKernelManager`.
    """
