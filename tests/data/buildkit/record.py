"""Record BuildKit's structured progress (``docker buildx build --progress=rawjson``) from real builds.

The files next to this script are what tests/unit/test_service_parsers.py reads. Run it again to
record them anew on another engine or buildx (``.venv/bin/python tests/data/buildkit/record.py``):

    uncached.rawjson   a two-stage build with --no-cache: output lines, a line without its newline,
                       carriage-return progress, a COPY --from
    cached.rawjson     the same build again: every step from the cache
    failing.rawjson    a RUN that prints two lines and exits with code 3
    unparsable.rawjson a Dockerfile that does not parse: no step fails, only buildx's last line says why

Each file holds what the CLI printed (stdout and stderr: the stream, then buildx's own last line);
the builds' images are removed afterwards, by the tag this script gave them.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TAG = "dockerlab-rawjson-sample"

TWO_STAGES = """\
FROM busybox:1.37 AS build
RUN echo compiling && sleep 1 && printf 'step 1\\rstep 2\\rall steps done\\n' && echo done > /out
FROM busybox:1.37
COPY --from=build /out /out
RUN cat /out && printf 'no newline at the end'
"""
FAILING = "FROM busybox:1.37\nRUN echo fine\nRUN echo about to fail && echo on stderr >&2 && exit 3\n"
UNPARSABLE = "FROM busybox:1.37\nRUNN echo typo\n"


def record(name: str, dockerfile: str, *flags: str) -> int:
    with tempfile.TemporaryDirectory(prefix="dockerlab-rawjson-") as context:
        (Path(context) / "Dockerfile").write_text(dockerfile)
        done = subprocess.run(
            ["docker", "buildx", "build", "--progress=rawjson", "-t", f"{TAG}:{name}", *flags, context],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600,
        )
    (HERE / f"{name}.rawjson").write_text(done.stdout)
    print(f"{name}.rawjson: exit {done.returncode}, {len(done.stdout.splitlines())} lines")
    return done.returncode


def main() -> int:
    try:
        ok = record("uncached", TWO_STAGES, "--no-cache") == 0
        ok &= record("cached", TWO_STAGES) == 0
        ok &= record("failing", FAILING, "--no-cache") != 0
        ok &= record("unparsable", UNPARSABLE) != 0
    finally:
        for name in ("uncached", "cached"):
            subprocess.run(["docker", "rmi", f"{TAG}:{name}"], capture_output=True, timeout=60)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
