"""The default backend: per-source segment files, a FAISS vector index and an incremental BM25 index."""

from __future__ import annotations

import bisect
import hashlib
import io
import json
import logging
import os
import platform
import uuid
import zipfile
from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..files import STALE_TEMPORARY_S, atomic_write_bytes, remove_stale_files
from ..types import ChunkHit, SentenceRecord, SourceSegments, Span
from .base import IndexedSource, IndexError_, IndexInfo, chunk_key
from .bm25 import SegmentedBM25
from .snapshot import new_name, read_snapshot, remove_snapshots, write_snapshot
from .vector_index import VectorIndex

log = logging.getLogger(__name__)

FORMAT = 1
MANIFEST = "manifest.json"
SEGMENTS = "segments"
SENTENCE_CACHE_SOURCES = 1024  # sources whose sentence vectors stay in memory (LRU)
SNAPSHOT_MIN_CHUNKS = 20_000  # smaller indexes load from their segments in a few seconds
SNAPSHOT_DELTA = 0.25  # a new snapshot once this share of the chunks changed since the last one
JOURNAL_MAX_LINES = 200  # then the manifest is rewritten whole (or at 5% of the sources, if more)


def library_versions() -> dict[str, str]:
    import faiss
    import scipy

    versions = {"python": platform.python_version(), "faiss": faiss.__version__, "scipy": scipy.__version__}
    try:
        import sentence_transformers
        import torch

        versions.update(sentence_transformers=sentence_transformers.__version__, torch=torch.__version__)
    except ImportError:
        pass
    return versions


def segment_name(source: IndexedSource, model_id: str) -> str:
    """The segment's file name, unique per source, text and model: a rebuild for another model never
    overwrites a file that the manifest still in place refers to (a crash would mix two models)."""
    # A source id is a file name (up to 255 bytes): a long one would make the segment's temporary
    # name too long to create, so it is replaced by its hash.
    stem, raw = source.source_id, source.source_id.encode("utf-8", "surrogateescape")
    if len(raw) > 100:
        stem = hashlib.sha256(raw).hexdigest()[:32]
    version = hashlib.sha256(f"{model_id}\n{source.content_hash}".encode("utf-8", "surrogateescape")).hexdigest()
    return f"{stem}.{version[:16]}.npz"


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


@dataclass(frozen=True)
class _Entry:
    """What the backend keeps in memory per source: spans and where its ids start; vectors live in
    the FAISS index, tokens in the BM25 index, sentence vectors in the segment file (read on demand)."""

    content_hash: str
    segment: str  # file name under segments/
    first_id: int  # its chunks have ids first_id .. first_id + n_chunks - 1
    chunks: np.ndarray  # (n_chunks, 2) character spans
    chunk_sentences: np.ndarray  # (n_chunks, 2) [first, last) sentence of each chunk
    sentences: np.ndarray  # (n_sentences, 2) character spans


@dataclass(frozen=True)
class _Loaded:
    """A segment as read for indexing: everything but the sentence vectors."""

    source_id: str
    content_hash: str
    chunks: np.ndarray
    chunk_sentences: np.ndarray
    sentences: np.ndarray
    chunk_vectors: np.ndarray
    tokens: list[list[str]]
    sentence_vectors: np.ndarray | None = None


def _npy_shape(archive: np.lib.npyio.NpzFile, name: str) -> tuple[int, ...]:
    """An array's shape from its header alone (the vectors themselves are not read)."""
    with archive.zip.open(name + ".npy") as fh:
        version = np.lib.format.read_magic(fh)
        reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        return tuple(reader(fh)[0])


