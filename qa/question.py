"""Question analysis: what a question asks for (its kind), and the names, figures and words it is about."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cached_property

from .lexical import (OTHER_STOPWORDS, STOPWORDS, adjective_before_plural, fold, is_participle, past_tense, stem,
                      verb_forms, verb_lemmas, word_spans, word_stem)
from .selection import ACCORDING_TO

# Words that open a question or a clause but say nothing about its subject.
QUESTION_WORDS = frozenset("""what when where which who whom whose why how is are was were did does do had has have
can could will would should may might shall tell name list give according since until besides apart""".split())
IMPERATIVES = frozenset("tell name list give".split())  # open a request ("List the …"); later content ("the list")
AUXILIARIES = frozenset("is are was were did does do had has have can could will would should may might shall".split())
# Words of a question that only frame it ("what is the number of …"): never a reason to abstain.
FRAME_WORDS = frozenset("""name names number numbers year years date dates month day time happen happened say said
says state stated report reported mention mentioned according article articles source sources case people person
total exactly first last those ones figure figures times occasions latest current exact overall actual""".split())
# Prepositions of several words: their noun says where or how, not what happened ("in front of the building")
PREPOSITION_NOUNS = re.compile(r"\b(?:in\s+(?P<front>front)|on\s+(?P<behalf>behalf)|in\s+(?P<spite>spite)|"
                               r"by\s+(?P<means>means)|in\s+(?P<favour>favou?r)|on\s+(?P<top>top))\s+of\b", re.I)
# "Why was the protest held?": "held" only says that the event took place
EVENT_HELD = re.compile(r"\b(?:is|are|was|were|be)\s+(?:the|a|an|this|that)\s+[a-z]+\s+(?P<held>held)\b")
# Verbs that mean little without the noun after them: "take part", "make a decision", "give birth"
LIGHT_VERB_FORMS = tuple(frozenset(forms.split()) for forms in (
    "take takes took taken taking", "make makes made making", "give gives gave given giving",
    "get gets got gotten getting"))
LIGHT_VERBS = frozenset().union(*LIGHT_VERB_FORMS)
# "How many officers took part in …": a light verb and its noun after what is counted
LIGHT_AFTER_COUNT = re.compile(r"^how (?:many|much)\s+(?:[^\W\d_][\w’'-]*\s+){1,2}?(?P<verb>"
                               + "|".join(sorted(LIGHT_VERBS)) + r")\s+(?:(?:a|an|the|their|his|her|its)\s+)?"
                               r"(?P<noun>[^\W\d_][\w’'-]*)", re.I)
# "When was Leyla Yunus born?", "In which prison is Mirhafiz Jafarzadeh serving …": a wh-phrase, an auxiliary, a
# subject that is a name, then the verb the question asks about that subject
_EVENT = (r"^(?i:when|where|why|how long|how|(?:(?:in|on|at|during|from|to|by|since|for|until)\s+)?(?:what|which)\s+"
          r"[a-z]+)\s+(?P<aux>(?i:was|were|did|does|do|is|are|has|have|had))\s+(?P<subject>{subject})\s+(?P<rest>[a-z].*)$")
_NAME_SUBJECT = r"(?:the\s+)?(?:[A-Z][\w'’.-]*\s+)*[A-Z][\w'’.-]*"
NAMED_EVENT = re.compile(_EVENT.format(subject=_NAME_SUBJECT))
# … and in a follow-up, a pronoun for whom the question before it named
SUBJECT_PRONOUNS = frozenset("he she they".split())
_PRONOUN_SUBJECT = "(?i:" + "|".join(sorted(SUBJECT_PRONOUNS)) + ")"
FOLLOW_UP_EVENT = re.compile(_EVENT.format(subject=_PRONOUN_SUBJECT))
# "Was Mais Barkhudarov arrested?": the same, asked yes or no
_YES_NO_EVENT = r"^(?P<aux>(?i:was|were|did|does|do|is|are|has|have|had))\s+(?P<subject>{subject})\s+(?P<rest>[a-z].*)$"
NAMED_YES_NO = re.compile(_YES_NO_EVENT.format(subject=_NAME_SUBJECT))
FOLLOW_UP_YES_NO = re.compile(_YES_NO_EVENT.format(subject=_PRONOUN_SUBJECT))
# "What did Ilham Aliyev say about …", "How did PACE react?": asks what someone named said; the verbs of saying
SPEECH_VERBS = frozenset("""say tell state claim write report announce comment respond react reply explain argue
allege declare note add recount insist confirm acknowledge condemn criticize criticise suggest warn demand describe
deny testify""".split())
_SPEECH = r"^(?i:what|how)\s+(?i:did|does|do|has|have|had)\s+(?P<subject>{subject})\s+(?P<verb>[a-z]+)\b"
NAMED_SPEECH = re.compile(_SPEECH.format(subject=_NAME_SUBJECT))
FOLLOW_UP_SPEECH = re.compile(_SPEECH.format(subject=_PRONOUN_SUBJECT))
# "What (charges) did … face?": do-support, the subject and its verb after it
DO_SUPPORT = re.compile(r"^(?i:what|which)(?:\s+[a-z]+)?\s+(?i:did|does|do)\s+(?P<rest>.+)$")
SHARE = re.compile(r"^(?:what|which)\s+(?:(?:is|was)\s+the\s+)?(?:percentage|percent|proportion|share)\b", re.I)
# Verbs too general to be what is asked ("When did X go …", "Where is X located?"): the rest of the question is
AMBIENT_VERBS = frozenset("""be been being go goes going went gone come comes came coming have has had having do
does did done doing say says said saying tell tells told happen happens happened occur occurs occurred locate
located situate situated base based""".split())
ADVERBS = frozenset("first last ever still again also not never once later then finally initially originally".split())
# Events of a life or an institution that a source states in these words when it states them at all ("born",
# "elected", "founded"); a verb outside them and outside EVENTS' families may be said in other words ("fired" for
# "dismissed", "relocated" for "moved"), so it is never a reason to abstain
LIFE_EVENTS = frozenset("bear marry divorce found establish elect graduate resign retire join appoint promote "
                        "nominate hire".split())
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
}

# Events by families of words (stems): what a figure's clause says happened (a count of deaths is not a count of
# people tortured, though both sentences say "torture".
EVENTS = (
    ("death", "die died dying dead death deaths kill killed killing executed execution murdered fatal perished"),
    ("acquittal", "acquit acquitted acquittal exonerated exonerate cleared rehabilitated overturned dropped"),
    ("release", "released release freed pardoned pardon"),
    ("conviction", "convicted convict conviction sentenced sentence guilty jailed imprisoned prosecuted "
                   "imprisonment verdict verdicts"),
    ("detention", "detained detention arrested arrest arrests custody detainee detainees"),
    ("injury", "wounded injured injury injuries"),
    ("acknowledgement", "acknowledged acknowledge admitted admit recognised recognized recognise recognize "
                        "confirmed confirm"),
    ("torture", "tortured torture tortures abused abuse mistreated beaten suffered victim victims"),
    ("protest", "protest protested protests gathered rally demonstration"),
    ("investigation", "investigation investigated investigate probe proceedings"),
)
FAMILY_OF = {stem(word): family for family, words in EVENTS for word in words.split()}
# Words for the people a case counts, used interchangeably ("9 people", "13 servicemen", "eight suspects");
# a narrower group ("teenagers", "journalists", "civilians", "officers": a rank of the servicemen) must be named
# as such.
PERSON_UNITS = frozenset(stem(w) for w in """people person persons servicemen serviceman soldiers soldier
individuals individual victims victim suspects suspect defendants defendant convicts convict prisoners
prisoner detainees detainee troops military personnel accused""".split())

# "Who is (general) Mais Barkhudarov?" asks who he is, not for a name
WHO_IS_NAMED = re.compile(r"^[Ww]ho\s+(?:is|was|are|were)\s+(?:[a-z]\w*\s+)?[A-Z]")
# "What is Meydan TV?": asks about something named, as "Who is Hikmet Hasanov?" asks about someone
WHAT_IS_NAMED = re.compile(r"^[Ww]hat\s+(?:is|was|are|were)\s+(?:the\s+)?[A-Z]")
# "Who will the working group consist of?": asks what kind of people make it up, which a description answers
WHO_MAKES_UP = re.compile(r"\b(?:consists?|consisted|consisting|comprises?|comprised|composed|made\s+up|members)\b",
                          re.I)
# "What is the name of …": asks for a name, whatever its focus word ("the officer", "the aunt")
NAME_OF = re.compile(r"^(?:what|which)\s+(?:is|was|are|were)\s+the\s+names?\s+of\b", re.I)
# What "which X" asks for when it asks for a place; the first six are institutions, named with the word itself
# ("the Supreme Court", "Gobustan prison"), the others by a name alone ("Baku").
PLACES = ("court", "prison", "unit", "hospital", "base", "camp", "city", "region", "country", "village", "town",
          "district")
INSTITUTIONS = PLACES[:6]

# The answer a question asks for, from the wh-phrase that opens it (or opens its main clause).
KINDS = (
    ("age", re.compile(r"^how old\b")),
    ("duration", re.compile(r"^(how long|for how long|how many (years|months|weeks|days|hours|minutes)|"
                            r"(what|which) (\w+ )?(prison |jail )?(terms?|sentences?)\b(?! (of|for|in|to)\b)"
                            r"(?! (best |most )?(describes?|corresponds?|refers?|means?|names?|is used)\b))\b")),
    ("count", re.compile(r"^(how many|how much|what (is|was|were|are) the (total |overall |exact |official |latest |current |final |actual |"
                         r"real |new |highest |lowest |record )?"
                         r"(number|count|toll) of (?!the\b|a\b|this\b|that\b)|what (number|total|percentage|share|"
                         r"proportion)|what total|what (\w+ )?(toll|number|count)\b(?! of (the|a|this|that)\b)|"
                         r"what (is|was|were|are) the (\w+ )?(toll|tally)\b)\b")),
    ("date", re.compile(r"^(when|since when|until when|by when|(in|on|during|by|since|from)?\s*(what|which) "
                        r"(year|date|month|day|decade)|what (year|date|month|day)|on what date)\b")),
    ("identifier", re.compile(r"^(what|which) (article|document|law|resolution|case) (number|no)\b|"
                              r"^which (article|paragraph|section)\b|^what (is|was) the number of (the|a|this|that)\b")),
    ("person", re.compile(r"^(who|whom|whose|which (general|officer|official|person|minister|prosecutor|"
                          r"journalist|leader|commander|politician|activist|lawyer|judge))\b")),
    ("place", re.compile(rf"^(where|((in|at|from|to|into) )?which (\w+ )?({'|'.join(PLACES)}))\b")),
    ("reason", re.compile(r"^(why|for what reasons?|what (is|was|were|are) the (main )?(reasons?|motives?|causes?) "
                          r"(for|behind|of)|what (caused|led to))\b")),
)
# A leading phrase before the wh-word: "According to PACE, how many…", "In which year…", "And when…".
LEAD = re.compile(r"^(?:(?:and|but|so|also|then|besides [^,]*,|apart from [^,]*,)\s+)?"
                  r"(?:(?:according to|in the view of|as reported by|under|for|of|among)\s[^,?]*,\s*)?", re.I)
# "Were 9 people tortured to death?", "Is it true that 24 members of PACE initiated …?": a number checked
CHECKED_COUNT = re.compile(r"^(?P<aux>is|are|was|were|did|do|does|had|has|have)\s+(?P<true>it\s+true\s+that\s+)?"
                           r"(?:(?:more|fewer|less)\s+than\s+|at\s+least\s+|only\s+|exactly\s+)?"
                           r"(?P<number>[\d,]+|[a-z]+)\s+(?P<rest>.+)$", re.I)
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")  # a number read as a year
YES_NO = re.compile(r"^(is|are|was|were|did|does|do|had|has|have|can|could|will|would|should)\b", re.I)
TITLES = frozenset("""mr mrs ms dr mp president minister general lieutenant colonel major captain sergeant senator
deputy prosecutor judge professor prof sir lord chief head commander""".split())
# "Who was the Defense Minister?", "Who is the Minister of Defense?": asks who holds a role, for a name
ROLE_ASKED = re.compile(r"^[Ww]ho\s+(?:is|was|are|were)\s+the\s+(?:(?P<before>[A-Z][\w’'-]*)\s+)?"
                        r"(?:[A-Z][\w’'-]*\s+){0,2}?(?P<role>(?i:" + "|".join(sorted(TITLES, key=len, reverse=True)) +
                        r"))\b(?:\s+of\s+(?:the\s+)?(?P<of>[A-Z][\w’'-]*))?")


@dataclass(frozen=True)
class Term:
    """One content word of the question, as typed, with its lexical keys."""

    text: str
    stem: str
    is_name: bool = False
    is_figure: bool = False  # a number or a year


@dataclass(frozen=True)
class Event:
    """What a question asks about a named subject: the verb ("born") and the subject's names ("Leyla Yunus")."""

    verb: str
    names: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Question:
    """A question as the answer steps read it; computed once per question."""

    text: str
    query: str  # what is searched: the question, with the previous one when it is a follow-up
    kind: str  # count, date, duration, age, identifier, person, place, reason, yesno or "" (anything)
    terms: tuple[Term, ...]
    names: tuple[tuple[str, ...], ...]  # capitalised phrases ("Heydar", "Aliyev", "Center")
    figures: tuple[str, ...]  # numbers and years typed in the question, normalised ("2019", "24")
    focus: str = ""  # what the wh-phrase asks about ("population", "prime minister", "tanks")
    unit: str = ""  # for a count: what is counted ("servicemen" in "how many servicemen …")
    predicates: tuple[str, ...] = field(default=())  # stems of the other content words (what happened)
    focus_kind: str = ""  # attribute ("what is the X of"), count ("how many X"), verb, category ("which X did"),
    # aspect ("what was the role of X": said in other words)

    @property
    def asks_figure(self) -> bool:
        return self.kind in ("count", "date", "duration", "age", "identifier")

    @property
    def light_phrase(self) -> str:
        """The light verb and its noun after what a count question counts ("took part" in "How many officers
        took part in the torture?"): what is asked about, to be said as a phrase; "" when there is none."""
        return _light_phrase(LEAD.sub("", self.text.strip(), count=1).strip()) if self.kind == "count" else ""

    @cached_property
    def asks_share(self) -> bool:
        """"What percentage / proportion / share of …": a count question answered only by a percentage."""
        return self.kind == "count" and bool(SHARE.search(LEAD.sub("", self.text.strip(), count=1)))

    @cached_property
    def event(self) -> Event | None:
        """The verb a wh-question asks about its named subject ("born" in "When was Leyla Yunus born?"), when
        the subject is a name and the verb is one lemminflect knows in the form the auxiliary wants; None
        for a light or ambient verb ("take", "located") and for any other shape of question."""
        return self._event(NAMED_EVENT, FOLLOW_UP_EVENT)

    @property
    def follows_up(self) -> bool:
        """Is it searched with the question before it ("Why?" after "Who was dismissed …?")? Not merely
        respelled: names in the sources' spelling keep the number of words."""
        return len(word_spans(self.query)) > len(word_spans(self.text))

    @cached_property
    def checked_count(self) -> Question | None:
        """The count a yes-or-no question checks a number of (`as_count`): "How many people were tortured to
        death?" for "Were 9 people tortured to death?"."""
        return as_count(self)

    @cached_property
    def yes_no_event(self) -> Event | None:
        """The same for a question asked yes or no ("arrested" in "Was Mais Barkhudarov arrested?"): its
        answer may be a no said in other words ("no criminal charge against Hasanov"), so it is never a reason
        to abstain, only to say that no quote says it."""
        return self._event(NAMED_YES_NO, FOLLOW_UP_YES_NO)

    def _event(self, named: re.Pattern, follow_up: re.Pattern) -> Event | None:
        head = LEAD.sub("", self.text.strip(), count=1).strip()
        match = named.match(head)
        if not match and self.query != self.text:  # "When was she born?" after "Who is Leyla Yunus?"
            match = follow_up.match(head)
        if not match:
            return None
        words = [w for w in re.findall(r"[^\W\d_][\w’'-]*", match.group("rest"))
                 if w.lower() not in ADVERBS and w.lower() not in ("been", "being") and not w.lower().endswith("ly")]
        if not words:
            return None
        verb = words[0].lower()
        if verb in LIGHT_VERBS or verb in AMBIENT_VERBS or not verb_forms(verb):
            return None
        if stem(fold(verb)) not in FAMILY_OF and not verb_lemmas(verb) & LIFE_EVENTS:
            return None  # said in other words as often as in its own: the sources may answer it anyway
        if match.group("aux").lower() not in ("did", "does", "do") and not is_participle(verb):
            return None  # "Where was the Baku metro …": a noun after the name, not the verb
        names = self._names_of(match.group("subject"))
        return Event(verb, names) if names else None

    @cached_property
    def action(self) -> str:
        """The verb "What (X) did <subject> <verb> …?" asks about ("demand" in "What did the protesters demand?",
        "face" in "What charges did Mirhafiz Jafarzadeh face?"): the first word after the subject in a verb's
        base form; "" for a light or ambient verb ("do", "say": what was said is `speaker`'s) and any other
        shape of question."""
        head = LEAD.sub("", self.text.strip(), count=1).strip()
        match = DO_SUPPORT.match(head)
        if not match:
            return ""
        for word in re.findall(r"[^\W\d_][\w’'-]*", match.group("rest"))[1:]:  # the subject's first word is no verb
            low = word.lower()
            if word[:1].isupper() or low in STOPWORDS:
                continue
            if low in verb_lemmas(low):
                return "" if low in LIGHT_VERBS or low in AMBIENT_VERBS else low
        return ""

    @cached_property
    def deed(self) -> str:
        """The verb "Who <verb>ed …?" asks the doer of ("compiled" in "Who compiled the list?"); "" for an
        auxiliary ("Who was …") and any other shape of question."""
        match = re.match(r"[Ww]ho\s+(?P<verb>[a-z]+)\b", LEAD.sub("", self.text.strip(), count=1).strip())
        verb = match.group("verb") if match else ""
        return verb if verb and verb not in AUXILIARIES and verb_lemmas(verb) else ""

    @cached_property
    def according(self) -> tuple[tuple[str, ...], ...]:
        """The names whose version "… according to X?" asks for (in a follow-up, "And according to PACE?", its
        own text is read, not the question before it)."""
        said = " ".join(m.group("who") for m in ACCORDING_TO.finditer(self.text))
        words = set(re.findall(r"[^\W\d_][\w’'.-]*", said))
        return tuple(phrase for phrase in self.names if words & set(phrase))

    @cached_property
    def speaker(self) -> tuple[tuple[str, ...], ...]:
        """The names of whom "What did X say / claim / announce …?" or "How did X react?" asks the words of (in a
        follow-up, "What did he say?", the names of the question before); () for any other question."""
        head = LEAD.sub("", self.text.strip(), count=1).strip()
        match = NAMED_SPEECH.match(head)
        if not match and self.query != self.text:
            match = FOLLOW_UP_SPEECH.match(head)
        if not match or not verb_lemmas(match.group("verb")) & SPEECH_VERBS:
            return ()
        return self._names_of(match.group("subject"))

    def _names_of(self, subject: str) -> tuple[tuple[str, ...], ...]:
        """The question's names that a subject is (for a pronoun, all of them: the question before named them)."""
        if subject.lower() in SUBJECT_PRONOUNS:
            return self.names
        words = set(re.findall(r"[^\W\d_][\w’'.-]*", subject))
        return tuple(phrase for phrase in self.names if words & set(phrase))

    @property
    def asks_about_name(self) -> bool:
        """"Who is Hikmet Hasanov?", "What is Meydan TV?": asks what the sources say about someone or something
        it names, so an answer must mention them."""
        head = LEAD.sub("", self.text.strip(), count=1).strip()
        return bool(self.names) and not self.role and bool(WHO_IS_NAMED.match(head) or WHAT_IS_NAMED.match(head))

    @cached_property
    def _role_asked(self) -> re.Match | None:
        return ROLE_ASKED.match(LEAD.sub("", self.text.strip(), count=1).strip())

    @property
    def role(self) -> str:
        """The role whose holder "Who was the Defense Minister?" asks for ("minister"), lower case; "" when it
        asks for no role's holder."""
        return self._role_asked.group("role").lower() if self._role_asked else ""

    @property
    def role_of(self) -> str:
        """Where the role asked about is held: "Defense" of "the Defense Minister" (of Azerbaijan) and of "the
        Minister of Defense", "State" of "the head of the State Security Service"; "" when not said."""
        match = self._role_asked
        return (match.group("before") or match.group("of") or "") if match else ""

    @property
    def asks_name(self) -> bool:
        """Who, which court / prison / city, what is the name of: the answer names someone or somewhere ("Who
        is Hikmet Hasanov?" asks who he is, not for a name; "Who will the working group consist of?" asks what
        kind of people, "experts from law enforcement agencies")."""
        head = LEAD.sub("", self.text.strip(), count=1).strip()
        return ((self.kind == "person" and (self.role or not WHO_IS_NAMED.match(head)) and not WHO_MAKES_UP.search(head))
                or (self.kind == "place" and self.focus_kind == "category") or bool(NAME_OF.match(head)))


