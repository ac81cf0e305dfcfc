"""Figures: the counts, dates and durations a sentence states, each with what it counts, and whether it is the
figure a question asks for."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from .lexical import STOPWORDS, adjective_before_plural, fold, stem, stems_of, word_spans
from .question import FAMILY_OF, NUMBER_WORDS, PERSON_UNITS, YEAR, Question

MONTHS = {name: n for n, names in enumerate((
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
    ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
    ("november", "nov"), ("december", "dec")), start=1) for name in names}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
# "hundreds of soldiers": a count without a number, compatible with any number of that many digits
VAGUE = {"dozens": 2, "hundreds": 3, "thousands": 4}
NUMBER = (rf"(?:\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)*|(?:{_NUMBER_WORD})(?:-(?:{_NUMBER_WORD}))?|"
          rf"{'|'.join(VAGUE)})")
SAME_YEAR = re.compile(r"\bsame year\b", re.I)
YEAR_REACH = 2000  # characters read back for the year "the same year" refers to
UNITS = {"year": "Y", "years": "Y", "month": "M", "months": "M", "week": "W", "weeks": "W", "day": "D", "days": "D",
         "hour": "H", "hours": "H", "minute": "MIN", "minutes": "MIN"}
_UNIT = "|".join(UNITS)

DATE_PATTERNS = (  # (pattern, builder of the normalised value from the match's groups)
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b"),
    re.compile(rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}}),?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH})\.?,?\s+(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<mon>{_MONTH})(?:\s*[-–]\s*(?:{_MONTH}))?\.?,?\s+(?:of\s+)?(?P<y>\d{{4}})\b", re.I),
    re.compile(rf"\b(?P<mon>{_MONTH})\s+of\s+the\s+same\s+year\b", re.I),
    re.compile(rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!\s*(?:{_UNIT}|%))", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH})\b", re.I),
    re.compile(r"\b(?P<y>(?:1[89]|20)\d\d)\b(?![-–]?\s*(?:%|percent|people|years|names))"),
)
DURATION = re.compile(rf"\b(?P<a>{NUMBER})(?:\s*(?:-|–|to)\s*(?P<b>{NUMBER}))?[\s-]+(?P<u>{_UNIT})\b"
                      rf"(?:\s+and\s+(?P<c>{NUMBER})\s+(?P<v>{_UNIT})\b)?(?P<old>\s+old)?", re.I)
IDENTIFIER_CONTEXT = re.compile(r"(?:\bN[oO]\.?|\b[Nn]umber|\b[Aa]rticles?|\b[Pp]aragraphs?|\b[Ss]ections?|§|"
                                r"\b[Rr]esolution|\b[Dd]ocument)\s*$")
PARTITIVE = re.compile(r"\s+of\s+(?:whom|them|those|which|these)\b", re.I)  # "13 died, 5 of whom …"
PARTITIVE_OPENING = re.compile(r"^\W*of\s+(?:the|those|these)\b[^,.;]*,\s*$", re.I)  # "Of the eleven killed, five …"
COUNT = re.compile(rf"(?<![\w.,-])(?P<n>{NUMBER})(?![\w]|\.\d)", re.I)
CLAUSE_BREAK = re.compile(r"[,;:()—–]|\s-\s|\b(?:while|whereas|but|although|however)\b")
MODIFIERS = frozenset("""more than less fewer at least least most about around approximately almost nearly some over
only new other former further additional young old azerbaijani armenian russian""".split())
NOT_UNITS = frozenset("""of whom which were was are is had have has died dying and or to in on at by for with from as the
a an who that these those people's""".split())
SENT_TO = frozenset({"sent", "put", "thrown", "land"})
NEGATIONS = frozenset({"not", "no", "never", "nor", "without", "n't"})
# "those who died", "the servicemen who had been tortured": says whom a question counts, not what happened
RELATIVE_CLAUSE = re.compile(r"\b(?:who|that|which|whom)\s+(?:(?:had|has|have|were|was)\s+(?:been\s+)?)?"
                             r"(?:\w+ly\s+)?\w+(?:ed|died)\b(?:\s+(?:under|of|from|in|during)\s+\w+)?", re.I)
# "after they died", "after their arrest", "posthumously": when the counted thing happened, not what is counted
TEMPORAL_CLAUSE = re.compile(r"\b(?:after|before|once)\s+(?:(?:they|he|she)\s+(?:had\s+|were\s+|was\s+)?(?:\w+ly\s+)?"
                             r"\w+(?:ed|died)|(?:their|his|her)\s+\w+|death)\b|\bposthumous(?:ly)?\b", re.I)