def _read_for_index(path: Path, source_id: str, dim: int) -> _Loaded:
    with np.load(path, allow_pickle=False) as data:
        loaded = _Loaded(
            source_id=source_id,
            content_hash=bytes(data["content_hash"]).decode("ascii"),
            chunks=data["chunks"].astype(np.int64).reshape(-1, 2),
            chunk_sentences=data["chunk_sentences"].astype(np.int64).reshape(-1, 2),
            sentences=data["sentences"].astype(np.int64).reshape(-1, 2),
            chunk_vectors=np.ascontiguousarray(data["chunk_vectors"], dtype=np.float32),
            tokens=json.loads(bytes(data["tokens"]).decode("utf-8")),
        )
        sentence_shape = _npy_shape(data, "sentence_vectors")
    n_chunks, n_sentences = len(loaded.chunks), len(loaded.sentences)
    if loaded.chunk_vectors.shape != (n_chunks, dim) or sentence_shape != (n_sentences, dim):
        raise ValueError(f"vector shapes {loaded.chunk_vectors.shape}/{sentence_shape} "
                         f"do not match {n_chunks} chunks, {n_sentences} sentences of dimension {dim}")
    if len(loaded.tokens) != n_chunks or len(loaded.chunk_sentences) != n_chunks:
        raise ValueError("token lists or sentence ranges do not match the chunks")
    return loaded


def read_segment(path: Path, source_id: str, dim: int) -> IndexedSource:
    """A whole segment file, sentence vectors included."""
    loaded = _read_for_index(path, source_id, dim)
    with np.load(path, allow_pickle=False) as data:
        sentence_vectors = np.ascontiguousarray(data["sentence_vectors"], dtype=np.float32)
    spans = lambda rows: [Span(int(a), int(b)) for a, b in rows]  # noqa: E731
    return IndexedSource(
        source_id=source_id,
        content_hash=loaded.content_hash,
        segments=SourceSegments(source_id, spans(loaded.sentences), spans(loaded.chunks),
                                [(int(a), int(b)) for a, b in loaded.chunk_sentences]),
        chunk_vectors=loaded.chunk_vectors,
        sentence_vectors=sentence_vectors,
        chunk_tokens=loaded.tokens,
    )


def _as_loaded(source: IndexedSource) -> _Loaded:
    seg = source.segments
    return _Loaded(
        source_id=source.source_id,
        content_hash=source.content_hash,
        chunks=np.asarray(seg.chunks, dtype=np.int64).reshape(-1, 2),
        chunk_sentences=np.asarray(seg.chunk_sentences, dtype=np.int64).reshape(-1, 2),
        sentences=np.asarray(seg.sentences, dtype=np.int64).reshape(-1, 2),
        chunk_vectors=source.chunk_vectors,
        tokens=source.chunk_tokens,
        sentence_vectors=source.sentence_vectors,
    )


