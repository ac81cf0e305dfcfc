"""The seed corpus: warm query latency step by step, and indexing throughput against the model's own."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from ..chunking import chunk_source
from ..config import Config
from ..embedding import Embedder
from ..engine import Engine
from ..index import open_backend
from ..index.sync import sync_index
from ..sources import load_sources
from .corpus import seed_vectors
from .latency import LATENCY_KEYS, ask_runs, latency_summary
from .stats import Figure, current_rss_mib, peak_rss_mib, ratio, timed


def measure_seed(config: Config, questions: list[str], runs: int, work: Path, embedder=None) -> dict:
    """Build the seed index (in `config`'s folders), time questions, time indexing; save the seed vectors."""
    result: dict = {"rss_mib": {"start": round(current_rss_mib(), 1)}}
    embedder = embedder or Embedder.from_config(config)
    result["rss_mib"]["model_loaded"] = round(current_rss_mib(), 1)
    engine = Engine.load(config, embedder=embedder)
    info = engine.backend.info()
    result["corpus"] = {"sources": len(info.sources), "chunks": info.n_chunks, "sentences": info.n_sentences}
    result["latency_ms"] = latency_summary(ask_runs(engine, questions, runs))
    result["latency_keys"] = list(LATENCY_KEYS)
    result["rss_mib"]["peak_serving"] = round(peak_rss_mib(), 1)
    np.save(work / "seed" / "vectors.npy", seed_vectors(engine))
    result["indexing"] = indexing_throughput(config, embedder, runs)
    return result


def embedded_texts(config: Config) -> tuple[list[str], int]:
    """The texts `qa index` embeds for the sources in `config.sources_dir` (each source's chunks, then its
    sentences), and how many of them are chunks."""
    texts, n_chunks = [], 0
    for source in load_sources(config.sources_dir)[0]:
        segments = chunk_source(source.source_id, source.body, config.chunk_chars, config.chunk_overlap_sentences,
                                config.max_sentence_chars)
        texts += [source.body[a:b] for a, b in segments.chunks + segments.sentences]
        n_chunks += len(segments.chunks)
    return texts, n_chunks


def indexing_throughput(config: Config, embedder, runs: int) -> dict:
    """`qa index --rebuild`'s work in-process (read, chunk, tokenise, embed, write, index) against the raw
    `encode` of the very texts it embeds, alternated run by run so both see the same machine load.
    Wall-clock overhead is the target's measure; CPU time (all threads) is shown as well, being less
    disturbed by other work on the machine."""
    texts, n_chunks = embedded_texts(config)
    index_dir = config.root / "index-throughput"
    encode_s, pipeline_s, encode_cpu, pipeline_cpu = [], [], [], []
    embedder.encode_passages(texts[:8])  # warm
    for _ in range(runs):
        cpu = time.process_time()
        seconds, _ = timed(lambda: embedder.encode_passages(texts))
        encode_cpu.append(time.process_time() - cpu)
        encode_s.append(seconds)
        shutil.rmtree(index_dir, ignore_errors=True)
        settings = config.replace(index_dir=index_dir)

        def pipeline() -> None:
            found, _ = load_sources(settings.sources_dir)
            sync_index(found, open_backend(settings), embedder, settings, progress=False, rebuild=True)

        cpu = time.process_time()
        seconds, _ = timed(pipeline)
        pipeline_cpu.append(time.process_time() - cpu)
        pipeline_s.append(seconds)
    shutil.rmtree(index_dir, ignore_errors=True)
    encode, pipeline = Figure.of(encode_s, "s"), Figure.of(pipeline_s, "s")
    overhead = ratio(pipeline, encode)
    return {
        "chunks": n_chunks,
        "texts": len(texts),
        "texts_note": "chunks and sentences: indexing embeds both; throughput counts chunks",
        "encode_s": encode.to_dict(),
        "index_s": pipeline.to_dict(),
        "encode_chunks_per_s": Figure.of([n_chunks / s for s in encode_s], "chunks/s").to_dict(),
        "index_chunks_per_s": Figure.of([n_chunks / s for s in pipeline_s], "chunks/s").to_dict(),
        "overhead": Figure.of([(v - 1) * 100 for v in overhead.runs], "%").to_dict(),
        "overhead_cpu_time": Figure.of([(b / a - 1) * 100 for a, b in zip(encode_cpu, pipeline_cpu)], "%").to_dict(),
    }
