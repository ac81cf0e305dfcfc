"""Answer composition: prose sentences only, the quotes chosen (`quotes.py`), citations numbered by first
appearance, and an abstention, a disagreement or a note on what the quotes do not give said as such."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from .abstention import Verdict, abstain_message
from .disagreement import (according_to, by_date, conflict_message, each_source_first, figure_rows, find_conflict,
                           of_someone_unnamed, one_group, one_subject, rows_of_other_sources, states_asked_kind)
from .figures import MONTHS, figures_in, matches, same_group, states_figure_kind
from .furniture import Furniture, is_whole_sentence, prose_span
from .grounding import (Grounding, article_names_another, bare_surname, event_said, mentions, names_another,
                        names_or_spells_out, uncovered)
from .lexical import WORD_SPAN, fold, stem
from .question import NUMBER_WORDS, PERSON_UNITS, Question
from .quotes import choose_quotes, gives_name, named_text, naming_sentences, read_back, years_of
from .scoring import ScoredSentence
from .types import Answer, Citation, Conflict, ConflictRow, Passage, Quote, Source


# Kinds of figure whose absence near the question's names means the sources do not give it, with the word the
# abstention uses. Ages and durations ("how long"): counts and dates are written in more ways than
# qa/figures.py reads ("the 10th and 11th centuries", "168,637 Victorians"); checking them turned away 15 more
# of SQuAD's 705 answerable questions (durations: none, and one more unanswerable one caught).
FIGURE_CHECKED = {"age": "age", "duration": "duration"}
# Anything a count may be written with: a digit, a number word, "dozens", "hundreds", "thousands"
COUNT_LIKE = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r"|dozens?|hundreds|thousands|millions)\b", re.I)
COUNT_REACH = 6  # words from a number to the noun it counts ("21 diverse combinatorial and graph theoretical problems")


# Figures whose quotes come first when no sentence states one for the asked event: a duration or a count the
# question's words do not tie to an event ("How many years in prison did Mirhafiz Jafarzadeh get?"); not a date,
# which may be another event's ("When was Zakir Hasanov born?" led with another event's date)
KIND_FIRST = ("duration", "count")
# What a figure question asks for, in the words of the note shown when no quote gives one
FIGURE_WORDS = {"count": "number", "date": "date", "duration": "length of time", "age": "age", "identifier": "number"}
# Anything a figure may be written with that qa/figures.py does not read as one ("began in 911", "the 1050s",
# "in March", "the 10th century", "on Monday"); "may" and the abbreviations count too, which only keeps the note away
FIGURE_LIKE = re.compile(r"\d|\b(?:" + "|".join(MONTHS) + r"|spring|summer|autumn|winter|centur(?:y|ies)|decades?|"
                         r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today)\b", re.I)

# Anything a length of time may be written with: a unit, a period between two dates ("May-June 2017", "since …")
DURATION_LIKE = re.compile(r"\b(?:years?|months?|weeks?|days?|hours?|minutes?|decades?|centur(?:y|ies)|life|"
                           r"lifelong|since|until|till|between)\b|\b(?:" + "|".join(MONTHS) + r")\s*[-–]\s*\w", re.I)


def missing_figure(question: Question, quotes: list[str]) -> str:
    """The word for the figure a question asks for ("date") when no quote gives anything like a figure, else
    "". "When was Hikmet Hasanov dismissed?" answered with "Hikmet Hasanov (dismissed earlier)" gives no date:
    the quote is the closest the sources come, and the answer must not read as giving one. Only quotes with
    nothing figure-like get the note: a note wrongly denying a figure would be a wrong frame of its own. For a
    count, a date is not figure-like ("How many people were arrested in Ganja?" is not answered by "… sentenced
    to life imprisonment in 1994"), and no number counts a narrower group the quotes never name ("How many
    civilians died?" is not answered by "At least 13 servicemen died …")."""
    if question.kind not in FIGURE_WORDS:
        return ""
    if question.kind == "count":  # a date gives no number: "sentenced to life imprisonment in 1994"
        unit = stem(fold(question.unit)) if question.unit else ""
        other_group = unit and unit not in PERSON_UNITS and not any(counts_group(q, question.unit) for q in quotes)
        if not other_group and any(COUNT_LIKE.search(_without_dates(q)) for q in quotes):
            return ""
    elif question.kind == "duration":  # a count is no length of time: "9 people were tortured to death"
        if any(DURATION_LIKE.search(q) or any(f.kind == "duration" for f in figures_in(q)) for q in quotes):
            return ""
    elif any(FIGURE_LIKE.search(q) or any(_same_kind_word(question.kind, f.kind) for f in figures_in(q))
             for q in quotes):
        return ""
    return FIGURE_WORDS[question.kind]


def _same_kind_word(asked: str, stated: str) -> bool:
    """A figure of the asked kind, as far as the note is concerned: a count is no date ("Two people were
    lying on the ground" gives no date for "When did the torture happen?")."""
    return asked != "date" or stated == "date"


def counts_group(text: str, unit: str) -> bool:
    """Does `text` give a number of the group `unit` ("teenagers"): a count whose noun it is, or one with no noun
    in a sentence naming it ("30 were sentenced"), or a number-like word a few words before it ("a dozen
    frightened teenagers")? "200 people were convicted …, including teenagers" counts people, not teenagers. The
    group is read as written, singular or plural, not by its stem ("officers" is not the "Office")."""
    singular = re.sub(r"(?<=[^s])e?s$", "", fold(unit)) if fold(unit).endswith("s") else fold(unit)
    group = re.compile(rf"{re.escape(singular)}(?:e?s)?")
    words = [part for w in WORD_SPAN.findall(text) for part in fold(w).split("-")]  # "full-time": "full", "time"
    if any(f.kind == "count" and (same_group(unit, f.unit) if f.unit else any(map(group.fullmatch, words)))
           for f in figures_in(text)):
        return True
    return any(any(map(group.fullmatch, words[i + 1:i + 1 + COUNT_REACH])) for i, w in enumerate(words)
               if w.isdigit() or COUNT_LIKE.fullmatch(w))


def _without_dates(text: str) -> str:
    """`text` with the dates `figures_in` reads blanked out."""
    for figure in figures_in(text):
        if figure.kind == "date":
            text = text[:figure.start] + " " * (figure.end - figure.start) + text[figure.end:]
    return text


def missing_figure_message(word: str) -> str:
    """The note above quotes that state no figure of the kind asked for."""
    return f"No quote gives the {word} asked for: these are the closest passages in the sources."


def unsaid_event(question: Question, chosen: list[ScoredSentence], bodies: dict[str, str]) -> list[str]:
    """For "Was Mais Barkhudarov arrested?", and for "Why / when / where was Hikmet Hasanov convicted?": the verb
    and the names when no quote says it of them (any form or a word of its event family; a "he" read back),
    else []. The quotes may still answer: a no is often said in other words ("no criminal charge against
    Hasanov"), and a wh-question may take for granted what never happened."""
    event = question.yes_no_event or question.event
    if event is None or not chosen:
        return []
    if any(event_said(event, [read_back(s, bodies)]) for s in chosen):
        return []
    return [event.verb] + [" ".join(phrase) for phrase in event.names]


def unsaid_message(unsaid: list[str]) -> str:
    """The note above quotes that never say the event a question asks about."""
    verb, *names = unsaid
    return f"No quote says “{verb}” about {', '.join(names)}: these are the closest passages in the sources."


def answer_note(answer: Answer) -> str:
    """The note shown above an answer's quotes when they do not give what was asked (a figure, an event)."""
    if answer.missing_figure:
        return missing_figure_message(answer.missing_figure)
    return unsaid_message(answer.unsaid) if answer.unsaid else ""


def without_figure(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str]) -> Verdict | None:
    """Abstain (reason no_figure) on a question that asks for an age, a duration or a percentage when no
    candidate sentence gives one with the question's names near it."""
    kind = "percentage" if question.asks_share else FIGURE_CHECKED.get(question.kind, "")
    if not kind or states_asked_kind(question, ranked, bodies):
        return None
    names = tuple(" ".join(phrase) for phrase in question.names)
    return Verdict(True, "no_figure", (kind,) + names)


