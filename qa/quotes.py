"""Quotes: which sentences an answer quotes, and in what order: the best ones, then the one that gives a name,
says why, where or what someone did, reports whose words were asked for, or lists the kinds asked for."""

from __future__ import annotations

import re
from dataclasses import replace

from .disagreement import ANTECEDENT_SENTENCES, states_numbers, with_antecedent
from .figures import TAKE_PLACE, YEAR_REACH, figures_in
from .grounding import (article_names_another, continues_speech, event_said, family_stems, is_saying, mentions,
                        new_names, says_verb, speaks, uncovered)
from .lexical import WORD_SPAN, fold, stem, stems_of, verb_forms
from .question import FRAME_WORDS, INSTITUTIONS, YEAR, Question
from .scoring import CAUSE, SUBJECT_PRONOUN, ScoredSentence, has_location

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
        stated = years_of(sentence.text)
        if not stated and any(f.kind == "date" and f.value.startswith("-") for f in figures_in(sentence.text)):
            before = YEAR.findall(bodies[sentence.source_id][max(0, sentence.start - YEAR_REACH):sentence.start])
            stated = set(before[-1:])
        if not stated or years & stated:
            kept.append(sentence)
    return kept or ranked


def years_of(text: str) -> set[str]:
    return {f.value[:4] for f in figures_in(text) if f.kind == "date" and f.value[:4].isdigit()}


def named_text(sentence: ScoredSentence, bodies: dict[str, str]) -> str:
    """The sentence's text, after the sentence before it when its subject is "he", "she" or "they", or it
    speaks of "its" / "his" / "her" / "their" something ("Its captain, Elchin Huseynov, …": the ferry's); up to
    four sentences back across those that say one too ("… Senan Mashyev … On October 1, 2020, they were
    released … They even received medals …")."""
    return with_antecedent(bodies[sentence.source_id], sentence, OWNER_PRONOUN, back=ANTECEDENT_SENTENCES)


def gives_name(question: Question, sentence: ScoredSentence, bodies: dict[str, str]) -> bool:
    """Does the sentence give a name the question does not (the sentence before it read for a "he" / "she" /
    "they"), and for a court, prison, unit … that word beside it?"""
    return _gives_name(question, named_text(sentence, bodies), sentence.text)


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
    """The sentence quoted from the sentences its "he" / "they" / "its" reads back to (`named_text`), one slice."""
    body, named = bodies[sentence.source_id], named_text(sentence, bodies)
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
    scope = () if question.role else question.names  # "the Defense Minister of Azerbaijan": said with the role
    found = []
    for sentence in ranked:
        named = named_text(sentence, bodies)
        if not all(p in stems_of(named) for p in question.predicates) and not (
                # "The list was compiled by …" after "… a new list of the Union for … Political Prisoners …"
                question.deed and says_verb(question.deed, sentence.text) and
                _says_all(question.predicates, with_antecedent(bodies[sentence.source_id], sentence, ANY_SENTENCE))):
            continue
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
        listing = [s for s in ranked if lists(s.text) and _says_any(question.predicates, s.text)]
        return _about_names(question, listing, bodies)
    elif question.yes_no_event:  # "Was Mirhafiz Jafarzadeh arrested?": a sentence saying it of them
        event = question.yes_no_event
        return [s for s in ranked if event_said(event, [read_back(s, bodies)])]
    elif question.action:  # "What did the protesters demand?": a sentence that says the verb
        return (_about_names(question, [s for s in ranked if says_verb(question.action, s.text)], bodies)
                or _about_names(question, [s for s in ranked if _says_focus(question, s.text)], bodies))
    else:
        return []
    if question.follows_up:  # "Why?" after "Who was dismissed as commander of …?": a word of the one before
        found = [s for s in ranked if _says_any(question.predicates, s.text) and gives(s.text)]
        return _about_names(question, found, bodies, before, back) or found
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


def _says_any(predicates: tuple[str, ...], text: str) -> bool:
    """Does `text` say one of the question's other words (stems), as written or as a word of its family?"""
    stems = stems_of(text)
    return any(_said(p, stems) for p in predicates)


def _said(word: str, stems: frozenset[str]) -> bool:
    """Is the stem `word` among `stems`, or a word of its event family?"""
    return word in stems or bool(set(family_stems(word)) & stems)


def read_back(sentence: ScoredSentence, bodies: dict[str, str]) -> str:
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
        if not content <= set(uncovered(question, [read_back(sentence, bodies)])):
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
