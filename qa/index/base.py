"""The retrieval-backend interface: what the engine needs from any index (FAISS, Milvus)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..types import ChunkHit, SentenceRecord, SourceSegments


class IndexError_(RuntimeError):
    """The index cannot be used as it is (corrupt, other model); the message says what to do."""


@dataclass(frozen=True)
class IndexedSource:
    """Everything indexing produced for one source: spans, vectors and lexical tokens."""

    source_id: str
    content_hash: str
    segments: SourceSegments
    chunk_vectors: np.ndarray  # (n_chunks, dim) float32, unit length
    sentence_vectors: np.ndarray  # (n_sentences, dim) float32, unit length
    chunk_tokens: list[list[str]]  # lexical tokens per chunk (see qa.lexical.tokenize)
    body: str = ""  # the source's text, for a backend that stores chunk texts; "" when not at hand


@dataclass(frozen=True)
class IndexInfo:
    model_id: str
    dim: int
    sources: dict[str, str]  # source_id -> content hash
    n_chunks: int
    n_sentences: int


def chunk_key(source_id: str, n: int) -> str:
    return f"{source_id}#{n}"


class Backend(Protocol):
    """One index of chunks and sentences. Implementations: faiss (default), milvus."""

    name: str
    problems: list[str]  # what could not be read when the index was last loaded, one message each

    def info(self) -> IndexInfo | None:
        """What is indexed, or None when there is no index yet."""

    def apply(self, model_id: str, dim: int, add: list[IndexedSource], remove: list[str],
              rebuild: bool = False) -> None:
        """Add (or replace) sources and remove others, all at once: a crash leaves the old index."""

    def search_dense(self, vector: np.ndarray, k: int, sources: Collection[str] | None = None) -> list[ChunkHit]:
        """The k chunks nearest to a unit-length query vector (inner product); with `sources`, the k nearest
        among the chunks of those sources (filtered inside the search, not after it)."""

    def search_lexical(self, tokens: list[str], k: int, sources: Collection[str] | None = None) -> list[ChunkHit]:
        """The k best chunks by BM25 over their lexical tokens (with `sources`: among those sources' chunks)."""

    def sentences(self, chunk_keys: list[str]) -> list[SentenceRecord]:
        """The sentences of these chunks, in chunk order, with their stored vectors."""

    def doc_freqs(self, tokens: list[str], sources: Collection[str] | None = None) -> tuple[int, dict[str, int]]:
        """(number of chunks, chunks containing each token), for idf weights; with `sources`, counted over
        those sources' chunks only."""

    def refresh_if_changed(self) -> bool:
        """Reload when another process changed the index; True if it did."""

    def describe(self) -> dict[str, object]:
        """What the index is made of (benchmarks, diagnostics)."""

    def close(self) -> None:
        """Release what the backend holds open (connections)."""
