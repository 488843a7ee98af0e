"""JupyterLab's kernels over socket files (see :mod:`dockerlab.classroom.kernels`).

A module of its own so that only a JupyterLab server imports jupyter_server: ``scripts/lab.sh``
passes ``--AsyncMappingKernelManager.kernel_manager_class=dockerlab.classroom.labkernels.LabKernelManager``.
"""

from __future__ import annotations

from jupyter_server.services.kernels.kernelmanager import ServerKernelManager

from dockerlab.classroom.kernels import SocketFiles


class LabKernelManager(SocketFiles, ServerKernelManager):
    """jupyter_server's per-kernel manager, over socket files."""