# The auxiliary of a question's main clause: "… were acquitted" (the participle follows), "did the
# authorities admit" (the verb follows the subject, within SUBJECT_WORDS content words)
AUXILIARY = re.compile(r"\b(?:(?P<be>were|was|are|is|have been|has been|had been)|did|do|does|have|has|had)\b"
                       r"(?:\s+(?:\w+ly)\b)?", re.I)
SUBJECT_WORDS = 3
# Verbs saying only that their subject happened: "When did the protest take place?" asks about the protest
HAPPENING = re.compile(r"\b(?:take|took|taken|taking)\s+place\b|\b(?:happen|occur|begin|start|end|last)(?:s|ed)?\b",
                       re.I)
TAKE_PLACE = frozenset("take took taken taking place".split())  # the words of "take place", as stems
# Verbs whose object is a decision already taken: what they count is acted on, not what happened
ACTS_ON = frozenset(stem(w) for w in """review reviewed overturn overturned quash quashed annul annulled appeal
appealed drop dropped reopen reopened cancel cancelled revise revised reconsider reconsidered examine examined""".split())
ACTED_ON_REACH = 3  # content words before a count read for a verb acting on what it counts ("review the sentences of")
# Verbs that say what a list or a group holds: the count is of its members, not of what happened to them ("the list
# also includes five prisoners convicted under the Terter case" does not count those convicted in the case)
INCLUDES = frozenset(stem(w) for w in "include includes included including contain contains contained comprise "
                     "comprises comprised".split())
SUBJECT = re.compile(r"^\W*\w+\s+(?:were|was|are|is|did|do|does|have|has|had)\s+(?:the\s+|these\s+|those\s+)?"
                     r"(?P<whom>\w+)", re.I)
DETERMINERS = frozenset("the a an this that these those their its his her our".split())
# What a conviction was for: "convicted of (high) treason", "sentenced … on charges of treason", "jailed for the
# torture"; read within CHARGE_REACH characters after a word of the conviction family
CHARGE = re.compile(r"\b(?:of|for|over|on\s+charges?\s+of|charged\s+with)\s+(?:(?:the|a|an|high|state)\s+)*"
                    r"(?P<charge>[^\W\d_]+)", re.I)
CHARGE_REACH = 60
JOINED_VERB = re.compile(r"\band\s+(?P<verb>[a-z]+ed)\b(?P<rest>[^,;.]{0,30})", re.I)  # "and launched a new …"
JOINED_REACH = 200  # characters after a date read for verbs joined by "and"
THERE_ARE = re.compile(r"\b(?:were|are|was|is|have\s+been|had\s+been)\s+there\b", re.I)  # what is counted says the event
PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b)", re.I)  # after a count: a percentage
# "remain in prison", "are still under arrest": being held now, not the conviction or arrest that put them there
HELD = re.compile(r"\b(?:remain\w*|still|stay\w*)\s+(?:\w+\s+){0,2}?(?:in\s+|under\s+|behind\s+)?(?:prison|jail|custody|"
                  r"detention|bars|arrest|imprisoned|detained|jailed|incarcerated)\b", re.I)
# A date before one of these dates what was said of an event, not the event ("In 2019, it became known that mass
# torture … was used"; "In 2021, PACE stated that … victims of torture"): only a question about the saying asks it
REPORTING = frozenset("said says stated reported reports claimed claims revealed reveals wrote writes known".split())
REPORT_REACH = 15  # words after a date read for a reporting word
REPORT = "report"  # the event of such a date, before the event it reports
REPORTED = re.compile(r"\b(?:become|became|becomes|been|was|is)\s+known\s+that\b|\b(?:say|said|state|stated|report|"
                      r"reported|claim|claimed|reveal|revealed|write|wrote)\s+that\b", re.I)
LIFE = re.compile(r"\blife\s+(?:imprisonment|sentences?|terms?|in\s+prison)\b|\bto\s+life\b", re.I)
# A clause with no subject of its own, after a comma: its verb is the one of the counts before it.
ORPHAN_CLAUSE = re.compile(r"(?<=,)\s*(?:were|was|are|is|have been|has been|had been)\s+(?:\w+ly\s+)?\w+ed\b")
NEAR_BEFORE = 6  # words before a figure whose events it may carry ("admitted only 102 victims")
NEAR_AFTER = 8  # words after a figure ("9 people were tortured to death")
DATE_AFTER = 3  # a date next to a verb belongs to it only when this close ("acknowledged in 2021")
SUBORDINATORS = frozenset("when who whom which where while as after before since because if though although".split())
AUXILIARIES = frozenset("is are was were be been had has have".split())
LEADING_DATE_CLAUSE = 14  # words of the main clause a sentence-opening date belongs to (its subjects may be a list)


