"""Kernels over socket files (dockerlab.classroom.kernels): a real kernel, no engine needed."""

from __future__ import annotations

import glob
from pathlib import Path

import nbformat
import papermill

from dockerlab.classroom.kernels import SocketFileKernelManager

ASK = "from ipykernel.kernelapp import IPKernelApp\napp = IPKernelApp.instance()\nprint(app.transport, app.ip)"


def test_a_notebook_runs_over_socket_files_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / ("a-long-runtime-folder-" * 4)))  # sockets not there
    monkeypatch.chdir(tmp_path)  # the manager's folder ...
    work = tmp_path / "work"
    work.mkdir()  # ... is not the kernel's
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(ASK)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, tmp_path / "in.ipynb")
    out = papermill.execute_notebook(str(tmp_path / "in.ipynb"), str(tmp_path / "out.ipynb"), cwd=str(work),
                                     kernel_name="python3", progress_bar=False, kernel_manager_class=SocketFileKernelManager)
    transport, ip = out.cells[0].outputs[0]["text"].split()
    assert transport == "ipc"
    assert Path(ip).is_absolute() and len(ip) + len("-99") < 107, ip  # a Unix socket path's limit
    assert not glob.glob(ip + "-*") and not Path(ip).parent.exists(), "the kernel's socket files outlived it"
    assert not list(work.iterdir()) and not list(tmp_path.glob("kernel-ipc*")), "socket files in a working folder"
