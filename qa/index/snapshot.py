"""Snapshots of the FAISS backend's in-memory index: a large index loads from one folder, not every segment."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PREFIX = "snapshot-"
META, ARRAYS, VECTORS = "meta.json", "arrays.npz", "vectors.faiss"


@dataclass(frozen=True)
class Snapshot:
    """What a snapshot folder holds: per-source rows, concatenated spans, the BM25 arrays, the FAISS index."""

    meta: dict  # model_id, dim, next_id, sources: [[id, hash, segment, segment_bytes, first_id, chunks, sentences]]
    arrays: dict[str, np.ndarray]  # chunks, chunk_sentences, sentences, bm25_*
    vectors: object  # a faiss index as read back


def new_name() -> str:
    return PREFIX + uuid.uuid4().hex[:16]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(folder: Path, meta: dict, arrays: dict[str, np.ndarray], vectors) -> None:
    """Write into a temporary folder, fsync, then rename it to `folder`: a crash leaves no half snapshot."""
    import faiss

    temporary = folder.with_name("." + folder.name + ".tmp")
    shutil.rmtree(temporary, ignore_errors=True)
    temporary.mkdir(parents=True)
    try:
        (temporary / META).write_text(json.dumps(meta), encoding="utf-8")
        with open(temporary / ARRAYS, "wb") as fh:
            np.savez(fh, **arrays)
        faiss.write_index(vectors, str(temporary / VECTORS))
        for name in (META, ARRAYS, VECTORS):
            _fsync(temporary / name)
        os.replace(temporary, folder)
        _fsync(folder.parent)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def read_snapshot(folder: Path) -> Snapshot:
    import faiss

    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    with np.load(folder / ARRAYS, allow_pickle=False) as data:
        arrays = {name: data[name] for name in data.files}
    return Snapshot(meta, arrays, faiss.read_index(str(folder / VECTORS)))


def remove_snapshots(index_dir: Path, keep: str | None) -> None:
    """Delete every snapshot folder (and leftover temporary one) but `keep`."""
    for path in index_dir.glob(PREFIX + "*"):
        if path.name != keep and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
    for path in index_dir.glob("." + PREFIX + "*.tmp"):
        shutil.rmtree(path, ignore_errors=True)