def as_count(question: Question) -> Question | None:
    """The count a yes-or-no question checks a number of ("Were 9 people tortured to death?": "How many people
    were tortured to death?"), so that the sources' other figures for it are shown; None for any other
    question, and for a year ("Was he arrested in 2017?" checks no count)."""
    if question.kind != "yesno":
        return None
    match = CHECKED_COUNT.match(LEAD.sub("", question.text.strip(), count=1).strip())
    if not match or not number_value(match.group("number")) or YEAR.fullmatch(match.group("number")):
        return None
    words = match.group("rest").rstrip("?. ").split()
    do_support = match.group("aux").lower() in ("did", "do", "does")
    verb = next((i for i, w in enumerate(words) if i and (is_participle(w) or (do_support and verb_forms(w)))), None)
    if verb is None:
        return None
    aux = "" if match.group("true") or do_support else match.group("aux").lower() + " "
    if do_support and match.group("aux").lower() == "did":
        words[verb] = past_tense(words[verb])
    return analyze(f"How many {' '.join(words[:verb])} {aux}{' '.join(words[verb:])}?")


def question_kind(text: str) -> str:
    """The answer asked for: from the wh-phrase at the start of the question (after a leading phrase such
    as "According to PACE,"); a 'when' further on is a conjunction, and a question that opens with an
    auxiliary ("Had …", "Did …") asks yes or no."""
    head = LEAD.sub("", text.strip().lower(), count=1).strip()
    if YES_NO.match(head):
        return "yesno"
    for kind, pattern in KINDS:
        if pattern.match(head):
            return kind
    return ""


