"""Grounding: which of a question's names, figures and words the sources mention at all, and which the quotes cover."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from .lexical import (STOPWORDS, fold, idf, in_dictionary, phonetic_key, stem, verb_forms, verb_lemmas, word_spans,
                      word_stem)
from .question import FAMILY_OF, LIGHT_VERB_FORMS, NUMBER_WORDS, SPEECH_VERBS, TITLES, Event, Question, Term

MONTH_NAMES = frozenset("""january february march april may june july august september october november december
monday tuesday wednesday thursday friday saturday sunday""".split())
SENTENCE_OPENERS = ".!?…:“\"«"  # after one of these a capital letter may just open a sentence or a quotation

FOCUS_STATED = ("attribute", "count", "verb")  # the sources must say it: "population", "tanks", "live"
FOCUS_WITH_NAMES = ("attribute", "count")  # … and say it about the question's names ("Which prison …" is not)
MIN_PREFIX = 5  # 'Europe'/'European', 'Nasirov'/'NasirovAssessing': one word a prefix of the other, this long
MIN_SHARED = 6  # 'detainees'/'detained': two forms of one word share this much of their start …
MAX_ENDING = 3  # … and differ in at most this many letters at the end of the question's word
DECISIVE_NUMBER = 100  # a number this large (or a year) that no source states cannot be what they are about
MIN_SURNAME = 3  # a shorter last word of a name is no surname ("Li"), and its other bearers are not told apart
SAME_START = 3  # two given names that start alike are spellings of one ("Hikmet", "Hikmat")
AGENT_ENDINGS = ("or", "ors")  # "prosecutor": who does it, not that it was done
APPOSITION_WORDS = 12  # words an apposition between commas may have ("Tural Qojaev, one of the victims, said")
# a rough sentence: up to a full stop and a closing quotation mark (for "he said" and a quotation after a name)
ROUGH_SENTENCE = re.compile(r"[^.!?…․]+(?:[.!?…․]+[”\"’»]?|$)")
QUOTATION_OPENS = "“\"«„"
PRONOUN_SAYS = re.compile(r"\b(?:he|she|they)\s+(?:(?:also|has|had|have|then|later|again|firmly|\w+ly)\s+)?"
                          r"(?P<verb>[a-z]+)\b", re.I)
# between a name and its verb of saying: "Hasanov also confirmed", "the Defense Ministry does not comment"
SAYING_ADVERBS = frozenset("also has had have then later again does did do not would will could can".split())
NAME_GAP = 1  # words allowed between two words of a name found in a source ("Hikmet Hasanov", "Hikmet A. Hasanov")

@dataclass(frozen=True)
class Grounding:
    """What the sources say nothing about, for one question."""

    missing_names: tuple[str, ...]  # name phrases as typed ("Flame Towers")
    missing_figures: tuple[str, ...]  # years and large numbers no source states
    missing_words: tuple[str, ...]  # other content words no source uses, as typed
    grounded_share: float  # idf-weighted share of the question's words found in the sources
    missing_focus: str = ""  # what the question asks about ("population", "prime minister"), if no source has it
    focus_apart: bool = False  # the noun asked about never stands in a passage with the question's names
    event_apart: bool = False  # the verb asked about its named subject never stands in a passage with the name
    speaker_silent: bool = False  # "What did X say?": no passage reports words of X's
    only_in_furniture: tuple[str, ...] = ()  # missing names and focus that page furniture does say ("Stepanakert")

    @property
    def never_mentioned(self) -> tuple[str, ...]:
        """What makes the question unanswerable from these sources on its own: names and figures."""
        return self.missing_names + self.missing_figures


def term_keys(term: Term) -> list[str]:
    """The lexical index's keys for a question term: its stem, and its spelling-variant key if a name."""
    keys = [term.stem]
    if term.is_name:
        key = phonetic_key(term.text)
        if key:
            keys.append(key)
    return keys


