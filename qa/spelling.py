"""Name spellings: how the sources spell each name (Tartar/Terter, Hikmet/Hikmat), so that a question's names
can be searched in the spelling the sources use most, whichever one the user typed."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jellyfish

from .files import atomic_write_bytes
from .lexical import STOPWORDS, WORD_SPAN, fold, phonetic_key

MIN_CONSONANTS = 3  # a shorter skeleton is shared by unrelated words (Marry/Maria "mr", Mallee/Mail "ml")
MIN_SIMILARITY = 0.75  # Jaro-Winkler of the folded spellings: Tartar/Terter 0.80, Hikmet/Hikmat 0.93
SAVED_FORMAT = 1  # raise it when the counting changes: older saved counts are then counted again
POSSESSIVE = re.compile(r"^(.*?)((?:['’]s)?)$", re.S)
CAPITALISED = re.compile(r"^[A-ZÀ-ÖØ-ÞƏĞİÖÜÇŞ][\w’'-]*$")


def skeleton(word: str) -> str:
    """The consonants of a word, a doubled letter once: spellings of one name differ in their vowels
    (Tartar/Terter, Hikmet/Hikmat, Valiyev/Veliyev, Allahverdiev/Allahverdiyev), other words do not
    (Islands/Islamic share a Soundex key, not their consonants)."""
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouy]", "", word.lower()))


def _words_of(text: str) -> tuple[Counter, list[str]]:
    """(capitalised words with their counts, lower-case words) of one source text; each word is looked at
    once however often the text uses it (an archive of a million chunks has a hundred million words)."""
    words = Counter(WORD_SPAN.findall(text))
    return Counter({w: n for w, n in words.items() if w[0].isupper() and CAPITALISED.match(w)
                    and fold(w) not in STOPWORDS}), [w for w in words if w.islower()]


@dataclass
class NameSpellings:
    """Per spelling-variant key, how often the sources use each spelling of the capitalised words.

    Kept up to date by `updated` (only the texts added, removed or changed are read): counting every text
    again, or keeping each text's words to do so, cost 83 s and 5.7 GB on the first question at 1M chunks."""

    counts: dict[str, Counter] = field(default_factory=dict)
    common: Counter = field(default_factory=Counter)  # words also written in lower case: not names (-> texts)

    @classmethod
    def of_texts(cls, texts: list[str]) -> "NameSpellings":
        spellings = cls()
        for text in texts:
            spellings.add(text)
        return spellings

    def add(self, text: str, sign: int = 1) -> None:
        """Count `text` in (`sign` -1: out again)."""
        names, lower = _words_of(text)
        if sign > 0:
            self.common.update(lower)
        else:
            _count(self.common, dict.fromkeys(lower, 1), sign)
        for word, n in names.items():
            key = phonetic_key(word)
            if key:
                _count(self.counts.setdefault(key, Counter()), {word: n}, sign)
                if not self.counts[key]:
                    del self.counts[key]

    def updated(self, before: dict[str, str], after: dict[str, str]) -> "NameSpellings":
        """A copy counted on the texts `after` (id -> text), given that this one was counted on `before`."""
        copy = NameSpellings({key: Counter(words) for key, words in self.counts.items()}, Counter(self.common))
        for text_id, text in before.items():
            if after.get(text_id) != text:
                copy.add(text, -1)
        for text_id, text in after.items():
            if before.get(text_id) != text:
                copy.add(text)
        return copy

    def variants(self, word: str) -> list[str]:
        """The sources' spellings of `word`: same key, same first letter, same consonants, alike; most used
        first."""
        key = phonetic_key(word)
        if not key or key not in self.counts:
            return []
        folded = fold(word)
        found = [(n, w) for w, n in self.counts[key].items()
                 if w.lower() not in self.common and fold(w)[:1] == folded[:1]
                 and skeleton(fold(w)) == skeleton(folded) and len(skeleton(folded)) >= MIN_CONSONANTS
                 and jellyfish.jaro_winkler_similarity(fold(w), folded) >= MIN_SIMILARITY]
        return [w for _, w in sorted(found, key=lambda item: (-item[0], item[1]))]

    def in_source_spelling(self, text: str) -> str:
        """`text` with each capitalised word replaced by the sources' most used spelling of it."""
        def replace(match: re.Match) -> str:
            word, suffix = POSSESSIVE.match(match.group(0)).groups()
            if not CAPITALISED.match(word) or fold(word) in STOPWORDS:
                return match.group(0)
            variants = self.variants(word)
            return (variants[0] if variants else word) + suffix
        return re.sub(r"[^\W\d_][\w’'-]*", replace, text)

    def respelled(self, text: str) -> str:
        """`text` with its names in another spelling the sources use (Terter -> Tartar, Tartar -> Terter);
        unchanged when the sources spell none of them two ways. For checking that the answer does not
        depend on the spelling."""
        def replace(match: re.Match) -> str:
            word, suffix = POSSESSIVE.match(match.group(0)).groups()
            if not CAPITALISED.match(word) or fold(word) in STOPWORDS:
                return match.group(0)
            others = [v for v in self.variants(word) if fold(v) != fold(word)]
            return (others[0] if others else word) + suffix
        return re.sub(r"[^\W\d_][\w’'-]*", replace, text)


def _count(counter: Counter, items: dict[str, int], sign: int) -> None:
    """Add (sign 1) or take away (-1) `items`; a count that reaches 0 is removed, so `in` means used."""
    for item, n in items.items():
        left = counter[item] + sign * n
        if left > 0:
            counter[item] = left
        else:
            counter.pop(item, None)


@dataclass
class SavedSpellings:
    """Name spellings as saved beside the index, with the texts they were counted on (id -> content hash)."""

    spellings: NameSpellings
    counted: dict[str, str]


def save_spellings(path: Path, spellings: NameSpellings, counted: Mapping[str, str]) -> None:
    """Write the counts and what they were counted on (atomically: a reader sees the old file or the new)."""
    data = {"format": SAVED_FORMAT, "counted": dict(counted), "counts": spellings.counts,
            "common": spellings.common}
    # ASCII: a text may hold a lone surrogate (an odd file, read as it was), which UTF-8 cannot encode
    atomic_write_bytes(path, json.dumps(data, separators=(",", ":")).encode("ascii"))


def load_spellings(path: Path) -> SavedSpellings | None:
    """The saved counts, or None when there are none that this version wrote (missing, unreadable, older)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != SAVED_FORMAT:
            return None
        counts = {key: Counter(words) for key, words in data["counts"].items()}
        return SavedSpellings(NameSpellings(counts, Counter(data["common"])), dict(data["counted"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def current_spellings(saved: SavedSpellings | None, texts: Mapping[str, str], hashes: Mapping[str, str]
                      ) -> NameSpellings:
    """The counts for `texts` (id -> text, with their content `hashes`): the saved ones plus the texts added
    since (added to `saved.spellings` in place: it is read for this call only); counted again when a text
    they were counted on changed or went (its words are not kept)."""
    if saved is None or any(hashes.get(text_id) != digest for text_id, digest in saved.counted.items()):
        return NameSpellings.of_texts(list(texts.values()))
    spellings = saved.spellings
    for text_id in texts.keys() - saved.counted.keys():
        spellings.add(texts[text_id])
    return spellings
