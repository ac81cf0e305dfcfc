"""Scale: synthetic corpora of 10k to 1M chunks, searched exactly and approximately, and grown by one article."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..embedding import Embedder
from ..engine import SPELLINGS_FILE, Engine
from ..index.faiss_backend import SNAPSHOT_MIN_CHUNKS, FaissBackend, read_manifest
from ..index.sync import embed_sources
from ..index.vector_index import VectorIndex
from ..sources import load_sources
from ..types import Source
from .latency import ask_runs, latency_summary
from .stats import Figure, current_rss_mib, peak_rss_mib, ratio, timed
from .synthetic import Shape, Vocabulary, all_chunk_vectors, held_out_queries, synthetic_sources

log = logging.getLogger(__name__)

BUILD_BATCH_SOURCES = 5_000
RECALL_K = 10
HELD_OUT_QUERIES = 200


@dataclass(frozen=True)
class ScaleJob:
    """One corpus size to build or measure (plain data: it crosses into a child process)."""

    config: Config  # model, device and FAISS settings; paths are replaced per job
    work: Path
    shape: Shape
    questions: list[str]
    runs: int
    adds: int
    variants: tuple[str, ...]  # "exact", "ivf", "hnsw"
    nprobes: tuple[int, ...]

    @property
    def root(self) -> Path:
        return self.work / f"synthetic-{self.shape.n_chunks}-{self.shape.chunks_per_source}"

    def job_config(self) -> Config:
        return self.config.replace(root=self.root, sources_dir=self.root / "sources", index_dir=self.root / "index",
                                   data_dir=self.root / "data")


def _inputs(work: Path) -> tuple[Vocabulary, np.ndarray]:
    sources, _ = load_sources(work / "seed" / "sources")
    return Vocabulary([s.body for s in sources]), np.load(work / "seed" / "vectors.npy")


def _stamp(job: ScaleJob, model_id: str) -> dict:
    return {"n_chunks": job.shape.n_chunks, "chunks_per_source": job.shape.chunks_per_source,
            "sentences_per_chunk": job.shape.sentences_per_chunk, "seed": job.shape.seed, "model_id": model_id,
            "format": 2}


def build_index(job: ScaleJob, model_id: str, dim: int) -> dict:
    """Write the synthetic corpus as an index (segment files + manifest); reused while its stamp matches."""
    stamp_path = job.root / "corpus.json"
    config = job.job_config()
    if stamp_path.exists() and json.loads(stamp_path.read_text()) == _stamp(job, model_id):
        manifest = read_manifest(config.index_dir)
        if manifest and sum(e["chunks"] for e in manifest["sources"].values()) == job.shape.n_chunks:
            return {"reused": True}
    stamp_path.unlink(missing_ok=True)
    vocabulary, seeds = _inputs(job.work)
    # As `qa index` would build it, but with one snapshot at the end rather than one per batch.
    backend = FaissBackend.from_config(config, snapshot_min_chunks=2**62)
    start = time.perf_counter()
    batch, rebuild = [], True
    for item in synthetic_sources(job.shape, vocabulary, seeds):
        batch.append(item.indexed)
        if len(batch) >= BUILD_BATCH_SOURCES:
            backend.apply(model_id, dim, add=batch, remove=[], rebuild=rebuild)
            batch, rebuild = [], False
    if batch:
        backend.apply(model_id, dim, add=batch, remove=[], rebuild=rebuild)
    if job.shape.n_chunks >= SNAPSHOT_MIN_CHUNKS:
        backend.compact()  # what the backend itself does once a quarter of the index changed
    seconds = time.perf_counter() - start
    job.root.mkdir(parents=True, exist_ok=True)
    stamp_path.write_text(json.dumps(_stamp(job, model_id)))
    return {"reused": False, "seconds": round(seconds, 1)}


def _recall(found: np.ndarray, truth: np.ndarray, k: int = RECALL_K) -> float:
    return float(np.mean([len(set(f[:k]) & set(t[:k])) / k for f, t in zip(found, truth)]))


def _single_query_ms(index, queries: np.ndarray, k: int) -> list[float]:
    times = []
    for query in queries:
        seconds, _ = timed(lambda: index.search(query, k))
        times.append(seconds * 1000)
    return times


def measure(job: ScaleJob, embedder=None) -> dict:
    """Everything measured at one size, in this (child) process; memory figures are this process's."""
    config = job.job_config()
    result: dict = {"n_chunks": job.shape.n_chunks, "chunks_per_source": job.shape.chunks_per_source,
                    "rss_mib": {"start": round(current_rss_mib(), 1)}}
    embedder = embedder or Embedder.from_config(config)
    result["rss_mib"]["model_loaded"] = round(current_rss_mib(), 1)
    vocabulary, seeds = _inputs(job.work)
    load_seconds, backend = timed(lambda: FaissBackend.from_config(config))
    result["load_s"] = round(load_seconds, 2)
    result["index"] = backend.describe()
    result["rss_mib"]["index_loaded"] = round(current_rss_mib(), 1)
    texts_seconds, sources = timed(lambda: [item.source for item in synthetic_sources(job.shape, vocabulary, None)])
    engine = Engine(config, embedder, backend, sources)
    result["rss_mib"]["engine_ready"] = round(current_rss_mib(), 1)
    saved = (config.index_dir / SPELLINGS_FILE).exists()  # the name spellings: read back, or counted first
    first_seconds, _ = timed(lambda: engine.ask(job.questions[0]))
    result["first_question"] = {"s": round(first_seconds, 2), "name_spellings": "read" if saved else "counted"}
    result["default_index"] = {"index": backend.vector_index.description,
                               "latency_ms": latency_summary(ask_runs(engine, job.questions, job.runs))}
    # Peak memory of the system as configured; what follows holds benchmark-only copies of the vectors.
    result["rss_mib"]["peak_serving"] = round(peak_rss_mib(), 1)

    vectors = all_chunk_vectors(job.shape, seeds)
    ids = np.arange(len(vectors), dtype=np.int64)
    question_vectors = np.stack([embedder.encode_one(q) for q in job.questions])
    queries = np.concatenate([question_vectors, held_out_queries(job.shape, seeds, HELD_OUT_QUERIES)])
    exact = VectorIndex(embedder.dimension, ann_threshold=2**62)
    exact.build(ids, vectors)
    _, truth = exact.search(queries, RECALL_K, threads=os.cpu_count() or 1)
    loaded = backend.vector_index
    variants = {}
    for kind in job.variants:
        if kind == "exact":
            index, build_seconds = exact, None
        else:
            index = VectorIndex(embedder.dimension, ann_threshold=0, kind=kind, nlist=config.ivf_nlist,
                                nprobe=config.ivf_nprobe, hnsw_m=config.hnsw_m, ef_search=config.hnsw_ef_search)
            build_seconds, _ = timed(lambda: index.build(ids, vectors))
        _, found = index.search(queries, RECALL_K, threads=os.cpu_count() or 1)
        backend.vector_index = index
        entry = {
            "index": index.description,
            "build_s": None if build_seconds is None else round(build_seconds, 2),
            "recall_at_10": {"questions": round(_recall(found[:len(question_vectors)], truth[:len(question_vectors)]), 4),
                             "held_out": round(_recall(found[len(question_vectors):], truth[len(question_vectors):]), 4),
                             "all": round(_recall(found, truth), 4)},
            "dense_search_ms": Figure.of([float(np.median(_single_query_ms(index, queries, job.config.dense_k)))
                                          for _ in range(job.runs)], "ms").to_dict(),
            "latency_ms": latency_summary(ask_runs(engine, job.questions, job.runs)),
        }
        if kind == "ivf":
            sweep = []
            for nprobe in job.nprobes:
                index.index.nprobe = min(nprobe, index.index.nlist)
                _, found = index.search(queries, RECALL_K, threads=os.cpu_count() or 1)
                sweep.append({"nprobe": nprobe, "recall_at_10": round(_recall(found, truth), 4),
                              "dense_search_ms": round(float(np.median(
                                  _single_query_ms(index, queries, job.config.dense_k))), 3)})
            index.index.nprobe = min(config.ivf_nprobe, index.index.nlist)
            entry["nprobe_sweep"] = sweep
        variants[kind] = entry
    backend.vector_index = loaded
    result["variants"] = variants
    del vectors, exact  # the benchmark's own copies, before the add-one runs

    result["lexical_full_rebuild_s"] = _bm25s_rebuild_seconds(job, vocabulary)
    result["synthetic_texts_s"] = round(texts_seconds, 2)
    result["rss_mib"]["peak"] = round(peak_rss_mib(), 1)
    return result


