"""Answer extraction: score the sentences of retrieved passages, decide whether the sources answer at all, and
compose verbatim quotes with numbered citations, or every source's figure when they disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from .attribution import attribution
from .figures import Figure, asked, disagree, figures_in, matches
from .furniture import Furniture, is_whole_sentence, prose_span
from .grounding import Grounding, mentions, uncovered
from .lexical import coverage, fold, idf, tokenize
from .question import Question
from .types import Answer, Citation, Conflict, ConflictRow, Passage, Quote, SentenceRecord, Source

ABSTAIN_MESSAGE = "The sources do not say."
NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)+")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
NAME_WINDOW = 1000  # characters around a figure's sentence where the question's names must appear
UNDATED = "9999"  # sorts undated articles after dated ones


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


def has_answer_type(text: str, question: Question, figures: list[Figure]) -> float:
    """1 when the sentence states what the question asks for: a figure of the asked kind about the asked
    event (a count of deaths for "how many died"), a name it does not already give for who/where."""
    if question.asks_figure:
        return 1.0 if any(matches(question, f, sentence=text) for f in figures) else 0.0
    if question.kind in ("person", "place"):
        asked = {fold(w) for phrase in question.names for w in phrase}
        return 1.0 if any(fold(w) not in asked for m in NAME.finditer(text) for w in m.group(0).split()) else 0.0
    return 0.0


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
    best_passage = max(passage_scores.values(), default=0.0) or 1.0
    dense_scores = (np.stack([r.vector for r in records]) @ np.asarray(vector, np.float32)
                    if vector is not None else np.zeros(len(records)))
    texts = [bodies[r.source_id][r.start:r.end] for r in records]
    token_sets = [sentence_tokens(text) for text in texts]
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
        typed = has_answer_type(text, question, figures_in(text)) if use_answer_type and question.kind else 0.0
        evidence = weights.dense * float(dense) + weights.lexical * lexical
        total = evidence + weights.passage * passage + weights.answer_type * typed
        scored[key] = ScoredSentence(record.source_id, record.start, record.end, total, float(dense),
                                     lexical, passage, typed, text, evidence)
    return sorted(scored.values(), key=lambda s: (-s.score, s.source_id, s.start))


@lru_cache(maxsize=65_536)
def sentence_tokens(text: str) -> frozenset[str]:
    """The lexical tokens of a sentence (with spelling-variant keys); sentences recur between questions."""
    return frozenset(tokenize(text))


def prose_only(ranked: list[ScoredSentence], bodies: dict[str, str],
               furniture: dict[str, list[Furniture]]) -> list[ScoredSentence]:
    """The sentences that may be quoted: furniture (datelines, captions, headlines, teasers) left out, a
    furniture prefix cut off (the quote then starts at the sentence), order kept."""
    kept = []
    for sentence in ranked:
        body = bodies[sentence.source_id]
        span = prose_span(sentence.start, sentence.end, body, furniture.get(sentence.source_id, []))
        if span is None:
            continue
        if span != (sentence.start, sentence.end):
            sentence = replace(sentence, start=span.start, end=span.end, text=body[span.start:span.end])
        kept.append(sentence)
    return kept


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


@dataclass(frozen=True)
class Verdict:
    """Whether the sources answer, and if not, why (for the message and the JSON)."""

    abstain: bool
    reason: str = ""  # never_mentioned, never_together, weak_evidence, no_sentences, reranker
    missing: tuple[str, ...] = ()  # what the sources never mention, as typed


def decide(question: Question, grounding: Grounding, ranked: list[ScoredSentence], evidence_threshold: float,
           reranker_threshold: float, abstain_on_missing_focus: bool = True) -> Verdict:
    """Abstain when a name, year or large number the question is about appears in no source; when the word
    the question asks about (its focus: "population", "mayor") appears in no source; or when no sentence's
    own evidence (dense similarity + lexical coverage, both absolute) reaches the threshold. The ranking's
    relative terms (passage rank, answer type) never decide it."""
    if not ranked:
        return Verdict(True, "no_sentences")
    if grounding.never_mentioned:
        return Verdict(True, "never_mentioned", grounding.never_mentioned)
    if abstain_on_missing_focus and question.focus and question.focus in grounding.missing_words:
        return Verdict(True, "never_mentioned", (question.focus,))
    if abstain_on_missing_focus and grounding.focus_apart:
        together = (question.focus,) + tuple(" ".join(phrase) for phrase in question.names)
        return Verdict(True, "never_together", together)
    if ranked[0].rerank is not None:
        return Verdict(ranked[0].score < reranker_threshold, "reranker")
    if max(s.evidence for s in ranked) < evidence_threshold:
        return Verdict(True, "weak_evidence")
    return Verdict(False)


def abstain_message(verdict: Verdict) -> str:
    if verdict.reason == "never_mentioned" and verdict.missing:
        return f"{ABSTAIN_MESSAGE} No source mentions: {', '.join(verdict.missing)}."
    if verdict.reason == "never_together" and verdict.missing:
        focus, *names = verdict.missing
        return f"{ABSTAIN_MESSAGE} No passage mentions “{focus}” together with {', '.join(names)}."
    return ABSTAIN_MESSAGE


@dataclass(frozen=True)
class FigureRow:
    """One sentence stating a figure for what was asked."""

    sentence: ScoredSentence
    figures: tuple[Figure, ...]
    attribution: str


def figure_rows(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str]) -> list[FigureRow]:
    """Every candidate sentence that states a figure of the asked kind about the asked event, with the
    question's names near it (so a death toll of another event is not counted), one row per sentence."""
    wanted = asked(question)
    names = question.names
    rows, seen = [], set()
    for sentence in ranked:
        key = (sentence.source_id, sentence.start)
        if key in seen:
            continue
        seen.add(key)
        body = bodies[sentence.source_id]
        context_year = _last_year(body[:sentence.start])
        found = [f for f in figures_in(sentence.text, sentence.start, context_year)
                 if matches(question, f, wanted, sentence.text)]
        if not found or not _names_near(names, body, sentence) or not _states(sentence.text, question.figures):
            continue
        part = _clause_sentence(sentence, found[0])
        who = attribution(part.text, before=found[0].start - part.start)
        rows.append(FigureRow(part, tuple(f for f in found if part.start <= f.start < part.end), who))
    return rows


