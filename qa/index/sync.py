"""Indexing: bring the index in line with the sources, embedding only what is new or changed."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import numpy as np

from ..chunking import chunk_source
from ..config import Config
from ..embedding import Embedder
from ..lexical import tokenize
from ..types import Source
from .base import Backend, IndexedSource, IndexInfo


@dataclass
class IndexReport:
    """What one indexing run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # unreadable now: their last indexed version stays
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
        if self.kept:
            parts.insert(3, f"{len(self.kept)} kept as indexed (unreadable: {', '.join(self.kept)})")
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


@dataclass
class SyncPlan:
    """What indexing will change, decided before anything is embedded (embedding is the slow part, and is
    done without holding the engine's lock; see `Engine._sync`)."""

    report: IndexReport
    to_embed: list[Source]
    remove: list[str]
    fresh: bool  # a new index is written (rebuild, no index yet, unreadable index, another model)

    @property
    def needed(self) -> bool:
        return bool(self.to_embed or self.remove or self.fresh)


def plan_sync(sources: list[Source], info: IndexInfo | None, problems: list[str], embedder: Embedder,
              rebuild: bool = False, keep: Collection[str] = ()) -> SyncPlan:
    """New and changed sources to embed, deleted ones to remove, or everything when another model or
    embedder variant (`Embedder.index_id`: torch, ONNX fp32 or int8 vectors never mix) built the index.

    `keep`: ids whose file is there but cannot be read now; an indexed one keeps its indexed version (a
    permission glitch or a half-copied file must not cost the article), except in a new index."""
    report = IndexReport()
    report.warnings.extend(problems)
    if rebuild:
        report.rebuilt = "asked for (--rebuild)"
    elif info is None and problems:
        report.rebuilt = "the index could not be read: " + "; ".join(problems)
    elif info is not None and (info.model_id != embedder.index_id or info.dim != embedder.dimension):
        report.rebuilt = (f"the index was built with {describe_index_id(info.model_id)} ({info.dim}-d), "
                          f"the configured embedder is {describe_index_id(embedder.index_id)} "
                          f"({embedder.dimension}-d)")
    fresh = bool(report.rebuilt) or info is None
    indexed = {} if fresh else dict(info.sources)
    current = {s.source_id: s for s in sources}
    to_embed = [s for s in sources if indexed.get(s.source_id) != s.content_hash]
    report.kept = sorted(sid for sid in keep if sid in indexed and sid not in current)
    report.removed = sorted(sid for sid in indexed if sid not in current and sid not in report.kept)
    report.added = [s.source_id for s in to_embed if s.source_id not in indexed]
    report.updated = [s.source_id for s in to_embed if s.source_id in indexed]
    report.unchanged = len(sources) - len(to_embed)
    report.warnings += [f"kept the indexed version of {sid}: its file cannot be read now" for sid in report.kept]
    if fresh and info is not None:
        report.warnings += [f"left {sid} out of the new index: its file cannot be read now"
                            for sid in sorted(keep) if sid in info.sources and sid not in current]
    return SyncPlan(report, to_embed, report.removed, fresh)


def commit_sync(plan: SyncPlan, new: list[IndexedSource], backend: Backend, embedder: Embedder) -> None:
    """Write the embedded sources and the removals into the backend, all at once."""
    plan.report.embedded_chunks = sum(len(s.segments.chunks) for s in new)
    plan.report.embedded_sentences = sum(len(s.segments.sentences) for s in new)
    backend.apply(embedder.index_id, embedder.dimension, add=new, remove=plan.remove, rebuild=plan.fresh)


def sync_index(sources: list[Source], backend: Backend, embedder: Embedder, config: Config,
               progress: bool = False, rebuild: bool = False, keep: Collection[str] = ()) -> IndexReport:
    """Embed new and changed sources, drop deleted ones, rebuild all on a model change (one caller, no lock)."""
    plan = plan_sync(sources, backend.info(), list(backend.problems), embedder, rebuild, keep)
    if plan.needed:
        new = embed_sources(plan.to_embed, embedder, config, progress) if plan.to_embed else []
        commit_sync(plan, new, backend, embedder)
    return plan.report