@dataclass(frozen=True)
class Figure:
    """One figure of a sentence: its value, what kind of figure it is, where it is, what it counts."""

    value: str  # "13", "2021-12", "--12-07", "P5Y6M", "P7Y/P20Y", "341.2.2"
    kind: str  # count, date, duration, age, identifier
    start: int  # offsets in the text it was found in (plus the offset given)
    end: int
    text: str  # as written: "eight", "November 1, 2021"
    unit: str = ""  # for a count: the noun it counts, as written ("servicemen")
    events: tuple[str, ...] = ()  # event families next to it: those after it in order, then those before
    context: tuple[str, ...] = ()  # stems of the words next to it (its clause, or the clause it opens)
    partitive: bool = False  # a count of part of a group named before it: "…, one *of whom* was sentenced to life"
    also: tuple[str, ...] = ()  # a date's events of verbs joined to its first by "and" ("acknowledged … and launched")


def figures_in(text: str, offset: int = 0, context_year: str = "") -> list[Figure]:
    """Every figure of `text` (one sentence), in order. `context_year` resolves "December of the same year"."""
    found = _figures(text, context_year if says_same_year(text) else "")
    if not offset:
        return list(found)
    return [replace(f, start=f.start + offset, end=f.end + offset) for f in found]


def context_year(body: str, start: int, text: str) -> str:
    """The year "the same year" in `text` (a sentence at `start` of `body`) refers to: the last one written
    before it; "" when the sentence does not say "same year"."""
    if not says_same_year(text):
        return ""
    years = YEAR.findall(body[max(0, start - YEAR_REACH):start])
    return years[-1] if years else ""


@lru_cache(maxsize=65_536)
def says_same_year(text: str) -> bool:
    """Does the sentence say "the same year" (whose year is the one written before it)?"""
    return bool(SAME_YEAR.search(text))


@lru_cache(maxsize=65_536)
def _figures(text: str, context_year: str) -> tuple[Figure, ...]:
    """`figures_in` at offset 0; sentences recur from question to question, so they are read once."""
    taken: list[tuple[int, int]] = []
    found: list[Figure] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for pattern in DATE_PATTERNS:
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            value = _date_value(m, context_year)
            if value:
                taken.append((m.start(), m.end()))
                found.append(Figure(value, "date", m.start(), m.end(), m.group(0)))
    for m in DURATION.finditer(text):
        if not free(m.start(), m.end()):
            continue
        taken.append((m.start(), m.end()))
        kind = "age" if m.group("old") and m.group("u").lower().startswith("year") else "duration"
        found.append(Figure(_duration_value(m) if kind == "duration" else _number(m.group("a")), kind,
                            m.start(), m.end(), m.group(0)))
    for m in COUNT.finditer(text):
        if not free(m.start(), m.end()):
            continue
        value = _number(m.group("n"))
        if not value:
            continue
        before = text[:m.start()]
        dotted = "." in value or re.search(r"\d\.\d+(?:\.\d+)*,?\s*(?:and\s*)?$", before)
        if IDENTIFIER_CONTEXT.search(before) or dotted:
            found.append(Figure(value, "identifier", m.start(), m.end(), m.group(0)))
            continue
        following = text[m.end():m.end() + 12].lower()
        if m.group("n").lower() == "one" and (
                (_next_word(text, m.end()) in ("of", "another", "day") and not re.match(r"\s+of\s+wh", following))
                or re.search(r"\b(?:no|any|every|some|each)\s+$", before, re.I)):
            continue  # "one of the accused", "no one": a pronoun, not a count
        found.append(Figure(value, "count", m.start(), m.end(), m.group(0), unit=_unit(text, m.end()),
                            partitive=bool(PARTITIVE.match(text, m.end()) or PARTITIVE_OPENING.search(before))))
    found.sort(key=lambda f: f.start)
    orphans = [(m.start(), _families(_content_stems(text[m.start():m.end()]))) for m in ORPHAN_CLAUSE.finditer(text)]
    placed = []
    for f in found:
        before, after = _context(text, f)
        if f.kind == "date":  # "On December 7, victims … gathered": whom a clause is about is not what happened
            after = [w for w in after if w not in PERSON_UNITS] + [w for w in after if w in PERSON_UNITS]
        counted = _counted_noun(after, f.unit)  # "102 victims": the noun counted is not what happened to them
        events = _families(after[1:] if counted else after) + _families(before[::-1]) + (
            _families(after[:1]) if counted else [])
        if f.kind == "count" and any(w in ACTS_ON or w in INCLUDES for w in before[-ACTED_ON_REACH:]):
            events = []  # "to review the sentences of 19 convicts from the list of victims": what is done to them
        elif not events and f.kind == "count":  # "Hundreds of soldiers … in Terter, Agdam, … suffered."
            events = _families(_content_stems(text[f.end:]))[:1]
        if f.kind == "count":  # "20 people convicted of treason, as well as 16 …, were acquitted"
            events = [family for at, found_families in orphans if at > f.end for family in found_families] + events
        if f.kind == "date" and _reports_first(text[f.end:]):  # "In 2019, it became known that … torture"
            events = [REPORT] + events
        also = _joined_events(text[f.end:]) if f.kind == "date" and events[:1] != [REPORT] else ()
        placed.append(Figure(f.value, f.kind, f.start, f.end, f.text, f.unit,
                             tuple(dict.fromkeys(events)), tuple(before + after), f.partitive, also))
    return tuple(placed)