def without_year(question: Question, ranked: list[ScoredSentence]) -> Verdict | None:
    """Abstain (reason no_figure) on a count asked for a year ("How many people were detained in 2019?") when
    every candidate sentence that states a count of the asked event states it for another year ("in 2017,
    more than 1,000 … were detained") and none says the year asked; a count given with no year may be it."""
    years = [f for f in question.figures if len(f) == 4]
    if question.kind != "count" or not years:
        return None
    counting = [s for s in ranked if any(f.kind == "count" and matches(question, f, sentence=s.text)
                                         for f in figures_in(s.text))]
    if not counting or any(not years_of(s.text) or set(years) & years_of(s.text) for s in counting):
        return None
    return Verdict(True, "no_figure", (f"number for {', '.join(years)}",))


def without_name(question: Question, quoted: list[ScoredSentence], ranked: list[ScoredSentence],
                 bodies: dict[str, str]) -> Verdict | None:
    """Abstain (reason no_name) on a question asking for a name (who, which court / prison / city, what is the
    name of) when no sentence the answer would quote gives one: a name the question does not give, and for an
    institution its word beside it ("the new verdicts were issued on June 4" names no court; "remain in
    prison" names no prison; "an officer was forced…" names no officer), and no other candidate sentence that
    says what the question asks gives one (`naming_sentences`). A sentence whose subject is "he", "she" or
    "they" gives the name of the sentence before it ("… Hikmet Hasanov … he was appointed …")."""
    if not question.asks_name:
        return None
    if any(gives_name(question, s, bodies) for s in quoted) or naming_sentences(question, ranked, bodies):
        return None
    named = question.focus if question.focus_kind in ("category", "attribute") and question.focus else "person"
    return Verdict(True, "no_name", (named,) + tuple(" ".join(phrase) for phrase in question.names))


