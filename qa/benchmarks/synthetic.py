"""Synthetic corpora for the scale benchmarks: vectors around real seed vectors, texts from a Zipf vocabulary.

Vectors: a two-level Gaussian mixture on the unit sphere around the real vectors of the seed corpus (its
chunks and sentences, embedded by the configured model). Each source picks a topic; a topic is a seed
vector plus noise (cosine ≈ 0.7 to it); a chunk is its topic plus noise (≈ 0.7); a sentence is its
chunk plus less noise (≈ 0.8). So the real questions land near real clusters, and nearest neighbours are
neither trivial (one tight cluster) nor meaningless (uniform noise), which is what ANN recall needs.

Texts: sentences of words drawn from a Zipf law (s = 1.07) over the seed corpus's own words followed by
made-up words, 50,000 in all, so BM25 postings are as skewed as in real text. Tokens come from
`qa.lexical.tokenize` per word, so the lexical index sees what it would see for such text.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from itertools import chain
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from ..index.base import IndexedSource
from ..lexical import WORD, tokenize
from ..types import Source, SourceMeta, SourceSegments, Span

VOCABULARY_SIZE = 50_000
ZIPF_EXPONENT = 1.07
WORDS_PER_SENTENCE = 35  # ≈ 230 characters: three sentences make a chunk of the usual ≈ 700
TOPIC_NOISE, CHUNK_NOISE, SENTENCE_NOISE = 1.0, 1.0, 0.75  # norm of the noise added at each level
CHUNKS_PER_TOPIC = 100
SYLLABLES = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]


@dataclass(frozen=True)
class Shape:
    """How a synthetic corpus is laid out."""

    n_chunks: int
    chunks_per_source: int = 10
    sentences_per_chunk: int = 3
    seed: int = 0

    @property
    def n_sources(self) -> int:
        return math.ceil(self.n_chunks / self.chunks_per_source)

    def source_id(self, n: int) -> str:
        return f"syn{n:07d}"  # zero-padded: sorted order is generation order, so chunk ids are 0..N-1


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def noisy(centres: np.ndarray, size: float, rng: np.random.Generator) -> np.ndarray:
    """Unit vectors at a Gaussian offset of expected norm `size` from each centre."""
    dim = centres.shape[1]
    noise = rng.standard_normal(centres.shape, dtype=np.float32) * np.float32(size / math.sqrt(dim))
    return unit(centres + noise)


class Vocabulary:
    """Words by Zipf rank (the seed corpus's words first, then made-up ones) and each word's tokens."""

    def __init__(self, seed_texts: list[str], size: int = VOCABULARY_SIZE, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        counts: dict[str, int] = {}
        for text in seed_texts:
            for word in WORD.findall(text):
                counts[word] = counts.get(word, 0) + 1
        words = sorted(counts, key=lambda w: -counts[w])[:size]
        seen = set(words)
        while len(words) < size:
            word = "".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 5))))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = words
        self.tokens = [tokenize(w) for w in words]
        ranks = np.arange(1, size + 1, dtype=np.float64)
        weights = ranks ** -ZIPF_EXPONENT
        self.cumulative = np.cumsum(weights / weights.sum())

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return np.minimum(np.searchsorted(self.cumulative, rng.random(n)), len(self.words) - 1)


def vector_blocks(shape: Shape, seed_vectors: np.ndarray | None, block_sources: int = 2_000
                  ) -> Iterator[tuple[range, np.ndarray | None, np.ndarray | None]]:
    """(sources, their chunk vectors, their sentence vectors) for consecutive blocks of sources."""
    rng = np.random.default_rng(shape.seed)
    n_topics = max(1, shape.n_chunks // CHUNKS_PER_TOPIC)
    if seed_vectors is not None:
        topics = noisy(seed_vectors[rng.integers(len(seed_vectors), size=n_topics)], TOPIC_NOISE, rng)
        source_topic = rng.integers(n_topics, size=shape.n_sources)
    for first in range(0, shape.n_sources, block_sources):
        sources = range(first, min(first + block_sources, shape.n_sources))
        if seed_vectors is None:
            yield sources, None, None
            continue
        n_chunks = min(sources.stop * shape.chunks_per_source, shape.n_chunks) - first * shape.chunks_per_source
        chunk_topic = np.repeat(source_topic[sources.start:sources.stop], shape.chunks_per_source)[:n_chunks]
        chunks = noisy(topics[chunk_topic], CHUNK_NOISE, rng)
        sentences = noisy(np.repeat(chunks, shape.sentences_per_chunk, axis=0), SENTENCE_NOISE, rng)
        yield sources, chunks, sentences


def held_out_queries(shape: Shape, seed_vectors: np.ndarray, n: int) -> np.ndarray:
    """Query vectors from the same mixture as the corpus (another random stream: not in it)."""
    rng = np.random.default_rng(shape.seed + 1_000_003)
    n_topics = max(1, shape.n_chunks // CHUNKS_PER_TOPIC)
    topics = noisy(seed_vectors[rng.integers(len(seed_vectors), size=n_topics)], TOPIC_NOISE, rng)
    return noisy(topics[rng.integers(n_topics, size=n)], CHUNK_NOISE, rng)


class SyntheticSource(NamedTuple):
    source: Source
    segments: SourceSegments
    tokens: list[list[str]]
    indexed: IndexedSource | None  # None when generated without vectors


def synthetic_sources(shape: Shape, vocabulary: Vocabulary, seed_vectors: np.ndarray | None
                      ) -> Iterator[SyntheticSource]:
    """Every source of the corpus in id order, with what indexing would have made of it (vectors only
    when `seed_vectors` are given)."""
    text_rng = np.random.default_rng(shape.seed + 7)
    for sources, chunk_vectors, sentence_vectors in vector_blocks(shape, seed_vectors):
        for n in sources:
            n_chunks = min(shape.chunks_per_source, shape.n_chunks - n * shape.chunks_per_source)
            source, segments, tokens = _text(shape.source_id(n), n_chunks, shape.sentences_per_chunk, vocabulary,
                                             text_rng)
            indexed = None
            if chunk_vectors is not None:
                c0 = (n - sources.start) * shape.chunks_per_source
                s0 = c0 * shape.sentences_per_chunk
                indexed = IndexedSource(
                    source_id=source.source_id,
                    content_hash=source.content_hash,
                    segments=segments,
                    chunk_vectors=np.ascontiguousarray(chunk_vectors[c0:c0 + n_chunks]),
                    sentence_vectors=np.ascontiguousarray(
                        sentence_vectors[s0:s0 + n_chunks * shape.sentences_per_chunk]),
                    chunk_tokens=tokens,
                )
            yield SyntheticSource(source, segments, tokens, indexed)


def all_chunk_vectors(shape: Shape, seed_vectors: np.ndarray) -> np.ndarray:
    """All chunk vectors of the corpus in id order (the same ones `synthetic_sources` makes)."""
    return np.concatenate([chunks for _, chunks, _ in vector_blocks(shape, seed_vectors)])


def _text(source_id: str, n_chunks: int, sentences_per_chunk: int, vocabulary: Vocabulary,
          rng: np.random.Generator) -> tuple[Source, SourceSegments, list[list[str]]]:
    words = vocabulary.draw(n_chunks * sentences_per_chunk * WORDS_PER_SENTENCE, rng)
    parts, sentences, chunks, chunk_sentences, tokens = [], [], [], [], []
    at = 0
    for c in range(n_chunks):
        chunk_start, chunk_tokens = at, []
        for s in range(sentences_per_chunk):
            row = c * sentences_per_chunk + s
            picked = words[row * WORDS_PER_SENTENCE:(row + 1) * WORDS_PER_SENTENCE].tolist()
            text = " ".join([vocabulary.words[w] for w in picked]) + "."
            chunk_tokens.extend(chain.from_iterable([vocabulary.tokens[w] for w in picked]))
            if parts:
                parts.append(" ")
                at += 1
            if s == 0:
                chunk_start = at
            sentences.append(Span(at, at + len(text)))
            parts.append(text)
            at += len(text)
        chunks.append(Span(chunk_start, at))
        chunk_sentences.append((c * sentences_per_chunk, (c + 1) * sentences_per_chunk))
        tokens.append(chunk_tokens)
    body = "".join(parts)
    source = Source(source_id, body, hashlib.sha256(body.encode("utf-8")).hexdigest(),
                    SourceMeta(title=f"Synthetic article {source_id}", outlet="synthetic"))
    return source, SourceSegments(source_id, sentences, chunks, chunk_sentences), tokens
