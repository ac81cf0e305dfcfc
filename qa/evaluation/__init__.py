"""Evaluation: question sets, retrieval and answer metrics, baselines side by side, reports and diffs."""

from .for_ui import run_for_ui

__all__ = ["run_for_ui"]
