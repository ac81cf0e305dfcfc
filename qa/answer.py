"""Answer composition: prose sentences only, the quotes chosen, citations numbered by first appearance, and an
abstention or a disagreement said as such."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from .abstention import Verdict, abstain_message
from .disagreement import (ANTECEDENT_SENTENCES, according_to, by_date, conflict_message, each_source_first,
                           figure_rows, find_conflict, of_someone_unnamed, one_group, one_subject,
                           rows_of_other_sources, states_asked_kind, states_numbers, with_antecedent)
from .figures import MONTHS, TAKE_PLACE, YEAR, YEAR_REACH, figures_in, matches, same_group, states_figure_kind
from .furniture import Furniture, is_whole_sentence, prose_span
from .grounding import (Grounding, article_names_another, bare_surname, continues_speech, event_said, family_stems,
                        is_saying, mentions, names_another, names_or_spells_out, new_names, says_verb, speaks,
                        uncovered)
from .lexical import WORD_SPAN, fold, stem, stems_of, verb_forms
from .question import FRAME_WORDS, INSTITUTIONS, NUMBER_WORDS, PERSON_UNITS, Question
from .scoring import CAUSE, SUBJECT_PRONOUN, ScoredSentence, has_location
from .types import Answer, Citation, Conflict, ConflictRow, Passage, Quote, Source


# Kinds of figure whose absence near the question's names means the sources do not give it, with the word the
# abstention uses. Ages and durations ("how long"): counts and dates are written in more ways than
# qa/figures.py reads ("the 10th and 11th centuries", "168,637 Victorians"); checking them turned away 15 more
# of SQuAD's 705 answerable questions (durations: none, and one more unanswerable one caught).
FIGURE_CHECKED = {"age": "age", "duration": "duration"}
# Anything a count may be written with: a digit, a number word, "dozens", "hundreds", "thousands"
COUNT_LIKE = re.compile(r"\d|\b(?:" + "|".join(NUMBER_WORDS) + r"|dozens?|hundreds|thousands|millions)\b", re.I)
COUNT_REACH = 6  # words from a number to the noun it counts ("21 diverse combinatorial and graph theoretical problems")
ANY_SENTENCE = re.compile("")  # with_antecedent then always reads the sentence before
# "What methods / forms / kinds of torture …?" asks for kinds of a thing, which a sentence listing them answers
KIND_WORDS = frozenset(stem(w) for w in "method form kind type way sort technique manner".split())
LIST_OPENERS = re.compile(r"\b(?:including|such as|among them|for example|for instance)\b|:\s")
LIST_ITEM_WORDS = 6  # "thrown from high floors, drowned in water, … and being raped": items this short
DEED_REACH = 3  # words between a deed and what it is done to ("denied the accusations", "list was compiled")
ROLE_PLACE_PREFIX = 5  # letters of where a role is held that its spellings share ("Defen-ce", "Defen-se")
OWNER_PRONOUN = re.compile(r"\b(?:he|she|they|its|his|her|their)\b", re.I)  # whom the sentence before names
# the words said: quoted, reported after "that", after a colon
SPEECH_CONTENT = re.compile(r"[“\"«„]|\bthat\b|:\s")
CAUSE_CONTEXT = 2  # sentences read back for whom a cause is given ("… Barkhudarov's dismissal. The reason for …")


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
    if any(event_said(event, [_read_back(s, bodies)]) for s in chosen):
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
    if not counting or any(not _years_of(s.text) or set(years) & _years_of(s.text) for s in counting):
        return None
    return Verdict(True, "no_figure", (f"number for {', '.join(years)}",))


def of_the_year(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str]) -> list[ScoredSentence]:
    """For a figure asked for a year ("How long was Ruslan Mykhailiov sentenced to in 2021?"), the candidates
    that state no other year only ("… initially sentenced to 5 years and 6 months in prison in March 2019"
    answers another occasion), when any does; else all of them. A date with no year ("on June 4") is of the
    year written last before it in the article."""
    years = {f for f in question.figures if len(f) == 4}
    if not question.asks_figure or not years:
        return ranked
    kept = []
    for sentence in ranked:
        stated = _years_of(sentence.text)
        if not stated and any(f.kind == "date" and f.value.startswith("-") for f in figures_in(sentence.text)):
            before = YEAR.findall(bodies[sentence.source_id][max(0, sentence.start - YEAR_REACH):sentence.start])
            stated = set(before[-1:])
        if not stated or years & stated:
            kept.append(sentence)
    return kept or ranked


def _years_of(text: str) -> set[str]:
    return {f.value[:4] for f in figures_in(text) if f.kind == "date" and f.value[:4].isdigit()}


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


def _named(sentence: ScoredSentence, bodies: dict[str, str]) -> str:
    """The sentence's text, after the sentence before it when its subject is "he", "she" or "they", or it
    speaks of "its" / "his" / "her" / "their" something ("Its captain, Elchin Huseynov, …": the ferry's); up to
    four sentences back across those that say one too ("… Senan Mashyev … On October 1, 2020, they were
    released … They even received medals …")."""
    return with_antecedent(bodies[sentence.source_id], sentence, OWNER_PRONOUN, back=ANTECEDENT_SENTENCES)


def gives_name(question: Question, sentence: ScoredSentence, bodies: dict[str, str]) -> bool:
    """Does the sentence give a name the question does not (the sentence before it read for a "he" / "she" /
    "they"), and for a court, prison, unit … that word beside it?"""
    return _gives_name(question, _named(sentence, bodies), sentence.text)


def _gives_name(question: Question, named: str, text: str) -> bool:
    """Does a sentence (`text`; `named`: with the sentence its "he" / "she" / "they" stands for) give a name the
    question does not, and for a court, prison, unit … or a role ("Who was the Defense Minister?") that word
    beside it?"""
    institution = stem(fold(question.focus)) if question.focus in INSTITUTIONS else stem(question.role)
    if question.role_of and not holds_role(text, question.role, question.role_of):
        return False
    return bool(new_names(question, named)) and (not institution or institution in stems_of(text))


def _does_to(text: str, question: Question) -> bool:
    """Does `text` say the question's deed next to what it is done to ("denied the accusations", "The list was
    compiled"): a form of the verb within DEED_REACH words of one of the question's other words?"""
    stems = [stem(fold(w)) for w in WORD_SPAN.findall(text)]
    verbs = {stem(fold(form)) for form in verb_forms(question.deed) | {question.deed}}
    return any(any(p in stems[max(0, i - DEED_REACH):i + DEED_REACH + 1] for p in question.predicates)
               for i, w in enumerate(stems) if w in verbs)


def _from_antecedent(sentence: ScoredSentence, bodies: dict[str, str]) -> ScoredSentence:
    """The sentence quoted from the sentences its "he" / "they" / "its" reads back to (`_named`), one slice."""
    body, named = bodies[sentence.source_id], _named(sentence, bodies)
    start = sentence.start - (len(named) - len(sentence.text))
    start += len(body[start:sentence.start]) - len(body[start:sentence.start].lstrip())
    return replace(sentence, start=start, text=body[start:sentence.end])


def _within(sentence: ScoredSentence, other: ScoredSentence) -> bool:
    """Is `sentence` the same text as `other`, or part of it (a quotation quoted with its speaker)?"""
    return sentence.source_id == other.source_id and other.start <= sentence.start and sentence.end <= other.end


def with_speaker(sentence: ScoredSentence, body: str) -> ScoredSentence | None:
    """A sentence inside a quotation, quoted from the sentence that introduces the quotation (where its speaker
    is named: "Ali Karimli holds the same point of view. “… No authoritarian regimes last forever."); None
    when the sentence is no part of a quotation. The quote stays a slice of the article."""
    paragraph = body.rfind("\n", 0, sentence.start) + 1
    before = body[paragraph:sentence.start]
    if before.count("“") + before.count("«") > before.count("”") + before.count("»"):
        opened = paragraph + max(before.rfind("“"), before.rfind("«"))
    elif before.count('"') % 2:
        opened = paragraph + before.rfind('"')
    else:
        return None
    start = _sentence_start(body, paragraph, opened)
    if not body[start:opened].strip():  # the quotation opens its sentence: its speaker is in the one before
        start = _sentence_start(body, paragraph, len(body[:start].rstrip()) - 1)
    return replace(sentence, start=start, text=body[start:sentence.end])


def _sentence_start(body: str, floor: int, position: int) -> int:
    """Where the sentence holding `position` starts: after the last full stop before it (not before `floor`),
    and its spaces."""
    stop = max(body.rfind(mark, floor, position) for mark in ".!?…")
    start = stop + 1 if stop >= floor else floor
    return start + len(body[start:]) - len(body[start:].lstrip())


def holds_role(text: str, role: str, where: str) -> bool:
    """Does `text` say the role where it is held, either way round: "Defense Minister", "Minister of Defense",
    "head of the State Security Service" (capitalised: "the head of state" is no State Security Service)? The
    place is read by its first letters ("Defence" / "Defense")."""
    role, where = re.escape(role), re.escape(where[:ROLE_PLACE_PREFIX]) + r"[\w’'-]*"
    return bool(re.search(rf"\b{where}\s+(?i:{role})|\b(?i:{role})s?\s+of\s+(?:the\s+)?{where}\b", text))


def naming_sentences(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str]) -> list[ScoredSentence]:
    """The candidate sentences that answer a name question: they say every other content word of the question
    (any form), speak of its names, and give a name it does not, reading the sentence before a "he" / "she" /
    "they" ("Which country did Mirhafiz Jafarzadeh move to?": "In 1995, he moved to Russia …"); for a court,
    prison, unit … or a role that word too, and those with a name right after the role first ("Defense Minister
    Zakir Hasanov" before "Minister of Defense, Khanlar Valiyev (military prosecutor), Hikmat Hasanov")."""
    if not question.asks_name:
        return []
    found = []
    for sentence in ranked:
        named = _named(sentence, bodies)
        if not all(p in stems_of(named) for p in question.predicates) and not (
                # "The list was compiled by …" after "… a new list of the Union for … Political Prisoners …"
                question.deed and says_verb(question.deed, sentence.text) and
                _says_all(question.predicates, with_antecedent(bodies[sentence.source_id], sentence, ANY_SENTENCE))):
            continue
        scope = () if question.role else question.names  # "the Defense Minister of Azerbaijan": said with the role
        if all(mentions(named, phrase) for phrase in scope) and _gives_name(question, named, sentence.text):
            found.append(sentence)
    if not found and question.deed and is_saying(question.deed):  # "Who said that no authoritarian regimes …?"
        found = [quoted for quoted in (with_speaker(s, bodies[s.source_id]) for s in ranked
                                       if _says_all(question.predicates, s.text))
                 if quoted and _gives_name(question, quoted.text, quoted.text)]
    if question.role:
        holder = re.compile(rf"\b(?i:{re.escape(question.role)}s?)\s+[A-Z]")
        found.sort(key=lambda s: not holder.search(s.text))
    return found


def answering_sentences(question: Question, ranked: list[ScoredSentence],
                        bodies: dict[str, str]) -> list[ScoredSentence]:
    """The candidate sentences that answer "where", "why" or "what did X <verb>": they say every other content word
    of the question (any form) and give a place ("in Baku") or a cause ("the reason for … is", "because"), or
    they say the verb (else the word "What *charges* did …" asks for); and they speak of its names, reading back
    a "he" / "she" / "they" (up to four sentences) or, for a cause, the two sentences before ("Where did Mirhafiz
    Jafarzadeh move in 1995?": "In 1995, he moved to Russia …"; "Why was Mais Barkhudarov dismissed?": "… the
    reason for the dismissal of the young general … is his involvement …"; "What did the protesters demand?":
    "They were demanding the release …")."""
    if question.kind == "reason":
        gives, before, back = CAUSE.search, ANY_SENTENCE, CAUSE_CONTEXT
    elif question.kind == "place" and question.focus_kind != "category":
        gives, before, back = (lambda text: has_location(text, question)), SUBJECT_PRONOUN, ANTECEDENT_SENTENCES
    elif question.focus_kind == "category" and stem(fold(question.focus.split()[-1])) in KIND_WORDS:
        # "What methods of torture were used?": a sentence listing them ("… forms of torture, including …")
        listing = [s for s in ranked if lists(s.text) and any(_said(p, stems_of(s.text)) for p in question.predicates)]
        return _about_names(question, listing, bodies)
    elif question.yes_no_event:  # "Was Mirhafiz Jafarzadeh arrested?": a sentence saying it of them
        event = question.yes_no_event
        return [s for s in ranked if event_said(event, [_read_back(s, bodies)])]
    elif question.action:  # "What did the protesters demand?": a sentence that says the verb
        return (_about_names(question, [s for s in ranked if says_verb(question.action, s.text)], bodies)
                or _about_names(question, [s for s in ranked if _says_focus(question, s.text)], bodies))
    else:
        return []
    found = [s for s in ranked if _says_all(question.predicates, s.text) and gives(s.text)]
    if question.kind == "place":  # a place by its name ("in Baku") before one by a common noun ("at the venue")
        found.sort(key=lambda s: not has_location(s.text, question, named=True))
    return _about_names(question, found, bodies, before, back)


def lists(text: str) -> bool:
    """Does `text` list things: after "including", "such as", a colon, or as two short items between commas
    and a last one after "and" / "or" ("thrown from high floors, drowned in water, and being raped")?"""
    if LIST_OPENERS.search(text):
        return True
    items = [len(item.split()) for item in text.split(", ")]
    lasts = [bool(re.match(r"(?:and|or)\s", item)) for item in text.split(", ")]
    return any(items[i] <= LIST_ITEM_WORDS and items[i + 1] <= LIST_ITEM_WORDS and lasts[i + 2]
               for i in range(len(items) - 2))


def _says_all(predicates: tuple[str, ...], text: str) -> bool:
    """Does `text` say every one of the question's other words (stems): as written, or as a word of its event
    family ("gathered" for "protest")? "take place" only frames "Where did the protest take place?"."""
    stems = stems_of(text)
    return all(_said(p, stems) for p in predicates if p not in TAKE_PLACE)


def _said(word: str, stems: frozenset[str]) -> bool:
    """Is the stem `word` among `stems`, or a word of its event family?"""
    return word in stems or bool(set(family_stems(word)) & stems)


def _read_back(sentence: ScoredSentence, bodies: dict[str, str]) -> str:
    """The sentence after those its "he" / "she" / "they" reads back to (up to four)."""
    return with_antecedent(bodies[sentence.source_id], sentence, SUBJECT_PRONOUN, back=ANTECEDENT_SENTENCES)


def _about_names(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str],
                 before: re.Pattern = SUBJECT_PRONOUN, back: int = ANTECEDENT_SENTENCES) -> list[ScoredSentence]:
    """The sentences that speak of every name of the question, read with the sentences before them that `before`
    (a "he", any sentence) sends back to, up to `back`."""
    return [s for s in ranked if all(mentions(with_antecedent(bodies[s.source_id], s, before, back=back), phrase)
                                     for phrase in question.names)]


