"""One learner of the crowd scenario: run notebooks in solution mode with papermill, one fresh kernel
each, in the learner's own folder, and write what happened to a JSON file.

    python crowd_learner.py FOLDER RESULT.json NOTEBOOK...

The environment (DOCKERLAB_STATE, DOCKERLAB_PROGRESS) is the learner's own, set by the caller.
Kernels use socket files, as ``dockerlab grade`` and ``make lab`` do (see dockerlab.classroom.kernels):
with TCP, one of ten kernels started together once lost a port to another process and died.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import papermill

from dockerlab.classroom.kernels import SocketFileKernelManager


def main() -> None:
    folder, result_file, notebooks = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    runs = []
    for name in notebooks:
        started = time.monotonic()
        error = None
        try:
            papermill.execute_notebook(str(folder / name), str(folder / f"out-{name}"), parameters={"MODE": "solution"},
                                       cwd=str(folder), kernel_name="python3", progress_bar=False, execution_timeout=600,
                                       kernel_manager_class=SocketFileKernelManager)
        except Exception as exc:  # noqa: BLE001 - recorded for the test to report
            error = f"{type(exc).__name__}: {str(exc)[:1500]}"
        runs.append({"notebook": name, "seconds": round(time.monotonic() - started, 1), "error": error})
        result_file.write_text(json.dumps(runs))


if __name__ == "__main__":
    main()
