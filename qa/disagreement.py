"""Disagreement: every source's statement of the figure a question asks for, and whether the sources differ."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .attribution import attribution
from .figures import (MONTHS, Asked, Figure, asked, context_year, disagree, figures_in, matches, of_asked_kind,
                      same_group)
from .grounding import article_names_another, mentions, names_or_spells_out
from .lexical import phonetic_key, stem, stems_of, tokenize
from .question import FAMILY_OF, Question
from .scoring import ScoredSentence
from .types import ConflictRow, Source

NAME_WINDOW = 1000  # characters around a figure's sentence where the question's names must appear
UNDATED = "9999"  # sorts undated articles after dated ones
# Dates and prison terms: many events of one family ("sentenced", "acknowledged") happen on different occasions
OCCASION_KINDS = frozenset({"date", "duration"})
INDIVIDUAL = re.compile(r"\b(?:he|she)\b", re.I)  # a sentence about one person
MONTH_STEMS = frozenset(stem(m) for m in MONTHS)  # as the lexical tokens have them ("decemb")
# words of such a question that say nothing about which occasion it asks for ("when did it become known",
# "what prison terms did they receive")
LIGHT_WORDS = frozenset(stem(w) for w in (
    "take taken place happen occur become known use used against term terms sentence sentences prison jail "
    "receive received get got serve served give given other others").split())
PREVIOUS_SENTENCE = 400  # characters read back for whom a "they" stands for
SENTENCE_ENDS = ".!?…․\"”’'"  # what closes a sentence (001 ends some with "․", U+2024)
ANTECEDENT_SENTENCES = 4  # sentences read back for a date's occasion, while each also says "he" / "she" / "they"
PRONOUN = re.compile(r"\b(?:they|he|she|them|him|her|their|his)\b", re.I)


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
    names = tuple(phrase for phrase in question.names if phrase not in question.according)  # whose version: not near
    rows, seen = [], set()
    for sentence in ranked:
        key = (sentence.source_id, sentence.start)
        if key in seen:
            continue
        seen.add(key)
        body = bodies[sentence.source_id]
        found = [f for f in figures_in(sentence.text, 0, context_year(body, sentence.start, sentence.text))
                 if matches(question, f, wanted, sentence.text)]
        if not found or not _names_near(names, body, sentence) or not states_numbers(sentence.text, question.figures):
            continue
        if of_someone_unnamed(question, sentence.text):
            continue
        found = [replace(f, start=f.start + sentence.start, end=f.end + sentence.start) for f in found]
        if question.kind in OCCASION_KINDS and not _same_occasion(question, wanted, body, sentence):
            continue
        part = _clause_sentence(sentence, found[0])
        who = attribution(part.text, before=found[0].start - part.start)
        rows.append(FigureRow(part, tuple(f for f in found if part.start <= f.start < part.end), who))
    return rows


def according_to(question: Question, rows: list[FigureRow]) -> list[FigureRow]:
    """For "… according to X?", the rows whose attribution names X, else those whose sentence does (PACE
    written out included); all of them when none does."""
    if not question.according:
        return rows
    for text_of in (lambda row: row.attribution, lambda row: row.sentence.text):
        kept = [row for row in rows if any(names_or_spells_out(text_of(row), phrase) for phrase in question.according)]
        if kept:
            return kept
    return rows


def one_group(question: Question, rows: list[FigureRow]) -> list[FigureRow]:
    """The rows that may disagree: a count asked of no group ("How many were arrested?") compares only what
    counts the group its best row counts — "1,000 servicemen and civilians" and "five religious activists"
    are two facts, not two answers to one question."""
    if question.kind != "count" or question.unit or not rows:
        return rows
    anchor = next((f.unit for f in rows[0].figures if f.unit), "")  # none: the best row says whom by context
    kept = [replace(row, figures=tuple(f for f in row.figures if same_group(anchor, f.unit))) for row in rows]
    return [row for row in kept if row.figures]


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


def states_asked_kind(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str]) -> bool:
    """Does any candidate sentence state a figure of the kind asked for (an age, a count of the asked group, a
    date…) with the question's names near it, whatever event it is paired with? When none does ("How old is
    Nemat Maharramov?": the one age in the sources is another man's), the sources do not give it."""
    for sentence in ranked:
        body = bodies[sentence.source_id]
        found = figures_in(sentence.text, 0, context_year(body, sentence.start, sentence.text))  # the kind is asked, not where
        if not any(of_asked_kind(question, f, sentence.text) for f in found):
            continue
        if _names_near(question.names, body, sentence) and _says_asked_event(question, with_antecedent(body, sentence)):
            return True
    return False


