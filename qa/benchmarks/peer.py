"""A peer side by side: txtai's hybrid search over the same chunks with the same model, in the same run."""

from __future__ import annotations

import logging
from importlib.metadata import PackageNotFoundError, version

from ..chunking import chunk_source
from ..config import Config
from ..embedding import Embedder, resolve_model
from ..engine import Engine
from ..evaluation.relevance import locate_gold, passage_covers
from ..types import Span
from .corpus import QuestionSet
from .stats import Figure, percentile, ratio, timed

RECALL_DEPTH = 5


def txtai_version() -> str:
    try:
        return version("txtai")
    except PackageNotFoundError:
        return ""


def recall_at(passages: list[tuple[str, Span]], judged_question, bodies: dict[str, str], k: int) -> float | None:
    """Share of the question's gold spans held by one of the first k passages (qa.evaluation's judgement:
    a passage holds a span when it overlaps at least half of it, in the same source)."""
    units, _ = locate_gold(judged_question, bodies)
    if not units:
        return None
    return sum(any(passage_covers(sid, span, unit) for sid, span in passages[:k]) for unit in units) / len(units)


def compare(config: Config, questions: QuestionSet, runs: int, embedder=None) -> dict:
    """Latency and Recall@5 of this engine and of txtai over the seed corpus's chunks."""
    import torch
    from txtai import Embeddings  # the [bench] extra

    logging.getLogger("txtai").setLevel(logging.WARNING)
    embedder = embedder or Embedder.from_config(config)
    engine = Engine.load(config, embedder=embedder)
    bodies = {s.source_id: s.body for s in engine.sources()}
    chunks = [(sid, span) for sid, body in sorted(bodies.items())
              for span in chunk_source(sid, body, config.chunk_chars, config.chunk_overlap_sentences,
                                       config.max_sentence_chars).chunks]
    txtai = Embeddings(path=resolve_model(config.model)[0], method="sentence-transformers", content=False,
                       hybrid=True, batch=config.batch_size, encodebatch=config.batch_size)
    build_s, _ = timed(lambda: txtai.index([(i, bodies[sid][span.start:span.end], None)
                                           for i, (sid, span) in enumerate(chunks)]))

    def txtai_top(question: str) -> list[tuple[str, Span]]:
        return [chunks[int(i)] for i, _ in txtai.search(question, RECALL_DEPTH)]

    def ours_top(question: str):
        answer = engine.ask(question)
        return [(p.source_id, Span(p.start, p.end)) for p in answer.passages], answer.timings_ms

    texts = questions.texts
    ours_top(texts[0]), txtai_top(texts[0])  # warm both
    threads = torch.get_num_threads()
    samples = {"ours_retrieval": [], "ours_answer": [], "txtai": [], "txtai_1_thread": []}
    for _ in range(runs):
        run = {name: [] for name in samples}
        for question in texts:  # interleaved, so both systems see the same machine load
            _, timings = ours_top(question)
            run["ours_retrieval"].append(timings["embed"] + timings["search"])
            run["ours_answer"].append(timings["total"])
            seconds, _ = timed(lambda: txtai_top(question))
            run["txtai"].append(seconds * 1000)
            torch.set_num_threads(1)
            try:
                seconds, _ = timed(lambda: txtai_top(question))
            finally:
                torch.set_num_threads(threads)
            run["txtai_1_thread"].append(seconds * 1000)
        for name, values in run.items():
            samples[name].append(values)
    latency = {name: {q: Figure.of([percentile(run, p) for run in values], "ms")
                      for q, p in (("p50", 50), ("p95", 95))} for name, values in samples.items()}
    best_txtai = min(("txtai", "txtai_1_thread"), key=lambda name: latency[name]["p50"].median)
    recall = {"ours": [], "txtai": []}
    for question in questions.judged:
        ours = recall_at(ours_top(question.question)[0], question, bodies, RECALL_DEPTH)
        theirs = recall_at(txtai_top(question.question), question, bodies, RECALL_DEPTH)
        if ours is not None and theirs is not None:
            recall["ours"].append(ours)
            recall["txtai"].append(theirs)
    return {
        "txtai_version": txtai_version(),
        "embedder": engine.embedder.variant,  # ours; txtai runs the model on torch (sentence-transformers)
        "chunks": len(chunks),
        "questions": len(texts),
        "judged_questions": len(recall["ours"]),
        "txtai_index_s": round(build_s, 2),
        "latency_ms": {name: {q: f.to_dict() for q, f in values.items()} for name, values in latency.items()},
        "txtai_compared": best_txtai,
        "speedup_retrieval_p50": ratio(latency[best_txtai]["p50"], latency["ours_retrieval"]["p50"]).to_dict(),
        "speedup_answer_p50": ratio(latency[best_txtai]["p50"], latency["ours_answer"]["p50"]).to_dict(),
        "recall_at_5": {name: (round(sum(v) / len(v), 4) if v else None) for name, v in recall.items()},
    }
