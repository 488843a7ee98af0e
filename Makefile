# The two commands a learner needs: `make lab` and `make test`. Both do all their own set-up
# (scripts/setup.sh: engine first, then venv and images); a second run only checks.
.PHONY: help setup lab test notebooks unit record reliability browser clean-course hub-smoke bench matrix matrix-vm matrix-podman matrix-report lock crowd

PYTEST := .venv/bin/python -m pytest
NBVAL  := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

help:
	@echo "make lab     set up, then start JupyterLab with the course"
	@echo "make test    set up, then run every test: unit, engine, every notebook under nbval and papermill (side by side)"
	@echo "make notebooks  only the notebooks under nbval (CI runs it right after make test: twice in a row)"
	@echo "make record  re-run every notebook and store its outputs (after editing a notebook)"
	@echo "make browser run every notebook in JupyterLab in headless Chromium; screenshots in screenshots/"
	@echo "make crowd   a workshop on one box: CROWD=30 learners at once (time, memory), then 30 hand-ins graded"
	@echo "make bench   measure what the course costs this machine; tables in docs/benchmarks.md"
	@echo "make matrix  every notebook on the other engines learners run (docs/engine-matrix.md); needs root"
	@echo "make matrix-vm  row e of the matrix: cgroup v2 under systemd in an emulated VM (~25 min)"
	@echo "make matrix-podman  row p of the matrix: Podman 4.3's Docker-compatible API (~12-13 min)"

setup:
	@bash scripts/setup.sh

lab: setup
	@bash scripts/lab.sh

# The jobs (a notebook under nbval with its solution-mode run; test files in chunks) run side by side on the
# machine's engine and brand-new engines started beside it, one per core (matrix/split.py); where that cannot
# be (not root, not Linux, DOCKER_HOST set) or DOCKERLAB_TEST_WORKERS=1, as one pytest run on the machine's engine.
test: setup
	.venv/bin/python -m matrix test

# Only the notebooks, under nbval with the same flags as `make test`. .ci/run runs it right after
# `make test`, so every notebook passes twice in a row on the same engine (the second run meets what
# the first left: images, build cache, progress files). `make test` stays the one test command.
notebooks: setup
	$(PYTEST) notebooks $(NBVAL) -p no:cacheprovider

# Debian's chromium (apt, only if missing, as root) and the `browser` extra of pyproject.toml
# (playwright at requirements.lock's version; its own browser download is never used), then every notebook in JupyterLab.
browser: setup
	@[ -x /usr/bin/chromium ] || { [ "$$(id -u)" -eq 0 ] && command -v apt-get >/dev/null && \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } || \
	  { echo "make browser needs Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium"; exit 1; }
	@.venv/bin/python -c 'import playwright' 2>/dev/null || .venv/bin/pip install --quiet --constraint requirements.lock $$(.venv/bin/python -c \
	  "import tomllib; print(' '.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['browser']))")
	$(PYTEST) tests/browser -v -p no:cacheprovider

unit:
	$(PYTEST) tests/unit -q

# Classroom scenarios against the real engine: every notebook twice, the engine stopped and started, a
# killed kernel, taken ports, bad input, limits, the safety guard, 10 learners at once. About 13 minutes on
# 2 cores; stops the engine for seconds; not part of `make test`. Results: docs/reliability.md.
# The workshop scenario (30 hand-ins graded, about 5 minutes) is make crowd's: CI's 60 minutes have no room for it.
# Split like make test: each notebook's idempotence run on any engine, the scenarios that stop, kill or crowd the
# machine's engine on that engine (matrix/split.py; DOCKERLAB_TEST_WORKERS=1: one pytest run, as before).
reliability: setup
	.venv/bin/python -m matrix test --suite reliability

# A 30-person workshop on this box: CROWD learners run notebooks 03-05 at once (per-notebook and whole-run time,
# peak memory: crowd-$(CROWD).json in the report folder), then release -> 30 hand-ins -> grade -> gradebook.csv
# checked learner by learner (tests/reliability/test_workshop.py). About 20 minutes on 2 cores; numbers in docs/reliability.md.
CROWD ?= 30
crowd: setup
	DOCKERLAB_CROWD=$(CROWD) DOCKERLAB_CROWD_BOUND=$${DOCKERLAB_CROWD_BOUND:-3000} \
	DOCKERLAB_RELIABILITY_BOUND=$${DOCKERLAB_RELIABILITY_BOUND:-3600} \
	$(PYTEST) tests/reliability/test_workshop.py tests/reliability/test_crowd.py -v -p no:cacheprovider

# What the course costs a learner's machine, on the real engine: full suite warm and cold, the image kit,
# helper vs CLI, build-log streaming, make lab, kernel memory, image disk. About 30 minutes on 2 cores
# (BENCH_QUICK=1: a few); options at the top of bench/__main__.py. Results: docs/benchmarks.md.
bench: setup
	.venv/bin/python -m bench

record: setup
	.venv/bin/python scripts/record_notebooks.py

clean-course:
	.venv/bin/python -m dockerlab sweep

# requirements.lock from pyproject.toml (uv in build/lock-tools): after changing the dependencies; UPGRADE=1 moves every pin.
lock:
	bash scripts/lock.sh

# JupyterHub + DockerSpawner, two learners each with an engine of their own, on this machine; run by .ci/run, not `make test`
# (needs PyPI and npm from the host, root for the per-learner engines). See docs/classroom.md.
hub-smoke:
	bash scripts/hub_smoke.sh

# The engine matrix: every notebook under nbval and in solution mode, and the engine-dependent claims,
# on engines learners run, each started on this machine beside the default engine and removed after:
# b a just-installed engine, c Engine 28.5 with the containerd image store, d the same reached through
# a docker context with its processes out of the notebook's sight, e cgroup v2 under systemd in a VM.
# Needs root (network namespaces, mounts); fetches Debian's packages into /var/cache/dockerlab-engines.
# p is Podman 4.3's Docker-compatible API. Row b is not in the default: make test already runs its jobs on a
# brand-new 20.10 engine beside the machine's (matrix/split.py), and CI's 60 minutes have no room for b's 9 more;
# `make matrix MATRIX_ROWS="c p b d"` runs it. MATRIX_ROWS picks rows (longest first, so two jobs end together),
# MATRIX_JOBS how many run side by side. Results: build/matrix/.
# Row e is not in CI's default: emulated, its notebooks and tests take about 25 minutes alone, and CI's
# whole run must stay under 60 (docs/engine-matrix.md has its last measured run); `make matrix-vm` runs it.
MATRIX_ROWS ?= c p d
MATRIX_JOBS ?= 2
matrix: setup
	.venv/bin/python -m matrix run $(MATRIX_ROWS) --jobs $(MATRIX_JOBS)

matrix-vm: setup
	.venv/bin/python -m matrix run e

# Row p alone: Podman 4.3's Docker-compatible API (Debian 12's packages); CI runs it in MATRIX_ROWS.
matrix-podman: setup
	.venv/bin/python -m matrix run p

# docs/engine-matrix.md from the last `make matrix` (with row a: MATRIX_ROWS="a b c d e").
matrix-report:
	.venv/bin/python -m matrix report
