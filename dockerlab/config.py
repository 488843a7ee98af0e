"""Configuration: every ``DOCKERLAB_*`` environment variable, with its default and its meaning.

The package reads its environment only through this module: each variable is a :class:`Variable`
here, and a module reads it with the variable's reader (``config.TIMEOUT.number()``,
``config.OFFLINE.flag()``, ``config.PROGRESS.path()``). Variables that only the project's own
scripts, tests, benchmarks or engine matrix read are listed too, in the table
``variables_elsewhere.toml`` beside this module (``read_by`` says who reads each), so one list names
them all; those files read ``os.environ`` themselves.

An empty variable counts as unset. ``docs/configuration.md`` is made from this list
(``python -m dockerlab.config > docs/configuration.md``); tests/unit/test_config.py fails when the
page is out of date, or when code anywhere in the repository names a ``DOCKERLAB_*`` variable that
is not listed here.

Base layer: imports nothing of dockerlab.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs

#: The package itself; anything else names the files that read the variable.
PACKAGE = "dockerlab"


@dataclass(frozen=True)
class Variable:
    """One environment variable.

    Attributes:
        name: ``DOCKERLAB_...``.
        default: What an unset variable means, in words (for the docs); the readers get the value
            to use from ``fallback`` or from the caller.
        meaning: What it changes.
        read_by: :data:`PACKAGE`, or the scripts or tests that read it (they read it themselves).
        fallback: The default as the readers use it, where it is a plain value.
    """

    name: str
    default: str
    meaning: str
    read_by: str = PACKAGE
    fallback: str | None = None

    def text(self) -> str | None:
        """The value, or ``fallback`` when unset or empty."""
        value = os.environ.get(self.name)
        return value if value else self.fallback

    def is_set(self) -> bool:
        return bool(os.environ.get(self.name))

    def enabled(self) -> bool:
        """False when the variable is ``off`` (an on/off setting that is on unless turned off)."""
        return (self.text() or "").strip().lower() != "off"

    def flag(self) -> bool:
        """True when the variable is ``1`` (the only value that turns a flag on)."""
        return self.text() == "1"

    def number(self) -> float:
        """The value as a number; a value that is not one raises ValueError naming the variable."""
        value = self.text()
        try:
            return float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{self.name}={value!r} is not a number (unset, it is {self.default})") from None

    def path(self) -> Path | None:
        """The value as a path (``~`` expanded), or None when unset and without a fallback."""
        value = self.text()
        return Path(value).expanduser() if value else None


# -- read by the package --------------------------------------------------------------------------

STATE = Variable(
    "DOCKERLAB_STATE",
    "the platform's user state folder: `~/.local/state/dockerlab` on Linux (`$XDG_STATE_HOME/dockerlab`), "
    "`~/Library/Application Support/dockerlab` on macOS, `%LOCALAPPDATA%\\dockerlab` on Windows",
    "The folder for the learner's progress (`progress.json`), the session files (`sessions/`: which kernel "
    "made what, for the sweep after a killed kernel) and the test suites' engine locks. Unset, what an older "
    "dockerlab kept in `~/.cache/dockerlab` is moved there once; set, nothing is moved.",
)
PROGRESS = Variable(
    "DOCKERLAB_PROGRESS",
    "`progress.json` in the state folder",
    "The progress file: the latest result of every exercise check. `dockerlab prepare`, `dockerlab grade` "
    "and the test suites give each run a file of its own.",
)
PORTS = Variable(
    "DOCKERLAB_PORTS",
    "`dockerlab-ports` in the temporary folder (`/tmp/dockerlab-ports`)",
    "The folder of host-port reservations (`lesson.port()`), one lock file per port. Host ports belong to "
    "the machine, so it is one folder for every user (sticky and world-writable, like /tmp), not the state folder.",
    fallback=str(Path(tempfile.gettempdir()) / "dockerlab-ports"),
)
TIMEOUT = Variable(
    "DOCKERLAB_TIMEOUT",
    "30",
    "Seconds any single engine API call may take (builds and pulls go through the `docker` CLI instead).",
    fallback="30",
)
HTTP_TIMEOUT = Variable(
    "DOCKERLAB_HTTP_TIMEOUT",
    "3",
    "Seconds a check waits for a learner's web app to answer one request (raise it on a slow or emulated machine).",
    fallback="3",
)
MIN_FREE_GB = Variable(
    "DOCKERLAB_MIN_FREE_GB",
    "5",
    "Free disk, in GB, where the engine keeps images, under which `dockerlab doctor` reports a problem "
    "(lower for a short workshop on a small disk, higher for a stricter classroom check).",
    fallback="5",
)
OFFLINE = Variable(
    "DOCKERLAB_OFFLINE",
    "unset",
    "`1`: never try a registry; `dockerlab images ensure` builds the offline stand-ins at once (as `--offline`).",
)
MIRROR = Variable(
    "DOCKERLAB_MIRROR",
    "unset",
    "`HOST:PORT` of a class mirror (`dockerlab images serve` on the instructor's machine prints it): "
    "`dockerlab images ensure` pulls the course images from it instead of Docker Hub, as `--mirror`; "
    "`dockerlab doctor` reports what it says of pull limits. An engine pulls from a mirror that is not on "
    "127.0.0.1 only once it lists it under `insecure-registries` (docs/classroom.md).",
)
BOOTSTRAP_TIMEOUT = Variable(
    "DOCKERLAB_BOOTSTRAP_TIMEOUT",
    "900",
    "Seconds `mmdebstrap` may take to make the offline stand-in of the Debian base image (about 25 s on a "
    "good mirror); a mirror that stops answering is given up after this.",
    fallback="900",
)
DEBIAN_MIRROR = Variable(
    "DOCKERLAB_DEBIAN_MIRROR",
    "this machine's apt mirror, else `http://deb.debian.org/debian`",
    "The Debian mirror the offline stand-in of the Debian base image is bootstrapped from.",
)
KEEP_ON_EXIT = Variable(
    "DOCKERLAB_KEEP_ON_EXIT",
    "unset",
    "`1`: a session's end (the kernel exits) leaves its containers, networks, volumes and session files for "
    "the next sweep. The solution-mode tests use it to see what a notebook itself left behind; "
    "`dockerlab prepare` and `grade` unset it for the kernels they start.",
)
STRIP = Variable(
    "DOCKERLAB_STRIP",
    "on",
    "`off`: the progress strip at the top of each notebook is shown but not refreshed after each cell (no quiet "
    "checks in the background). `dockerlab prepare` and `grade` set it for the kernels they start.",
    fallback="on",
)
CLASSROOM_LOG = Variable(
    "DOCKERLAB_CLASSROOM_LOG",
    "unset",
    "Set by `dockerlab prepare` and `dockerlab grade` for the kernels they start: the JSON-lines file where "
    "the cell they add logs each check's full result, the kernel's session and each cell's error.",
)

# -- read only by the project's scripts, tests, benchmarks and engine matrix --------------------
# A table, not code: nothing in the package reads these, so they are data (variables_elsewhere.toml,
# shipped beside this module), loaded here only to be listed with the others.

ELSEWHERE_FILE = Path(__file__).with_name("variables_elsewhere.toml")


def _elsewhere() -> tuple[Variable, ...]:
    table = tomllib.loads(ELSEWHERE_FILE.read_text(encoding="utf-8"))
    return tuple(Variable(name, **fields) for name, fields in table.items())


#: Every variable, in the order the docs list them.
VARIABLES: tuple[Variable, ...] = tuple(v for v in globals().values() if isinstance(v, Variable)) + _elsewhere()
BY_NAME = {v.name: v for v in VARIABLES}


# -- where state lives --------------------------------------------------------------------------

def default_state_dir() -> Path:
    """The platform's user state folder for dockerlab (platformdirs), used when DOCKERLAB_STATE is unset."""
    return platformdirs.user_state_path("dockerlab", appauthor=False)


