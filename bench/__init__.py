"""Benchmarks: what the course costs a learner's machine (``make bench``, see ``bench/__main__.py``)."""
