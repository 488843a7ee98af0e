"""Small helpers the exercise tests share: run the real CLI, remove containers, read a reason."""

from __future__ import annotations

import subprocess


def docker(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``docker ARGS`` as a learner would; with ``check``, a failure fails the test with its stderr."""
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def remove(*names: str) -> None:
    """Remove containers by name, whether or not they exist."""
    subprocess.run(["docker", "rm", "-f", *names], capture_output=True, timeout=60)


def unmet(result, words: str) -> str:
    """The reason of the requirement whose description contains ``words``, which must be unmet."""
    for requirement in result.requirements:
        if words in requirement.description:
            assert not requirement.met, f"expected unmet: {requirement}"
            return requirement.reason
    raise AssertionError(f"no requirement about {words!r} in {result}")
