"""Tooling for the project's own test suites and benchmarks (not used by the course)."""
