"""Exercise checks: look at the real state the learner produced, say "done" or "not yet, because...".

A notebook's check cell is one line::

    lesson.check("04.name-container")

The lesson (:mod:`dockerlab.jupyter.lesson`) runs the exercise's check (:func:`registry.run`),
saves the result in the learner's progress (:mod:`dockerlab.record`), tells whoever listens
(:mod:`dockerlab.record.events`) and shows it (:mod:`dockerlab.views.checks`: each requirement with
a tick or a cross and, for a cross, what exactly is wrong; a "Show a hint" button reveals the
general hints one at a time). Nothing here displays anything or knows Jupyter. A wrong answer
never raises: a missing file, binary junk, a container that does not exist all become unmet
requirements with a plain reason. Only an engine that cannot be reached at all is reported as
such (``result.engine_error``), still as a result.

Writing an exercise
-------------------
Exercises live in ``dockerlab/exercises/<notebook>.py``, one module per notebook (the package
imports every module in it). An exercise is a function of the lesson that returns or yields
requirements, registered under an id ``<lesson number>.<name>``; a requirement the rest builds on
is yielded as a :func:`prerequisite`, and the check stops after it when it is unmet::

    # dockerlab/exercises/nb04_running_containers.py
    from dockerlab.checks import containers, exercise, http, prerequisite

    @exercise("04.web-on-localhost", title="Run nginx on 127.0.0.1:8080",
              hints=["docker run -d --name NAME -p HOST_IP:HOST_PORT:CONTAINER_PORT IMAGE",
                     "nginx listens on port 80 inside the container"])
    def web_on_localhost(lesson):
        name = lesson.name("web")                  # web-dl3f9a1c: the name the notebook told them to use
        yield prerequisite(containers.running(name))   # the rest is about that container
        yield containers.from_image(name, "nginx:stable")
        yield containers.publishes(name, 80, host_port=8080, host_ip="127.0.0.1")
        yield http.answers("http://127.0.0.1:8080/", contains="nginx")

Building blocks (each returns one :class:`Requirement`, never raises on a wrong answer):

* :mod:`~dockerlab.checks.dockerfile`: ``parses``, ``python_slim_base``, ``has_workdir``,
  ``copies``, ``cmd_exec_form``, ``non_root_user``, ``no_secrets``, ``hadolint_clean``
* :mod:`~dockerlab.checks.images`: ``exists``, ``built_from``, ``size_under``, ``user_non_root``,
  ``layers_at_most``, ``has_label``
* :mod:`~dockerlab.checks.containers`: ``exists``, ``running``, ``exited``, ``from_image``,
  ``logs_contain``, ``publishes``, ``memory_limit``, ``pids_limit``, ``on_network``,
  ``mounts_volume``, ``has_env``, ``restart_policy``
* :mod:`~dockerlab.checks.http`: ``answers``, ``container_answers``
* :mod:`~dockerlab.checks.compose`: ``valid``, ``no_version_key``, ``service_exists``, ``builds``,
  ``uses_image``, ``publishes``, ``depends_on_healthy``, ``has_healthcheck``, ``uses_volume``,
  ``env_set``; and ``well_formed``, the first two (``yield from`` it)

A requirement of your own is a function decorated with :func:`block`: return None when met, or a
string saying what is wrong (or raise :class:`Unmet`); any other exception it raises becomes an
unmet requirement too::

    from dockerlab.checks import block

    @block("the file {path} mentions {word}")
    def mentions(path, word):
        if word not in open(path).read():
            return f"{path} does not mention {word}; add it"

Test an exercise in the notebook with ``dockerlab.exercises.run("04.x", lesson)`` (no display, no
progress) or in a test file with a real engine, as ``tests/engine/test_checks*.py`` do.
"""

from dockerlab.checks import compose, containers, dockerfile, http, images
from dockerlab.checks.blocks import Unmet, block
from dockerlab.checks.registry import Exercise, exercise, prerequisite, unregister
from dockerlab.checks.result import CheckResult, Requirement

__all__ = [
    "CheckResult",
    "Exercise",
    "Requirement",
    "Unmet",
    "block",
    "compose",
    "containers",
    "dockerfile",
    "exercise",
    "http",
    "images",
    "prerequisite",
    "unregister",
]
