"""Relevance judgements: where gold spans lie in the sources, and which passages and quotes cover them."""

from __future__ import annotations

from dataclasses import dataclass

from ..types import Span
from .dataset import Question

PASSAGE_OVERLAP = 0.5  # a passage is relevant when it holds at least this share of a gold span's characters


@dataclass(frozen=True)
class GoldUnit:
    """One gold answer span and every place it occurs in its source (an article may repeat a sentence)."""

    source_id: str
    text: str
    spans: tuple[Span, ...]


def locate_gold(question: Question, bodies: dict[str, str]) -> tuple[list[GoldUnit], list[str]]:
    """The question's gold spans found in the source bodies, and a message for each one not found."""
    units, problems = [], []
    for gold in question.gold:
        body = bodies.get(gold.source_id)
        if body is None:
            problems.append(f"{question.id}: gold source {gold.source_id!r} is not among the sources")
            continue
        if gold.start is not None:
            spans = [Span(gold.start, gold.start + len(gold.span))] if body[gold.start:].startswith(gold.span) else []
        else:
            spans, at = [], body.find(gold.span)
            while at >= 0:
                spans.append(Span(at, at + len(gold.span)))
                at = body.find(gold.span, at + 1)
        if not spans:
            problems.append(f"{question.id}: gold span {gold.span[:60]!r} does not occur in {gold.source_id}")
            continue
        units.append(GoldUnit(gold.source_id, gold.span, tuple(spans)))
    return units, problems


def overlap(a: Span, b: Span) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def passage_covers(source_id: str, passage: Span, unit: GoldUnit) -> bool:
    """The passage holds at least PASSAGE_OVERLAP of one occurrence of the gold span."""
    return source_id == unit.source_id and any(
        overlap(passage, span) >= PASSAGE_OVERLAP * max(1, span.end - span.start) for span in unit.spans
    )


def quotes_cover(quotes: list[tuple[str, Span]], unit: GoldUnit, body: str) -> bool:
    """Every non-space character of one occurrence of the gold span lies inside the quotes of its source.

    Quotes are whole sentences, so a gold span that crosses a sentence boundary is covered by two
    neighbouring quotes together.
    """
    ranges = [span for source_id, span in quotes if source_id == unit.source_id]
    for span in unit.spans:
        if all(body[i].isspace() or any(r.start <= i < r.end for r in ranges) for i in range(span.start, span.end)):
            return True
    return False


def sentence_holds_start(sentence: Span, unit: GoldUnit) -> bool:
    """ReQA: a sentence is relevant when it contains the first character of a gold answer span."""
    return any(sentence.start <= span.start < sentence.end for span in unit.spans)
