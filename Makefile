# The two commands a learner needs: `make lab` and `make test`. Both do all their own set-up
# (scripts/setup.sh: venv, engine, images); a second run only checks.
.PHONY: help setup lab test unit engine-tests notebooks solutions record reliability browser bench clean-course

PYTEST := .venv/bin/python -m pytest
NBVAL  := --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env

help:
	@echo "make lab     set up, then start JupyterLab with the course"
	@echo "make test    set up, then run every test: unit, engine, every notebook under nbval and papermill"
	@echo "make record  re-run every notebook and store its outputs (after editing a notebook)"

setup:
	@bash scripts/setup.sh

lab: setup
	@bash scripts/lab.sh

test: setup
	$(PYTEST) tests notebooks $(NBVAL) -p no:cacheprovider

unit:
	$(PYTEST) tests/unit -q

record: setup
	.venv/bin/python scripts/record_notebooks.py

clean-course:
	.venv/bin/python -m dockerlab sweep
