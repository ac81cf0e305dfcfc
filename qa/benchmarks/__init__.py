"""Benchmarks behind `qa bench` (command.py): speed and scale of indexing and answering."""
