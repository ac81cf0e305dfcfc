"""Benchmarks of the Milvus backend beside FAISS: ingest rate, latency, recall against exact search, fusion.

`compare_backends(config, n_chunks, work)` builds the same synthetic corpus (qa.benchmarks.synthetic) in
both backends and measures each the same way; it is `qa bench --only backends` (qa/benchmarks/command.py),
which prints its rows with the other stages' tables. `fusion_comparison(engine)` runs the seed evaluation
with the app's RRF (qa.retrieval) and with Milvus' own (hybrid_search + RRFRanker). Command line (the sizes
as in `qa bench --only backends`, plus --fusion and --embed-rate):

    python -m qa.benchmarks.backends --sizes 10000 [--fusion] [--out bench/results/milvus.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from ..config import Config
from ..embedding import Embedder
from ..engine import Engine
from ..evaluation.configurations import SETUPS
from ..evaluation.dataset import QUESTIONS_DIR, load_questions
from ..evaluation.report import summarize
from ..evaluation.runner import run_setups
from ..index import open_backend
from ..index.base import Backend
from ..index.milvus_backend import MilvusBackend, milvus_terms
from ..index.sync import embed_sources
from ..lexical import tokenize
from ..retrieval import Retrieved, retrieve
from ..sources import load_sources
from ..types import ChunkHit
from .corpus import load_question_set, seed_project
from .report import backends_table
from .seed import embedded_texts
from .stats import current_rss_mib, peak_rss_mib
from .synthetic import Shape, Vocabulary, all_chunk_vectors, held_out_queries, synthetic_sources

RECALL_K = 10
HELD_OUT_QUERIES = 200
BUILD_BATCH_SOURCES = 1_000


def _seed_inputs(config: Config, work: Path, embedder):
    """The seed corpus's vocabulary and real vectors (the synthetic corpus is made around them)."""
    seed = seed_project(config, work)
    sources, _ = load_sources(seed.sources_dir)
    path = work / "seed" / "vectors.npy"
    if path.exists():
        vectors = np.load(path)
    else:  # as qa.benchmarks.corpus.seed_vectors makes them: chunk then sentence vectors, per source
        indexed = embed_sources(sources, embedder, seed)
        vectors = np.concatenate([b for s in indexed for b in (s.chunk_vectors, s.sentence_vectors)])
        np.save(path, vectors)
    return Vocabulary([s.body for s in sources]), vectors.astype(np.float32)


def _batches(shape, vocabulary, seeds):
    batch = []
    for item in synthetic_sources(shape, vocabulary, seeds):
        batch.append(item.indexed)
        if len(batch) >= BUILD_BATCH_SOURCES:
            yield batch
            batch = []
    if batch:
        yield batch


def _percentiles(values: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(values, 50)), 2), "p95": round(float(np.percentile(values, 95)), 2)}