@dataclass(frozen=True)
class Asked:
    """What a figure question asks about: the event of its main verb, and the events that only say whom it
    counts ("of those who died", "people convicted under other articles")."""

    event: str  # "" when the main verb names no event ("are on the list")
    restrictions: tuple[str, ...] = ()
    specific: tuple[str, ...] = ()  # stems of the question's other words, for a question with no event
    charge: str = ""  # a conviction's charge the question names ("for torture": the stem "tortur")
    held: bool = False  # asks how many are held now ("remain in prison"), said so by the figure's sentence
    reported: bool = False  # a date question about when something was said ("when did it become known that …")
    life: bool = False  # asks about life sentences: the figure's sentence must speak of one
    happening: bool = False  # "When did the Tartar case happen / take place?": the figure's clause says it happened


@lru_cache(maxsize=1024)
def asked(question: Question) -> Asked:
    """The main event: of the participle after a form of "be" ("… were acquitted", "… were tortured to
    death"), of the verb after "did"/"have" and its subject ("did the authorities admit"), else of the first
    event word after what is counted ("how many servicemen died"). A relative clause ("of those who died")
    or a participle before the main verb ("people convicted under other articles") restricts whom it counts."""
    text = question.query
    if HELD.search(text):
        return Asked("", held=True)
    restrictions = [_first_family(m.group(0)) for m in RELATIVE_CLAUSE.finditer(text)]
    restrictions += ["death" if m.group(0).lower().startswith("posthum") else _first_family(m.group(0))
                     for m in TEMPORAL_CLAUSE.finditer(text)]
    main_text = TEMPORAL_CLAUSE.sub(" ", RELATIVE_CLAUSE.sub(" ", text))
    head = main_text
    if question.unit:
        at = re.search(rf"\b{re.escape(question.unit)}\b", main_text)
        head = main_text[at.end():] if at else main_text
        restrictions.append(_first_family(main_text[:at.start()]) if at else "")  # "how many *dead* servicemen"
    auxiliary = AUXILIARY.search(head)
    if auxiliary and auxiliary.group("be"):
        event = _first_family(_from_participle(head[auxiliary.end():])[:40])
        restrictions.append(_first_family(head[:auxiliary.start()]))
    elif auxiliary:  # do-support or have: the verb comes after the subject
        event = _verb_family(head[auxiliary.end():])
    else:
        event = _clause_family(head) or _clause_family(main_text)
    if not event and auxiliary and not question.unit and not _acts_on_counted(head[auxiliary.end():]):
        event = _first_family(head[:auxiliary.start()])  # "What death toll did …": the event is in the wh-phrase
    subject = SUBJECT.search(text)  # "when were the servicemen arrested": whom, not which occasion
    whom = stem(fold(subject.group("whom"))) if subject else ""
    specific = tuple(p for p in question.predicates if p not in FAMILY_OF and not (p == whom and p in PERSON_UNITS))
    if HAPPENING.search(text):  # "take place", "happen": only that the subject happened, no word of which one
        specific = tuple(p for p in specific if p not in TAKE_PLACE and not HAPPENING.fullmatch(p))
    restrictions = [r for r in restrictions if r]
    if not event and restrictions and THERE_ARE.search(main_text):
        event, restrictions = restrictions[0], restrictions[1:]  # "How many victims of torture were there?"
    elif not event and question.unit and THERE_ARE.search(main_text):
        event = FAMILY_OF.get(stem(fold(question.unit)), "")  # "How many detainees were there?": those detained
    charge = next(iter(charges(main_text)), "") if event == "conviction" else ""
    restrictions.append(FAMILY_OF.get(charge, ""))  # "convicted for torture": the sentence must speak of torture
    return Asked(event, tuple(dict.fromkeys(r for r in restrictions if r and r != event)), specific, charge,
                 life=event == "conviction" and bool(LIFE.search(text)),
                 reported=question.kind == "date" and bool(REPORTED.search(text)),
                 happening=question.kind == "date" and not event and not specific and bool(HAPPENING.search(text)))


