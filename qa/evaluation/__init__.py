"""Evaluation: question sets, retrieval and answer metrics, baselines side by side, reports and diffs."""

from .for_ui import UIEvaluation, evaluate_for_ui, run_for_ui

__all__ = ["UIEvaluation", "evaluate_for_ui", "run_for_ui"]