SENTENCE_INSIDE = re.compile(r"(?<=[.!?…])\s+(?=[A-Z“\"«])")


def _clause_sentence(sentence: ScoredSentence, figure: Figure) -> ScoredSentence:
    """The sentence inside `sentence` that holds `figure`, when the splitter left two together
    ("… Robert Rumpy… It should be noted that … 11 died"): the row quotes what states the figure."""
    cuts = [sentence.start] + [sentence.start + m.end() for m in SENTENCE_INSIDE.finditer(sentence.text)]
    start = max(c for c in cuts if c <= figure.start)
    following = [c for c in cuts if c > figure.start]
    end = sentence.end
    if following:
        end = sentence.start + len(sentence.text[:following[0] - sentence.start].rstrip())
    if (start, end) == (sentence.start, sentence.end):
        return sentence
    return replace(sentence, start=start, end=end, text=sentence.text[start - sentence.start:end - sentence.start])


def _states(text: str, figures: tuple[str, ...]) -> bool:
    """Every number or year the question gives ("acquitted in 2018") is in the sentence."""
    found = {f.value.split("-")[0] for f in figures_in(text)} | {f.value for f in figures_in(text)}
    return all(f in found or f in text for f in figures)


def find_conflict(rows: list[FigureRow], kind: str) -> dict[str, list[str]] | None:
    """The figures per source when two sources' figures for the asked thing have nothing in common."""
    values: dict[str, list[str]] = {}
    for row in rows:
        bucket = values.setdefault(row.sentence.source_id, [])
        bucket.extend(f.value for f in row.figures if f.value not in bucket)
    if len(values) < 2 or not disagree(values):
        return None
    return values