def _joined_events(text: str) -> tuple[str, ...]:
    """The events of the verbs that "and" joins to a clause's first ("… acknowledged the tortures and crimes
    and launched a new investigation"): the date before the clause is theirs too. Up to the clause's end."""
    clause = CLAUSE_BREAK.split(text, maxsplit=1)[0] if not text.lstrip().startswith(",") else text
    found = []
    for match in JOINED_VERB.finditer(clause[:JOINED_REACH]):
        family = _first_family(match.group("verb") + match.group("rest"))
        if family and family not in found:
            found.append(family)
    return tuple(found)


def _reports_first(text: str) -> bool:
    """Of the words after a date, is the first reporting or event word a reporting one ("stated", not the
    "State" of "State Security Service": words as written, not stems)?"""
    for word, _, _ in word_spans(text)[:REPORT_REACH]:
        folded = fold(word)
        if folded in REPORTING:
            return True
        if stem(folded) in FAMILY_OF:
            return False
    return False


@lru_cache(maxsize=65_536)
def charges(text: str) -> tuple[str, ...]:
    """The stems of what convictions in `text` were for ("convicted of high treason": "treason"), in order; a
    sentence's length ("terms of imprisonment") is no charge."""
    found = []
    for word, _, end in word_spans(text):
        if FAMILY_OF.get(stem(fold(word))) != "conviction":
            continue
        match = CHARGE.search(text, end, end + CHARGE_REACH)
        charge = stem(fold(match.group("charge"))) if match else ""
        if charge and FAMILY_OF.get(charge) != "conviction" and charge not in found:
            found.append(charge)
    return tuple(found)


def _same_charge(asked_charge: str, stated: tuple[str, ...]) -> bool:
    """A sentence naming no charge may count any conviction; one naming charges must name the asked one
    (or a word of its family: "abuse" for "torture")."""
    family = FAMILY_OF.get(asked_charge)
    return not stated or any(c == asked_charge or (family and FAMILY_OF.get(c) == family) for c in stated)


def _acts_on_counted(text: str) -> bool:
    """Does the verb after the subject act on what is counted ("How many sentences did the Prosecutor General
    propose to *review*?": sentences reviewed, not sentences handed down)? Then the counted noun's event is
    not the one asked about."""
    return any(stem(fold(w)) in ACTS_ON for w in _content_words(text)[:SUBJECT_WORDS + 3])


def _from_participle(text: str) -> str:
    """`text` from its first participle that names an event: after "was" a question may put its subject first
    ("In which year was *torture* acknowledged?" asks about the acknowledgement); unchanged when none does."""
    for word, start, _ in word_spans(text[:60]):
        if fold(word).endswith(("ed", "en")) and _first_family(word):
            return text[start:]
    return text


def _verb_family(text: str) -> str:
    """The event of the verb after a subject ("did *the torture* kill": death, not torture): the first event
    word among the next few content words that no article or possessive puts in a noun phrase; the subject's
    own when the verb only says that it happened ("did the protest take place")."""
    spans = word_spans(text)
    words = [w for w, _, _ in spans]
    content, end = 0, len(text)
    for i, word in enumerate(words):
        if fold(word) in STOPWORDS:
            continue
        content += 1
        if content > SUBJECT_WORDS + 1:
            end = spans[i][1]
            break
        family = _first_family(word)
        if family and not _made_noun(words, i):
            return family
    if HAPPENING.search(text):  # "did the protest take place": the subject is what happened
        return _first_family(text[:end])
    return _clause_family(text[:end])  # "lost their lives", "sent to prison": events of more than one word