def number_value(token: str) -> str:
    """'eight' -> '8', '1,000' -> '1000', '2021' -> '2021'; '' when the token is no number."""
    token = token.lower().replace(",", "")
    if token in NUMBER_WORDS:
        return str(NUMBER_WORDS[token])
    if re.fullmatch(r"\d+(\.\d+)*", token):
        return token.lstrip("0") or "0" if "." not in token else token
    return ""


def analyze(text: str, query: str | None = None) -> Question:
    """Kind, terms, names and figures of a question. `query` is the text searched when it is not the question
    (a follow-up searched with the question before it): the words come from it, and the kind from the
    question itself unless only the earlier one has one ("and why?" after "When …" asks why)."""
    query = query or text
    kind = question_kind(text) or question_kind(query)
    words = word_spans(query)
    terms: list[Term] = []
    names: list[list[str]] = []
    figures: list[str] = []
    current: list[str] = []
    previous_end = 0
    for index, (word, start, end) in enumerate(words):
        bare = re.sub(r"['’][sS]$", "", word)
        index = index if query == text else index + 1  # in a follow-up no word is the question's first
        folded = fold(bare)
        value = number_value(bare) if bare[:1].isdigit() else ""
        name = _is_name(bare, index == 0) and not value
        joined = current and query[previous_end:start].strip() == ""
        if name:
            if not joined and current:
                names.append(current)
                current = []
            current.append(bare)
        elif current:
            names.append(current)
            current = []
        previous_end = end
        if value:
            figures.append(value)
            terms.append(Term(bare, value, is_figure=True))
        elif folded not in STOPWORDS and folded not in OTHER_STOPWORDS and len(folded) > 1 \
                and (folded not in QUESTION_WORDS or (folded in IMPERATIVES and index > 0)):
            terms.append(Term(bare, word_stem(bare), is_name=name))
    if current:
        names.append(current)
    names = [_strip_titles(n) for n in names]
    focus, unit, focus_kind = _focus(text, kind)
    skip = {stem(fold(w)) for w in focus.split()} | {stem(fold(unit))} - {""}
    skip |= {stem(fold(noun)) for match in PREPOSITION_NOUNS.finditer(query) for noun in match.groups() if noun}
    skip |= {stem(match.group("held")) for match in EVENT_HELD.finditer(query)}
    predicates = tuple(dict.fromkeys(t.stem for t in terms if not t.is_name and not t.is_figure
                                     and t.stem not in skip and fold(t.text) not in FRAME_WORDS))
    return Question(text=text, query=query, kind=kind, terms=tuple(terms),
                    names=tuple(tuple(n) for n in names if n), figures=tuple(dict.fromkeys(figures)),
                    focus=focus, unit=unit, predicates=predicates, focus_kind=focus_kind)


