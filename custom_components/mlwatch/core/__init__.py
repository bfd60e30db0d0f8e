"""Inference engine in plain Python: no Home Assistant imports, so tests and tools run it alone."""