def _clause_family(text: str) -> str:
    """The first event of a clause with no auxiliary ("how many servicemen *died*"), an event word that an
    article or a possessive makes a noun not counting: "how many officers took part in *the torture*" asks
    about taking part, not about those tortured."""
    words = [w for w, _, _ in word_spans(text)]
    kept = [w for i, w in enumerate(words) if not (_made_noun(words, i) and _first_family(w))]
    return _first_family(" ".join(kept))


def _made_noun(words: list[str], i: int) -> bool:
    """Is words[i] made a noun by the article or possessive before it ("the torture")? "those convicted" is
    not: a participle after "those" / "these" is a verb of whom they are."""
    before = fold(words[i - 1]) if i else ""
    return before in DETERMINERS and not (before in ("those", "these") and fold(words[i]).endswith("ed"))


def _content_words(text: str) -> list[str]:
    return [w for w, _, _ in word_spans(text) if fold(w) not in STOPWORDS]


def _first_family(text: str) -> str:
    found = _families(_content_stems(text))
    return found[0] if found else ""


def matches(question: Question, figure: Figure, wanted: Asked | None = None, sentence: str = "") -> bool:
    """Is `figure` a value of what `question` asks for? Same kind; for a count, a compatible unit; and the
    same main event: the event of the question's main verb must be the first event after the figure (or
    the nearest before it): "13 servicemen died" answers how many died, "5 of whom were not prosecuted" does
    not; "9 people were tortured to death" counts deaths, not people tortured. A question that names no
    event needs one of its other words next to the figure."""
    if not of_asked_kind(question, figure, sentence):
        return False
    if figure.kind == "age":
        return True  # "How old is X?": an age is of no event; the rows keep those with X's names near
    wanted = asked(question) if wanted is None else wanted
    if figure.partitive and not wanted.restrictions:
        return False  # part of a group ("5 of whom were acquitted"): only "how many of those who …" asks for it
    if wanted.held or wanted.life:  # "Ten defendants … remain in prison"; "… was sentenced to life imprisonment"
        return bool(sentence) and bool((HELD if wanted.held else LIFE).search(sentence))
    if wanted.happening:  # "The “Tartar Case” took place in May 2017"
        return bool(HAPPENING.search(" ".join(figure.context)))
    if not wanted.event and not wanted.specific:
        # nothing says which figure is meant ("and when?" on its own), unless a count of the asked group is
        # said for the year asked ("How many political prisoners were there in September 2024?")
        years = {f for f in question.figures if YEAR.fullmatch(f)}
        return bool(figure.kind == "count" and question.unit and years and sentence
                    and years & set(YEAR.findall(sentence)))
    if wanted.event:
        events = figure.events
        if events[:1] == (REPORT,):
            if not wanted.reported:
                return False  # the date of a statement about the event
            events = events[1:]
        if (not events or events[0] != wanted.event) and wanted.event not in figure.also:
            return False
    elif not _covers(set(figure.context), wanted.specific):
        return False
    if sentence and wanted.charge and not _same_charge(wanted.charge, charges(sentence)):
        return False  # "30 were sentenced … on charges of treason" does not count those convicted for torture
    if sentence and wanted.restrictions:
        present = _events_of(sentence)
        return all(r in present for r in wanted.restrictions)
    return True


def of_asked_kind(question: Question, figure: Figure, sentence: str = "") -> bool:
    """The kind of figure the question asks for (a count, a date, an age…); for a count, of a compatible group:
    "how many teenagers" is not answered by "200 people", "how many tanks" by "9 people"."""
    if not _same_kind(question.kind, figure.kind):
        return False
    if question.asks_share and sentence and figure.kind == "count" and not PERCENT.match(sentence, figure.end):
        return False  # "What percentage of the victims …" is not answered by "more than 200"
    return not (figure.kind == "count" and question.unit and not _same_unit(question.unit, figure.unit, sentence))


def states_figure_kind(question: Question, text: str) -> bool:
    """Does `text` state a figure of the kind `question` asks for (of a compatible group, for a count)? The
    cheap test a sentence passes before it is scored for a disagreement's rows."""
    return any(of_asked_kind(question, f, text) for f in figures_in(text))


def _covers(context: set[str], wanted: tuple[str, ...]) -> bool:
    """A question naming no event: its other words must stand next to the figure (all of up to three,
    two thirds of more): "remain in prison" is not "were sentenced … in prison"."""
    if not wanted:
        return True
    found = sum(w in context for w in wanted)
    return found == len(wanted) if len(wanted) <= 3 else found >= 2 * len(wanted) / 3


