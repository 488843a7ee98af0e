"""The course's exercise checks: one module per notebook, e.g. ``exercises/nb04.py``.

Importing this package imports every module in it, so each module's ``@exercise`` registrations
happen (see :mod:`dockerlab.checks` for how to write one). A module that fails to import is
logged and listed in :data:`failed`; the other modules' exercises still work.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil

log = logging.getLogger(__name__)

#: Modules that raised on import, by module name, with the exception.
failed: dict[str, BaseException] = {}


def load_all() -> None:
    """Import every module of this package (modules whose name starts with ``_`` are skipped)."""
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        try:
            importlib.import_module(f"{__name__}.{module.name}")
            failed.pop(module.name, None)
        except Exception as exc:  # noqa: BLE001 - one broken module must not hide the others
            failed[module.name] = exc
            log.error("exercise module dockerlab.exercises.%s failed to import: %s", module.name, exc, exc_info=exc)


load_all()
