#!/usr/bin/env bash
# Start JupyterLab on 127.0.0.1 with the course, after scripts/setup.sh. LAB_PORT picks the port.
# Portable to macOS: bash 3.2 (its /bin/bash) and no GNU-only tools (tests/test_script_portability.py,
# tests/unit/test_shell_static.py).
set -euo pipefail
cd "$(dirname "$0")/.."
port="${LAB_PORT:-8888}"
token="${LAB_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_hex(16))')}"
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-root)   # JupyterLab refuses root without it
{ .venv/bin/python -m dockerlab doctor || true; } | tail -n 3   # its PROBLEM lines fail it; the lab starts anyway
cat <<MSG

  dockerlab is starting. Open this address in your browser (notebook 00 first):

      http://127.0.0.1:${port}/lab/tree/00-welcome.ipynb?token=${token}

  Stop the lab with Ctrl-C.
MSG
# Kernels talk to the server over socket files, not TCP ports: on a machine where Docker publishes ports
# too (a classroom server, several learners), a kernel can lose a port it picked to another process and
# die at start (see dockerlab/classroom/kernels.py).
kernels=dockerlab.classroom.labkernels.LabKernelManager
# Its terminals: bash with scripts/lab-terminal.sh, where a command pasted from a notebook runs as the notebook ran it.
terminals="{\"shell_command\": [\"bash\", \"--rcfile\", \"$PWD/scripts/lab-terminal.sh\", \"-i\"]}"
exec .venv/bin/jupyter lab --no-browser --ip=127.0.0.1 --port="$port" --ServerApp.port_retries=0 \
  --IdentityProvider.token="$token" --ServerApp.root_dir="$PWD/notebooks" \
  --AsyncMappingKernelManager.kernel_manager_class="$kernels" --ServerApp.terminado_settings="$terminals" \
  ${extra[@]+"${extra[@]}"}  # bash 3.2 under set -u: an empty array is "unbound"