def grounding_keys(question: Question) -> list[str]:
    """The index keys `ground` looks up for a question (one `doc_freqs` call), with the words of its
    focus's event family."""
    terms = [t for t in question.terms if not t.is_figure]
    family = {k for w in question.focus.split() for k in family_stems(stem(fold(w)))}
    return sorted({k for t in terms for k in term_keys(t)} | set(question.figures) | family
                  | {w for f in question.figures for w in _number_words(f)})


@lru_cache(maxsize=64)
def family_stems(stemmed: str) -> tuple[str, ...]:
    """The stems of the words of the same event family as the stem `stemmed` ("jail" → "sentenc",
    "convict"…); none when it is in no family."""
    family = FAMILY_OF.get(stemmed)
    return tuple(s for s, f in FAMILY_OF.items() if f == family) if family else ()


def ground(question: Question, doc_freqs: tuple[int, dict[str, int]], texts: list[str],
           enabled: bool = True, furniture: list[str] = (), outlets: list[str] = (),
           one_language: bool = True, articles: list[str] = ()) -> Grounding:
    """Check every term of `question` against the whole index (`doc_freqs` of `grounding_keys`) and, for
    word variants and name phrases the index cannot show, against `texts` (the best retrieved passages, where
    a name the sources use would be found). `furniture`: the page furniture of those passages (other
    stories' teasers, captions; blanked out of `texts`): a word said there and nowhere in their prose is not
    said by the sources ("Stepanakert" in a "Top stories" teaser). `outlets`: the sources' outlets, which a
    question may name ("… according to Geghard?") though no article text does. `one_language`: every passage
    is in the question's language; when one is not, a word asked about may stand with the question's names
    there, translated, so neither `focus_apart` nor `event_apart` is concluded. `articles`: the whole text of
    each passage's article, when known: an article that gives a surname only after other given names reports
    no words of the one asked about ("Hasanov also confirmed" is Elshan Hasanov's, not Hikmet Hasanov's).

    grounded_share = sum(idf(t), t found) / sum(idf(t), t in question).
    """
    if not enabled:
        return Grounding((), (), (), 1.0)
    terms = [t for t in question.terms if not t.is_figure]
    n_docs, freqs = doc_freqs
    seen = _Vocabulary(list(texts) + list(outlets))

    aside = said_only_in(furniture, texts, freqs) if furniture else frozenset()

    def found(term: Term) -> bool:
        indexed = any(freqs.get(k, 0) > 0 for k in term_keys(term)) and term.stem not in aside
        return indexed or seen.has_variant(fold(term.text))

    weights = {t.stem: idf(n_docs, min((freqs.get(k, 0) for k in term_keys(t)), default=0)) for t in terms}
    total = sum(weights.values())
    grounded = sum(weights[t.stem] for t in {t.stem: t for t in terms}.values() if found(t))
    missing_phrases = [phrase for phrase in question.names if not _phrase_found(phrase, found, seen)]
    missing_names = tuple(" ".join(phrase) for phrase in missing_phrases)
    name_words = {fold(w) for phrase in question.names for w in phrase}
    missing_words = tuple(dict.fromkeys(t.text for t in terms if not t.is_name and fold(t.text) not in name_words
                                        and not found(t)))
    missing_figures = tuple(f for f in question.figures if _decisive(f) and not _figure_found(f, freqs))
    focus_words = question.focus.split()
    missing_focus = ""
    phrase = question.light_phrase
    if phrase:  # "took part": said as a phrase, in any form of the verb
        if not any(light_phrase(*phrase.split()).search(text) for text in texts):
            missing_focus = phrase
    elif (question.focus_kind in FOCUS_STATED or (question.kind == "person" and question.focus_kind == "category")) \
            and focus_words:  # "Which judge …": a person's role is said with their name ("the lawyer Yalchin Imanov")
        # the head noun ("population"; "coach" of "head coach"); a modifier too when it names a role of a
        # who-question ("prime minister"), not when it describes ("the unproven assumption": reworded)
        checked = focus_words if question.kind == "person" else focus_words[-1:]
        absent = [w for w in checked if not found(Term(w, stem(fold(w))))
                  and not any(freqs.get(k, 0) > 0 and k not in aside for k in family_stems(stem(fold(w))))]
        if absent:
            missing_focus = " ".join(absent)
    apart = bool(one_language and question.focus_kind in FOCUS_WITH_NAMES and question.names and not missing_focus
                 and not missing_names and not _together(question, texts))
    event = question.event
    event_apart = bool(one_language and event and not missing_names and not event_said(event, texts))
    # an acronym ("PACE") may be written out in a passage not found ("the Parliamentary Assembly … stated")
    acronym = any(w.isupper() and len(w) > 1 for phrase in question.speaker for w in phrase)
    silent = bool(one_language and question.speaker and not missing_names and not acronym
                  and not any(speaks(text, phrase) for i, text in enumerate(texts) for phrase in question.speaker
                              if not (articles and article_names_another(articles[i], phrase))))
    in_furniture = tuple(" ".join(phrase) for phrase in missing_phrases  # every word of it, as written
                         if any({fold(w) for w in phrase} <= set(folded_words(piece)) for piece in furniture))
    if missing_focus and set(stem(fold(w)) for w in missing_focus.split()) <= aside:
        in_furniture += (missing_focus,)
    return Grounding(missing_names, missing_figures, missing_words, grounded / total if total > 0 else 1.0,
                     missing_focus, apart, event_apart, silent, in_furniture)


