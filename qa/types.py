"""Typed records that pass between the pipeline's steps."""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

import numpy as np


@dataclass(frozen=True)
class SourceMeta:
    title: str = ""
    outlet: str = ""
    date: str = ""
    url: str = ""
    language: str = ""
    author: str = ""
    collected: str = ""  # when the source was added to the collection (YYYY-MM-DD or an ISO time)


@dataclass(frozen=True)
class Source:
    """One article: its id, its text exactly as collected, and its metadata."""

    source_id: str
    body: str
    content_hash: str
    meta: SourceMeta = field(default_factory=SourceMeta)
    path: str = ""
    pages: tuple[int, ...] = ()  # a PDF's page map: the offset in `body` where each page starts

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding `offset`; None for a source without pages."""
        if not self.pages:
            return None
        return max(1, bisect.bisect_right(self.pages, offset))


class Span(NamedTuple):
    """A half-open character range [start, end) of a source body."""

    start: int
    end: int


@dataclass(frozen=True)
class SourceSegments:
    """What chunking makes of one source: sentence spans, and chunks as sentence ranges."""

    source_id: str
    sentences: list[Span]
    chunks: list[Span]
    chunk_sentences: list[tuple[int, int]]  # per chunk: [first, last) sentence index


class ChunkHit(NamedTuple):
    """A chunk found by one search; `key` is unique in the index ('<source_id>#<n>')."""

    key: str
    source_id: str
    start: int
    end: int
    score: float


class SentenceRecord(NamedTuple):
    """A sentence of a retrieved chunk, with the vector stored for it at indexing time."""

    chunk_key: str
    source_id: str
    start: int
    end: int
    vector: np.ndarray


@dataclass(frozen=True)
class Passage:
    source_id: str
    start: int
    end: int
    text: str
    score: float
    rank: int
    page: int | None = None  # sources with a page map (PDF): the page the passage starts on


@dataclass(frozen=True)
class Citation:
    n: int
    source_id: str
    title: str
    outlet: str
    date: str
    url: str
    language: str = ""  # the source's language (ISO 639-1): quotes stay in it, verbatim


@dataclass(frozen=True)
class Quote:
    quote: str
    source_id: str
    start: int
    end: int
    citation: int
    score: float
    whole: bool = True  # a whole sentence; False: part of one (the page shows an ellipsis)
    page: int | None = None  # sources with a page map (PDF): the page the quote starts on


@dataclass(frozen=True)
class ConflictRow:
    """One source's statement of a disputed figure: who says what, when, in which words."""

    source_id: str
    citation: int
    outlet: str
    date: str  # the article's date
    figures: list[str]  # as written ("eight", "November 1, 2021")
    values: list[str]  # normalised ("8", "2021-11-01")
    quote: str  # the sentence, body[start:end]
    start: int
    end: int
    attribution: str = ""  # whom the article says it comes from ("the Parliamentary Assembly of …")
    page: int | None = None  # sources with a page map (PDF): the page the sentence starts on


@dataclass(frozen=True)
class Conflict:
    """Sources that state different figures or dates for what the question asks."""

    kind: str  # what was asked: count, date, duration, age or identifier
    values: dict[str, list[str]]  # source_id -> normalised values it states for it
    message: str
    rows: list[ConflictRow] = field(default_factory=list)  # one per sentence, in the order of article dates


@dataclass(frozen=True)
class Answer:
    question: str
    abstained: bool
    answer: list[Quote]
    citations: list[Citation]
    passages: list[Passage]
    conflict: Conflict | None = None
    message: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    reason: str = ""  # why it abstained: never_mentioned, never_together, never_said, no_figure, no_name, no_mention,
    # weak_evidence, …
    uncovered_terms: list[str] = field(default_factory=list)  # question words the quotes (or the sources) lack
    limited_to: list[str] = field(default_factory=list)  # the source ids it was asked of; empty: every source
    language: str = ""  # the question's language (ISO 639-1)
    language_note: str = ""  # the question and the quotes are in different languages, or the model cannot bridge
    # a figure question whose quotes state no figure of the asked kind: what they lack ("date", "number"); the
    # quotes are then the closest the sources come, not the figure (answer.missing_figure_message says so)
    missing_figure: str = ""
    # a yes-or-no question about an event of someone named whose quotes never say it of them ("Was Mais Barkhudarov
    # arrested?"): the verb, then the names (answer.unsaid_message says so)
    unsaid: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)