def _says_focus(question: Question, text: str) -> bool:
    """Does `text` say the word "What *charges* did …" asks for (any form, or a word of its event family)?"""
    if question.focus_kind != "category" or not question.focus:
        return False
    return _said(stem(fold(question.focus.split()[-1])), stems_of(text))


def speaking_sentences(question: Question, ranked: list[ScoredSentence],
                       bodies: dict[str, str]) -> list[ScoredSentence]:
    """The candidate sentences that report words of whom "What did X say?" asks about: X said, says X, according
    to X, or a quotation / "he said" after a sentence that names X; those giving the words (a quotation, a
    "that" clause, a colon) first, best first ("Heydar Isaev writes about this, referring to the video" gives
    none)."""
    if not question.speaker:
        return []
    found = []
    for sentence in ranked:
        text, body = sentence.text, bodies[sentence.source_id]
        if continues_speech(text):
            text = with_antecedent(body, sentence, ANY_SENTENCE)
        if any(speaks(text, phrase) and not article_names_another(body, phrase) for phrase in question.speaker):
            found.append(sentence)
    return sorted(found, key=lambda s: not SPEECH_CONTENT.search(s.text))


def without_subject(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str]) -> Verdict | None:
    """Abstain (reason no_mention) on a question about someone or something named ("Who is Tofig Babayev?")
    when no sentence the answer could quote mentions them (or speaks of them as "he" / "she" / "they" after a
    sentence that does): the name is only in page furniture (a photo credit) or outside the passages found,
    and quotes about others would read as the answer."""
    if not question.asks_about_name:
        return None
    for sentence in ranked:
        named = _named(sentence, bodies)
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