def said_only_in(furniture: list[str], prose: list[str], freqs: dict[str, int]) -> frozenset[str]:
    """The stems of the words of `furniture` (one text per passage) that no text of `prose` has, and that the
    index (`freqs`: passages per stem) holds in no other passage: a word also said in a passage that was not
    retrieved may be said in its prose."""
    prose_stems = {w for text in prose for w in word_stems(text)}
    pieces = Counter(w for text in furniture for w in word_stems(text) - prose_stems)
    return frozenset(w for w, n in pieces.items() if freqs.get(w, 0) <= n)


@lru_cache(maxsize=64)
def light_phrase(verb: str, noun: str) -> re.Pattern:
    """Any form of a light verb followed by its noun, an article or a possessive allowed between: "took part",
    "taking part", "made a decision"."""
    lemma = next(group for group in LIGHT_VERB_FORMS if fold(verb) in group)
    return re.compile(rf"\b(?:{'|'.join(sorted(lemma))})\s+(?:(?:a|an|the|their|his|her|its)\s+)?"
                      rf"{re.escape(stem(fold(noun)))}\w*", re.I)


def _together(question: Question, texts: list[str]) -> bool:
    """Some passage has the question's focus word (any form) and a word of each of its names: "Which
    prison is Mais Barkhudarov held in?" needs a passage about Barkhudarov that says "prison"."""
    focus = stem(fold(question.focus.split()[-1]))
    family = FAMILY_OF.get(focus)
    for text in texts:
        stems = word_stems(text)
        said = focus in stems or (family and any(FAMILY_OF.get(w) == family for w in stems))  # death / dying
        if said and all(mentions(text, phrase) for phrase in question.names):
            return True
    return False


def event_said(event: Event, texts: list[str]) -> bool:
    """Some passage names the event's subject and says its verb (`says_verb`)."""
    return any(all(mentions(text, phrase) for phrase in event.names) and says_verb(event.verb, text) for text in texts)


@lru_cache(maxsize=65_536)
def says_verb(verb: str, text: str) -> bool:
    """Does `text` say the verb: in any form ("bore", "born"), as a word of its event family ("freed" for
    "released") or as a word sharing its start ("appointment", "demanding"), not the one who does it
    ("prosecutor" does not say "prosecuted")?"""
    verb = fold(verb)
    stems = {stem(fold(form)) for form in verb_forms(verb) | {verb}} | set(family_stems(stem(verb)))
    if stems & word_stems(text):
        return True
    return _Vocabulary([" ".join(w for w in folded_words(text) if not w.endswith(AGENT_ENDINGS))]).has_variant(verb)