def _says_asked_event(question: Question, text: str) -> bool:
    """Does `text` say a word of each event family the question's words belong to ("sentenced": any word of the
    conviction family)? "How many years was Hikmet Hasanov sentenced to?" is not answered by a "44-day war"."""
    families = {FAMILY_OF[p] for p in question.predicates if p in FAMILY_OF}
    said = {FAMILY_OF.get(w) for w in stems_of(text)}
    return families <= said


def _same_occasion(question: Question, wanted: Asked, body: str, sentence: ScoredSentence) -> bool:
    """A date or a term is the one asked for only if its sentence also says at least half of what else the
    question names (its names, its words beside the event: "the *new* verdicts", "the *Military* Prosecutor",
    "convicted of *treason*"). A sentence that speaks of them as "they" / "he" / "she" names whom the sentence
    before it names ("… Senan Mashyev … were sentenced in March 2019. On October 1, 2020, they were released")."""
    words = [w for w in wanted.specific if w not in LIGHT_WORDS]
    wanted_count = len(words) + len(question.names)
    if not wanted_count:
        return True
    text = sentence.text
    stems = stems_of(text)
    named = with_antecedent(body, sentence, back=ANTECEDENT_SENTENCES)
    said = sum(w in stems for w in words) + sum(mentions(named, phrase) for phrase in question.names)
    return said >= wanted_count / 2


def with_antecedent(body: str, sentence: ScoredSentence, pronouns: re.Pattern = PRONOUN, back: int = 1) -> str:
    """The sentence's text after the sentence before it when it speaks of someone by one of `pronouns`: whom
    "he" stands for ("… Hikmet Hasanov … Furthermore, in August 2021, he was appointed …"); with `back`, up to
    that many sentences, across those that also say "he"; else its text."""
    if not pronouns.search(sentence.text):
        return sentence.text
    start = sentence.start
    for _ in range(back):  # up to `back` sentences, across those that also say "he" ("In 1995, he moved …")
        before = max(_sentence_before(body, start), start - PREVIOUS_SENTENCE)
        if before >= start:
            break
        added, start = body[before:start], before
        if not pronouns.search(added):
            break
    return body[start:sentence.start] + sentence.text


def _sentence_before(body: str, start: int) -> int:
    """Where the sentence that ends just before `start` begins (after the full stop before it; 0 at the top)."""
    end = start
    while end > 0 and (body[end - 1].isspace() or body[end - 1] in SENTENCE_ENDS):
        end -= 1  # past the blank and the closing marks of the sentence before
    return max(body.rfind(mark, 0, end) for mark in ".!?․") + 1


def states_numbers(text: str, figures: tuple[str, ...]) -> bool:
    """Every number or year of `figures` (those a question gives: "acquitted in 2018") is in the sentence."""
    found = {f.value.split("-")[0] for f in figures_in(text)} | {f.value for f in figures_in(text)}
    return all(f in found or f in text for f in figures)


def of_someone_unnamed(question: Question, text: str) -> bool:
    """Is `text` a date or a term of "he" or "she" while the question names no one and nothing to say which
    occasion? Then it is someone else's ("When did the detentions begin?" is not answered by Mirhafiz
    Jafarzadeh's arrest, "In November 2022, … he was arrested …")."""
    return (question.kind in OCCASION_KINDS and not question.names and not asked(question).specific
            and bool(INDIVIDUAL.search(text)))