def without_subject(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str]) -> Verdict | None:
    """Abstain (reason no_mention) on a question about someone or something named ("Who is Tofig Babayev?")
    when no sentence the answer could quote mentions them (or speaks of them as "he" / "she" / "they" after a
    sentence that does): the name is only in page furniture (a photo credit) or outside the passages found,
    and quotes about others would read as the answer."""
    if not question.asks_about_name:
        return None
    for sentence in ranked:
        named = named_text(sentence, bodies)
        if any(mentions(named, phrase) for phrase in question.names):
            return None
    return Verdict(True, "no_mention", tuple(" ".join(phrase) for phrase in question.names))


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


def without_namesakes(question: Question, ranked: list[ScoredSentence],
                      bodies: dict[str, str]) -> list[ScoredSentence]:
    """The sentences that may be quoted for a question naming someone in full: not those that give the surname
    only to someone else ("Hikmat Hasanov" under "Who is Elshan Hasanov?"), nor those that give it bare in an
    article that gives it only after other given names (its "Hasanov also confirmed …" is Elshan Hasanov, not
    the Hikmet Hasanov asked about); order kept."""
    full = [phrase for phrase in question.names if len(phrase) > 1]
    if not full:
        return ranked
    return [s for s in ranked if not any(
        names_another(s.text, phrase)
        or (bare_surname(s.text, phrase) and article_names_another(bodies[s.source_id], phrase)) for phrase in full)]


