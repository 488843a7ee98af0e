"""The Jupyter layer: a lesson and its one check entry point, the %%solution magic, error display, read-only mode, the command log."""