def _same_unit(asked_unit: str, stated_unit: str, sentence: str) -> bool:
    """People counted under any of the usual words match each other; a narrower group ("teenagers") must be
    the figure's own noun, or be named in its sentence when the figure has none ("30 were sentenced")."""
    asked_stem = stem(fold(asked_unit))
    if not stated_unit:
        return asked_stem in PERSON_UNITS or asked_stem in stems_of(sentence)
    stated_stem = stem(fold(stated_unit))
    return asked_stem == stated_stem or (asked_stem in PERSON_UNITS and stated_stem in PERSON_UNITS)


def same_group(unit: str, other: str) -> bool:
    """Do two counted nouns count the same group: the same word, or both people under a usual word
    ("servicemen", "suspects")? A figure with no noun ("11 died") counts whoever its sentence is about."""
    if not unit or not other:
        return True
    a, b = stem(fold(unit)), stem(fold(other))
    return a == b or (a in PERSON_UNITS and b in PERSON_UNITS)


def disagree(values: dict[str, list[str]]) -> bool:
    """Two sources disagree when their most specific values have nothing in common: "2021" is compatible
    with "2021-12" (one says less), "2021-12" is not with "2021-11-01"; "hundreds" with 400 only when the
    source says no number."""
    sets = [set(_most_specific(v)) for v in values.values() if v]
    return any(not any(_compatible(a, b) for a in x for b in y) for i, x in enumerate(sets) for y in sets[i + 1:])


def _compatible(a: str, b: str) -> bool:
    if a in VAGUE or b in VAGUE:
        vague, other = (a, b) if a in VAGUE else (b, a)
        return other == vague or (other.isdigit() and len(other) >= VAGUE[vague])
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


def _most_specific(values: list[str]) -> list[str]:
    """A source's values less those another of its values makes more precise: "2021" beside "2021-12", and
    "hundreds" beside any number (a source that says "approximately 400" and, in a quote, "hundreds" gives 400)."""
    precise = [v for v in values if v not in VAGUE]
    kept = precise or values
    return [v for v in kept if not any(o != v and o.startswith(v + "-") for o in kept)]


def _same_kind(asked: str, stated: str) -> bool:
    if asked == "count":
        return stated == "count"
    return asked == stated


def _number(token: str) -> str:
    token = token.lower().replace(",", "")
    if token in VAGUE:
        return token
    if "-" in token and all(part in NUMBER_WORDS for part in token.split("-")):
        return str(sum(NUMBER_WORDS[p] for p in token.split("-")))  # twenty-five
    if token in NUMBER_WORDS:
        return str(NUMBER_WORDS[token])
    if re.fullmatch(r"\d+(?:\.\d+)*", token):
        return token if "." in token else str(int(token))
    return ""


def _date_value(m: re.Match, context_year: str) -> str:
    groups = m.groupdict()
    year = groups.get("y") or ""
    if "same year" in m.group(0).lower():
        year = context_year
        if not year:
            return ""
    month = MONTHS.get((groups.get("mon") or groups.get("m") or "").lower().rstrip("."), 0)
    if not month and groups.get("m"):
        month = int(groups["m"])
    day = int(groups["d"]) if groups.get("d") else 0
    if month and not 1 <= month <= 12 or day and not 1 <= day <= 31:
        return ""
    if not year and not month:
        return ""
    value = year or "-"
    if month:
        value += f"-{month:02d}"
        if day:
            value += f"-{day:02d}"
    return value


def _duration_value(m: re.Match) -> str:
    def part(number: str | None, unit: str) -> str:
        code = UNITS[unit.lower()]
        return f"T{_number(number)}M" if code == "MIN" else (f"T{_number(number)}H" if code == "H"
                                                            else f"{_number(number)}{code}")
    first = part(m.group("a"), m.group("u"))
    if m.group("c"):
        first += part(m.group("c"), m.group("v"))
    if m.group("b"):
        return f"P{first}/P{part(m.group('b'), m.group('u'))}"
    return f"P{first}"


def _next_word(text: str, position: int) -> str:
    match = re.match(r"\s*([^\W\d_][\w’'-]*)", text[position:])
    return match.group(1).lower() if match else ""


