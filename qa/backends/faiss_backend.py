"""The default backend: per-source segment files, a FAISS vector index and a BM25 index (bm25s)."""

from __future__ import annotations

import io
import json
import logging
import platform
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..sources import atomic_write_bytes
from ..types import SourceSegments, Span
from .base import ChunkHit, IndexedSource, IndexError_, IndexInfo, SentenceRecord, chunk_key

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
SEGMENTS = "segments"


def library_versions() -> dict[str, str]:
    import bm25s
    import faiss

    versions = {"python": platform.python_version(), "faiss": faiss.__version__, "bm25s": bm25s.__version__}
    try:
        import sentence_transformers
        import torch

        versions.update(sentence_transformers=sentence_transformers.__version__, torch=torch.__version__)
    except ImportError:
        pass
    return versions


def segment_name(source: IndexedSource) -> str:
    return f"{source.source_id}.{source.content_hash[:16]}.npz"


def write_segment(path: Path, source: IndexedSource) -> None:
    seg = source.segments
    buffer = io.BytesIO()
    np.savez(
        buffer,
        sentences=np.asarray(seg.sentences, dtype=np.int64).reshape(-1, 2),
        chunks=np.asarray(seg.chunks, dtype=np.int64).reshape(-1, 2),
        chunk_sentences=np.asarray(seg.chunk_sentences, dtype=np.int64).reshape(-1, 2),
        chunk_vectors=source.chunk_vectors,
        sentence_vectors=source.sentence_vectors,
        tokens=np.frombuffer(json.dumps(source.chunk_tokens).encode("utf-8"), dtype=np.uint8),
        content_hash=np.frombuffer(source.content_hash.encode("ascii"), dtype=np.uint8),
    )
    atomic_write_bytes(path, buffer.getvalue())


def read_segment(path: Path, source_id: str, dim: int) -> IndexedSource:
    with np.load(path, allow_pickle=False) as data:
        spans = lambda name: [Span(int(a), int(b)) for a, b in data[name]]  # noqa: E731
        segments = SourceSegments(
            source_id=source_id,
            sentences=spans("sentences"),
            chunks=spans("chunks"),
            chunk_sentences=[(int(a), int(b)) for a, b in data["chunk_sentences"]],
        )
        source = IndexedSource(
            source_id=source_id,
            content_hash=bytes(data["content_hash"]).decode("ascii"),
            segments=segments,
            chunk_vectors=np.ascontiguousarray(data["chunk_vectors"], dtype=np.float32),
            sentence_vectors=np.ascontiguousarray(data["sentence_vectors"], dtype=np.float32),
            chunk_tokens=json.loads(bytes(data["tokens"]).decode("utf-8")),
        )
    n_chunks, n_sentences = len(segments.chunks), len(segments.sentences)
    if source.chunk_vectors.shape != (n_chunks, dim) or source.sentence_vectors.shape != (n_sentences, dim):
        raise ValueError(f"vector shapes {source.chunk_vectors.shape}/{source.sentence_vectors.shape} "
                         f"do not match {n_chunks} chunks, {n_sentences} sentences of dimension {dim}")
    if len(source.chunk_tokens) != n_chunks:
        raise ValueError("token lists do not match the chunks")
    return source


@dataclass
class _State:
    """An immutable snapshot of the loaded index; searches read one, `apply` swaps in the next."""

    model_id: str
    dim: int
    sources: dict[str, IndexedSource]
    keys: list[str]
    chunk_source: list[str]
    chunk_spans: np.ndarray  # (n, 2)
    chunk_first_sentence: np.ndarray  # (n,) global row of each chunk's sentence range
    chunk_sentence_ranges: np.ndarray  # (n, 2) local sentence range within its source
    sentence_offset: dict[str, int]
    sentence_vectors: np.ndarray
    key_row: dict[str, int]
    vectors: object  # faiss index
    lexical: object  # bm25s.BM25 or None
    doc_freq: Counter
    n_sentences: int


def build_vector_index(vectors: np.ndarray, ann_threshold: int, hnsw_m: int, ef_search: int):
    """Exact inner-product search while small; HNSW once there are `ann_threshold` vectors or more."""
    import faiss

    dim = vectors.shape[1] if vectors.ndim == 2 else 0
    if len(vectors) >= ann_threshold:
        index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = max(40, 2 * hnsw_m)
        index.hnsw.efSearch = ef_search
    else:
        index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(vectors)
    return index


