"""Retrieval backends behind one interface; `open_backend` picks one from the configuration."""

from __future__ import annotations

from ..config import Config
from .base import Backend, ChunkHit, IndexedSource, IndexError_, IndexInfo, SentenceRecord, chunk_key

__all__ = ["Backend", "ChunkHit", "IndexedSource", "IndexError_", "IndexInfo", "SentenceRecord",
           "chunk_key", "open_backend", "BACKENDS"]

BACKENDS = ("faiss", "milvus")


def open_backend(config: Config) -> Backend:
    if config.backend == "faiss":
        from .faiss_backend import FaissBackend

        return FaissBackend(config.index_dir, config.ann_threshold, config.hnsw_m, config.hnsw_ef_search,
                            ann_index=config.ann_index, ivf_nlist=config.ivf_nlist, ivf_nprobe=config.ivf_nprobe)
    if config.backend == "milvus":
        from .milvus_backend import MilvusBackend  # optional dependency: pymilvus, milvus-lite

        return MilvusBackend(config)
    raise ValueError(f"unknown backend {config.backend!r}; choose one of {', '.join(BACKENDS)}")