def speaks(text: str, phrase: tuple[str, ...]) -> bool:
    """Does `text` report words of the name `phrase` (any spelling)? A word of it
    right before a verb of saying ("Hasanov explained", "Tural Qojaev, one of the victims, said"), right after
    one ("says Arif Hajili"), after "according to", or before a colon ("Sefae Kerimova: “…”"); or the name in a
    sentence, or the one before it, that says "he / she / they said", or in the sentence before a quotation
    ("… Ali Karimli holds the same point of view. “…”", when that sentence reports no one's words). Not after
    "to": "Zakir Hasanov reported to Ilham Aliyev" reports Hasanov's words, not Aliyev's."""
    spans = word_spans(text)
    head, others = fold(phrase[-1]), [fold(w) for w in phrase[:-1]]
    at = [i for i, (word, _, end) in enumerate(spans) if word[:1].isupper() and fold(word) not in TITLES
          and ((_same_name(head, fold(word)) and not _after_other_given(text, spans, i, others))  # "Hasanov said"
               or (any(_same_name(name, fold(word)) for name in others)  # a given name alone ("Vusal said")
                   and not (i + 1 < len(spans) and spans[i + 1][0][:1].isupper()
                            and not text[end:spans[i + 1][1]].strip())))]
    if any(_said_before(spans, i) or _said_after(text, spans, i) for i in at):
        return True
    bounds = [m.span() for m in ROUGH_SENTENCE.finditer(text)]
    sentences = [text[start:end] for start, end in bounds]
    named = [any(start <= spans[i][1] < end for i in at) for start, end in bounds]
    for k, sentence in enumerate(sentences):
        if not continues_speech(sentence):
            continue
        if sentence.lstrip()[:1] not in QUOTATION_OPENS and (named[k] or (k > 0 and named[k - 1])):
            return True  # "… Elman Nasirov …, he firmly stated that"
        if k > 0 and named[k - 1] and not any(is_saying(w) for w in folded_words(sentences[k - 1])):
            return True  # a quotation after a sentence naming them that reports no one's words
    return False


def _after_other_given(text: str, spans: list[tuple[str, int, int]], i: int, given: list[str]) -> bool:
    """Is the surname at `i` right after another given name than `given` ("Zakir Hasanov" for Hikmet Hasanov)?"""
    if not i or not given:
        return False
    before, _, end = spans[i - 1]
    folded = fold(before)
    if not before[:1].isupper() or text[end:spans[i][1]].strip() or folded in TITLES or folded in STOPWORDS:
        return False
    return not _same_given(given, folded)


def continues_speech(sentence: str) -> bool:
    """Does the sentence carry on words the sentence before it reports: it opens with a quotation mark, or says
    "he / she / they said"?"""
    return sentence.lstrip()[:1] in QUOTATION_OPENS or any(is_saying(m.group("verb"))
                                                           for m in PRONOUN_SAYS.finditer(sentence))


def _said_before(spans: list[tuple[str, int, int]], i: int) -> bool:
    """A verb of saying, or "according to", right before the name at `i` (its other words skipped)."""
    while i > 0 and spans[i - 1][0][:1].isupper():
        i -= 1
    before = [fold(w) for w, _, _ in spans[max(0, i - 4):i]]
    return bool(before) and (is_saying(before[-1]) or "according" in before[:-1] and "to" in before)


