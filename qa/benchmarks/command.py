"""`qa bench`: speed and scale, from the seed corpus to a million chunks; prints tables, writes JSON.

Stages (`--only`): `seed` (latency and indexing overhead on the seed corpus), `peer` (txtai side by side),
`scale` (synthetic corpora of `--sizes` chunks: exact and approximate indexes, adding one article) and
`startup` (cold start of `qa ask` and `qa serve`) run by default; they measure the faiss backend.

`backends` is opt-in (`qa bench --only backends --sizes 10000`): for each of `--sizes` it builds one
synthetic corpus in both retrieval backends, faiss and Milvus (Milvus Lite in the scratch folder, or the
server `--milvus-uri http://…` names), and measures them alike: ingest rate, dense / BM25 / `Engine.ask`
latency p50 and p95, dense recall@10 against exact search (`qa.benchmarks.backends.compare_backends`).
It is not in the default list because Milvus Lite writes 600-900 chunks/s here: 100,000 take minutes.
`--full` does not add the 1M corpus to it (name 1000000 in `--sizes` to have it). It needs
`pip install -e ".[milvus]"`.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from ..embedding import MULTILINGUAL_VARIANTS, VARIANTS, Embedder, ModelError, usable_variants, variant_config
from ..evaluation.dataset import QUESTIONS_DIR
from ..options import add_common_arguments, config_from_args
from . import peer, report, scale, seed, startup
from .backends import compare_backends
from .corpus import load_question_set, seed_project
from .synthetic import Shape

STAGES = ("seed", "peer", "scale", "startup")  # the default of --only
OPT_IN_STAGES = ("backends",)  # run only when --only names them
DEFAULT_SIZES = (10_000, 100_000)
FULL_SIZE = 1_000_000
CHUNKS_PER_SOURCE_AT_1M = 40  # 25,000 segment files instead of 100,000: writing them is setup, not measured


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--full", action="store_true", help=f"also the {FULL_SIZE:,}-chunk corpus (about 15 more minutes)")
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="synthetic corpus sizes in chunks, comma-separated (default %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of every measurement (default %(default)s)")
    parser.add_argument("--adds", type=int, default=5, help="articles added one by one per size (default %(default)s)")
    parser.add_argument("--ann", default="exact,ivf",
                        help="vector indexes compared at each size: exact, ivf, hnsw (default %(default)s)")
    parser.add_argument("--nprobes", default="4,8,16,32,64", help="IVF nprobe values swept for recall (default %(default)s)")
    parser.add_argument("--questions", type=Path, help="question file or folder (default <root>/eval/questions)")
    parser.add_argument("--scale-questions", type=int, default=40,
                        help="questions asked per run on the synthetic corpora (default %(default)s)")
    parser.add_argument("--only", default=",".join(STAGES),
                        help="stages to run (default %(default)s); opt-in: backends (faiss and Milvus side by "
                             "side on each of --sizes: ingest, latency, recall@10; Milvus Lite ingest at 100k "
                             "takes minutes)")
    parser.add_argument("--embedders", default="all",
                        help="embedders measured side by side in the seed and startup stages: comma-separated "
                             f"from {', '.join(VARIANTS + tuple(MULTILINGUAL_VARIANTS))}, 'all' (those of the "
                             "default model installed; default) or 'none' (only the configured one)")
    parser.add_argument("--work", type=Path, help="scratch folder; synthetic corpora are kept there and reused "
                                                  "(default <root>/data/bench)")
    parser.add_argument("--out", type=Path, help="JSON results (default <root>/bench/results/latest.json)")
    add_common_arguments(parser)


def _in_child(function, *args):
    """Run a stage in a fresh process: its peak memory is its own, and the next stage starts clean."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def embedder_variants(names: str, config) -> tuple[str, ...]:
    """The embedder variants `--embedders` names ("all": every one installed; "none": only the configured)."""
    if names.strip() in ("none", ""):
        return ()
    usable = usable_variants(config)
    chosen = [v for v in usable if v in VARIANTS] if names.strip() == "all" else [n.strip() for n in names.split(",") if n.strip()]
    for name in chosen:
        variant_config(config, name)  # a ModelError for an unknown name
        if name not in usable:
            raise ModelError(f"embedder {name} cannot run here (onnxruntime missing, or int8 on a GPU)")
    return tuple(dict.fromkeys(chosen))


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    config = config_from_args(args)
    stages = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(stages) - set(STAGES) - set(OPT_IN_STAGES)
    if unknown:
        print(f"error: unknown stage(s) {', '.join(sorted(unknown))}; choose from "
              f"{', '.join(STAGES + OPT_IN_STAGES)}", file=sys.stderr)
        return 2
    faiss_stages = [s for s in stages if s in STAGES]
    if config.backend != "faiss" and faiss_stages:
        print(f"error: the {', '.join(faiss_stages)} stage(s) measure the faiss backend; "
              "`qa bench --only backends` measures faiss and milvus side by side", file=sys.stderr)
        return 2
    if "backends" in stages:
        needed = ("pymilvus",) + (() if "://" in config.milvus_uri else ("milvus_lite",))
        missing = [name for name in needed if importlib.util.find_spec(name) is None]
        if missing:
            print(f"error: the backends stage needs {', '.join(missing)}: pip install -e \".[milvus]\"",
                  file=sys.stderr)
            return 2
    try:
        variants = embedder_variants(args.embedders, config)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    requested_sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})  # each size once
    sizes = sorted(set(requested_sizes) | ({FULL_SIZE} if args.full else set()))
    work = (args.work or config.data_dir / "bench").resolve()
    work.mkdir(parents=True, exist_ok=True)
    out = args.out or config.root / "bench" / "results" / "latest.json"
    questions = load_question_set(args.questions or config.root / QUESTIONS_DIR)
    seed_config = seed_project(config, work)
    results: dict = {"meta": {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"), "cpus": os.cpu_count(), "platform": platform.platform(),
        "load_average": round(os.getloadavg()[0], 2), "command": "qa bench " + " ".join(sys.argv[2:]),
        "runs": args.runs, "questions": len(questions.texts), "questions_from": questions.origin,
        "embedders": list(variants),
        "config": {"model": config.model, "embedder": config.embedder, "quantize": config.quantize,
                   "device": config.device, "batch_size": config.batch_size, "embed_threads": config.embed_threads,
                   "ann_threshold": config.ann_threshold, "ann_index": config.ann_index,
                   "ivf_nlist": config.ivf_nlist, "ivf_nprobe": config.ivf_nprobe},
    }}
    if "backends" in stages:
        results["meta"]["config"].update(milvus_index=config.milvus_index, milvus_lite="://" not in config.milvus_uri)

    def step(name: str, function, *call_args):
        print(f"[{time.perf_counter() - started:6.0f} s] {name}…", file=sys.stderr, flush=True)
        try:
            return _in_child(function, *call_args)
        except Exception as exc:  # one failed stage must not lose the others' numbers
            if getattr(args, "verbose", False):
                raise
            return {"error": f"{type(exc).__name__}: {exc}"}

    if "seed" in stages or ("scale" in stages and not (work / "seed" / "vectors.npy").exists()):
        # the synthetic corpora are made around the seed corpus's vectors
        results["seed"] = step("seed corpus: latency and indexing" + (f" ({', '.join(variants)})" if variants else ""),
                               seed.measure_seed, seed_config, questions.texts, args.runs, work, None, variants)
    if "peer" in stages:
        results["peer"] = step("txtai side by side", peer.compare, seed_config, questions, args.runs)
    if "scale" in stages:
        model = Embedder.from_config(config)
        model_id, dim = model.index_id, model.dimension
        del model
        results["scale"], jobs = {}, []
        for size in sizes:
            shape = Shape(size, chunks_per_source=CHUNKS_PER_SOURCE_AT_1M if size >= FULL_SIZE else 10)
            job = scale.ScaleJob(config=config, work=work, shape=shape,
                                 questions=questions.texts[:args.scale_questions], runs=args.runs, adds=args.adds,
                                 variants=tuple(v.strip() for v in args.ann.split(",") if v.strip()),
                                 nprobes=tuple(int(n) for n in args.nprobes.split(",") if n.strip()))
            built = step(f"{size:,} chunks: writing the synthetic index", scale.build_index, job, model_id, dim)
            measured = step(f"{size:,} chunks: measuring", scale.measure, job)
            measured["build"] = built
            results["scale"][str(size)] = measured
            jobs.append(job)
        measured = [job for job in jobs if "error" not in results["scale"][str(job.shape.n_chunks)]]
        if measured:
            results["add_one"] = step("adding one article to each size in turn", scale.add_one, measured)
    if "startup" in stages:
        started_as = variants or ("",)
        results["startup"] = {
            "qa ask": step("cold start: qa ask", startup.ask_cold_start, seed_config, questions.texts[0], args.runs,
                           started_as),
            "qa serve": step("cold start: qa serve", startup.serve_cold_start, seed_config, args.runs,
                             tuple(v for v in started_as if v != "onnx-int8")),  # gradio's start dominates
        }
    if "backends" in stages:
        # rebuilt on every run (faiss-<n>, milvus-<n> under the scratch folder), around the seed vectors
        results["backends"] = {
            str(size): step(f"{size:,} chunks: faiss and milvus side by side", compare_backends, config, size, work,
                            questions.texts[:args.scale_questions], args.runs)
            for size in requested_sizes}
    results["meta"]["wall_s"] = round(time.perf_counter() - started, 1)
    results["targets"] = report.targets(results)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report.render(results))
    print(f"\nresults: {out}", file=sys.stderr)
    return 0
