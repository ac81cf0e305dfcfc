"""Answer metrics: one function per metric, each `metric(case) -> float | None` for one question.

A metric returns None where it does not apply to the question (e.g. answer hit on an unanswerable
question); a run's value is the mean over the questions where it applies.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from ..types import Answer, Span
from .dataset import Question
from .relevance import GoldUnit, overlap, quotes_cover


@dataclass(frozen=True)
class Case:
    """What the answer metrics look at for one question under one configuration."""

    question: Question
    answer: Answer
    gold: list[GoldUnit]
    bodies: dict[str, str]  # source texts read from disk for this evaluation, not the engine's copies
    relevant_passages: list[tuple[str, Span]]  # retrieved passages that hold a gold span
    furniture: dict[str, list[Span]] = field(default_factory=dict)  # hand-marked page furniture per source
    respelled: Answer | None = None  # name_variant questions: the answer to the question in another spelling

    @property
    def quotes(self) -> list[tuple[str, Span]]:
        return [(q.source_id, Span(q.start, q.end)) for q in self.answer.answer]


def answer_hit(case: Case) -> float | None:
    """Answerable questions: 1 if the quotes cover at least one gold span (character by character), else 0."""
    if not case.question.answerable:
        return None
    return float(any(_covered(case, unit) for unit in case.gold))


def gold_coverage(case: Case) -> float | None:
    """Answerable questions: |gold spans covered by the quotes| / |gold spans|."""
    if not case.question.answerable or not case.gold:
        return None
    return sum(_covered(case, unit) for unit in case.gold) / len(case.gold)


def quote_precision(case: Case) -> float | None:
    """Answerable questions with quotes: |quotes overlapping a gold span or inside a relevant passage| / |quotes|."""
    if not case.question.answerable or not case.answer.answer:
        return None
    good = 0
    for source_id, span in case.quotes:
        on_gold = any(u.source_id == source_id and any(overlap(span, g) for g in u.spans) for u in case.gold)
        in_passage = any(pid == source_id and p.start <= span.start and span.end <= p.end
                         for pid, p in case.relevant_passages)
        good += on_gold or in_passage
    return good / len(case.quotes)


def quote_f1(case: Case) -> float | None:
    """Answerable questions: max over gold spans g of SQuAD token F1(all quotes joined, g); 0 on abstention.

    F1 = 2·P·R / (P + R) with P = |common tokens| / |quote tokens|, R = |common tokens| / |gold tokens|,
    tokens normalised as in the official SQuAD script (lower case, no punctuation or articles).
    """
    if not case.question.answerable:
        return None
    prediction = " ".join(q.quote for q in case.answer.answer)
    return max((token_f1(prediction, unit.text) for unit in case.gold), default=0.0)


def verbatim(case: Case) -> float | None:
    """Questions with quotes: |quotes q with body(q.source)[q.start:q.end] == q.quote| / |quotes|, bodies re-read."""
    if not case.answer.answer:
        return None
    exact = sum(
        q.source_id in case.bodies and case.bodies[q.source_id][q.start:q.end] == q.quote and q.end > q.start
        for q in case.answer.answer
    )
    return exact / len(case.answer.answer)


def citation_correct(case: Case) -> float | None:
    """Questions with quotes: |quotes whose number names exactly one citation, of the quote's source| / |quotes|."""
    if not case.answer.answer:
        return None
    by_number: dict[int, list[str]] = {}
    for citation in case.answer.citations:
        by_number.setdefault(citation.n, []).append(citation.source_id)
    correct = sum(by_number.get(q.citation) == [q.source_id] for q in case.answer.answer)
    return correct / len(case.answer.answer)


def abstention_precision(case: Case) -> float | None:
    """Abstained questions: 1 if the question is unanswerable (mean = |abstained ∩ unanswerable| / |abstained|)."""
    if not case.answer.abstained:
        return None
    return float(not case.question.answerable)


def abstention_recall(case: Case) -> float | None:
    """Unanswerable questions: 1 if the engine abstained (mean = |abstained ∩ unanswerable| / |unanswerable|)."""
    if case.question.answerable:
        return None
    return float(case.answer.abstained)