def _said_after(text: str, spans: list[tuple[str, int, int]], i: int) -> bool:
    """The name at `i` (its other words, an apposition between commas, an adverb skipped) before a verb of
    saying or a colon."""
    while i + 1 < len(spans) and spans[i + 1][0][:1].isupper() and not text[spans[i][2]:spans[i + 1][1]].strip():
        i += 1
    gap = text[spans[i][2]:spans[i + 1][1] if i + 1 < len(spans) else len(text)]
    if gap.strip().startswith(":"):
        return True
    if gap.strip() == ",":  # "Tural Qojaev, one of the victims, said"
        closing = next((j for j in range(i + 1, min(i + APPOSITION_WORDS, len(spans) - 1))
                        if text[spans[j][2]:spans[j + 1][1]].strip() == ","), None)
        if closing is None:
            return False
        i = closing
    following = [fold(w) for w, _, _ in spans[i + 1:i + 4]]
    while following and (following[0] in SAYING_ADVERBS or following[0].endswith("ly")):
        following = following[1:]
    return bool(following) and is_saying(following[0])


def is_saying(word: str) -> bool:
    """Is `word` a form of a verb of saying ("said", "claims", "wrote")?"""
    return bool(verb_lemmas(word) & SPEECH_VERBS)


@lru_cache(maxsize=16_384)
def folded_words(text: str) -> tuple[str, ...]:
    """The folded words of a passage, in order, hyphenated ones also in parts ('Norman-Arab' gives 'norman',
    'arab'); passages recur from question to question."""
    words = []
    for word, _, _ in word_spans(text):
        words.append(fold(word))
        if "-" in word:
            words.extend(fold(part) for part in word.split("-") if part)
    return tuple(words)


@lru_cache(maxsize=16_384)
def capitalised_words(text: str) -> frozenset[str]:
    """The folded capitalised words of a passage: where names are."""
    return frozenset(fold(w) for w, _, _ in word_spans(text) if w[:1].isupper())


@lru_cache(maxsize=16_384)
def word_stems(text: str) -> frozenset[str]:
    """The stems of a passage's words, hyphenated words also in parts ('44-day' gives 'day')."""
    return frozenset(stem(part) for w in folded_words(text) for part in (w, *w.split("-")))


def uncovered(question: Question, quoted: list[str]) -> tuple[str, ...]:
    """The question's content words (as typed) that none of the quoted sentences contains, in any form the
    lexical index would match (stem, spelling-variant key, a word one is the prefix of)."""
    vocabulary = _Vocabulary(quoted)
    stems = {word_stem(w) for text in quoted for w, _, _ in word_spans(text)}
    keys = {phonetic_key(w) for text in quoted for w, _, _ in word_spans(text) if w[:1].isupper()} - {""}
    missing = []
    for term in question.terms:
        if term.is_figure:
            if term.stem not in stems and not (set(_number_words(term.stem)) & stems):
                missing.append(term.text)
            continue
        if term.stem in stems or (term.is_name and phonetic_key(term.text) in keys):
            continue
        if vocabulary.has_variant(fold(term.text)):
            continue
        missing.append(term.text)
    return tuple(dict.fromkeys(missing))


def new_names(question: Question, text: str) -> tuple[str, ...]:
    """The names in `text` that the question does not give: capitalised words that are no function word, month
    or title and match none of the question's words in any spelling. A word opening a sentence or a quotation
    is a name only when it looks like one there: capitals inside ("BSkyB"), a possessive ("Cobham's"), or a
    capitalised word after it ("Hikmet Hasanov was …"), or no English word ("Jafarzadeh denied …"), not
    "Police were present"."""
    asked = {fold(t.text) for t in question.terms} | {t.stem for t in question.terms}
    keys = {phonetic_key(t.text) for t in question.terms if t.is_name} - {""}
    spans = word_spans(text)
    found = []
    for i, (word, start, _) in enumerate(spans):
        folded = fold(word)
        if (not word[:1].isupper() or folded in STOPWORDS or folded in MONTH_NAMES or folded in TITLES
                or folded in asked or word_stem(word) in asked or (keys and phonetic_key(word) in keys)):
            continue
        opens = i == 0 or any(mark in text[spans[i - 1][2]:start] for mark in SENTENCE_OPENERS)
        looks_named = (any(c.isupper() for c in word[1:]) or text[spans[i][2]:spans[i][2] + 2] in ("'s", "’s")
                       or (i + 1 < len(spans) and spans[i + 1][0][:1].isupper()
                           and text[spans[i][2]:spans[i + 1][1]].strip() == "")
                       or (word.isalpha() and folded not in NUMBER_WORDS and not in_dictionary(word)))
        if opens and not looks_named:
            continue
        found.append(word)
    return tuple(dict.fromkeys(found))