def build_lexical_index(token_lists: list[list[str]]):
    import bm25s

    if not token_lists:
        return None
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    bm25 = bm25s.BM25()
    bm25.index([tokens or [""] for tokens in token_lists], show_progress=False)
    return bm25


class FaissBackend:
    """Files under `index_dir`: manifest.json (written last, atomically) and one segment per source."""

    name = "faiss"

    def __init__(self, index_dir: Path, ann_threshold: int = 200_000, hnsw_m: int = 32,
                 hnsw_ef_search: int = 128) -> None:
        self.index_dir = Path(index_dir)
        self.ann_threshold = ann_threshold
        self.hnsw_m = hnsw_m
        self.hnsw_ef_search = hnsw_ef_search
        self.problems: list[str] = []
        self._state: _State | None = None
        self._manifest_mtime: float | None = None
        self.reload()

    # ---- loading -------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / MANIFEST

    def read_manifest(self) -> dict | None:
        path = self.manifest_path
        if not path.exists():
            return None
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT or not isinstance(manifest.get("sources"), dict):
                raise ValueError("unknown format")
            int(manifest["dim"])
            str(manifest["model_id"])
            return manifest
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexError_(f"the index manifest {path} is unreadable ({exc}); `qa index` rebuilds it") from None

    def reload(self) -> None:
        """Load the index from disk; segments that fail to load are reported and left out."""
        self.problems = []
        try:
            manifest = self.read_manifest()
        except IndexError_ as exc:
            self.problems.append(str(exc))
            self._state = None
            return
        self._manifest_mtime = self._mtime()
        if manifest is None:
            self._state = None
            return
        dim, sources = int(manifest["dim"]), {}
        for source_id, entry in manifest["sources"].items():
            path = self.index_dir / SEGMENTS / str(entry.get("segment", ""))
            try:
                source = read_segment(path, source_id, dim)
                if source.content_hash != entry.get("hash"):
                    raise ValueError("content hash differs from the manifest")
                sources[source_id] = source
            except (OSError, ValueError, KeyError, EOFError) as exc:
                self.problems.append(f"index segment of {source_id!r} is unusable ({exc}); it will be re-embedded")
        self._state = self._build_state(str(manifest["model_id"]), dim, sources)

    def refresh_if_changed(self) -> bool:
        """Reload when another process wrote a new manifest; True if it did."""
        if self._mtime() != self._manifest_mtime:
            self.reload()
            return True
        return False

    def _mtime(self) -> float | None:
        try:
            return self.manifest_path.stat().st_mtime_ns
        except OSError:
            return None

    def _build_state(self, model_id: str, dim: int, sources: dict[str, IndexedSource]) -> _State:
        keys, chunk_source, spans, first, ranges, tokens = [], [], [], [], [], []
        sentence_offset, sentence_blocks, n_sentences = {}, [], 0
        for source_id in sorted(sources):
            source = sources[source_id]
            seg = source.segments
            sentence_offset[source_id] = n_sentences
            for n, (span, (lo, hi)) in enumerate(zip(seg.chunks, seg.chunk_sentences)):
                keys.append(chunk_key(source_id, n))
                chunk_source.append(source_id)
                spans.append(span)
                first.append(n_sentences + lo)
                ranges.append((lo, hi))
            tokens.extend(source.chunk_tokens)
            sentence_blocks.append(source.sentence_vectors)
            n_sentences += len(seg.sentences)
        chunk_vectors = (np.concatenate([sources[s].chunk_vectors for s in sorted(sources)])
                         if sources else np.zeros((0, dim), np.float32))
        doc_freq: Counter = Counter()
        for chunk_tokens in tokens:
            doc_freq.update(set(chunk_tokens))
        return _State(
            model_id=model_id,
            dim=dim,
            sources=sources,
            keys=keys,
            chunk_source=chunk_source,
            chunk_spans=np.asarray(spans, dtype=np.int64).reshape(-1, 2),
            chunk_first_sentence=np.asarray(first, dtype=np.int64),
            chunk_sentence_ranges=np.asarray(ranges, dtype=np.int64).reshape(-1, 2),
            sentence_offset=sentence_offset,
            sentence_vectors=(np.concatenate(sentence_blocks) if sentence_blocks
                              else np.zeros((0, dim), np.float32)),
            key_row={key: row for row, key in enumerate(keys)},
            vectors=build_vector_index(chunk_vectors, self.ann_threshold, self.hnsw_m, self.hnsw_ef_search),
            lexical=build_lexical_index(tokens),
            doc_freq=doc_freq,
            n_sentences=n_sentences,
        )

    # ---- the Backend interface -----------------------------------------------------------------

    def info(self) -> IndexInfo | None:
        state = self._state
        if state is None:
            return None
        return IndexInfo(
            model_id=state.model_id,
            dim=state.dim,
            sources={sid: src.content_hash for sid, src in state.sources.items()},
            n_chunks=len(state.keys),
            n_sentences=state.n_sentences,
        )

    def apply(self, model_id: str, dim: int, add: list[IndexedSource], remove: list[str],
              rebuild: bool = False) -> None:
        state = self._state
        keep = {} if (rebuild or state is None) else dict(state.sources)
        for source_id in remove:
            keep.pop(source_id, None)
        segments_dir = self.index_dir / SEGMENTS
        segments_dir.mkdir(parents=True, exist_ok=True)
        for source in add:
            write_segment(segments_dir / segment_name(source), source)
            keep[source.source_id] = source
        manifest = {
            "format": FORMAT,
            "model_id": model_id,
            "dim": dim,
            "versions": library_versions(),
            "sources": {
                sid: {"hash": src.content_hash, "segment": segment_name(src),
                      "chunks": len(src.segments.chunks), "sentences": len(src.segments.sentences)}
                for sid, src in sorted(keep.items())
            },
        }
        atomic_write_bytes(self.manifest_path, (json.dumps(manifest, indent=1) + "\n").encode("utf-8"))
        self._manifest_mtime = self._mtime()
        self._state = self._build_state(model_id, dim, keep)
        self._remove_unreferenced(segments_dir, {entry["segment"] for entry in manifest["sources"].values()})

    @staticmethod
    def _remove_unreferenced(segments_dir: Path, referenced: set[str]) -> None:
        for path in segments_dir.iterdir():
            if path.name not in referenced and (path.suffix == ".npz" or path.name.endswith(".tmp")):
                path.unlink(missing_ok=True)

    def search_dense(self, vector: np.ndarray, k: int) -> list[ChunkHit]:
        state = self._state
        if state is None or not state.keys:
            return []
        scores, rows = state.vectors.search(np.asarray(vector, np.float32).reshape(1, -1), min(k, len(state.keys)))
        return [self._hit(state, int(r), float(s)) for s, r in zip(scores[0], rows[0]) if r >= 0]

    def search_lexical(self, tokens: list[str], k: int) -> list[ChunkHit]:
        state = self._state
        if state is None or state.lexical is None or not tokens:
            return []
        scores = state.lexical.get_scores(tokens)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self._hit(state, int(r), float(scores[r])) for r in top if scores[r] > 0]

    def sentences(self, chunk_keys: list[str]) -> list[SentenceRecord]:
        state = self._state
        if state is None:
            return []
        records = []
        for key in chunk_keys:
            row = state.key_row.get(key)
            if row is None:
                continue
            source_id = state.chunk_source[row]
            lo, hi = state.chunk_sentence_ranges[row]
            spans = state.sources[source_id].segments.sentences
            base = state.sentence_offset[source_id]
            for local in range(int(lo), int(hi)):
                start, end = spans[local]
                records.append(SentenceRecord(key, source_id, start, end, state.sentence_vectors[base + local]))
        return records

    def doc_freqs(self, tokens: list[str]) -> tuple[int, dict[str, int]]:
        state = self._state
        if state is None:
            return 0, {}
        return len(state.keys), {t: state.doc_freq.get(t, 0) for t in tokens}

    @staticmethod
    def _hit(state: _State, row: int, score: float) -> ChunkHit:
        start, end = state.chunk_spans[row]
        return ChunkHit(state.keys[row], state.chunk_source[row], int(start), int(end), score)
