"""Retrieval: dense and lexical chunk search, fused by reciprocal rank fusion."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .index.base import Backend
from .types import ChunkHit


def reciprocal_rank_fusion(rankings: list[list[str]], k: int = 60,
                           weights: list[float] | None = None) -> dict[str, float]:
    """Weighted RRF (Cormack et al., 2009): score(d) = sum over rankings r of w_r / (k + rank_r(d)), ranks
    from 1, w_r = 1 unless given."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    return fused


@dataclass(frozen=True)
class Retrieved:
    """Fused passages, best first, with the per-method rankings kept for evaluation."""

    hits: list[ChunkHit]  # score = fused RRF score
    dense: list[ChunkHit]
    lexical: list[ChunkHit]
    timings_ms: dict[str, float] = field(default_factory=dict)  # search_dense, search_lexical, search_fusion


class Retriever(Protocol):
    """`retrieve`'s signature: what the engine searches with (a benchmark swaps in Milvus' own fusion)."""

    def __call__(self, backend: Backend, vector: np.ndarray | None, tokens: list[str], dense_k: int,
                 lexical_k: int, rrf_k: int, limit: int, lexical_weight: float = 1.0,
                 sources: Collection[str] | None = None) -> Retrieved: ...


def retrieve(backend: Backend, vector: np.ndarray | None, tokens: list[str], dense_k: int, lexical_k: int,
             rrf_k: int, limit: int, lexical_weight: float = 1.0, sources: Collection[str] | None = None) -> Retrieved:
    """Search with each enabled method (vector None: no dense; tokens empty: no lexical) and fuse; with
    `sources`, each search looks only at those sources' chunks.

    The dense and lexical weights are 2 - lexical_weight and lexical_weight: their sum stays 2, so fused
    scores keep the scale of plain RRF whatever the balance."""
    start = time.perf_counter()
    dense = backend.search_dense(vector, dense_k, sources) if vector is not None else []
    after_dense = time.perf_counter()
    lexical = backend.search_lexical(tokens, lexical_k, sources) if tokens else []
    after_lexical = time.perf_counter()
    by_key = {hit.key: hit for hit in lexical + dense}
    fused = reciprocal_rank_fusion([[h.key for h in dense], [h.key for h in lexical]], rrf_k,
                                   [2.0 - lexical_weight, lexical_weight])
    order = sorted(fused, key=lambda key: -fused[key])[:limit]
    hits = [by_key[key]._replace(score=fused[key]) for key in order]
    end = time.perf_counter()
    timings = {"search_dense": after_dense - start, "search_lexical": after_lexical - after_dense,
               "search_fusion": end - after_lexical}
    return Retrieved(hits=hits, dense=dense, lexical=lexical,
                     timings_ms={name: round(seconds * 1000, 3) for name, seconds in timings.items()})
