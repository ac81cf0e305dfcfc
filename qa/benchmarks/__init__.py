"""Benchmarks behind `qa bench`: speed and scale of indexing and answering (see qa/benchmarks/command.py)."""