def legacy_state_dir() -> Path:
    """Where older versions of dockerlab kept their state: a cache folder, which cleaners empty."""
    return Path.home() / ".cache" / "dockerlab"


# -- the docs page ------------------------------------------------------------------------------

def markdown() -> str:
    """docs/configuration.md: every variable, the package's first."""

    def table(rows: list[Variable], with_reader: bool) -> list[str]:
        head = ["| variable | default | meaning |" + (" read by |" if with_reader else ""),
                "|----------|---------|---------|" + ("---------|" if with_reader else "")]
        return head + [f"| `{v.name}` | {v.default} | {v.meaning} |" + (f" {v.read_by} |" if with_reader else "") for v in rows]

    lines = [
        "# Configuration",
        "",
        "<!-- Made from dockerlab/config.py by `python -m dockerlab.config > docs/configuration.md`;",
        "     tests/unit/test_config.py fails when this page and config.py (with variables_elsewhere.toml) differ. -->",
        "",
        "Every `DOCKERLAB_*` environment variable, with its default and what it changes. An empty variable counts",
        "as unset. The package reads them through [`dockerlab/config.py`](../dockerlab/config.py), which lists them.",
        "",
        "## Read by dockerlab",
        "",
        *table([v for v in VARIABLES if v.read_by == PACKAGE], with_reader=False),
        "",
        "## Read only by the project's own scripts, tests and engine matrix",
        "",
        *table([v for v in VARIABLES if v.read_by != PACKAGE], with_reader=True),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(), end="")
