"""Summaries of repeated measurements: the median of several runs with their min and max."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Figure:
    """One measured quantity over several runs: median, min, max and the runs themselves."""

    median: float
    min: float
    max: float
    runs: list[float]
    unit: str = ""

    @classmethod
    def of(cls, values: Sequence[float], unit: str = "", digits: int = 3) -> "Figure":
        values = [round(float(v), digits) for v in values]
        if not values:
            return cls(float("nan"), float("nan"), float("nan"), [], unit)
        return cls(round(statistics.median(values), digits), min(values), max(values), values, unit)

    def to_dict(self) -> dict:
        return asdict(self)

    def text(self, digits: int = 1) -> str:
        if not self.runs:
            return "n/a"
        if len(self.runs) == 1:
            return f"{self.median:.{digits}f}"
        return f"{self.median:.{digits}f} ({self.min:.{digits}f}–{self.max:.{digits}f})"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    return float(np.percentile(np.asarray(values, dtype=float), q)) if len(values) else float("nan")


def ratio(numerator: Figure, denominator: Figure) -> Figure:
    """Run-by-run ratio of two figures measured in the same runs (paired), summarised like a figure."""
    pairs = [(a, b) for a, b in zip(numerator.runs, denominator.runs) if b]
    return Figure.of([a / b for a, b in pairs], unit="×")


def timed(function: Callable[[], object]) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def latency_figures(runs: Sequence[Sequence[dict[str, float]]], keys: Sequence[str]) -> dict[str, dict[str, Figure]]:
    """{key: {"p50": Figure, "p95": Figure}}: each run's percentiles over its questions, across runs (ms)."""
    return {key: {name: Figure.of([percentile([t.get(key, 0.0) for t in run], q) for run in runs], "ms")
                  for name, q in (("p50", 50), ("p95", 95))}
            for key in keys}
