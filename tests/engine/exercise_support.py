"""The old home of the shared helpers, kept for the modules that still import them from here
(tests/engine/test_claims_00.py, _01, _02). They live in tests/support.py: import them from there."""

from __future__ import annotations

from support import docker, remove, unmet  # noqa: F401
