"""Typed records that pass between the pipeline's steps."""

from __future__ import annotations

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


@dataclass(frozen=True)
class Source:
    """One article: its id, its text exactly as collected, and its metadata."""

    source_id: str
    body: str
    content_hash: str
    meta: SourceMeta = field(default_factory=SourceMeta)
    path: str = ""


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


@dataclass(frozen=True)
class Citation:
    n: int
    source_id: str
    title: str
    outlet: str
    date: str
    url: str


@dataclass(frozen=True)
class Quote:
    quote: str
    source_id: str
    start: int
    end: int
    citation: int
    score: float


@dataclass(frozen=True)
class Conflict:
    """Sources that state different figures or dates for what the question asks."""

    kind: str  # "number" or "date"
    values: dict[str, list[str]]  # source_id -> values stated in its quotes
    message: str


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

    def to_dict(self) -> dict:
        return asdict(self)
