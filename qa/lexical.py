"""Lexical analysis: word tokens, stems and spelling-variant keys, shared by every backend.

Words are stemmed by their script: Cyrillic ones with Snowball's Russian stemmer, Latin ones with an
Azerbaijani letter (ə, ğ, ı, ş, ç, ö, ü) with its Turkish one, the others with its English one; names in
Cyrillic get the spelling-variant keys of their Latin transliteration (anyascii), so "Тертер" meets "Terter"
and "Tərtər", and "Гасанов" "Hasanov" and "Həsənov"."""

from __future__ import annotations

import math
import re
import unicodedata
from functools import lru_cache

WORD = re.compile(r"[^\W_]+", re.UNICODE)
WORD_SPAN = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
PHONETIC_PREFIX = "~"
MIN_PHONETIC_LEN = 4

# Function words plus question words: they say what kind of answer is wanted, not what it is about.
STOPWORDS = frozenset(
    """a an and are as at be been but by did do does for from had has have he her his how i if in into
    is it its me my no not of on or our she so such that the their them then there these they this to
    was we were what when where which while who whom whose why will with would you your than also any
    all can could about after before over under again many much""".split()
)
# The same for Russian and Azerbaijani questions (folded: Azerbaijani without its diacritics).
_OTHER_STOPWORDS = (
    """и в во на с со к по о об от до за из у не ни но а что кто как когда где куда почему зачем какой какая
    какое какие каким какую каков какова каково сколько ли был была было были есть это этот эта эти тот та те
    он она оно они его её их ему ей им для при же бы уже ещё или чем чтобы
    va ve ile bu o bir da de ki ne kim nece neca niye nə nədir kimdir hansi hansı harada haraya ne vaxt
    neye nəyə uzre uzra ucun ucun olub idi edib""")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
TURKIC = frozenset("əğışçöü")
# Russian spells an Azerbaijani h with г or х (Гасанов: Həsənov), so a Cyrillic name gets the H key too.
CYRILLIC_H = ("г", "х")
TURKISH_ROUNDS = 3  # hərbçilərin -> herbçiler -> herbçi: one layer of suffixes a round
MIN_TURKISH_STEM = 5  # a shorter stem is a root cut too far, shared with unrelated words


@lru_cache(maxsize=4)
def _stemmer(language: str = "english"):
    import Stemmer

    return Stemmer.Stemmer(language)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of one folded word (as `tokenize` makes them): Russian for a Cyrillic one. A typographic
    apostrophe is read as the one Snowball strips ("protest’s": "protest")."""
    return _stemmer("russian" if CYRILLIC.search(word) else "english").stemWord(word.replace("’", "'"))


@lru_cache(maxsize=4096)
def verb_lemmas(word: str) -> frozenset[str]:
    """The verbs `word` is a form of, in lemminflect's dictionary ("born": bear; "found": find, found); empty
    when it knows no verb of that form ("metro")."""
    from lemminflect import getAllLemmas

    return frozenset(getAllLemmas(word.lower(), upos="VERB").get("VERB", ()))


@lru_cache(maxsize=4096)
def adjective_before_plural(word: str, following: str) -> bool:
    """Is `word` an adjective (no verb, no plural noun) before the plural noun `following`: "political" in
    "political prisoners", "young" in "young soldiers"? By lemminflect's dictionary."""
    from lemminflect import getAllLemmas

    this, after = getAllLemmas(word.lower()), getAllLemmas(following.lower())
    plural_noun = any(lemma != following.lower() for lemma in after.get("NOUN", ()))
    return "ADJ" in this and "VERB" not in this and word.lower() in this.get("NOUN", (word.lower(),)) and plural_noun


@lru_cache(maxsize=4096)
def verb_forms(word: str) -> frozenset[str]:
    """Every form of the verbs `word` is a form of ("born": bear, bore, born, borne…); empty for no verb."""
    from lemminflect import getAllInflections

    return frozenset(form for lemma in verb_lemmas(word) for forms in getAllInflections(lemma, upos="VERB").values()
                     for form in forms)


@lru_cache(maxsize=16_384)
def in_dictionary(word: str) -> bool:
    """Is `word` (any case) an English word lemminflect knows ("Police", "Relatives"), not a name such as
    "Jafarzadeh" or "Baku"?"""
    from lemminflect import getAllLemmas

    return bool(getAllLemmas(word.lower()))


