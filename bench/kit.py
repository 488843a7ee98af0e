"""The offline image kit alone: ``dockerlab images ensure`` with the course's images removed, and again."""

from __future__ import annotations

from . import course_images
from .common import PYTHON, say, timed
from .stats import Row, Target

COLD_NOTE = ("Course images removed first (bench/course_images.py: manifest stand-ins, lesson and session "
             "images; nothing else, no prune), then `python -m dockerlab images ensure`: mmdebstrap builds a new "
             "Debian root filesystem, so the base gets a new id and every stand-in built FROM it misses the build "
             "cache, as on an empty engine. Debian packages come from the mirror over the network.")


def _ensure() -> float:
    seconds, done = timed([PYTHON, "-m", "dockerlab", "images", "ensure"], timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"dockerlab images ensure failed:\n{done.stdout[-2000:]}")
    return seconds


def rerun(runs: int) -> Row:
    samples = [_ensure() for _ in range(runs)]
    say(f"  re-run: {min(samples):.1f}–{max(samples):.1f} s")
    return Row("kit", "image kit, re-run (every image present)", "s", samples, Target(3),
               note="`python -m dockerlab images ensure`, a new Python process each time (imports, one inspect per image).")


def cold(runs: int) -> Row:
    samples = []
    for run in range(runs):
        removed = course_images.remove_all()
        say(f"  cold {run + 1}/{runs}: removed {len(removed)} course tags; building the kit")
        samples.append(_ensure())
        say(f"  cold {run + 1}/{runs}: {samples[-1]:.0f} s")
    return Row("kit", "image kit, cold (course images removed)", "s", samples, Target(90), note=COLD_NOTE)