def without_filler(question: Question, chosen: list[ScoredSentence], bodies: dict[str, str]) -> list[ScoredSentence]:
    """The best quote, and the others that say a word of the question beyond its frame (a name, a figure, a
    word of what it asks; any form, the sentence before a "he" read back): "They may well happen in
    Azerbaijan." shares only "happen" with "What happened in 2022?" and answers nothing."""
    content = {t.text for t in question.terms if fold(t.text) not in FRAME_WORDS}
    if not content or len(chosen) < 2:
        return chosen
    content_stems = {t.stem for t in question.terms if t.text in content}
    kept = chosen[:1]
    for sentence in chosen[1:]:
        if content_stems & stems_of(sentence.text):  # the common case, without reading back
            kept.append(sentence)
            continue
        if not content <= set(uncovered(question, [_read_back(sentence, bodies)])):
            kept.append(sentence)
    return kept


def of_the_figures(question: Question, chosen: list[ScoredSentence]) -> list[ScoredSentence]:
    """For a question that gives a number ("Which sources say 11 servicemen died?"), when a quote states it:
    those quotes first, and no quote that states other counts only ("At least 13 servicemen died" does not say
    11). A year is not such a number: it says when, not how many."""
    typed = tuple(f for f in question.figures if not (len(f) == 4 and f.isdigit()))
    if not typed or not any(states_numbers(s.text, typed) for s in chosen):
        return chosen
    stating = [s for s in chosen if states_numbers(s.text, typed)]
    return stating + [s for s in chosen if s not in stating and not any(f.kind == "count" for f in figures_in(s.text))]


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


