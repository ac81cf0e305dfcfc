"""Indexing: bring the index in line with the sources, embedding only what is new or changed."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..chunking import chunk_source
from ..config import Config
from ..embedding import Embedder
from ..lexical import tokenize
from ..types import Source
from .base import Backend, IndexedSource


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded_chunks: int = 0
    embedded_sentences: int = 0
    rebuilt: str = ""  # why everything was re-embedded, if it was
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.rebuilt)

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.removed)} removed",
                 f"{self.unchanged} unchanged", f"{self.embedded_chunks} chunks and "
                 f"{self.embedded_sentences} sentences embedded"]
        text = "index: " + ", ".join(parts)
        return (f"full rebuild: {self.rebuilt}\n" if self.rebuilt else "") + text


def embed_sources(sources: list[Source], embedder: Embedder, config: Config,
                  progress: bool = False) -> list[IndexedSource]:
    """Chunk every source, then embed all chunks and sentences in large batches."""
    segments = [
        chunk_source(s.source_id, s.body, config.chunk_chars, config.chunk_overlap_sentences,
                     config.max_sentence_chars)
        for s in sources
    ]
    chunk_texts = [s.body[a:b] for s, seg in zip(sources, segments) for a, b in seg.chunks]
    sentence_texts = [s.body[a:b] for s, seg in zip(sources, segments) for a, b in seg.sentences]
    vectors = embedder.encode_passages(chunk_texts + sentence_texts, progress=progress, desc="embedding")
    chunk_vectors, sentence_vectors = vectors[: len(chunk_texts)], vectors[len(chunk_texts):]
    indexed, c, s_ = [], 0, 0
    for source, seg in zip(sources, segments):
        nc, ns = len(seg.chunks), len(seg.sentences)
        indexed.append(IndexedSource(
            source_id=source.source_id,
            content_hash=source.content_hash,
            segments=seg,
            chunk_vectors=np.ascontiguousarray(chunk_vectors[c:c + nc]),
            sentence_vectors=np.ascontiguousarray(sentence_vectors[s_:s_ + ns]),
            chunk_tokens=[tokenize(source.body[a:b], config.use_phonetic) for a, b in seg.chunks],
            body=source.body,
        ))
        c, s_ = c + nc, s_ + ns
    return indexed


def describe_index_id(index_id: str) -> str:
    """'model M on torch' / 'model M on onnx-int8' for an index id (`Embedder.index_id`)."""
    model, _, variant = index_id.partition("@")
    return f"model {model!r} on {variant or 'torch'}"


def sync_index(sources: list[Source], backend: Backend, embedder: Embedder, config: Config,
               progress: bool = False, rebuild: bool = False) -> IndexReport:
    """Embed new and changed sources, drop deleted ones, rebuild all when another model or embedder
    variant (`Embedder.index_id`: torch, ONNX fp32 or int8 vectors never mix) built the index."""
    report = IndexReport()
    info = backend.info()
    problems = list(backend.problems)
    report.warnings.extend(problems)
    if rebuild:
        report.rebuilt = "asked for (--rebuild)"
    elif info is None and problems:
        report.rebuilt = "the index could not be read: " + "; ".join(problems)
    elif info is not None and (info.model_id != embedder.index_id or info.dim != embedder.dimension):
        report.rebuilt = (f"the index was built with {describe_index_id(info.model_id)} ({info.dim}-d), "
                          f"the configured embedder is {describe_index_id(embedder.index_id)} "
                          f"({embedder.dimension}-d)")
    indexed = {} if (report.rebuilt or info is None) else dict(info.sources)
    current = {s.source_id: s for s in sources}
    to_embed = [s for s in sources if indexed.get(s.source_id) != s.content_hash]
    report.removed = sorted(sid for sid in indexed if sid not in current)
    report.added = [s.source_id for s in to_embed if s.source_id not in indexed]
    report.updated = [s.source_id for s in to_embed if s.source_id in indexed]
    report.unchanged = len(sources) - len(to_embed)
    if not (to_embed or report.removed or report.rebuilt) and info is not None:
        return report
    new = embed_sources(to_embed, embedder, config, progress) if to_embed else []
    report.embedded_chunks = sum(len(s.segments.chunks) for s in new)
    report.embedded_sentences = sum(len(s.segments.sentences) for s in new)
    backend.apply(embedder.index_id, embedder.dimension, add=new, remove=report.removed,
                  rebuild=bool(report.rebuilt) or info is None)
    return report