def false_abstention(case: Case) -> float | None:
    """Answerable questions: 1 if the engine abstained (mean: |abstained ∩ answerable| / |answerable|); lower wins."""
    if not case.question.answerable:
        return None
    return float(case.answer.abstained)


def conflict_recall(case: Case) -> float | None:
    """Questions of type 'conflict': |gold sources among the quotes' sources| / |gold sources|."""
    if case.question.type != "conflict" or not case.gold:
        return None
    gold_sources = {unit.source_id for unit in case.gold}
    shown = {q.source_id for q in case.answer.answer}
    return len(gold_sources & shown) / len(gold_sources)


def abstention_recall_off_topic(case: Case) -> float | None:
    """Unanswerable questions on another subject: 1 if the engine abstained (mean: recall of that kind)."""
    return abstention_recall(case) if case.question.kind == "off_topic" else None


def abstention_recall_near_miss(case: Case) -> float | None:
    """Unanswerable questions on the subject but not stated: 1 if the engine abstained (mean: recall)."""
    return abstention_recall(case) if case.question.kind == "near_miss" else None


def conflict_precision(case: Case) -> float | None:
    """Answers with a "sources differ" note: 1 if the gold says the sources differ (type 'conflict'), 0 when
    they agree, have one answer, or do not answer at all (mean = |notes on conflicts| / |notes|)."""
    if case.answer.conflict is None:
        return None
    return float(case.question.type == "conflict")


def furniture_rate(case: Case) -> float | None:
    """Questions with quotes from sources whose furniture is marked: |quotes overlapping a marked furniture
    span (dateline, caption, headline, teaser…)| / |such quotes|; lower is better."""
    checked = [(sid, span) for sid, span in case.quotes if sid in case.furniture]
    if not checked:
        return None
    bad = sum(any(overlap(span, f) for f in case.furniture[sid]) for sid, span in checked)
    return bad / len(checked)


def spelling_agreement(case: Case) -> float | None:
    """name_variant questions: 1 if the question in another spelling of its names (Terter/Tartar) gets the
    same answer: both abstain, or both quote the same first sentence."""
    if case.respelled is None:
        return None
    first, second = case.answer, case.respelled
    if first.abstained or second.abstained:
        return float(first.abstained == second.abstained)
    a, b = first.answer[0], second.answer[0]
    return float((a.source_id, a.start, a.end) == (b.source_id, b.start, b.end))


AnswerMetric = Callable[[Case], "float | None"]

ANSWER_METRICS: dict[str, AnswerMetric] = {
    "answer_hit": answer_hit,
    "gold_coverage": gold_coverage,
    "quote_precision": quote_precision,
    "quote_f1": quote_f1,
    "verbatim": verbatim,
    "citation_correct": citation_correct,
    "abstention_precision": abstention_precision,
    "abstention_recall": abstention_recall,
    "false_abstention": false_abstention,
    "conflict_recall": conflict_recall,
    "abstention_recall_off_topic": abstention_recall_off_topic,
    "abstention_recall_near_miss": abstention_recall_near_miss,
    "conflict_precision": conflict_precision,
    "furniture_rate": furniture_rate,
    "spelling_agreement": spelling_agreement,
}
LOWER_IS_BETTER = frozenset({"false_abstention", "furniture_rate"})


def evaluate_case(case: Case) -> dict[str, float | None]:
    return {name: metric(case) for name, metric in ANSWER_METRICS.items()}


def _covered(case: Case, unit: GoldUnit) -> bool:
    return not case.answer.abstained and quotes_cover(case.quotes, unit, case.bodies.get(unit.source_id, ""))


# The official SQuAD v1.1/v2.0 evaluation script's answer normalisation.
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
_PUNCTUATION = set(string.punctuation) | set("“”‘’«»–—…")


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    predicted, expected = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(predicted) & Counter(expected)).values())
    if not predicted or not expected or common == 0:
        return float(predicted == expected)
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)