def _is_name(word: str, first: bool) -> bool:
    """A capitalised word that is not a function word; the first word of a question only when it is
    an acronym or has capitals inside (a capital there is just the start of the sentence)."""
    if not word[:1].isupper() or fold(word) in STOPWORDS or fold(word) in QUESTION_WORDS:
        return False
    if first:
        return (word.isupper() and len(word) > 1) or any(ch.isupper() for ch in word[1:])
    return True


def _strip_titles(phrase: list[str]) -> list[str]:
    """'President Ilham Aliyev' -> 'Ilham Aliyev', 'Military Prosecutor' -> 'Military': a title before or after
    a name is not part of what must be found; one inside it stays ("the Prosecutor General's Office":
    'Azerbaijani Office' is no name)."""
    kept = [i for i, w in enumerate(phrase) if fold(w) not in TITLES]
    return phrase[kept[0]:kept[-1] + 1] if kept else phrase


# "What was Mais Barkhudarov's salary?": the possessive of a name stands for the article (not after "who":
# "Who was Emma's brother?" is answered by "Emma, sister of Richard")
COPULAR = re.compile(r"^(?:what|which|who|whom)\s+(?:is|was|are|were)\s+(?:the|a|an|his|her|their|its|"
                     r"(?P<owner>(?-i:(?:[A-Z][\w-]*\s+)*[A-Z][\w-]*)['’]s))\s+"
                     r"(?P<words>(?:[^\W\d_][\w’'-]*\s*){1,4})", re.I)