def _unit(text: str, position: int) -> str:
    """The noun a count counts: the first word after it that is not a modifier or an adjective ('200 Azerbaijani
    servicemen' -> 'servicemen', 'five religious activists' -> 'activists'); '' when a verb or a preposition
    comes first ('11 died', '5 of whom')."""
    words = word_spans(text[position:position + 60])[:4]
    if words and words[0][0].lower() == "of" and re.match(r"\s*of\s+(?!wh)", text[position:]):
        words = words[1:]  # "hundreds of soldiers"; not "5 of whom"
    for i, (word, _, _) in enumerate(words[:3]):
        low = word.lower()
        if low in NOT_UNITS or low.endswith(("ed", "ing")) and low not in ("needed",):
            return ""
        if low in MODIFIERS or word[:1].isupper():
            continue
        if i + 1 < len(words) and adjective_before_plural(word, words[i + 1][0]):
            continue  # "five religious activists": activists
        return word
    return ""


@lru_cache(maxsize=65_536)
def _events_of(sentence: str) -> frozenset[str]:
    """The event families a sentence names (read once: sentences recur from question to question)."""
    return frozenset(_families(_content_stems(sentence)))


def _content_stems(text: str) -> list[str]:
    """Stems of the content words; a word after a negation ("were not prosecuted") is left out."""
    stems, negated = [], False
    for word, _, _ in word_spans(text):
        folded = fold(word)
        if folded in NEGATIONS:
            negated = True
            continue
        if folded in STOPWORDS:
            continue
        if not negated:
            stems.append(stem(folded))
        negated = False
    return stems


def _opened_clause(text: str, cuts: list[int]) -> list[str]:
    """Stems of the clause a sentence-opening date leads into ("In December 2021, the A, the B and the C
    acknowledged …"): comma-separated parts while they are a list of names (no verb, no "when"/"who" clause),
    up to the first with an event word; a clause inside a part ("since the country joined …") is left out."""
    stems: list[str] = []
    for at, following in zip(cuts, cuts[1:] + [len(text)]):
        part = text[at + 1:following]
        spans = word_spans(part)
        words = [fold(w) for w, _, _ in spans]
        inner = next((start for (_, start, _), w in zip(spans[1:], words[1:]) if w in SUBORDINATORS), None)
        if inner is not None:  # "… reached its highest level since the country joined …": not the date's verb
            part = part[:inner]
        stems += _content_stems(part)
        if _families(stems) or not words or words[0] in SUBORDINATORS or AUXILIARIES & set(words):
            break
    return stems[:LEADING_DATE_CLAUSE]


def _counted_noun(after: list[str], unit: str) -> bool:
    """Is the first stem after a count its own noun ("102 victims … admitted"), an event word only by its
    spelling? Read last, after the clause's verbs."""
    return bool(unit) and bool(after) and after[0] == stem(fold(unit))


def _families(stems: list[str]) -> list[str]:
    """Event families of the stems, in order; "tortured to death" and "lost their lives" name a death."""
    found = []
    for i, word in enumerate(stems):
        if word in SENT_TO and stems[i + 1:i + 2] == ["prison"]:
            found.append("conviction")  # "sent to prison", "put in prison"
        if word == "lost" and stems[i + 1:i + 2] == ["live"]:
            found.append("death")  # "lost their lives"
        if word in FAMILY_OF:
            if stems[i + 1:i + 2] == ["death"] and FAMILY_OF[word] == "torture":
                found.append("death")
            found.append(FAMILY_OF[word])
    return found


def _context(text: str, figure: Figure) -> tuple[list[str], list[str]]:
    """Stems of the words near a figure in its clause (before it, after it): a few before and more after. A date in a
    leading phrase ("In 2021, the prosecutor acknowledged …") belongs to the clause it opens; a date after
    a verb only when close to it ("acknowledged in 2021", not "acknowledged the violence of May 2017")."""
    breaks = [(m.start(), m.end()) for m in CLAUSE_BREAK.finditer(text)]
    start = max((e for s, e in breaks if e <= figure.start), default=0)
    following = [s for s, e in breaks if s >= figure.end]
    stop = following[0] if following else len(text)
    before = _content_stems(text[start:figure.start])[-NEAR_BEFORE:]
    after = _content_stems(text[figure.end:stop])
    if figure.kind == "date":
        if start == 0 and len(after) <= 1 and following:
            return before[-DATE_AFTER:], _opened_clause(text, [s for s, e in breaks if s >= stop])
        after = after[:DATE_AFTER]
        before = before[-DATE_AFTER:]
    return before, after[:NEAR_AFTER]
