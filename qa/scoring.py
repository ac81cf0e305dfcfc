"""Sentence scoring: how well each sentence of the retrieved passages answers the question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .figures import MONTHS, Figure, context_year, figures_in, matches
from .lexical import fold, idf, tokenize
from .question import Question
from .types import SentenceRecord

NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
# Where something is or happened: "in Baku", "at the venue", "in front of the Presidential Administration building"
# (a name that is no month, or a word for a place; not a possessive: "in the country's political life")
PLACE_NOUNS = ("building venue square street city town village region district prison jail unit base camp court "
               "hospital office headquarters capital country area front border").split()
LOCATION = re.compile(r"\b(?:in front of|in|at|near|outside|inside|into|to|from|across)\s+(?:the\s+)?"
                      rf"(?P<place>(?!(?i:{'|'.join(MONTHS)})\b)[A-Z][\w’'-]*"
                      rf"|(?:[a-z]+\s+)?(?:{'|'.join(PLACE_NOUNS)})\b)(?![’']s)")
# What gives a cause or a motive: "the reason for the dismissal … is", "because", "in order to", "to justify",
# "chosen for appealing directly to …", "condemned … for dispersing"
CAUSE = re.compile(r"\b(?:because|reasons?|due to|owing to|as a result|so that|in order to|motives?|caused|led to|"
                   r"hence|therefore|thus|to justify|in retaliation|on (?:the )?charges? of|accused of|"
                   r"for (?:his|her|their) (?:involvement|participation|role)|"
                   r"for (?!(?:some|any|every|no)thing\b|morning\b|evening\b)[a-z]+ing)\b", re.I)
# A sentence with one of these as its subject speaks of whom the sentence before it names
SUBJECT_PRONOUN = re.compile(r"\b(?:he|she|they)\b", re.I)


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
    evidence: float = 0.0  # w_d·dense + w_l·lexical: what the sentence itself shows, whatever else was retrieved
    rerank: float | None = None  # the cross-encoder's score, when one re-scored this sentence (then score == rerank)


@dataclass(frozen=True)
class Weights:
    dense: float
    lexical: float
    passage: float
    answer_type: float
    context: float = 0.0  # share of the lexical term taken from the sentence with its neighbours
    dense_floor: float = 0.0  # cosines are read as (cos - floor) / (1 - floor): models differ in their range


def has_answer_type(text: str, question: Question, figures: list[Figure]) -> float:
    """1 when the sentence states what the question asks for: a figure of the asked kind about the asked
    event (a count of deaths for "how many died"), a name it does not already give for who/where."""
    if question.asks_figure:
        return 1.0 if any(matches(question, f, sentence=text) for f in figures) else 0.0
    if question.kind == "reason":  # "why": a sentence that gives a cause ("the reason for … is", "because")
        return 1.0 if CAUSE.search(text) else 0.0
    if question.kind == "place" and question.focus_kind != "category":  # "where": a place the sentence puts it in
        return 1.0 if has_location(text, question) else 0.0
    if question.kind in ("person", "place"):
        asked = {fold(w) for phrase in question.names for w in phrase}
        return 1.0 if any(fold(w) not in asked for m in NAME.finditer(text) for w in m.group(0).split()) else 0.0
    return 0.0


def has_location(text: str, question: Question, named: bool = False) -> bool:
    """Does the sentence put something somewhere the question does not name ("in Baku", "at the venue")?
    `named`: by a name ("in Baku", not "at the venue")."""
    asked = {fold(w) for phrase in question.names for w in phrase}
    return any(fold(m.group("place")) not in asked and (not named or m.group("place")[:1].isupper())
               for m in LOCATION.finditer(text))


def score_sentences(question: Question, vector: np.ndarray | None, query_tokens: list[str],
                    records: list[SentenceRecord], bodies: dict[str, str], passage_scores: dict[str, float],
                    doc_freqs: tuple[int, dict[str, int]], weights: Weights,
                    use_answer_type: bool = True) -> list[ScoredSentence]:
    """score = w_d·cos(q, s) + w_l·lex(s) + w_p·passage/best_passage + w_t·[s states what is asked],

    lex(s) = (1 - c)·idf-coverage(q, s) + c·idf-coverage(q, s with its neighbours in the chunk), c = w.context:
    a sentence that answers with a pronoun ("he was appointed") still gets credit for the name before it.

    A sentence in several overlapping chunks is scored once, with its best passage.
    """
    if not records:
        return []
    n_docs, freqs = doc_freqs
    idf_weights = {t: idf(n_docs, freqs.get(t, 0)) for t in set(query_tokens)}
    idf_total = sum(idf_weights.values())

    def covered(terms: set[str]) -> float:
        """idf-coverage of the question terms a text has: sum(idf(t), t in terms) / sum(idf(t), t in q)."""
        return sum(idf_weights[t] for t in terms) / idf_total if idf_total > 0 else 0.0

    best_passage = max(passage_scores.values(), default=0.0) or 1.0
    dense_scores = (np.stack([r.vector for r in records]) @ np.asarray(vector, np.float32)
                    if vector is not None else np.zeros(len(records)))
    if weights.dense_floor:
        dense_scores = (dense_scores - weights.dense_floor) / (1.0 - weights.dense_floor)
    texts = [bodies[r.source_id][r.start:r.end] for r in records]
    asked_terms = set(idf_weights)
    found_terms = [asked_terms & sentence_tokens(text) for text in texts]  # the question's terms in each sentence
    names = asked_terms & {k for t in question.terms if t.is_name for k in sentence_tokens(t.text)}
    if names:  # "he was arrested": the sentence names whom its pronoun stands for
        found_terms = [terms | _antecedent_names(i, records, texts, found_terms, names)
                       for i, terms in enumerate(found_terms)]
    # a sentence in several overlapping chunks is scored once, as it stands in its best passage's chunk
    chosen: dict[tuple[str, int, int], tuple[float, int]] = {}
    for i, record in enumerate(records):
        key = (record.source_id, record.start, record.end)
        passage = passage_scores.get(record.chunk_key, 0.0) / best_passage
        if key not in chosen or passage > chosen[key][0]:
            chosen[key] = (passage, i)
    scored = []
    for (source_id, start, end), (passage, i) in chosen.items():
        record, dense, text = records[i], dense_scores[i], texts[i]
        lexical = 0.0
        if query_tokens:
            own = covered(found_terms[i])
            window = found_terms[i].union(*(found_terms[j] for j in (i - 1, i + 1)
                                            if 0 <= j < len(records) and records[j].chunk_key == record.chunk_key))
            lexical = (1 - weights.context) * own + weights.context * covered(window)
        typed = (has_answer_type(text, question, figures_in(text, 0, context_year(bodies[source_id], start, text)))
                 if use_answer_type and question.kind else 0.0)
        evidence = weights.dense * float(dense) + weights.lexical * lexical
        total = evidence + weights.passage * passage + weights.answer_type * typed
        scored.append(ScoredSentence(source_id, start, end, total, float(dense), lexical, passage, typed, text,
                                     evidence))
    return sorted(scored, key=lambda s: (-s.score, s.source_id, s.start))


def _antecedent_names(i: int, records: list[SentenceRecord], texts: list[str], found_terms: list[set[str]],
                      names: set[str]) -> set[str]:
    """The question's names a sentence speaking of he, she or they refers to: those of the nearest sentence
    before it in its chunk that names any, across sentences that also speak by pronoun ("Mirhafiz Jafarzadeh
    … In 1995, he moved … In November 2022, he was arrested")."""
    if not SUBJECT_PRONOUN.search(texts[i]) or found_terms[i] & names:
        return set()
    j = i - 1
    while j >= 0 and records[j].chunk_key == records[i].chunk_key:
        if found_terms[j] & names:
            return found_terms[j] & names
        if not SUBJECT_PRONOUN.search(texts[j]):
            return set()
        j -= 1
    return set()


@lru_cache(maxsize=65_536)
def sentence_tokens(text: str) -> frozenset[str]:
    """The lexical tokens of a sentence (with spelling-variant keys); sentences recur between questions."""
    return frozenset(tokenize(text))
