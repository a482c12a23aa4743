"""Benchmarks of the kit against the limits beside it: `python -m bench` (see bench/__main__.py)."""