HOW_MANY = re.compile(r"^how (?:many|much)\s+(?:(?:is|are|was|were|did|does|do)\s+(?:(?:the|a|an)\s+)?)?"
                      r"(?P<words>(?:[^\W\d_][\w’'-]*\s*){1,3})", re.I)
CATEGORY = re.compile(r"^(?:(?:in|at|from|to|into)\s+)?(?:what|which)\s+(?P<word>[^\W\d_][\w’'-]*)"
                      r"(?:\s+(?P<place>[^\W\d_][\w’'-]*))?", re.I)
# "How many of the convicts were officers?": a part of the group, counted under its own noun
PART_OF_GROUP = re.compile(r"^how many of (?:the|these|those)\s+[^\W\d_][\w’'-]*\s+(?:were|are|was|is)\s+"
                           r"(?P<part>[^\W\d_][\w’'-]*s)\s*\??$", re.I)
# "What was the role of the State Security Service?": asks what the sources say someone did or thought, which they
# say without the word itself; never a focus that must be stated
ASPECT_WORDS = frozenset("""role roles part involvement position stance attitude view views opinion reaction
response""".split())
# Events said in more than one word, as the word of their family the sources would use (figures.py reads the same)
EVENT_IDIOMS = ((re.compile(r"\blos[est]\w*\s+(?:\w+\s+)?li(?:ves|fe)\b", re.I), "died"),
                (re.compile(r"\b(?:sent|put)\s+(?:in|to|into)\s+(?:prison|jail)\b", re.I), "sentenced"))
