"""Lexical analysis: word tokens, stems and spelling-variant keys, shared by every backend."""

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


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The Snowball stem of one folded word (as `tokenize` makes them)."""
    return _stemmer().stemWord(word)


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Every word of a text with its offsets; hyphens and apostrophes inside a word keep it whole."""
    return [(m.group(0), m.start(), m.end()) for m in WORD_SPAN.finditer(text)]


@lru_cache(maxsize=200_000)
def fold(word: str) -> str:
    """Lower case without diacritics: 'Məmmədli' and 'Mammadli' meet halfway."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ə", "a")


@lru_cache(maxsize=200_000)
def phonetic_key(word: str) -> str:
    """Soundex key of a name: spellings of one name (Tartar/Terter, Veliyev/Valiyev) share it."""
    import jellyfish

    ascii_word = fold(word).encode("ascii", "ignore").decode("ascii")
    if len(ascii_word) < MIN_PHONETIC_LEN or not ascii_word.isalpha():
        return ""
    return PHONETIC_PREFIX + jellyfish.soundex(ascii_word)


def tokenize(text: str, phonetic: bool = True) -> list[str]:
    """Stemmed content words, plus a phonetic key for every capitalised word (a likely name).

    Keys are only made for capitalised words: a key for every word would make 'Tartar' match
    'torture', which shares its Soundex code.
    """
    words = WORD.findall(text)
    folded = [fold(w) for w in words]
    stems = _stemmer().stemWords([w for w in folded if w not in STOPWORDS])
    if not phonetic:
        return stems
    keys = [phonetic_key(w) for w in words if w[:1].isupper() and fold(w) not in STOPWORDS]
    return stems + [k for k in keys if k]


def idf(n_docs: int, doc_freq: int) -> float:
    """BM25's idf: log(1 + (N - df + 0.5) / (df + 0.5)); an unseen term gets the highest value."""
    return math.log(1.0 + (n_docs - doc_freq + 0.5) / (doc_freq + 0.5))


def coverage(query_tokens: list[str], text_tokens: set[str], weights: dict[str, float]) -> float:
    """Share of the query's idf mass found in a text: sum(idf(t), t in q ∩ s) / sum(idf(t), t in q)."""
    unique = set(query_tokens)
    total = sum(weights.get(t, 0.0) for t in unique)
    if total <= 0:
        return 0.0
    return sum(weights.get(t, 0.0) for t in unique if t in text_tokens) / total