def read_manifest(index_dir: Path) -> dict | None:
    """The manifest with its journal's changes applied; None when there is no index."""
    path = Path(index_dir) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("sources"), dict) or \
                not all(isinstance(entry, dict) for entry in manifest["sources"].values()):
            raise ValueError("unknown format")
        int(manifest["dim"])
        str(manifest["model_id"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexError_(f"the index manifest {path} is unreadable ({exc}); `qa index` rebuilds it") from None
    manifest["journal_lines"] = 0
    journal = Path(index_dir) / str(manifest.get("journal") or "")
    if manifest.get("journal") and journal.is_file():
        try:  # undecodable bytes only spoil their own line
            lines = journal.read_bytes().decode("utf-8", "replace").splitlines()
        except OSError as exc:
            raise IndexError_(f"the index journal {journal} is unreadable ({exc}); `qa index` rebuilds it") from None
        for line in lines:
            try:
                change = json.loads(line)
                added, removed = dict(change["add"]), list(change["remove"])
                if not all(isinstance(entry, dict) for entry in added.values()):
                    raise TypeError("an entry is not an object")
            except (ValueError, KeyError, TypeError):
                continue  # blank, or torn by a crash while it was written: that change never happened
            for source_id in removed:
                manifest["sources"].pop(source_id, None)
            manifest["sources"].update(added)
            manifest["journal_lines"] += 1
    return manifest


class FaissBackend:
    """Files under `index_dir`: one segment per source, a manifest, a journal and (when large) a snapshot.

    - `segments/<source>.<hash>.npz`: what indexing made of one source (written once, never rewritten).
    - `manifest.json`: model, dimension and every source's hash and segment, written whole and atomically
      now and then; between two, each change is one line appended to the journal it names
      (`journal-*.jsonl`, fsynced; a torn last line from a crash is ignored). The manifest or journal
      line is written last: a crash at any point leaves the previous index loadable.
    - `snapshot-*/`: the whole in-memory index (spans, BM25 arrays, the FAISS index) as of some moment,
      named by the manifest. Loading reads it and then only the segments that changed since; it is
      written again once a quarter of the chunks changed, so adding stays O(new) amortised.

    In memory: a FAISS index and a BM25 index over chunk ids, plus spans per source; sentence vectors
    are read from a segment when first needed (LRU cache). `apply` changes them in place at the cost of
    what changed. It must not run while another thread searches: the Engine serialises both under its lock.
    """

    name = "faiss"

    def __init__(self, index_dir: Path, ann_threshold: int = 100_000, hnsw_m: int = 32,
                 hnsw_ef_search: int = 128, ann_index: str = "ivf", ivf_nlist: int = 0,
                 ivf_nprobe: int = 32, snapshot_min_chunks: int = SNAPSHOT_MIN_CHUNKS) -> None:
        self.index_dir = Path(index_dir)
        self.vector_settings = dict(ann_threshold=ann_threshold, kind=ann_index, nlist=ivf_nlist,
                                    nprobe=ivf_nprobe, hnsw_m=hnsw_m, ef_search=hnsw_ef_search)
        self.snapshot_min_chunks = snapshot_min_chunks
        self.problems: list[str] = []
        self._signature: tuple | None = None
        self._reset(None, 0)
        self.reload()

    @classmethod
    def from_config(cls, config: Config, **options) -> "FaissBackend":
        """The index in `config.index_dir` with the configured FAISS settings (`options`: constructor overrides)."""
        return cls(config.index_dir, config.ann_threshold, config.hnsw_m, config.hnsw_ef_search,
                   ann_index=config.ann_index, ivf_nlist=config.ivf_nlist, ivf_nprobe=config.ivf_nprobe, **options)

    # ---- the files -----------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / MANIFEST

    def read_manifest(self) -> dict | None:
        return read_manifest(self.index_dir)

    def _write_manifest(self, model_id: str, dim: int, snapshot: str | None) -> str:
        """Write the whole manifest (atomically) with a new, empty journal; returns the journal's name."""
        journal = f"journal-{uuid.uuid4().hex[:16]}.jsonl"
        manifest = {"format": FORMAT, "model_id": model_id, "dim": dim, "versions": library_versions(),
                    "journal": journal, "snapshot": snapshot,
                    "sources": {sid: {"hash": e.content_hash, "segment": e.segment, "chunks": len(e.chunks),
                                      "sentences": len(e.sentences)} for sid, e in sorted(self._entries.items())}}
        atomic_write_bytes(self.manifest_path, (json.dumps(manifest, separators=(",", ":")) + "\n").encode())
        return journal

    def _append_journal(self, added: dict[str, dict], removed: list[str]) -> None:
        line = json.dumps({"add": added, "remove": removed}, separators=(",", ":"))
        # The leading newline ends whatever a crash may have left half-written before this line.
        data, path = ("\n" + line + "\n").encode("utf-8"), self.index_dir / self._journal
        try:
            with open(path, "ab", buffering=0) as fh:
                end = fh.seek(0, os.SEEK_END)
                try:
                    written = 0
                    while written < len(data):
                        written += fh.write(data[written:])
                    os.fsync(fh.fileno())
                except OSError:
                    fh.truncate(end)  # take the line back: a change that reported an error must not count
                    raise
        except OSError as exc:  # disk full, read-only: say which file
            raise OSError(exc.errno, f"cannot write {path}: {exc.strerror}") from exc
        self._journal_lines += 1

    def _signature_now(self) -> tuple | None:
        """What changes when another process changes the index: the manifest's and journal's stat."""
        try:
            manifest = self.manifest_path.stat()
        except OSError:
            return None
        try:
            journal = (self.index_dir / self._journal).stat().st_size if self._journal else -1
        except OSError:
            journal = -1
        return manifest.st_mtime_ns, manifest.st_size, journal

    # ---- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Load the index from disk: the snapshot, then the segments it does not cover; segments that
        fail to load are reported and left out."""
        self.problems = []
        try:
            manifest = self.read_manifest()
        except IndexError_ as exc:
            self.problems.append(str(exc))
            self._reset(None, 0)
            return
        if manifest is None:
            self._reset(None, 0)
            self._signature = None
            return
        model_id, dim = str(manifest["model_id"]), int(manifest["dim"])
        self._reset(model_id, dim)
        self._journal, self._journal_lines = manifest.get("journal"), manifest["journal_lines"]
        covered: set[str] = set()
        if manifest.get("snapshot"):
            try:
                covered = self._load_snapshot(str(manifest["snapshot"]), manifest)
            except (OSError, ValueError, KeyError, TypeError, RuntimeError, EOFError, zipfile.BadZipFile) as exc:
                log.warning("index snapshot %s is unusable (%s); reading every segment", manifest["snapshot"], exc)
                self._reset(model_id, dim)
                self._journal, self._journal_lines = manifest.get("journal"), manifest["journal_lines"]
        loaded = []
        for source_id, entry in sorted(manifest["sources"].items()):
            if source_id in covered:
                continue
            path = self.index_dir / SEGMENTS / str(entry.get("segment", ""))
            try:
                segment = _read_for_index(path, source_id, dim)
                if segment.content_hash != entry.get("hash"):
                    raise ValueError("content hash differs from the manifest")
                loaded.append((segment, path.name))
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                self.problems.append(f"index segment of {source_id!r} is unusable ({exc}); it will be re-embedded")
        self._insert(loaded)
        self._changed_chunks += sum(len(segment.chunks) for segment, _ in loaded)
        self._signature = self._signature_now()

    def _load_snapshot(self, name: str, manifest: dict) -> set[str]:
        """Take the in-memory index from a snapshot, less the sources the manifest no longer lists as
        they were; returns the sources it covers."""
        snapshot = read_snapshot(self.index_dir / name)
        meta, arrays = snapshot.meta, snapshot.arrays
        if (meta["model_id"], int(meta["dim"])) != (self._model_id, self._dim):
            raise ValueError("it was made for another model")
        self._vectors.adopt(snapshot.vectors)
        self._lexical = SegmentedBM25.from_arrays({k[5:]: v for k, v in arrays.items() if k.startswith("bm25_")})
        chunks, chunk_sentences, sentences = arrays["chunks"], arrays["chunk_sentences"], arrays["sentences"]
        c = s = 0
        stale = []
        for source_id, content_hash, segment, size, first_id, n_chunks, n_sentences in meta["sources"]:
            self._entries[source_id] = _Entry(content_hash, segment, first_id, chunks[c:c + n_chunks],
                                              chunk_sentences[c:c + n_chunks], sentences[s:s + n_sentences])
            if n_chunks:
                self._starts.append(first_id)
                self._owners.append(source_id)
            c, s = c + n_chunks, s + n_sentences
            self._n_chunks += n_chunks
            self._n_sentences += n_sentences
            listed = manifest["sources"].get(source_id) or {}
            if (listed.get("hash"), listed.get("segment")) != (content_hash, segment) or \
                    _file_size(self.index_dir / SEGMENTS / segment) != size:
                stale.append(source_id)
        self._next_id = int(meta["next_id"])
        self._snapshot = name
        self._changed_chunks = sum(len(self._entries[sid].chunks) for sid in stale)
        self._remove(stale)
        return set(self._entries)

    def refresh_if_changed(self) -> bool:
        """Reload when another process changed the index; True if it did."""
        if self._signature_now() != self._signature:
            self.reload()
            return True
        return False

    # ---- the in-memory index -------------------------------------------------------------------

    def _reset(self, model_id: str | None, dim: int) -> None:
        """An empty index (model_id None: no index at all)."""
        self._model_id, self._dim = model_id, dim
        self._entries: dict[str, _Entry] = {}
        self._starts: list[int] = []  # first id of each source, ascending, for id -> source look-ups
        self._owners: list[str | None] = []  # the source at each start (None once removed)
        self._next_id = 0
        self._n_chunks = self._n_sentences = 0
        self._vectors = VectorIndex(max(dim, 1), **self.vector_settings)
        self._lexical = SegmentedBM25()
        self._sentence_cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._journal: str | None = None
        self._journal_lines = 0
        self._snapshot: str | None = None
        self._changed_chunks = 0  # chunks added or removed since the snapshot

    def _insert(self, segments: list[tuple[_Loaded, str]]) -> None:
        """Give each new source's chunks fresh ids and add them to both indexes."""
        ids, vectors, tokens = [], [], []
        for loaded, segment in segments:
            n = len(loaded.chunks)
            entry = _Entry(loaded.content_hash, segment, self._next_id, loaded.chunks, loaded.chunk_sentences,
                           loaded.sentences)
            self._entries[loaded.source_id] = entry
            if n:
                self._starts.append(self._next_id)
                self._owners.append(loaded.source_id)
                ids.append(np.arange(self._next_id, self._next_id + n, dtype=np.int64))
                vectors.append(loaded.chunk_vectors)
                tokens.extend(loaded.tokens)
            self._next_id += n
            self._n_chunks += n
            self._n_sentences += len(loaded.sentences)
            if loaded.sentence_vectors is not None:
                self._remember_sentences(loaded.source_id, loaded.sentence_vectors)
        if ids:
            all_ids = np.concatenate(ids)
            self._vectors.add(all_ids, np.concatenate(vectors))
            self._lexical.add(all_ids, tokens)

    def _remove(self, source_ids: list[str]) -> None:
        ids = []
        for source_id in source_ids:
            entry = self._entries.pop(source_id, None)
            if entry is None:
                continue
            n = len(entry.chunks)
            if n:
                position = bisect.bisect_left(self._starts, entry.first_id)
                self._owners[position] = None
                ids.append(np.arange(entry.first_id, entry.first_id + n, dtype=np.int64))
            self._n_chunks -= n
            self._n_sentences -= len(entry.sentences)
            self._sentence_cache.pop(source_id, None)
        if ids:
            all_ids = np.concatenate(ids)
            self._vectors.remove(all_ids)
            self._lexical.remove(all_ids)

    def _remember_sentences(self, source_id: str, vectors: np.ndarray) -> None:
        self._sentence_cache[source_id] = vectors
        self._sentence_cache.move_to_end(source_id)
        while len(self._sentence_cache) > SENTENCE_CACHE_SOURCES:
            self._sentence_cache.popitem(last=False)

    def _sentence_vectors(self, source_id: str, entry: _Entry) -> np.ndarray | None:
        cached = self._sentence_cache.get(source_id)
        if cached is not None:
            self._sentence_cache.move_to_end(source_id)
            return cached
        path = self.index_dir / SEGMENTS / entry.segment
        try:
            with np.load(path, allow_pickle=False) as data:
                vectors = np.ascontiguousarray(data["sentence_vectors"], dtype=np.float32)
            if vectors.shape != (len(entry.sentences), self._dim):
                raise ValueError(f"sentence vectors of shape {vectors.shape}")
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            self.problems.append(f"sentence vectors of {source_id!r} are unreadable ({exc})")
            return None
        self._remember_sentences(source_id, vectors)
        return vectors

    def _write_snapshot(self) -> str:
        """The in-memory index as a new snapshot folder; returns its name (the manifest is not changed)."""
        order = sorted(self._entries.items(), key=lambda item: item[1].first_id)
        rows = [[sid, e.content_hash, e.segment, _file_size(self.index_dir / SEGMENTS / e.segment), e.first_id,
                 len(e.chunks), len(e.sentences)] for sid, e in order]
        stack = lambda name: np.concatenate([getattr(e, name) for _, e in order] or [np.zeros((0, 2), np.int64)])  # noqa: E731
        arrays = {"chunks": stack("chunks"), "chunk_sentences": stack("chunk_sentences"),
                  "sentences": stack("sentences")}
        arrays.update({"bm25_" + k: v for k, v in self._lexical.to_arrays().items()})
        meta = {"model_id": self._model_id, "dim": self._dim, "next_id": self._next_id, "sources": rows}
        name = new_name()
        write_snapshot(self.index_dir / name, meta, arrays, self._vectors.index)
        return name

    # ---- the Backend interface -----------------------------------------------------------------

    def info(self) -> IndexInfo | None:
        if self._model_id is None:
            return None
        return IndexInfo(
            model_id=self._model_id,
            dim=self._dim,
            sources={sid: entry.content_hash for sid, entry in self._entries.items()},
            n_chunks=self._n_chunks,
            n_sentences=self._n_sentences,
        )

    def apply(self, model_id: str, dim: int, add: list[IndexedSource], remove: list[str],
              rebuild: bool = False) -> None:
        fresh = rebuild or self._model_id is None or (model_id, dim) != (self._model_id, self._dim)
        added = {s.source_id: {"hash": s.content_hash, "segment": segment_name(s, model_id),
                               "chunks": len(s.segments.chunks), "sentences": len(s.segments.sentences)} for s in add}
        removed = sorted(sid for sid in set(remove) if sid not in added and (fresh or sid in self._entries))
        dropped = [] if fresh else [self._entries[sid].segment for sid in set(remove) | set(added)
                                    if sid in self._entries]
        segments_dir = self.index_dir / SEGMENTS
        segments_dir.mkdir(parents=True, exist_ok=True)
        for source in add:
            write_segment(segments_dir / segment_name(source, model_id), source)
        before = self._n_chunks
        old_journal, old_snapshot = self._journal, self._snapshot
        try:
            if fresh:
                self._reset(model_id, dim)
            else:
                self._remove(sorted(set(remove) | set(added)))
            self._insert([(_as_loaded(s), segment_name(s, model_id)) for s in add])
            new_chunks = sum(len(s.segments.chunks) for s in add)
            self._changed_chunks += new_chunks + (before + new_chunks - self._n_chunks)  # added + removed
            snapshot_due = (self._n_chunks >= self.snapshot_min_chunks
                            and self._changed_chunks > SNAPSHOT_DELTA * self._n_chunks)
            if snapshot_due:
                self._snapshot, self._changed_chunks = self._write_snapshot(), 0
            if fresh or snapshot_due or old_journal is None or \
                    self._journal_lines >= max(JOURNAL_MAX_LINES, len(self._entries) // 20):
                self._journal, self._journal_lines = self._write_manifest(model_id, dim, self._snapshot), 0
            else:
                self._append_journal(added, removed)  # the commit: one line
        except BaseException:
            self.reload()  # back to what the files say
            raise
        self._signature = self._signature_now()
        # The new index is on disk: what it no longer refers to can go.
        if self._journal != old_journal and old_journal:
            (self.index_dir / old_journal).unlink(missing_ok=True)
        if self._snapshot != old_snapshot:
            remove_snapshots(self.index_dir, keep=self._snapshot)
        referenced = {entry.segment for entry in self._entries.values()}
        if fresh:
            for path in self._unreferenced(segments_dir, referenced):
                path.unlink(missing_ok=True)
        else:
            for name in dropped:
                if name not in referenced:
                    (segments_dir / name).unlink(missing_ok=True)
            # what a killed run wrote and never committed; recent files may be another process's work
            remove_stale_files(self._unreferenced(segments_dir, referenced), STALE_TEMPORARY_S)

    def compact(self) -> None:
        """Write a snapshot and the whole manifest now (the next load reads one folder, not every segment)."""
        if self._model_id is None:
            return
        old_journal = self._journal
        self._snapshot, self._changed_chunks = self._write_snapshot(), 0
        self._journal, self._journal_lines = self._write_manifest(self._model_id, self._dim, self._snapshot), 0
        self._signature = self._signature_now()
        if old_journal:
            (self.index_dir / old_journal).unlink(missing_ok=True)
        remove_snapshots(self.index_dir, keep=self._snapshot)

    @staticmethod
    def _unreferenced(segments_dir: Path, referenced: set[str]) -> list[Path]:
        """Segment files and temporary files in `segments_dir` that no manifest entry names."""
        return [path for path in segments_dir.iterdir()
                if path.name not in referenced and (path.suffix == ".npz" or path.name.endswith(".tmp"))]

    def search_dense(self, vector: np.ndarray, k: int, sources: Collection[str] | None = None) -> list[ChunkHit]:
        if not self._n_chunks:
            return []
        scores, ids = self._vectors.search(np.asarray(vector, np.float32).reshape(1, -1), k,
                                           allowed=self._chunk_ids(sources))
        hits = (self._hit(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0)
        return [hit for hit in hits if hit is not None]

    def search_lexical(self, tokens: list[str], k: int, sources: Collection[str] | None = None) -> list[ChunkHit]:
        if not self._n_chunks or not tokens:
            return []
        ids, scores = self._lexical.search(tokens, k, allowed=self._chunk_ids(sources))
        hits = (self._hit(int(i), float(s)) for i, s in zip(ids, scores))
        return [hit for hit in hits if hit is not None]

    def _chunk_ids(self, sources: Collection[str] | None) -> np.ndarray | None:
        """The chunk ids of these sources, ascending (None: every chunk)."""
        if sources is None:
            return None
        entries = sorted((e.first_id, len(e.chunks)) for s in sources if (e := self._entries.get(s)) is not None)
        return np.concatenate([np.arange(first, first + n, dtype=np.int64) for first, n in entries]
                              or [np.zeros(0, np.int64)])

    def sentences(self, chunk_keys: list[str]) -> list[SentenceRecord]:
        records = []
        for key in chunk_keys:
            source_id, _, n = key.rpartition("#")
            entry = self._entries.get(source_id)
            if entry is None or not n.isdigit() or int(n) >= len(entry.chunks):
                continue
            vectors = self._sentence_vectors(source_id, entry)
            if vectors is None:
                continue
            lo, hi = entry.chunk_sentences[int(n)].tolist()
            records.extend(SentenceRecord(key, source_id, start, end, vector)
                           for (start, end), vector in zip(entry.sentences[lo:hi].tolist(), vectors[lo:hi]))
        return records

    def doc_freqs(self, tokens: list[str], sources: Collection[str] | None = None) -> tuple[int, dict[str, int]]:
        allowed = self._chunk_ids(sources)
        return (self._n_chunks if allowed is None else len(allowed)), self._lexical.doc_freqs(tokens, allowed)

    @property
    def vector_index(self) -> VectorIndex:
        return self._vectors

    @vector_index.setter
    def vector_index(self, index: VectorIndex) -> None:
        """Search another vector index over the same chunk ids (benchmarks compare exact and approximate)."""
        self._vectors = index

    def describe(self) -> dict[str, object]:
        """What the in-memory index is made of (for benchmarks and diagnostics)."""
        return {"chunks": self._n_chunks, "sentences": self._n_sentences, "sources": len(self._entries),
                "vector_index": self._vectors.description, "lexical_segments": self._lexical.n_segments,
                "snapshot": self._snapshot, "journal_lines": self._journal_lines}

    def close(self) -> None:
        """Nothing to release: every file is closed after each read or write."""

    def _hit(self, chunk_id: int, score: float) -> ChunkHit | None:
        position = bisect.bisect_right(self._starts, chunk_id) - 1
        source_id = self._owners[position] if position >= 0 else None
        if source_id is None:
            return None
        entry = self._entries[source_id]
        n = chunk_id - entry.first_id
        if n >= len(entry.chunks):
            return None
        start, end = entry.chunks[n]
        return ChunkHit(chunk_key(source_id, n), source_id, int(start), int(end), score)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1