TALLY_WORDS = frozenset("toll tally count number total figure".split())  # "the death toll": a count of deaths
MODIFIERS = frozenset("first last new total exact official main largest biggest average current most other".split())
NP_END = frozenset("""of in for at on to from by with about that who which whose when where than as given taken written
chosen known shown seen made held told found called""".split())


def _focus(text: str, kind: str) -> tuple[str, str, str]:
    """(focus, counted unit, focus kind). The focus is what the question asks about: the noun phrase of
    "what is the population of X" / "who is the prime minister of X" (kind 'attribute': the sources must
    state it), the counted noun of "how many tanks" (kind 'count'), or, when that noun only frames the
    question ("how many people live in X"), the verb after it (kind 'verb'). "Which country did …" asks for
    an instance of a category, whose name need not appear in the answer (kind 'category')."""
    head = LEAD.sub("", text.strip(), count=1).strip()
    number_of = re.search(r"\b(?:number|count|toll) of (?:the )?([^\W\d_][\w’'-]*)", head, re.I)
    unit = number_of.group(1) if kind == "count" and number_of else ""
    if unit and stem(fold(unit)) in FAMILY_OF and stem(fold(unit)) not in PERSON_UNITS:
        unit = ""  # "the number of deaths": a count of events, of whoever they happened to
    if re.search(r"\b(?:toll|tally)\b", head, re.I):
        unit = ""  # "the death toll of the torture" counts deaths, of anyone: the event is in the wh-phrase
    copular, how_many = COPULAR.match(head), HOW_MANY.match(head)
    if copular and copular.group("owner") and head.lower().startswith("who"):
        copular = None
    if copular:
        phrase = _noun_phrase(copular.group("words").split())
        if len(phrase) == 2 and fold(phrase[0]) in FRAME_WORDS:  # "the latest number of …": the number of …
            phrase = phrase[1:]
        if len(phrase) == 2 and fold(phrase[-1]) in TALLY_WORDS:
            phrase = phrase[:1]
        if phrase and fold(phrase[-1]) in FRAME_WORDS:  # "what is the name of X's lawyer": lawyer
            after = re.search(rf"\b{re.escape(phrase[-1])}\s+of\s+(?:the\s+|a\s+)?(?:[A-Z][\w’'-]*\s+)*(?P<rest>.*)",
                              head)
            phrase = _noun_phrase(after.group("rest").split()) if after else []
        if phrase and fold(phrase[-1]) in ASPECT_WORDS:
            return " ".join(phrase), unit, "aspect"
        return " ".join(phrase), unit, "attribute" if phrase else ""
    part = PART_OF_GROUP.match(head)
    if part and kind == "count" and not part.group("part").lower().endswith(("ed", "ing")):
        return part.group("part"), part.group("part"), "count"  # "how many of the convicts were *officers*"
    if how_many:
        words = how_many.group("words").split()
        if re.match(r"[Hh]ow (?:many|much)\s+[A-Z]", head):  # "how many Azerbaijani troops": troops
            while len(words) > 1 and words[0][:1].isupper():
                words = words[1:]
        if len(words) > 1 and words[0].endswith(("'", "’", "'s", "’s")):
            words = words[1:]  # "how many victims' relatives": the relatives are counted
        adjectives = []
        while len(words) > 1 and adjective_before_plural(words[0], words[1].rstrip("?")):
            adjectives, words = adjectives + words[:1], words[1:]  # "how many political prisoners": prisoners
        first = words[0]
        if first[:1].isupper() or fold(first) in STOPWORDS or fold(first) in QUESTION_WORDS:
            return "", unit, ""
        if re.match(r"how many\s+(?:is|are|was|were|have|has|had)\s+(?!the\b|a\b|an\b)", head, re.I):
            return first, unit, "verb"  # "how many were jailed": no noun counted, the verb is asked about
        unit = first if kind in ("count", "duration") and head.lower().startswith("how many") else unit
        event_noun = len(words) > 1 and stem(fold(words[1])) in FAMILY_OF and not words[1].endswith("ed")
        unit_stem = stem(fold(unit))
        if (unit_stem in FAMILY_OF and unit_stem not in PERSON_UNITS) or (unit == first and event_noun):
            unit = ""  # "how many (treason) convictions / deaths": a count of events, of whoever they happened to
        if fold(first) in FRAME_WORDS:
            following = [w.rstrip("?") for w in words[1:] if fold(w) not in STOPWORDS and fold(w) not in AUXILIARIES]
            light = _light_phrase(head) if following and fold(following[0]) in LIGHT_VERBS else ""
            if light:  # "took part", "made a complaint": the verb and its noun are the focus
                return light, unit, "verb"
            idiom = next((word for pattern, word in EVENT_IDIOMS if pattern.search(head)), "")
            if idiom:  # "how many people lost their lives": they died, in whatever words
                return idiom, unit, "verb"
            return (following[0] if following and not following[0][:1].isupper() else ""), unit, "verb"
        return " ".join(adjectives[-1:] + [first]), unit, "count"  # the adjective is part of it, not of the event
    category = CATEGORY.match(head)
    if category and not category.group("word")[:1].isupper() and fold(category.group("word")) not in STOPWORDS \
            and fold(category.group("word")) not in AUXILIARIES:
        place = category.group("place") or ""
        return (place if place.lower() in PLACES else category.group("word")), unit, "category"
    return "", unit, ""


