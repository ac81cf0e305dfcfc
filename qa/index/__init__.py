"""Storage: the index of chunks and sentences behind one interface (`base.Backend`), kept in line with the
sources by `sync`; `open_backend` opens the configured one."""

from __future__ import annotations

from ..config import Config
from .base import Backend
from .faiss_backend import FaissBackend
from .milvus_backend import MilvusBackend  # pymilvus itself is imported when a connection is made

BACKENDS = ("faiss", "milvus")


def open_backend(config: Config) -> Backend:
    if config.backend == "faiss":
        return FaissBackend.from_config(config)
    if config.backend == "milvus":
        return MilvusBackend(config)
    raise ValueError(f"unknown backend {config.backend!r}; choose one of {', '.join(BACKENDS)}")
