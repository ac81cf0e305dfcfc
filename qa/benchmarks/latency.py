"""Warm, in-process question latency: every step of `Engine.ask`, as percentiles over questions and runs."""

from __future__ import annotations

from .stats import latency_figures

# "search" is split into its parts: dense, lexical, fusion (qa.retrieval)
LATENCY_KEYS = ("total", "embed", "search_dense", "search_lexical", "search_fusion", "sentences", "compose")


def ask_runs(engine, questions: list[str], runs: int) -> list[list[dict[str, float]]]:
    """`timings_ms` of every question, run after run, after one warm-up question."""
    engine.ask(questions[0])
    return [[engine.ask(q).timings_ms for q in questions] for _ in range(runs)]


def latency_summary(runs: list[list[dict[str, float]]]) -> dict:
    """{step: {"p50": figure, "p95": figure}} as plain data (ms)."""
    return {key: {name: figure.to_dict() for name, figure in values.items()}
            for key, values in latency_figures(runs, LATENCY_KEYS).items()}