def _light_phrase(head: str) -> str:
    """The light verb and its noun after what a count question counts ("took part"), or ""."""
    match = LIGHT_AFTER_COUNT.match(head)
    return f"{match.group('verb')} {match.group('noun')}" if match else ""


def _noun_phrase(words: list[str]) -> list[str]:
    """The noun phrase at the start of `words`, as (modifier, head) or (head,): the last two words before a
    preposition, a relative pronoun or a participle, common modifiers and names left out."""
    phrase = []
    for word in words:
        low = word.lower().rstrip("?")
        if low in NP_END or low in AUXILIARIES or low.endswith(("ed", "ing")):
            break
        if low in MODIFIERS or low in STOPWORDS or word[:1].isupper():
            continue
        phrase.append(word.rstrip("?"))
    return phrase[-2:]


def without_outlets(question: Question, outlets: list[str]) -> Question:
    """The question without the names that are outlets of the sources ("… according to Geghard?"): they say
    whose version is asked for, not what the articles must mention."""
    folded = {fold(w) for outlet in outlets for w, _, _ in word_spans(outlet)}
    names = tuple(phrase for phrase in question.names if not {fold(w) for w in phrase} <= folded)
    if names == question.names:
        return question
    terms = tuple(t for t in question.terms if not (t.is_name and fold(t.text) in folded))
    return replace(question, names=names, terms=terms)
