"""The engine matrix: the course run against several Docker engines on one machine.

Learners do not have the engine this machine's ``make test`` uses. Each *row* of the matrix is
another kind of engine a learner really has (a just-installed one, a current one with the
containerd image store, one whose processes the notebook cannot see, one with cgroup v2 under
systemd in a VM), started here, beside the default engine and never touching it:

* :mod:`matrix.debian`   engine programs from Debian's archive, unpacked into a cache, never installed
* :mod:`matrix.netns`    a network namespace of its own per engine (its own bridges and iptables)
* :mod:`matrix.dockerd`  a separate ``dockerd``: data-root, exec-root, socket, pidfile, cgroup parent
* :mod:`matrix.vm`       an engine in a QEMU virtual machine (cgroup v2, systemd)
* :mod:`matrix.rows`     what each row is
* :mod:`matrix.run`      a row's tests: every notebook under nbval and in solution mode
* :mod:`matrix.report`   docs/engine-matrix.md from the rows' results

``python -m matrix --help`` lists the commands; docs/engine-matrix.md shows the last full run.
"""