def _timed_ms(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return (time.perf_counter() - start) * 1000, result


def _row(key: str, chunks_per_source: int) -> int:
    """A synthetic chunk key ('syn0000042#3') as its row in id order."""
    source_id, _, n = key.rpartition("#")
    return int(source_id[3:]) * chunks_per_source + int(n)


def measure_backend(backend, shape, questions: list[str], question_vectors: np.ndarray, queries: np.ndarray,
                    truth: np.ndarray, sources, config: Config, embedder, runs: int) -> dict:
    """Latency (dense, lexical, whole question) and dense recall@10 of one loaded backend."""
    found = np.array([[_row(h.key, shape.chunks_per_source) for h in backend.search_dense(q, RECALL_K)]
                      + [-1] * RECALL_K for q in queries])[:, :RECALL_K]
    recall = [len(set(f) & set(t)) / RECALL_K for f, t in zip(found, truth)]
    dense_ms, lexical_ms = [], []
    token_lists = [tokenize(q) for q in questions]
    for _ in range(runs):
        for vector in queries:
            dense_ms.append(_timed_ms(lambda: backend.search_dense(vector, config.dense_k))[0])
        for tokens in token_lists:
            lexical_ms.append(_timed_ms(lambda: backend.search_lexical(tokens, config.lexical_k))[0])
    engine = Engine(config, embedder, backend, sources)
    engine.ask(questions[0])
    asked = [engine.ask(q).timings_ms for _ in range(runs) for q in questions]
    return {
        "recall_at_10": {"questions": round(float(np.mean(recall[:len(question_vectors)])), 4),
                         "held_out": round(float(np.mean(recall[len(question_vectors):])), 4)},
        "dense_search_ms": _percentiles(dense_ms),
        "lexical_search_ms": _percentiles(lexical_ms),
        "ask_ms": {key: _percentiles([t.get(key, 0.0) for t in asked])
                   for key in ("total", "search", "sentences", "embed")},
    }


def compare_backends(config: Config, n_chunks: int, work: Path, questions: list[str], runs: int = 3,
                     embedder=None, backends: tuple[str, ...] = ("faiss", "milvus")) -> dict:
    """Build one synthetic corpus of `n_chunks` chunks in each backend (Milvus: Milvus Lite under `work`,
    or `config.milvus_uri` if it names a server) and measure ingest, latency and recall side by side."""
    embedder = embedder or Embedder.from_config(config)
    work.mkdir(parents=True, exist_ok=True)
    vocabulary, seeds = _seed_inputs(config, work, embedder)
    shape = Shape(n_chunks)
    sources = [item.source for item in synthetic_sources(shape, vocabulary, None)]
    question_vectors = np.stack([embedder.encode_one(q) for q in questions])
    queries = np.concatenate([question_vectors, held_out_queries(shape, seeds, HELD_OUT_QUERIES)])
    vectors = all_chunk_vectors(shape, seeds)
    truth = np.argsort(-(queries @ vectors.T), axis=1)[:, :RECALL_K]  # exact search, the reference
    del vectors
    n_sentences = n_chunks * shape.sentences_per_chunk
    result: dict = {"n_chunks": n_chunks, "n_sentences": n_sentences, "questions": len(questions),
                    "held_out_queries": HELD_OUT_QUERIES, "runs": runs}
    for name in backends:
        root = work / f"{name}-{n_chunks}"
        shutil.rmtree(root, ignore_errors=True)
        settings = config.replace(root=root, index_dir=root / "index", backend=name,
                                  milvus_uri=config.milvus_uri if "://" in config.milvus_uri else str(root / "lite.db"),
                                  milvus_collection=f"bench_{n_chunks}")
        rss_before = current_rss_mib()
        start = time.perf_counter()
        if name == "faiss":
            backend = open_backend(settings)
            for number, batch in enumerate(_batches(shape, vocabulary, seeds)):
                backend.apply(embedder.index_id, embedder.dimension, add=batch, remove=[], rebuild=number == 0)
            index = backend.describe()["vector_index"]
        else:
            backend = MilvusBackend(settings)
            backend.build(embedder.index_id, embedder.dimension, _batches(shape, vocabulary, seeds))
            index = f"{settings.milvus_index} ({'Milvus Lite' if backend.lite else 'Milvus server'})"
        seconds = time.perf_counter() - start
        # timed apart: an engine that built its index lazily would pay for it in this first search
        first_search_ms, _ = _timed_ms(lambda: backend.search_dense(queries[0], config.dense_k))
        measured = measure_backend(backend, shape, questions, question_vectors, queries, truth, sources, settings,
                                   embedder, runs)
        measured.update(index=index, ingest_s=round(seconds, 1), first_search_ms=round(first_search_ms, 1),
                        ingest_chunks_per_s=round(n_chunks / seconds, 1),
                        ingest_rows_per_s=round((n_chunks + n_sentences) / seconds, 1),
                        rss_growth_mib=round(current_rss_mib() - rss_before, 1),
                        disk_mib=round(sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 2**20, 1))
        result[name] = measured
        if name == "milvus":
            backend.close()
    result["peak_rss_mib"] = round(peak_rss_mib(), 1)
    return result


def embedding_rate(config: Config, embedder, runs: int = 3, repeat: int = 4) -> dict:
    """Texts per second embedding the seed corpus's chunks and sentences (as indexing does) on the
    configured device, one figure per run."""
    texts = embedded_texts(config)[0] * repeat
    embedder.encode_passages(texts[:config.batch_size])  # warm
    rates = []
    for _ in range(runs):
        seconds = _timed_ms(lambda: embedder.encode_passages(texts))[0] / 1000
        rates.append(round(len(texts) / seconds, 1))
    return {"device": config.device, "batch_size": config.batch_size, "texts": len(texts),
            "mean_chars": round(sum(map(len, texts)) / len(texts)), "texts_per_s": rates}


class MilvusWithItsOwnFusion(MilvusBackend):
    """The Milvus backend that can also fuse dense and BM25 search itself (hybrid_search with an RRFRanker, in
    one request): what the app's fusion is compared with (docs/scale-out.md); the engine uses `qa.retrieval`'s."""

    def search_hybrid(self, vector: np.ndarray, tokens: list[str], dense_k: int, lexical_k: int, rrf_k: int,
                      limit: int) -> list[ChunkHit]:
        from pymilvus import AnnSearchRequest, RRFRanker  # the [milvus] extra

        if self._generation is None or not self._committed:
            return []
        requests = [AnnSearchRequest([np.asarray(vector, np.float32).tolist()], "dense",
                                     {"metric_type": "IP", "params": self._search_params(dense_k)}, dense_k)]
        terms = milvus_terms(tokens)
        if terms:
            requests.append(AnnSearchRequest([" ".join(terms)], "sparse", {"metric_type": "BM25"}, lexical_k))
        results = self._client.hybrid_search(self._generation.name("chunks"), requests, RRFRanker(rrf_k),
                                             limit=limit, output_fields=self._hit_fields())
        return self._hits(results[0], lambda distance: float(distance))


def milvus_fusion_retrieve(backend: Backend, vector: np.ndarray | None, tokens: list[str], dense_k: int,
                           lexical_k: int, rrf_k: int, limit: int, lexical_weight: float = 1.0,
                           sources=None) -> Retrieved:
    """`qa.retrieval.retrieve` with the fusion done by Milvus in one request (`MilvusWithItsOwnFusion`);
    RRFRanker has no weights, so `lexical_weight` is not applied. Without a vector: the app's retrieval."""
    if vector is None or sources is not None or not isinstance(backend, MilvusWithItsOwnFusion):
        return retrieve(backend, vector, tokens, dense_k, lexical_k, rrf_k, limit, lexical_weight, sources)
    start = time.perf_counter()
    hits = backend.search_hybrid(vector, tokens, dense_k, lexical_k, rrf_k, limit)
    elapsed = round((time.perf_counter() - start) * 1000, 3)
    return Retrieved(hits=hits, dense=[], lexical=[], timings_ms={"search_dense": elapsed, "search_lexical": 0.0,
                                                                  "search_fusion": 0.0})


def fusion_comparison(engine: Engine, questions_path: Path, runs: int = 3) -> dict:
    """The seed evaluation (full system) with the app's RRF and with Milvus' RRF, and the search latency of each.

    `engine` runs on Milvus; the second engine shares its model, sources and Milvus collection."""
    questions = load_questions(questions_path)
    milvus_fusion = Engine(engine.config, engine.embedder, MilvusWithItsOwnFusion(engine.config), engine.sources(),
                           engine.reranker, retriever=milvus_fusion_retrieve)
    result = {}
    try:
        for name, asked in (("app_rrf", engine), ("milvus_rrf", milvus_fusion)):
            run = run_setups(asked, questions, [SETUPS["full"]], progress=False)
            summary = summarize(run.results, ("all", "test"))["summary"]
            times = [asked.ask(q.question).timings_ms["search"] for _ in range(runs) for q in questions]
            result[name] = {split: {m: summary[split]["full"].get(m) for m in
                                    ("passage_recall@5", "passage_mrr@10", "answer_hit", "verbatim")}
                            for split in summary}
            result[name]["search_ms"] = _percentiles(times)
    finally:
        milvus_fusion.backend.close()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qa.benchmarks.backends", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000", help="synthetic corpus sizes in chunks (default %(default)s)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--questions", type=int, default=40, help="seed questions asked per run")
    parser.add_argument("--fusion", action="store_true", help="also compare the app's RRF with Milvus' RRF")
    parser.add_argument("--embed-rate", action="store_true",
                        help="also time embedding the seed corpus's chunks and sentences on --device (QA_DEVICE)")
    parser.add_argument("--work", type=Path, help="scratch folder (default <root>/data/bench-milvus)")
    parser.add_argument("--out", type=Path, help="JSON results (default <root>/bench/results/milvus.json)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    config = Config.from_env()
    work = (args.work or config.data_dir / "bench-milvus").resolve()
    out = args.out or config.root / "bench" / "results" / "milvus.json"
    questions = load_question_set(config.root / QUESTIONS_DIR, args.questions)
    embedder = Embedder.from_config(config)
    results: dict = {"meta": {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(),
                              "load_average": round(os.getloadavg()[0], 2), "command": " ".join(sys.argv),
                              "milvus_index": config.milvus_index}}
    if args.fusion:
        root = work / "fusion"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(config.sources_dir, root / "sources")
        engine = Engine.load(config.replace(root=root, sources_dir=root / "sources", index_dir=root / "index",
                                            backend="milvus", milvus_uri=str(root / "lite.db")), embedder=embedder)
        results["fusion"] = fusion_comparison(engine, config.root / QUESTIONS_DIR, args.runs)
        print(json.dumps(results["fusion"], indent=1), flush=True)
    if args.embed_rate:
        results["embedding"] = embedding_rate(config, embedder, args.runs)
        print(json.dumps(results["embedding"]), flush=True)
    results["sizes"] = {}
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        measured = compare_backends(config, size, work, questions.texts, args.runs, embedder)
        results["sizes"][str(size)] = measured
        print(render(measured), flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"results: {out}", file=sys.stderr)
    return 0


def render(measured: dict) -> str:
    """One size as a table: a row per backend (the same table as `qa bench --only backends`)."""
    return (f"{measured['n_chunks']:,} chunks ({measured['n_sentences']:,} sentences)\n"
            + backends_table({str(measured["n_chunks"]): measured}))


if __name__ == "__main__":
    sys.exit(main())