def mentions(text: str, phrase: tuple[str, ...]) -> bool:
    """Does `text` contain a word of the name `phrase`: as written, or as a capitalised word in another
    spelling the lexical keys match ('Mais' is not 'mass', though they share a Soundex key)?"""
    words, names = set(folded_words(text)), capitalised_words(text)
    return any(fold(name) in words or any(_same_name(fold(name), word) for word in names) for name in phrase)


def names_or_spells_out(text: str, phrase: tuple[str, ...]) -> bool:
    """`mentions`, or an acronym of the phrase written out in `text` ("PACE": "the Parliamentary Assembly of
    the Council of Europe", its capitalised words' initials, with of / the / for / and / on / in between)."""
    if mentions(text, phrase):
        return True
    for acronym in (w for w in phrase if len(w) > 1 and w.isupper() and w.isalpha()):
        between = r"(?:\s+(?:of|the|for|and|on|in))*\s+"
        if re.search(r"\b" + between.join(rf"{letter}[\w’'-]*" for letter in acronym) + r"\b", text):
            return True
    return False


def names_another(text: str, phrase: tuple[str, ...]) -> bool:
    """Does `text` give the surname of the name `phrase` only to someone else, right after another given name
    ("Hikmat Hasanov" for "Elshan Hasanov"; "Hikmet"/"Hikmat", sharing their start, are one name)? A bare
    surname, or one after a title or a comma, may be theirs; a one-word name, or one ending in a numeral
    ("Harold II"), has no other bearer that way."""
    surname = _surname(phrase)
    if not surname:
        return False
    given = [fold(w) for w in phrase[:-1]]
    other = False
    for word, before in _word_pairs(text).get(surname[:1], ()):  # a spelling of a name keeps its first letter
        if not _same_name(surname, word):
            continue
        if not before or _same_given(given, before):
            return False
        other = True
    return other


def article_names_another(body: str, phrase: tuple[str, ...]) -> bool:
    """Does the article give the surname of the name `phrase` only after other given names ("Elshan Hasanov"
    for "Hikmet Hasanov")? Then its bare "Hasanov" is that other person. False when it names them, or gives the
    surname after no given name at all."""
    surname = _surname(phrase)
    if not surname:
        return False
    given = [fold(w) for w in phrase[:-1]]
    others = [before for word, before in _word_pairs(body).get(surname[:1], ())
              if before and _same_name(surname, word)]
    return bool(others) and not any(_same_given(given, other) for other in others)


def _surname(phrase: tuple[str, ...]) -> str:
    """The folded last word of a name that other people may bear too, or "" (a one-word name, a short word, a
    numeral such as "II", an acronym)."""
    surname = fold(phrase[-1])
    if len(phrase) < 2 or len(surname) < MIN_SURNAME or not phrase[-1].isalpha() or phrase[-1].isupper():
        return ""
    return surname


def _same_given(given: list[str], other: str) -> bool:
    """Is the folded given name `other` one of `given`, in any spelling ("Hikmet", "Hikmat": the same start)?"""
    return any(_same_name(g, other) or g[:SAME_START] == other[:SAME_START] for g in given)


def bare_surname(text: str, phrase: tuple[str, ...]) -> bool:
    """Does `text` give the surname of `phrase` with no given name right before it ("Hasanov also confirmed")?"""
    surname = fold(phrase[-1])
    return len(phrase) > 1 and any(_same_name(surname, word) and not before
                                   for word, before in _word_pairs(text).get(surname[:1], ()))


