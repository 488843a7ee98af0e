"""Services: what the course does with the engine, one module per topic (no IPython, no HTML)."""