def compose(question: Question, ranked: list[ScoredSentence], passages: list[Passage],
            sources: dict[str, Source], furniture: dict[str, list[Furniture]], grounding: Grounding, verdict: Verdict,
            margin: float, max_quotes: int, max_conflict_quotes: int,
            deeper: Callable[[], list[ScoredSentence]] | None = None, same_language: bool = True) -> Answer:
    """The answer: an abstention with its reason, or quotes with citations numbered by first appearance;
    for a figure the sources disagree on, one quote per sentence stating it, in the order of the articles'
    dates, and the conflict's rows (who says what, when). `deeper`: the sentences of passages ranked below
    the pool, asked for only when the pool shows a disagreement, for the figures of the sources it has no row
    from."""
    bodies = {sid: s.body for sid, s in sources.items()}
    if verdict.abstain:
        terms = grounding.missing_words + tuple(t for t in grounding.never_mentioned if t not in grounding.missing_words)
        if not terms and ranked:
            terms = uncovered(question, [s.text for s in ranked[:1]])
        return Answer(question=question.text, abstained=True, answer=[], citations=[], passages=passages,
                      message=abstain_message(verdict), reason=verdict.reason, uncovered_terms=list(terms))
    chosen = choose_quotes(question, ranked, bodies, margin, max_quotes, same_language)
    checked = question.checked_count if same_language else None  # "Were 9 people tortured to death?": others' counts
    figured = checked or question
    rows = according_to(figured, figure_rows(figured, ranked, bodies)) if figured.asks_figure else []
    values = find_conflict(one_subject(figured, one_group(figured, rows))) if rows else None
    if values is not None:
        if deeper is not None:
            rows = according_to(figured, rows + rows_of_other_sources(figure_rows(figured, deeper(), bodies), rows))
        rows = one_subject(figured, one_group(figured, rows))
        values = find_conflict(rows)
        rows = sorted(each_source_first(rows, max_conflict_quotes),
                      key=lambda r: (by_date(sources[r.sentence.source_id]), r.sentence.source_id, r.sentence.start))
        chosen = [r.sentence for r in rows]
    elif rows and not checked:  # the sources agree (or one states it): its sentence from each source, best first
        stating = list({r.sentence.source_id: r.sentence for r in reversed(rows)}.values())[::-1]
        stating.sort(key=lambda s: -s.score)
        keys = {(s.source_id, s.start) for s in stating}
        # the other close sentences only where they state a figure of the asked kind too: a sentence that
        # merely mentions the question's names would read as an answer it does not give ("according to X":
        # and name X)
        others = [s for s in chosen if (s.source_id, s.start) not in keys and states_figure_kind(question, s.text)
                  and (not question.according or any(names_or_spells_out(s.text, p) for p in question.according))
                  and not of_someone_unnamed(question, s.text)]
        chosen = (stating + others)[:max_quotes]
    elif question.kind in KIND_FIRST:  # no sentence states it for the asked event: one giving such a figure first
        giving = [s for s in chosen if states_asked_kind(question, [s], bodies)]  # with the question's names near
        # a term is written as a term: beside one, a sentence giving none answers nothing (counts are written in
        # more ways than qa/figures.py reads: those stay, after)
        chosen = giving or chosen if question.kind == "duration" else giving + [s for s in chosen if s not in giving]
    numbers: dict[str, int] = {}
    quotes = []
    for sentence in chosen:
        n = numbers.setdefault(sentence.source_id, len(numbers) + 1)
        body = bodies[sentence.source_id]
        quotes.append(Quote(body[sentence.start:sentence.end], sentence.source_id, sentence.start, sentence.end, n,
                            round(sentence.score, 4),
                            whole=is_whole_sentence(body, sentence.start, sentence.end, furniture.get(sentence.source_id, [])),
                            page=sources[sentence.source_id].page_of(sentence.start)))
    citations = [citation(n, sources[sid]) for sid, n in numbers.items()]
    conflict = None
    if values is not None:
        table = [ConflictRow(source_id=r.sentence.source_id, citation=numbers[r.sentence.source_id],
                             outlet=sources[r.sentence.source_id].meta.outlet,
                             date=sources[r.sentence.source_id].meta.date,
                             figures=[f.text for f in r.figures], values=[f.value for f in r.figures],
                             quote=bodies[r.sentence.source_id][r.sentence.start:r.sentence.end],
                             start=r.sentence.start, end=r.sentence.end, attribution=r.attribution,
                             page=sources[r.sentence.source_id].page_of(r.sentence.start))
                 for r in rows]
        conflict = Conflict(kind=figured.kind, values=values, message=conflict_message(table, sources),
                            rows=table)
    texts = [q.quote for q in quotes]
    return Answer(question=question.text, abstained=False, answer=quotes, citations=citations, passages=passages,
                  conflict=conflict, message=conflict.message if conflict else "",
                  uncovered_terms=list(uncovered(question, texts)),
                  missing_figure="" if conflict else missing_figure(question, texts),
                  unsaid=unsaid_event(question, chosen, bodies) if same_language else [])


def citation(n: int, source: Source) -> Citation:
    m = source.meta
    return Citation(n=n, source_id=source.source_id, title=m.title, outlet=m.outlet, date=m.date, url=m.url,
                    language=m.language)