def choose_quotes(question: Question, ranked: list[ScoredSentence], bodies: dict[str, str], margin: float,
                  max_quotes: int, same_language: bool = True) -> list[ScoredSentence]:
    """The quotes of an answer before any figure is read: the best sentences (`select_quotes`) of X's words for
    "What did X say?", of those stating no other year for a figure asked for one; the ones after the first
    saying a word of the question beyond its frame (in the question's language); and first, the best sentence
    giving a name the question asks for, or saying where, why or what someone did."""
    speaking = speaking_sentences(question, ranked, bodies)
    chosen = select_quotes(speaking or of_the_year(question, ranked, bodies), margin, max_quotes)
    if same_language:  # a quote in another language says the question's words translated, if at all
        chosen = of_the_figures(question, without_filler(question, chosen, bodies))
    naming = naming_sentences(question, ranked, bodies)
    if naming and (not any(gives_name(question, s, bodies) for s in chosen)  # the best sentence giving one first
                   or (question.role and chosen[0] != naming[0])):  # the role's holder: its best naming first
        chosen = [naming[0]] + [s for s in chosen if not _within(s, naming[0])][:max_quotes - 1]
    doing = [s for s in naming if question.deed and says_verb(question.deed, s.text)]
    doing.sort(key=lambda s: not _does_to(s.text, question))  # "Jafarzadeh denied the accusations" first
    if doing and chosen[0] != doing[0]:  # "Who compiled the list?": a sentence naming who did it first
        chosen = [doing[0]] + [s for s in chosen if s != doing[0]][:max_quotes - 1]
    if question.asks_name and chosen and not _gives_name(question, chosen[0].text, chosen[0].text) \
            and gives_name(question, chosen[0], bodies):  # "They even received medals …": from whom "they" is
        chosen[0] = _from_antecedent(chosen[0], bodies)
    answering = answering_sentences(question, ranked, bodies)
    if speaking:  # "What did Heydar Isaev write?": in the order of his words, those giving them first
        answering = [s for s in speaking if s in answering]
    if answering and chosen[0] != answering[0]:  # "where" / "why" / "what did X do": the best such sentence first
        chosen = [answering[0]] + [s for s in chosen if s != answering[0]][:max_quotes - 1]
    return chosen


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