@lru_cache(maxsize=4096)
def past_tense(verb: str) -> str:
    """The simple past of a verb ("die": "died"), for a question turned from "did … die" into "… died"; the
    verb itself when lemminflect has none."""
    from lemminflect import getInflection

    return next(iter(getInflection(verb, tag="VBD")), verb)


@lru_cache(maxsize=4096)
def is_participle(word: str) -> bool:
    """`word` is a past participle or an -ing form ("born", "serving"), as after "was" in a question."""
    from lemminflect import getInflection

    return any(word.lower() in getInflection(lemma, tag) for lemma in verb_lemmas(word) for tag in ("VBN", "VBG"))


@lru_cache(maxsize=200_000)
def word_stem(word: str) -> str:
    """The stem of a word as written: an Azerbaijani one (it has one of their letters) by the Turkish stemmer,
    before its diacritics are folded away (ə read as Turkish e), until no suffix is left."""
    lower = word.casefold()
    if TURKIC & set(lower):
        word, stemmer = lower.replace("ə", "e"), _stemmer("turkish")
        for _ in range(TURKISH_ROUNDS):  # Snowball's Turkish stemmer strips one layer of suffixes a call
            shorter = stemmer.stemWord(word)
            if shorter == word or len(shorter) < MIN_TURKISH_STEM:  # işgence, not işge
                break
            word = shorter
        return fold(word)
    return stem(fold(word))


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Every word of a text with its offsets; hyphens and apostrophes inside a word keep it whole."""
    return [(m.group(0), m.start(), m.end()) for m in WORD_SPAN.finditer(text)]


@lru_cache(maxsize=65_536)
def stems_of(text: str) -> frozenset[str]:
    """The stem of every word of a text, stop words included: for "does the sentence say this word" checks
    (kept for the sentences that recur from question to question)."""
    return frozenset(stem(fold(w)) for w in WORD_SPAN.findall(text))


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without diacritics: 'Məmmədli' and 'Mammadli' meet halfway."""
    # й is a letter of its own in Russian (the stemmer needs it), not и with a diacritic
    decomposed = unicodedata.normalize("NFKD", word.casefold().replace("й", "\0"))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return folded.replace("\0", "й").replace("ə", "a").replace("ı", "i")


OTHER_STOPWORDS = frozenset(fold(w) for w in _OTHER_STOPWORDS.split())


@lru_cache(maxsize=200_000)
def phonetic_key(word: str) -> str:
    """Soundex key of a name: spellings of one name (Tartar/Terter, Veliyev/Valiyev) share it."""
    import jellyfish

    folded = fold(word)
    if CYRILLIC.search(folded):
        from anyascii import anyascii

        folded = anyascii(folded).replace("'", "")
    ascii_word = folded.encode("ascii", "ignore").decode("ascii")
    if len(ascii_word) < MIN_PHONETIC_LEN or not ascii_word.isalpha():
        return ""
    return PHONETIC_PREFIX + jellyfish.soundex(ascii_word)


def phonetic_keys(word: str) -> list[str]:
    """The spelling-variant keys of a name: one, or for a Cyrillic name starting with г/х also the key of its
    h-spelling (Гикмет Гасанов, Hikmət Həsənov)."""
    keys = [phonetic_key(word)]
    if word[:1].casefold() in CYRILLIC_H:
        keys.append(phonetic_key("h" + fold(word)[1:]))
    return [k for k in dict.fromkeys(keys) if k]


def tokenize(text: str, phonetic: bool = True) -> list[str]:
    """Stemmed content words, plus a phonetic key for every capitalised word (a likely name).

    Keys are only made for capitalised words: a key for every word would make 'Tartar' match
    'torture', which shares its Soundex code.
    """
    words = WORD.findall(text)
    folded = [fold(w) for w in words]
    if all(w.isascii() for w in folded) and all(not (TURKIC & set(w.casefold())) for w in words):
        stems = _stemmer().stemWords([w for w in folded if w not in STOPWORDS])  # English only: one call
    else:
        stems = [word_stem(w) for w, f in zip(words, folded) if f not in STOPWORDS and f not in OTHER_STOPWORDS]
    if not phonetic:
        return stems
    keys = [k for w in words if w[:1].isupper() and fold(w) not in STOPWORDS and fold(w) not in OTHER_STOPWORDS
            for k in phonetic_keys(w)]
    return stems + keys


def idf(n_docs: int, doc_freq: int) -> float:
    """BM25's idf: log(1 + (N - df + 0.5) / (df + 0.5)); an unseen term gets the highest value."""
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
