"""Answer extraction: score the sentences of retrieved passages and cut verbatim quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .lexical import coverage, idf, tokenize
from .types import Conflict, SentenceRecord

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "hundred": 100, "thousand": 1000, "dozens": 24, "hundreds": 200,
}
MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec").split()
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
NUMBER = re.compile(r"\b\d[\d,]*(?:\.\d+)?\b|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE)
MONTH = re.compile(r"\b(?:" + "|".join(MONTHS) + r")\b\.?", re.IGNORECASE)
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")

QUESTION_TYPES = (
    ("number", re.compile(r"\bhow (many|much)\b|\bwhat (number|percentage|share)\b|\bnumber of\b", re.I)),
    ("date", re.compile(r"\bwhen\b|\bwhat (year|date|month|day)\b|\bwhich (year|date|month)\b|\bsince when\b", re.I)),
    ("person", re.compile(r"\bwho(m|se)?\b|\bwhich (general|officer|official|person|minister|prosecutor)\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\bwhich (city|region|country|village|town)\b", re.I)),
)


def question_type(question: str) -> str:
    """What kind of answer the question asks for: number, date, person, place, or '' (anything)."""
    for kind, pattern in QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return ""


DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|"
                  r"\b(?:" + "|".join(MONTHS) + r")\.?\s+\d{1,2}\b|\b\d{1,2}\s+(?:" + "|".join(MONTHS) + r")\b",
                  re.IGNORECASE)


def numbers_in(text: str) -> list[int]:
    """Counts stated in a text (digits or number words); years and calendar dates left out."""
    values = []
    for match in NUMBER.finditer(DATE.sub(" ", text)):
        token = match.group(0).lower()
        if YEAR.fullmatch(token):
            continue
        if token in NUMBER_WORDS:
            values.append(NUMBER_WORDS[token])
            continue
        try:
            values.append(int(float(token.replace(",", ""))))
        except ValueError:
            continue
    return values


def dates_in(text: str) -> list[str]:
    """Years and month names stated in a text, normalised to lower case."""
    return [m.group(0) for m in YEAR.finditer(text)] + [m.group(0).lower().rstrip(".") for m in MONTH.finditer(text)]


def matches_type(text: str, kind: str) -> bool:
    if kind == "number":
        return bool(numbers_in(text))
    if kind == "date":
        return bool(YEAR.search(text) or MONTH.search(text))
    if kind in ("person", "place"):
        return bool(NAME.search(text))
    return False


@dataclass(frozen=True)
class ScoredSentence:
    source_id: str
    start: int
    end: int
    score: float
    dense: float
    lexical: float
    passage: float
    typed: float
    text: str
    rerank: float | None = None  # the cross-encoder's score, when one re-scored this sentence (then score == rerank)


@dataclass(frozen=True)
class Weights:
    dense: float
    lexical: float
    passage: float
    answer_type: float
    context: float = 0.0  # share of the lexical term taken from the sentence with its neighbours


def score_sentences(
    question: str,
    vector: np.ndarray | None,
    query_tokens: list[str],
    records: list[SentenceRecord],
    bodies: dict[str, str],
    passage_scores: dict[str, float],
    doc_freqs: tuple[int, dict[str, int]],
    weights: Weights,
    use_answer_type: bool = True,
) -> list[ScoredSentence]:
    """score = w_d·cos(q, s) + w_l·lex(s) + w_p·passage/best_passage + w_t·[s has the answer type],

    lex(s) = (1 - c)·idf-coverage(q, s) + c·idf-coverage(q, s with its neighbours in the chunk), c = w.context:
    a sentence that answers with a pronoun ("he was appointed") still gets credit for the name before it.

    A sentence in several overlapping chunks is scored once, with its best passage.
    """
    if not records:
        return []
    n_docs, freqs = doc_freqs
    idf_weights = {t: idf(n_docs, freqs.get(t, 0)) for t in set(query_tokens)}
    best_passage = max(passage_scores.values(), default=0.0) or 1.0
    kind = question_type(question) if use_answer_type else ""
    dense_scores = (np.stack([r.vector for r in records]) @ np.asarray(vector, np.float32)
                    if vector is not None else np.zeros(len(records)))
    texts = [bodies[r.source_id][r.start:r.end] for r in records]
    token_sets = [set(tokenize(text)) for text in texts]
    scored: dict[tuple[str, int, int], ScoredSentence] = {}
    for i, (record, dense) in enumerate(zip(records, dense_scores)):
        key = (record.source_id, record.start, record.end)
        passage = passage_scores.get(record.chunk_key, 0.0) / best_passage
        if key in scored and scored[key].passage >= passage:
            continue
        text = texts[i]
        lexical = 0.0
        if query_tokens:
            own = coverage(query_tokens, token_sets[i], idf_weights)
            window = token_sets[i].union(*(token_sets[j] for j in (i - 1, i + 1)
                                           if 0 <= j < len(records) and records[j].chunk_key == record.chunk_key))
            lexical = (1 - weights.context) * own + weights.context * coverage(query_tokens, window, idf_weights)
        typed = 1.0 if kind and matches_type(text, kind) else 0.0
        total = (weights.dense * float(dense) + weights.lexical * lexical + weights.passage * passage
                 + weights.answer_type * typed)
        scored[key] = ScoredSentence(record.source_id, record.start, record.end, total, float(dense),
                                     lexical, passage, typed, text)
    return sorted(scored.values(), key=lambda s: (-s.score, s.source_id, s.start))


def select_quotes(ranked: list[ScoredSentence], margin: float, max_quotes: int) -> list[ScoredSentence]:
    """The best sentence, then others within `margin` of it: other sources first (to show agreement).

    A text already chosen is not quoted twice (articles repeat their headline).
    """
    if not ranked:
        return []
    close = [s for s in ranked if s.score >= ranked[0].score - margin]
    chosen: list[ScoredSentence] = []
    for new_source_only in (True, False):
        for sentence in close:
            if len(chosen) >= max_quotes:
                return chosen
            if sentence.text in {c.text for c in chosen}:
                continue
            if new_source_only and sentence.source_id in {c.source_id for c in chosen}:
                continue
            chosen.append(sentence)
    return chosen


def values_for(kind: str, text: str) -> list[str]:
    if kind == "number":
        return [str(v) for v in numbers_in(text)]
    if kind == "date":
        return dates_in(text)
    return []


def find_conflict(question: str, quotes: list[tuple[str, str]]) -> Conflict | None:
    """Sources disagree when two of them state figures (or dates) with nothing in common.

    `quotes` holds (source_id, text). Only asked for numbers and dates.
    """
    kind = question_type(question)
    if kind not in ("number", "date"):
        return None
    values: dict[str, list[str]] = {}
    for source_id, text in quotes:
        found = values_for(kind, text)
        if found:
            values.setdefault(source_id, [])
            values[source_id].extend(v for v in found if v not in values[source_id])
    sets = [set(v) for v in values.values()]
    disjoint = any(not (a & b) for i, a in enumerate(sets) for b in sets[i + 1:])
    if len(values) < 2 or not disjoint:
        return None
    stated = "; ".join(f"{sid}: {', '.join(vals)}" for sid, vals in values.items())
    return Conflict(kind=kind, values=values, message=f"The sources differ ({stated}).")
