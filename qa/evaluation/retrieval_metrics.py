"""Ranking metrics (Recall@k, MRR@10, nDCG@10, P@1, hit rate) computed with ranx over judged rankings.

Passage level: the units to find are the gold spans. A retrieved passage stands for the gold spans it
holds that no better-ranked passage held already, so a span found twice (overlapping chunks) counts
once; a passage that holds none is a miss. Source level: distinct sources in order of their best passage.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from ..types import Span
from .relevance import GoldUnit, passage_covers

DEPTH = 10  # passages (and sentences) judged per question
RANK_METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")
EMPTY = "<nothing retrieved>"

Judgements = dict[str, int]  # unit id -> relevance grade
Ranking = dict[str, float]  # unit id -> score (higher ranks first)


def gold_id(index: int) -> str:
    return f"gold:{index}"


def passage_ranking(passages: Sequence[tuple[str, Span]],
                    gold: list[GoldUnit]) -> tuple[Judgements, Ranking, list[list[int]]]:
    """(qrels, run, gold indices each passage holds) for one question at passage level."""
    qrels = {gold_id(i): 1 for i in range(len(gold))}
    run: Ranking = {}
    holds: list[list[int]] = []
    found: set[int] = set()
    position = 0
    for rank, (source_id, span) in enumerate(passages[:DEPTH]):
        covered = [i for i, unit in enumerate(gold) if passage_covers(source_id, span, unit)]
        holds.append(covered)
        new = [i for i in covered if i not in found]
        found.update(new)
        # a passage holding two new gold spans fills two consecutive places
        for doc in [gold_id(i) for i in new] or [f"passage:{rank}"]:
            run[doc] = float(2 * DEPTH - position)
            position += 1
    return qrels, run or {EMPTY: 0.0}, holds


def source_ranking(passages: Sequence[tuple[str, Span]], gold_sources: set[str]) -> tuple[Judgements, Ranking]:
    """(qrels, run) at source level: the gold sources, and the distinct sources of the passages in order."""
    order: list[str] = []
    for source_id, _ in passages:
        if source_id not in order:
            order.append(source_id)
    run = {sid: float(2 * DEPTH - i) for i, sid in enumerate(order[:DEPTH])}
    return {sid: 1 for sid in gold_sources}, run or {EMPTY: 0.0}


def item_ranking(items: Sequence[str], relevant: set[str]) -> tuple[Judgements, Ranking]:
    """(qrels, run) for a ranked list of item ids (sentences, paragraphs) and the relevant ones."""
    run = {item: float(2 * DEPTH - i) for i, item in enumerate(list(dict.fromkeys(items))[:DEPTH])}
    return {item: 1 for item in relevant}, run or {EMPTY: 0.0}


def evaluate_rankings(qrels: dict[str, Judgements], runs: dict[str, Ranking],
                      metrics: Sequence[str] = RANK_METRICS) -> dict[str, dict[str, float]]:
    """Per-question values {metric: {question id: value}} by ranx; questions without relevant units are left out."""
    from ranx import Qrels, Run, evaluate

    judged = {qid: rels for qid, rels in qrels.items() if rels}
    if not judged:
        return {metric: {} for metric in metrics}
    run = Run({qid: runs.get(qid) or {EMPTY: 0.0} for qid in judged})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numba's type-safety notes from inside ranx
        evaluate(Qrels(judged), run, list(metrics), return_mean=False, make_comparable=True)
    return {metric: {qid: float(value) for qid, value in run.scores[metric].items()} for metric in metrics}