@lru_cache(maxsize=16_384)
def _word_pairs(text: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each folded word of a passage with the capitalised word right before it (folded), or "" when the word
    before is lower case, a title or a function word, or stands apart from it (a comma, a bracket); by the
    word's first letter."""
    spans = word_spans(text)
    pairs: dict[str, list[tuple[str, str]]] = {}
    for i, (word, start, _) in enumerate(spans):
        before, _, end = spans[i - 1] if i else ("", 0, 0)
        folded = fold(before)
        named = (before[:1].isupper() and not text[end:start].strip() and folded not in TITLES
                 and folded not in STOPWORDS)
        pairs.setdefault(fold(word)[:1], []).append((fold(word), folded if named else ""))
    return {initial: tuple(found) for initial, found in pairs.items()}


class _Vocabulary:
    """The folded words of some texts, in order, for prefix and adjacency checks (read on first use)."""

    def __init__(self, texts: list[str]):
        self._texts = texts
        self._sequence: list[str] | None = None
        self._words: set[str] = set()
        self._ordered: list[str] | None = None  # the words sorted, for finding those a word is a prefix of

    @property
    def sequence(self) -> list[str]:
        if self._sequence is None:
            self._sequence = [w for text in self._texts for w in folded_words(text)]
            self._words = set(self._sequence)
        return self._sequence

    @property
    def words(self) -> set[str]:
        _ = self.sequence
        return self._words

    def has_variant(self, word: str) -> bool:
        """`word`, a prefix of it, a word it is a prefix of (prefixes at least MIN_PREFIX long), or a word that
        shares all of it but its last MAX_ENDING letters, at least MIN_SHARED of them ('detainees',
        'detained')."""
        words = self.words
        if word in words:
            return True
        if len(word) < MIN_PREFIX:
            return False
        if any(word[:k] in words for k in range(MIN_PREFIX, len(word))):
            return True
        if self._ordered is None:
            self._ordered = sorted(words)
        shared = word[:max(MIN_SHARED, len(word) - MAX_ENDING)]
        at = bisect_left(self._ordered, shared)
        return at < len(self._ordered) and self._ordered[at].startswith(shared)

    def adjacent(self, first: str, second: str) -> bool:
        """`first` followed by `second` (spelling variants allowed), at most NAME_GAP words between."""
        seq = self.sequence
        for i, word in enumerate(seq):
            if _same_name(first, word):
                if any(_same_name(second, w) for w in seq[i + 1:i + 2 + NAME_GAP]):
                    return True
        return False


def _variants(a: str, b: str) -> bool:
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= MIN_PREFIX and long_.startswith(short)


@lru_cache(maxsize=262_144)
def _same_name(a: str, b: str) -> bool:
    if a == b or _variants(a, b):
        return True
    key = phonetic_key(a)
    return bool(key) and key == phonetic_key(b) and a[:1] == b[:1]


def _phrase_found(phrase: tuple[str, ...], found: Callable[[Term], bool], seen: _Vocabulary) -> bool:
    """One word: the sources use it. Several: two neighbouring words of the phrase stand together in a
    retrieved passage ('Heydar Aliyev Center' is not there, though each word is)."""
    words = [fold(w) for w in phrase]
    if len(words) == 1:
        return found(Term(phrase[0], stem(words[0]), is_name=True))
    if any(a + b in seen.words for a, b in zip(words, words[1:])):
        return True  # written as one word: "Sky Drive" / "SkyDrive"
    return any(seen.adjacent(a, b) for a, b in zip(words, words[1:]))


def _decisive(figure: str) -> bool:
    head = figure.split(".")[0]
    return head.isdigit() and (int(head) >= DECISIVE_NUMBER or len(head) == 4)


def _figure_found(figure: str, freqs: dict[str, int]) -> bool:
    keys = [figure, figure.split(".")[0], *_number_words(figure)]
    return any(freqs.get(k, 0) > 0 for k in keys)


def _number_words(value: str) -> list[str]:
    return [word for word, number in NUMBER_WORDS.items() if str(number) == value]
