"""The seed corpus: warm query latency step by step, and indexing throughput against the model's own."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np

from ..chunking import chunk_source
from ..config import Config
from ..embedding import MULTILINGUAL_VARIANTS, Embedder, variant_config
from ..engine import Engine
from ..index import open_backend
from ..index.sync import sync_index
from ..sources import load_sources
from .corpus import seed_vectors
from .latency import LATENCY_KEYS, ask_runs, latency_summary
from .stats import Figure, current_rss_mib, peak_rss_mib, ratio, timed


def measure_seed(config: Config, questions: list[str], runs: int, work: Path, embedder=None,
                 variants: tuple[str, ...] = ()) -> dict:
    """Build the seed index (in `config`'s folders), time questions, time indexing; save the seed vectors.

    `variants` ("torch", "onnx-fp32", "onnx-int8") are measured beside the configured embedder, each on its own
    copy of the index, interleaved run by run (so every ratio compares runs under the same machine load);
    their numbers are under "embedders", with speed-ups over torch under "speedup"."""
    result: dict = {"rss_mib": {"start": round(current_rss_mib(), 1)}}
    embedder = embedder or Embedder.from_config(config)
    result["rss_mib"]["model_loaded"] = round(current_rss_mib(), 1)
    engine = Engine.load(config, embedder=embedder)
    info = engine.backend.info()
    result["corpus"] = {"sources": len(info.sources), "chunks": info.n_chunks, "sentences": info.n_sentences}
    result["embedder"] = embedder.variant
    engine.ask(questions[0])
    result["rss_mib"]["peak_serving"] = round(peak_rss_mib(), 1)  # before the other embedders load
    engines = {embedder.variant: engine}
    for variant in variants:
        if variant not in engines:
            settings = variant_config(config, variant).replace(index_dir=config.root / f"index-{variant}")
            engines[variant] = Engine.load(settings, embedder=Embedder.from_config(settings))
    timings: dict[str, list] = {variant: [] for variant in engines}
    for _ in range(runs):
        for variant, each in engines.items():
            timings[variant] += ask_runs(each, questions, 1)
    np.save(work / "seed" / "vectors.npy", seed_vectors(engine))
    indexing = indexing_throughput(config, {variant: each.embedder for variant, each in engines.items()}, runs)
    result["embedders"] = {variant: {"latency_ms": latency_summary(timings[variant]), "indexing": indexing[variant]}
                           for variant in engines}
    result["latency_ms"] = result["embedders"][embedder.variant]["latency_ms"]
    result["latency_keys"] = list(LATENCY_KEYS)
    result["indexing"] = indexing[embedder.variant]
    if "torch" in engines and len(engines) > 1:
        result["speedup"] = {variant: speedups(result["embedders"]["torch"], result["embedders"][variant])
                             for variant in engines if variant != "torch"}
    if "onnx-fp32" in engines:  # the multilingual model against the default one (issue 16: ≤ 2× its ask p50)
        result["multilingual_cost"] = {
            variant: speedups(result["embedders"][variant], result["embedders"]["onnx-fp32"])
            for variant in engines if variant in MULTILINGUAL_VARIANTS}
    return result


def speedups(base: dict, other: dict) -> dict:
    """How many times faster `other` is than `base` (paired run by run): ask p50/p95, the question's
    embedding p50, and indexing (the qa index pipeline, and raw encoding)."""
    figure = lambda data: Figure(**data)  # noqa: E731
    latency, theirs = base["latency_ms"], other["latency_ms"]
    pairs = {"ask_p50": (latency["total"]["p50"], theirs["total"]["p50"]),
             "ask_p95": (latency["total"]["p95"], theirs["total"]["p95"]),
             "embed_p50": (latency["embed"]["p50"], theirs["embed"]["p50"]),
             "index": (base["indexing"]["index_s"], other["indexing"]["index_s"]),
             "encode": (base["indexing"]["encode_s"], other["indexing"]["encode_s"])}
    return {name: ratio(figure(a), figure(b)).to_dict() for name, (a, b) in pairs.items()}


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


def indexing_throughput(config: Config, embedders: dict, runs: int) -> dict:
    """For each embedder (by variant): `qa index --rebuild`'s work in-process (read, chunk, tokenise, embed,
    write, index) against the raw `encode_passages` of the very texts it embeds, all alternated run by run so
    every one sees the same machine load. Wall-clock overhead is the target's measure; CPU time (all
    threads) is shown as well, being less disturbed by other work on the machine."""
    texts, n_chunks = embedded_texts(config)
    index_dir = config.root / "index-throughput"
    measured = {variant: {"encode_s": [], "index_s": [], "encode_cpu": [], "index_cpu": []} for variant in embedders}
    settings = config.replace(index_dir=index_dir)

    def pipeline(embedder) -> None:
        found, _ = load_sources(settings.sources_dir)
        sync_index(found, open_backend(settings), embedder, settings, progress=False, rebuild=True)

    for embedder in embedders.values():  # warm: the model, and the pipeline's first-use imports and caches
        embedder.encode_passages(texts[:8])
        shutil.rmtree(index_dir, ignore_errors=True)
        pipeline(embedder)
    for _ in range(runs):
        for variant, embedder in embedders.items():
            cpu = time.process_time()
            seconds, _ = timed(lambda: embedder.encode_passages(texts))
            measured[variant]["encode_cpu"].append(time.process_time() - cpu)
            measured[variant]["encode_s"].append(seconds)
            shutil.rmtree(index_dir, ignore_errors=True)
            cpu = time.process_time()
            seconds, _ = timed(lambda: pipeline(embedder))
            measured[variant]["index_cpu"].append(time.process_time() - cpu)
            measured[variant]["index_s"].append(seconds)
    shutil.rmtree(index_dir, ignore_errors=True)
    return {variant: _throughput(m, n_chunks, len(texts)) for variant, m in measured.items()}


def _throughput(measured: dict, n_chunks: int, n_texts: int) -> dict:
    encode, pipeline = Figure.of(measured["encode_s"], "s"), Figure.of(measured["index_s"], "s")
    overhead = ratio(pipeline, encode)
    return {
        "chunks": n_chunks,
        "texts": n_texts,
        "texts_note": "chunks and sentences: indexing embeds both; throughput counts chunks",
        "encode_s": encode.to_dict(),
        "index_s": pipeline.to_dict(),
        "encode_chunks_per_s": Figure.of([n_chunks / s for s in measured["encode_s"]], "chunks/s").to_dict(),
        "encode_texts_per_s": Figure.of([n_texts / s for s in measured["encode_s"]], "texts/s").to_dict(),
        "index_chunks_per_s": Figure.of([n_chunks / s for s in measured["index_s"]], "chunks/s").to_dict(),
        "overhead": Figure.of([(v - 1) * 100 for v in overhead.runs], "%").to_dict(),
        "overhead_cpu_time": Figure.of([(b / a - 1) * 100 for a, b in zip(measured["encode_cpu"],
                                                                         measured["index_cpu"])], "%").to_dict(),
    }
