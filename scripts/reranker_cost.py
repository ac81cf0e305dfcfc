"""What the optional cross-encoder costs per question: `Engine.ask` latency with and without one, in one run.

    .venv/bin/python scripts/reranker_cost.py [--runs 3] [--k 20]

No cross-encoder can be downloaded here, so the one timed is the default embedding model's own MiniLM-L6
encoder with a new one-label head: the same layers and sizes as `cross-encoder/ms-marco-MiniLM-L-6-v2`, hence
the same cost, but untrained (its scores mean nothing; only the time is measured). The seed sources are
copied to a temporary folder; the real index is not touched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def minilm_cross_encoder(folder: Path, model: str) -> Path:
    """The embedding model's encoder with a randomly initialised one-label classification head."""
    from transformers import AutoTokenizer, BertForSequenceClassification

    from qa.embedding import resolve_model

    path, _ = resolve_model(model)
    BertForSequenceClassification.from_pretrained(path, num_labels=1).save_pretrained(folder)
    AutoTokenizer.from_pretrained(path).save_pretrained(folder)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="passes over the seed questions (default %(default)s)")
    parser.add_argument("--k", type=int, default=None, help="sentences re-scored per question (default: config)")
    args = parser.parse_args()

    from qa import Config, Engine
    from qa.benchmarks.corpus import load_question_set, seed_project
    from qa.benchmarks.latency import ask_runs
    from qa.benchmarks.stats import latency_figures, ratio
    from qa.rerank import Reranker

    base = Config.from_env(root=ROOT)
    questions = load_question_set(ROOT / "eval" / "questions").texts
    with tempfile.TemporaryDirectory() as work:
        config = seed_project(base, Path(work))
        plain = Engine.load(config)
        model = minilm_cross_encoder(Path(work) / "cross-encoder", base.model)
        reranked_config = config.replace(reranker=str(model), reranker_k=args.k or config.reranker_k)
        reranked = Engine(reranked_config, plain.embedder, plain.backend, plain.sources(),
                          Reranker(str(model), device=config.device))
        runs = {"without": [], "with": []}
        for _ in range(args.runs):  # interleaved, so both see the same machine load
            runs["without"] += ask_runs(plain, questions, 1)
            runs["with"] += ask_runs(reranked, questions, 1)
    figures = {name: latency_figures(value, ("total", "rerank")) for name, value in runs.items()}
    print(f"{len(questions)} seed questions x {args.runs} runs; cross-encoder re-scores "
          f"{reranked_config.reranker_k} sentences per question (MiniLM-L6 size, untrained head)")
    for name in ("without", "with"):
        total = figures[name]["total"]
        print(f"  {name:<8} reranker: ask p50 {total['p50'].text()} ms, p95 {total['p95'].text()} ms")
    print(f"  rerank step alone: p50 {figures['with']['rerank']['p50'].text()} ms")
    print(f"  with / without, p50: {ratio(figures['with']['total']['p50'], figures['without']['total']['p50']).text(2)}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