def compose(question: Question, ranked: list[ScoredSentence], passages: list[Passage],
            sources: dict[str, Source], furniture: dict[str, list[Furniture]], grounding: Grounding, verdict: Verdict,
            margin: float, max_quotes: int, max_conflict_quotes: int) -> Answer:
    """The answer: an abstention with its reason, or quotes with citations numbered by first appearance;
    for a figure the sources disagree on, one quote per sentence stating it, in the order of the articles'
    dates, and the conflict's rows (who says what, when)."""
    bodies = {sid: s.body for sid, s in sources.items()}
    if verdict.abstain:
        terms = grounding.missing_words + tuple(t for t in grounding.never_mentioned if t not in grounding.missing_words)
        if not terms and ranked:
            terms = uncovered(question, [s.text for s in ranked[:1]])
        return Answer(question=question.text, abstained=True, answer=[], citations=[], passages=passages,
                      message=abstain_message(verdict), reason=verdict.reason, uncovered_terms=list(terms))
    chosen = select_quotes(ranked, margin, max_quotes)
    rows = figure_rows(question, ranked, bodies) if question.asks_figure else []
    values = find_conflict(rows, question.kind) if rows else None
    if values is not None:
        rows = sorted(rows, key=lambda r: (_date_key(sources[r.sentence.source_id]), r.sentence.source_id,
                                           r.sentence.start))[:max_conflict_quotes]
        chosen = [r.sentence for r in rows]
    elif rows:  # the sources agree (or one states it): its sentence from each source, best first
        stating = list({r.sentence.source_id: r.sentence for r in reversed(rows)}.values())[::-1]
        stating.sort(key=lambda s: -s.score)
        keys = {(s.source_id, s.start) for s in stating}
        chosen = (stating + [s for s in chosen if (s.source_id, s.start) not in keys])[:max_quotes]
    numbers: dict[str, int] = {}
    quotes = []
    for sentence in chosen:
        n = numbers.setdefault(sentence.source_id, len(numbers) + 1)
        body = bodies[sentence.source_id]
        quotes.append(Quote(body[sentence.start:sentence.end], sentence.source_id, sentence.start, sentence.end, n,
                            round(sentence.score, 4),
                            whole=is_whole_sentence(body, sentence.start, sentence.end, furniture.get(sentence.source_id, []))))
    citations = [citation(n, sources[sid]) for sid, n in numbers.items()]
    conflict = None
    if values is not None:
        table = [ConflictRow(source_id=r.sentence.source_id, citation=numbers[r.sentence.source_id],
                             outlet=sources[r.sentence.source_id].meta.outlet,
                             date=sources[r.sentence.source_id].meta.date,
                             figures=[f.text for f in r.figures], values=[f.value for f in r.figures],
                             quote=bodies[r.sentence.source_id][r.sentence.start:r.sentence.end],
                             start=r.sentence.start, end=r.sentence.end, attribution=r.attribution)
                 for r in rows]
        conflict = Conflict(kind=question.kind, values=values, message=conflict_message(table, sources),
                            rows=table)
    return Answer(question=question.text, abstained=False, answer=quotes, citations=citations, passages=passages,
                  conflict=conflict, message=conflict.message if conflict else "",
                  uncovered_terms=list(uncovered(question, [q.quote for q in quotes])))


def conflict_message(rows: list[ConflictRow], sources: dict[str, Source]) -> str:
    """'The sources differ: [1] Turan (2024-10-07): 9; [2] Geghard (2024): 13; …'"""
    parts = []
    for row in rows:
        meta = sources[row.source_id].meta
        label = f"[{row.citation}] {meta.outlet or row.source_id}" + (f" ({meta.date})" if meta.date else "")
        said = f", according to {row.attribution}" if row.attribution else ""
        parts.append(f"{label}: {', '.join(row.figures)}{said}")
    return "The sources differ: " + "; ".join(parts) + "."


def citation(n: int, source: Source) -> Citation:
    m = source.meta
    return Citation(n=n, source_id=source.source_id, title=m.title, outlet=m.outlet, date=m.date, url=m.url)


def _date_key(source: Source) -> str:
    return source.meta.date or UNDATED


def _last_year(text: str) -> str:
    years = YEAR.findall(text[-2000:])
    return years[-1] if years else ""


def _names_near(names: tuple[tuple[str, ...], ...], body: str, sentence: ScoredSentence) -> bool:
    """Every name the question gives (any word of it, any spelling) stands near the sentence."""
    if not names:
        return True
    window = body[max(0, sentence.start - NAME_WINDOW):sentence.end + NAME_WINDOW]
    return all(mentions(window, phrase) for phrase in names)