def add_one(jobs: list[ScaleJob], embedder=None) -> dict:
    """Add real articles one at a time (embed + apply) to every size's index in turn, in one process, so
    the sizes are compared under the same machine load; then remove them (the corpora are reused)."""
    config = jobs[0].config
    embedder = embedder or Embedder.from_config(config)
    backends = {job.shape.n_chunks: FaissBackend.from_config(job.job_config()) for job in jobs}
    seed_sources, _ = load_sources(jobs[0].work / "seed" / "sources")
    times = {size: {"embed_ms": [], "apply_ms": [], "total_ms": [], "remove_ms": []} for size in backends}
    sizes = sorted(backends)
    for n in range(jobs[0].adds):
        base = seed_sources[n % len(seed_sources)]
        body = f"{base.body}\n(benchmark copy {n})"
        source = Source(f"bench-add-{n}", body, hashlib.sha256(body.encode()).hexdigest(), base.meta)
        for size in (sizes if n % 2 == 0 else sizes[::-1]):
            embed_s, indexed = timed(lambda: embed_sources([source], embedder, config))
            apply_s, _ = timed(lambda: backends[size].apply(embedder.index_id, embedder.dimension, add=indexed, remove=[]))
            times[size]["embed_ms"].append(embed_s * 1000)
            times[size]["apply_ms"].append(apply_s * 1000)
            times[size]["total_ms"].append((embed_s + apply_s) * 1000)
    for n in range(jobs[0].adds):
        for size in sizes:
            seconds, _ = timed(lambda: backends[size].apply(embedder.index_id, embedder.dimension, add=[],
                                                            remove=[f"bench-add-{n}"]))
            times[size]["remove_ms"].append(seconds * 1000)
    result = {"sizes": {str(size): {part: Figure.of(values, "ms").to_dict() for part, values in parts.items()}
                        for size, parts in times.items()}}
    if len(sizes) >= 2:
        small, large = times[sizes[0]], times[sizes[-1]]
        result["small"], result["large"] = sizes[0], sizes[-1]
        result["ratio"] = {part: ratio(Figure.of(large[part]), Figure.of(small[part])).to_dict()
                           for part in ("total_ms", "apply_ms")}
    return result


def _bm25s_rebuild_seconds(job: ScaleJob, vocabulary: Vocabulary) -> float:
    """What re-indexing all of BM25 with bm25s (the previous design) costs at this size: one run."""
    import bm25s  # the [bench] extra

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    tokens = [chunk for item in synthetic_sources(job.shape, vocabulary, None) for chunk in item.tokens]
    seconds, _ = timed(lambda: bm25s.BM25().index([t or [""] for t in tokens], show_progress=False))
    return round(seconds, 2)
