"""Another program holds the lesson's ports (a learner's own web server on 8080, a classmate's
app): notebook 05 still runs to the end in solution mode, because ``lesson.port`` hands out free
ports; and where a port is asked for by number anyway, the failure says exactly what to do.
"""

from __future__ import annotations

import re
import socket
import time

import nbformat
import papermill
import pytest

import harness
from dockerlab import errors

NOTEBOOK = harness.NOTEBOOKS / "05-ports-and-web-apps.ipynb"
HELD = (8080, 8180, 8280)  # the ports notebook 05 prefers


@pytest.fixture
def held_ports():
    holders, held = [], []
    for port in HELD:
        holder = socket.socket()
        # Without SO_REUSEADDR, bind fails while an earlier test's connections to the port sit in
        # TIME_WAIT; the port then looked "taken by someone else" but was free for Docker, which
        # binds with SO_REUSEADDR (a failed run of this suite).
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("0.0.0.0", port))
            holder.listen()
            holders.append(holder)
            held.append(port)
        except OSError:  # someone else holds it already: taken all the same
            holder.close()
            held.append(port)
    yield held
    for holder in holders:
        holder.close()


def test_notebook_05_with_its_ports_taken(tmp_path, monkeypatch, held_ports, record):
    folder = harness.learner_folder(tmp_path, [NOTEBOOK])
    monkeypatch.setenv("DOCKERLAB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("DOCKERLAB_PROGRESS", str(tmp_path / "progress.json"))
    out = tmp_path / "out.ipynb"
    started = time.monotonic()
    papermill.execute_notebook(str(folder / NOTEBOOK.name), str(out), parameters={"MODE": "solution"}, cwd=str(folder),
                               kernel_name="python3", progress_bar=False, execution_timeout=600)
    seconds = time.monotonic() - started
    text = "\n".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                     for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code" for o in c.outputs)
    harness.SEEN.update(harness.session_ids_in(text))
    given = {int(p) for p in re.findall(r"(?:host port|port) (\d{4,5})\b", text)}
    assert given and not given & set(held_ports), f"the lesson handed out a held port: {given} vs {held_ports}"
    assert "Hello from simple-webapp" in text
    from dockerlab.record import progress

    passed = [e for e, r in progress.load().items() if r["passed"]]
    assert "05.publish-localhost" in passed, progress.load()
    record("Port taken", f"ports {', '.join(map(str, held_ports))} held by plain sockets; notebook 05 in solution mode (papermill)",
           f"ran to the end on ports {', '.join(map(str, sorted(given)))}; 05.publish-localhost passed", seconds)


def test_a_port_asked_for_by_number_is_explained(tmp_path, held_ports, course_session, record):
    from dockerlab.jupyter.lesson import Lesson

    lesson = Lesson("05-ports-and-web-apps", workdir=tmp_path / "work")
    name = lesson.name("fixed-port")
    port = held_ports[0]
    try:
        with pytest.raises(errors.PortInUse) as raised:
            lesson.run("busybox:1.37", ["sleep", "30"], name=name, ports={"80/tcp": port})
        assert str(port) in raised.value.message and f"ss -ltnp 'sport = :{port}'" in raised.value.fix, raised.value
        assert harness.docker("inspect", name).returncode != 0, "the container whose start failed was left behind"
        cli = harness.docker("run", "-d", "--name", lesson.name("cli-port"), "-p", f"{port}:80", "busybox:1.37", "sleep", "30")
        assert cli.returncode != 0 and re.search(r"address already in use|port is already allocated", cli.stderr), cli.stderr
    finally:
        lesson.reset()
    assert harness.resources_of([lesson.session.id]).get("containers", set()) & {name, lesson.name("cli-port")} == set()
    record("Port taken: by number", f"lesson.run(ports={{'80/tcp': {port}}}) and `docker run -p {port}:80` with {port} held",
           "PortInUse names the port and the fix (another port, `ss -ltnp`); no half-made container; the CLI says "
           "'address already in use' (its Created container goes with lesson.reset())", None)