def one_subject(question: Question, rows: list[FigureRow]) -> list[FigureRow]:
    """The rows, or none when a date, a term or a count asked with no event of a known family ("When was the
    report published?", "How many prisoners … are on the list?"), or a date or a term with one and nothing else
    to say which ("When did the protest take place?"), is given by sentences about different things: every
    source's sentence must share a word that is not the question's (in any spelling of its names) nor an
    event's ("document No. 1551 was published on June 25, 2021" and "the Union … published a new list" on
    February 12 are two publications, not two versions of one date; "the demonstration on December 1, 2021"
    dispersed and the relatives who "gathered" on December 7 are two protests; the five Terter case prisoners
    on the political prisoners' list and the 19 convicts "from the list of victims" are two lists)."""
    wanted = asked(question)
    bare = not question.names and not wanted.specific  # "When did the protest take place?": which protest?
    checked = question.kind in OCCASION_KINDS or (question.kind == "count" and not wanted.event)
    if not checked or (wanted.event and not bare) or len({r.sentence.source_id for r in rows}) < 2:
        return rows
    asked_stems = {t.stem for t in question.terms}
    name_keys = {phonetic_key(w) for phrase in question.names for w in phrase} - {""}  # "Terter" asked, "Tartar" said
    per_source: dict[str, set[str]] = {}
    for row in rows:
        words = {w for w in tokenize(row.sentence.text, phonetic=False) if w.isalpha() and w not in MONTH_STEMS
                 and w not in FAMILY_OF and phonetic_key(w) not in name_keys}
        per_source.setdefault(row.sentence.source_id, set()).update(words - asked_stems)
    shared = set.intersection(*per_source.values())
    return rows if shared else []


def find_conflict(rows: list[FigureRow]) -> dict[str, list[str]] | None:
    """The figures per source when two sources' figures for the asked thing have nothing in common."""
    values: dict[str, list[str]] = {}
    for row in rows:
        bucket = values.setdefault(row.sentence.source_id, [])
        bucket.extend(f.value for f in row.figures if f.value not in bucket)
    if len(values) < 2 or not disagree(values):
        return None
    return values


def rows_of_other_sources(found: list[FigureRow], rows: list[FigureRow]) -> list[FigureRow]:
    """The rows of `found` from sources that have none in `rows`."""
    have = {row.sentence.source_id for row in rows}
    return [row for row in found if row.sentence.source_id not in have]


def each_source_first(rows: list[FigureRow], limit: int) -> list[FigureRow]:
    """At most `limit` rows, each source's first row before any source's second: a cut never drops a source."""
    firsts, seconds, seen = [], [], set()
    for row in rows:
        (seconds if row.sentence.source_id in seen else firsts).append(row)
        seen.add(row.sentence.source_id)
    return (firsts + seconds)[:limit]


def conflict_message(rows: list[ConflictRow], sources: dict[str, Source]) -> str:
    """'The sources differ: [1] Turan (2024-10-07): 9; [2] Geghard (2024): 13; …'"""
    parts = []
    for row in rows:
        meta = sources[row.source_id].meta
        label = f"[{row.citation}] {meta.outlet or row.source_id}" + (f" ({meta.date})" if meta.date else "")
        said = f", according to {row.attribution}" if row.attribution else ""
        parts.append(f"{label}: {', '.join(row.figures)}{said}")
    return "The sources differ: " + "; ".join(parts) + "."


def by_date(source: Source) -> str:
    """The sort key of an article's date: dated articles in order, undated ones last."""
    return source.meta.date or UNDATED


def _names_near(names: tuple[tuple[str, ...], ...], body: str, sentence: ScoredSentence) -> bool:
    """Every name the question gives (any word of it, any spelling) stands near the sentence; in an article that
    gives its surname only after another given name ("Elshan Hasanov" for "Hikmet Hasanov"), a word of it other
    than the surname."""
    if not names:
        return True
    window = body[max(0, sentence.start - NAME_WINDOW):sentence.end + NAME_WINDOW]
    return all(mentions(window, phrase[:-1] if article_names_another(body, phrase) else phrase) for phrase in names)
