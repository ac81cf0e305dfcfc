"""Moving a FAISS index into Milvus with the vectors it stored: nothing is embedded again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import Config
from ..files import writer_lock
from ..sources import load_sources
from .base import IndexedSource, IndexError_
from .faiss_backend import SEGMENTS, read_manifest, read_segment
from .milvus_backend import MilvusBackend

SOURCES_PER_BATCH = 200  # segments read into memory at a time


@dataclass(frozen=True)
class MigrationReport:
    model_id: str
    dim: int
    sources: int
    chunks: int
    sentences: int
    collection: str

    def summary(self) -> str:
        return (f"migrated {self.sources} sources ({self.chunks} chunks, {self.sentences} sentences, "
                f"{self.model_id}, {self.dim}-d) from FAISS into Milvus collection {self.collection}; "
                "nothing was re-embedded")


def faiss_segments(index_dir: Path, batch: int = SOURCES_PER_BATCH) -> tuple[dict, Iterator[list[IndexedSource]]]:
    """The FAISS manifest, and its segments in batches; a segment that cannot be read stops the migration
    (a partial copy would look complete)."""
    manifest = read_manifest(index_dir)
    if manifest is None:
        raise IndexError_(f"no FAISS index in {index_dir} (no manifest.json): run `qa index` first")
    dim = int(manifest["dim"])

    def batches() -> Iterator[list[IndexedSource]]:
        group: list[IndexedSource] = []
        for source_id, entry in sorted(manifest["sources"].items()):
            path = Path(index_dir) / SEGMENTS / str(entry.get("segment", ""))
            try:
                source = read_segment(path, source_id, dim)
            except (OSError, ValueError, KeyError, EOFError) as exc:
                raise IndexError_(f"FAISS segment of {source_id!r} is unusable ({exc}); run `qa index` "
                                  "on the FAISS index first, then migrate") from None
            if source.content_hash != entry.get("hash"):
                raise IndexError_(f"FAISS segment of {source_id!r} does not match its manifest; run `qa index` first")
            group.append(source)
            if len(group) >= batch:
                yield group
                group = []
        if group:
            yield group

    return manifest, batches()


def migrate_from_faiss(config: Config, faiss_dir: Path | None = None) -> MigrationReport:
    """Copy the FAISS index in `faiss_dir` (default: the configured index folder) into a new Milvus
    generation and point the alias at it: a failure half-way leaves the previous Milvus index answering.

    Milvus stores chunk texts too: they come from the sources folder where it holds the indexed version.
    A writer like any other: it holds the writer lock of the index folder."""
    with writer_lock(config.index_dir, config.writer_wait_s):
        return _migrate(config, faiss_dir)


def _migrate(config: Config, faiss_dir: Path | None) -> MigrationReport:
    manifest, batches = faiss_segments(Path(faiss_dir or config.index_dir))
    sources, _ = load_sources(config.sources_dir, config.max_source_bytes)
    bodies = {(s.source_id, s.content_hash): s.body for s in sources}
    counted = {"sources": 0, "chunks": 0, "sentences": 0}

    def counting() -> Iterator[list[IndexedSource]]:
        for group in batches:
            group = [replace(s, body=bodies.get((s.source_id, s.content_hash), "")) for s in group]
            counted["sources"] += len(group)
            counted["chunks"] += sum(len(s.segments.chunks) for s in group)
            counted["sentences"] += sum(len(s.segments.sentences) for s in group)
            yield group

    backend = MilvusBackend(config.replace(backend="milvus"))
    try:
        backend.build(str(manifest["model_id"]), int(manifest["dim"]), counting())
        collection = backend.describe()["collection"]
    finally:
        backend.close()
    return MigrationReport(str(manifest["model_id"]), int(manifest["dim"]), counted["sources"], counted["chunks"],
                           counted["sentences"], str(collection))
