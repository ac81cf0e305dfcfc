"""Calibration on the tune split only: the abstention threshold, and optionally the sentence-scoring weights."""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field

from ..config import Config
from ..engine import Engine
from .dataset import Question
from .relevance import locate_gold
from .runner import Corpus, judge, observe

MAX_FALSE_ABSTENTION = 0.03  # the threshold may abstain on at most 3% of the answerable questions grounding kept
WEIGHT_GRID = {
    "w_lexical": (0.3, 0.45, 0.6, 0.8, 1.0),
    "w_passage": (0.0, 0.15, 0.25, 0.4),
    "w_answer_type": (0.0, 0.1, 0.15, 0.25),
}


@dataclass(frozen=True)
class Sample:
    """One tune question answered with abstention switched off."""

    answerable: bool
    best_score: float | None  # the best sentence evidence (or reranker score); None when nothing was retrieved
    grounded: bool  # abstains whatever the threshold: a name or the focus is in no source
    hit: float  # answer hit if the engine answers (0 for unanswerable questions)
    conflict_recall: float | None
    quote_f1: float


@dataclass
class Calibration:
    threshold: float
    threshold_name: str  # the setting it is for: abstain_threshold, or reranker_threshold with a cross-encoder
    weights: dict[str, float]
    questions: int
    answerable: int
    unanswerable: int
    at_threshold: dict[str, float] = field(default_factory=dict)
    weight_objective: float | None = None


def sample(engine: Engine, questions: list[Question], options: Config, corpus: Corpus) -> list[Sample]:
    never_abstain = options.replace(abstain_threshold=float("-inf"), reranker_threshold=float("-inf"))
    samples = []
    for question in questions:
        gold, _ = locate_gold(question, corpus.bodies)
        if question.answerable and not gold:
            continue
        seen = observe(engine, question, never_abstain)
        result = judge("calibration", question, gold, seen, corpus)
        samples.append(Sample(question.answerable, seen.evidence, seen.grounded_abstention,
                              result.metrics.get("answer_hit") or 0.0, result.metrics.get("conflict_recall"),
                              result.metrics.get("quote_f1") or 0.0))
    return samples


def threshold_stats(samples: list[Sample], threshold: float) -> dict[str, float]:
    """Abstention recall, false abstention and answer hit if the engine abstains below `threshold`."""
    def abstains(s: Sample) -> bool:
        return s.grounded or s.best_score is None or s.best_score < threshold

    answerable = [s for s in samples if s.answerable]
    unanswerable = [s for s in samples if not s.answerable]
    kept = [s for s in answerable if not s.grounded]
    return {
        "abstention_recall": sum(map(abstains, unanswerable)) / len(unanswerable) if unanswerable else 0.0,
        "false_abstention": sum(map(abstains, answerable)) / len(answerable) if answerable else 0.0,
        "threshold_false_abstention": sum(map(abstains, kept)) / len(kept) if kept else 0.0,
        "answer_hit": sum(s.hit for s in answerable if not abstains(s)) / len(answerable) if answerable else 0.0,
    }


def choose_threshold(samples: list[Sample], max_false_abstention: float = MAX_FALSE_ABSTENTION) -> tuple[float, dict]:
    """The threshold with the best abstention recall among those abstaining on at most `max_false_abstention`
    of the answerable questions that grounding does not already abstain on (ties: fewer false abstentions,
    then the middle of the tied range)."""
    scores = sorted({s.best_score for s in samples if s.best_score is not None})
    if not scores:
        return 0.0, threshold_stats(samples, 0.0)
    candidates = [scores[0] - 0.01] + [(a + b) / 2 for a, b in zip(scores, scores[1:])] + [scores[-1] + 0.01]
    feasible = [(t, threshold_stats(samples, t)) for t in candidates]
    feasible = [(t, st) for t, st in feasible if st["threshold_false_abstention"] <= max_false_abstention + 1e-9]
    best = max((st["abstention_recall"], -st["false_abstention"]) for _, st in feasible)
    tied = [(t, st) for t, st in feasible if (st["abstention_recall"], -st["false_abstention"]) == best]
    threshold, stats = tied[len(tied) // 2]
    return round(threshold, 3), stats


def weight_objective(samples: list[Sample]) -> float:
    """Mean answer hit (abstention off) + 0.25·mean conflict recall + 0.1·mean quote F1, answerable questions."""
    answerable = [s for s in samples if s.answerable]
    conflicts = [s.conflict_recall for s in answerable if s.conflict_recall is not None]
    if not answerable:
        return 0.0
    return (sum(s.hit for s in answerable) / len(answerable)
            + 0.25 * (sum(conflicts) / len(conflicts) if conflicts else 0.0)
            + 0.1 * sum(s.quote_f1 for s in answerable) / len(answerable))


def calibrate(engine: Engine, tune: list[Question], weights: bool = False, progress: bool = True) -> Calibration:
    from tqdm.auto import tqdm

    if any(q.split != "tune" for q in tune):
        raise ValueError("calibration uses the tune split only")
    corpus = Corpus.read(engine.config)
    base = engine.config
    chosen = {name: getattr(base, name) for name in WEIGHT_GRID}
    objective = None
    if weights:
        grid = [dict(zip(WEIGHT_GRID, values)) for values in itertools.product(*WEIGHT_GRID.values())]
        best = None
        for combo in tqdm(grid, desc="weights", file=sys.stderr, disable=not progress):
            value = weight_objective(sample(engine, tune, base.replace(**combo), corpus))
            if best is None or value > best[0] + 1e-9:
                best = (value, combo)
        objective, chosen = best
    samples = sample(engine, tune, base.replace(**chosen), corpus)
    threshold, stats = choose_threshold(samples)
    name = "reranker_threshold" if engine.reranker is not None and base.reranker else "abstain_threshold"
    return Calibration(threshold=threshold, threshold_name=name, weights=chosen, questions=len(samples),
                       answerable=sum(s.answerable for s in samples),
                       unanswerable=sum(not s.answerable for s in samples), at_threshold=stats,
                       weight_objective=objective)


def format_calibration(result: Calibration, base: Config) -> str:
    lines = [f"Calibrated on the tune split ({result.questions} questions: {result.answerable} answerable, "
             f"{result.unanswerable} unanswerable). Put these in qa/config.py (or set QA_<FIELD>):", ""]
    for name, value in result.weights.items():
        note = "" if value == getattr(base, name) else f"   # now {getattr(base, name)}"
        lines.append(f"    {name}: float = {value}{note}")
    current = getattr(base, result.threshold_name)
    note = "" if result.threshold == current else f"   # now {current}"
    lines.append(f"    {result.threshold_name}: float = {result.threshold}{note}")
    stats = result.at_threshold
    lines += ["", f"On the tune split at these values: answer hit {stats['answer_hit']:.3f}, abstention recall "
              f"{stats['abstention_recall']:.3f}, false abstention {stats['false_abstention']:.3f}"]
    if result.weight_objective is not None:
        lines.append(f"weight objective (hit + 0.25·conflict recall + 0.1·quote F1): {result.weight_objective:.3f}")
    return "\n".join(lines)
