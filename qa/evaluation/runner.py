"""Running the question set: every configuration through `Engine.trace`, each answer judged and scored."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..chunking import chunk_source
from ..config import Config
from ..engine import Engine
from ..sources import load_sources
from ..types import Answer, Span
from .configurations import MAIN, Setup
from .dataset import Question
from .metrics import Case, evaluate_case
from .relevance import GoldUnit, locate_gold, sentence_holds_start
from .retrieval_metrics import (DEPTH, Judgements, Ranking, evaluate_rankings, item_ranking, passage_ranking,
                                source_ranking)

RANK_METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "precision@1", "hit_rate@5")
LEVEL_METRICS = {  # passage level also gets every recall@k for the recall curves
    "passage": tuple(dict.fromkeys(RANK_METRICS + tuple(f"recall@{k}" for k in range(1, DEPTH + 1)))),
    "source": RANK_METRICS,
    "sentence": RANK_METRICS,
}


@dataclass
class QuestionResult:
    """One question answered under one configuration, with its judgements and metric values."""

    config: str
    id: str
    question: str
    type: str
    split: str
    answerable: bool
    abstained: bool
    quotes: list[dict]
    passages: list[dict]  # the top DEPTH passages: rank, source_id, start, end, gold (indices of gold spans held)
    first_relevant_rank: int | None  # rank of the best passage holding a gold span
    gold: list[dict]
    metrics: dict[str, float | None]
    conflict: dict | None = None
    ms: float = 0.0
    rankings: dict[str, tuple[Judgements, Ranking]] = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        row = asdict(self)
        row.pop("rankings")
        return row


@dataclass
class Observation:
    """What a system returned for one question: its answer and its ranked passages and sentences."""

    answer: Answer
    passages: list[tuple[str, Span]]
    sentences: list[tuple[str, Span]]
    evidence: float | None = None  # the best sentence evidence (the engine abstains below its threshold)
    grounded_abstention: bool = False  # abstained because the sources never mention a name or the focus
    respelled: Answer | None = None  # name_variant questions: the answer in another spelling of the names


@dataclass
class Corpus:
    """The source texts as read from disk for this evaluation, and their sentence spans (as indexed)."""

    bodies: dict[str, str]
    hashes: dict[str, str]
    config: Config
    furniture: dict[str, list[Span]] = field(default_factory=dict)  # hand-marked, from eval/furniture/
    _sentences: dict[str, list[Span]] = field(default_factory=dict)

    @classmethod
    def read(cls, config: Config) -> "Corpus":
        sources, _ = load_sources(config.sources_dir)
        bodies = {s.source_id: s.body for s in sources}
        return cls(bodies, {s.source_id: s.content_hash for s in sources}, config,
                   load_furniture(config.root / FURNITURE_DIR, bodies))

    def sentences(self, source_id: str) -> list[Span]:
        if source_id not in self._sentences:
            c = self.config
            segments = chunk_source(source_id, self.bodies[source_id], c.chunk_chars, c.chunk_overlap_sentences,
                                    c.max_sentence_chars)
            self._sentences[source_id] = list(segments.sentences)
        return self._sentences[source_id]


FURNITURE_DIR = Path("eval") / "furniture"


def load_furniture(folder: Path, bodies: dict[str, str]) -> dict[str, list[Span]]:
    """Hand-marked page furniture: every occurrence of each marked text in its source (a source is checked
    only when its file marks it; `{"source_id": …, "text": …}` per line, `"text": ""` for none)."""
    marked: dict[str, list[Span]] = {}
    if not folder.is_dir():
        return marked
    for file in sorted(folder.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            body = bodies.get(row["source_id"])
            if body is None:
                continue
            spans = marked.setdefault(row["source_id"], [])
            text = row.get("text", "")
            start = body.find(text) if text else -1
            while start >= 0:
                spans.append(Span(start, start + len(text)))
                start = body.find(text, start + 1)
    return marked


def sentence_id(source_id: str, span: Span) -> str:
    return f"{source_id}:{span.start}:{span.end}"


def judge(config: str, question: Question, gold: list[GoldUnit], seen: Observation, corpus: Corpus) -> QuestionResult:
    """Judge one observation: relevance of its passages and sentences, and the answer metrics."""
    qrels, run, holds = passage_ranking(seen.passages, gold)
    rankings = {
        "passage": (qrels, run),
        "source": source_ranking(seen.passages, {u.source_id for u in gold}),
        "sentence": item_ranking(
            [sentence_id(sid, span) for sid, span in seen.sentences],
            {sentence_id(u.source_id, s) for u in gold for s in corpus.sentences(u.source_id)
             if sentence_holds_start(s, u)},
        ),
    }
    relevant = [p for p, held in zip(seen.passages, holds) if held]
    first = next((rank for rank, held in enumerate(holds, start=1) if held), None)
    answer = seen.answer
    case = Case(question, answer, gold, corpus.bodies, relevant, corpus.furniture, seen.respelled)
    return QuestionResult(
        config=config, id=question.id, question=question.question, type=question.type, split=question.split,
        answerable=question.answerable, abstained=answer.abstained,
        quotes=[dict(quote=q.quote, source_id=q.source_id, start=q.start, end=q.end, citation=q.citation,
                     score=q.score) for q in answer.answer],
        passages=[dict(rank=rank, source_id=sid, start=span.start, end=span.end, gold=held)
                  for rank, ((sid, span), held) in enumerate(zip(seen.passages, holds), start=1)],
        first_relevant_rank=first if question.answerable else None,
        gold=[dict(source_id=u.source_id, span=u.text) for u in gold],
        metrics=evaluate_case(case),
        conflict=asdict(answer.conflict) if answer.conflict else None,
        ms=float(answer.timings_ms.get("total", 0.0)),
        rankings=rankings,
    )


def add_rank_metrics(results: list[QuestionResult]) -> None:
    """Fill in the ranx metrics of every level for every result (one ranx call per level: it is slow to start)."""
    answerable = [r for r in results if r.answerable]
    key = lambda r: f"{r.config}\t{r.id}"  # noqa: E731
    for level, metrics in LEVEL_METRICS.items():
        qrels = {key(r): r.rankings[level][0] for r in answerable}
        runs = {key(r): r.rankings[level][1] for r in answerable}
        values = evaluate_rankings(qrels, runs, metrics)
        for r in results:
            for metric in metrics:
                r.metrics[f"{level}_{metric}"] = values[metric].get(key(r))


def observe(engine: Engine, question: Question, options: Config, respell: bool = False) -> Observation:
    """Ask one question; with `respell`, a name_variant question is asked again in another spelling."""
    trace = engine.trace(question.question, options=options, depth=DEPTH)
    respelled = None
    if respell and question.type == "name_variant":
        other = engine.spellings().respelled(question.question)
        respelled = engine.ask(other, options=options) if other != question.question else None
    return Observation(
        answer=trace.answer,
        passages=[(p.source_id, Span(p.start, p.end)) for p in trace.ranking[:DEPTH]],
        sentences=[(s.source_id, Span(s.start, s.end)) for s in trace.sentences[:DEPTH]],
        evidence=_evidence(trace.sentences),
        grounded_abstention=trace.grounded_abstention,
        respelled=respelled,
    )


def _evidence(sentences) -> float | None:
    """What the abstention threshold is compared with: the cross-encoder's best score when it re-scored
    the sentences, else the best sentence evidence."""
    if not sentences:
        return None
    if sentences[0].rerank is not None:
        return sentences[0].score
    return max(s.evidence for s in sentences)


@dataclass
class EvalRun:
    """Every question under every configuration, plus what the run was made on."""

    results: list[QuestionResult]
    systems: dict[str, dict]  # name -> {"label", "overrides"}
    questions: list[Question]
    corpus: Corpus
    problems: list[str]


Peer = tuple[str, str, Callable[[Question], Observation]]  # name, label, question -> what it returned


def run_setups(engine: Engine, questions: list[Question], setups: list[Setup], progress: bool = True,
               peers: Iterable[Peer] = (), on_answer: Callable[[int, int], None] | None = None) -> EvalRun:
    """Ask every question under every setup, then through each peer system (for the benchmark).

    `on_answer(done, total)` is called after each question under each system (the page's progress bar).
    """
    from tqdm.auto import tqdm

    peers = list(peers)
    corpus = Corpus.read(engine.config)
    gold: dict[str, list[GoldUnit]] = {}
    problems: list[str] = []
    usable = []
    for question in questions:
        units, found_problems = locate_gold(question, corpus.bodies)
        problems += found_problems
        if question.answerable and not units:
            continue  # nothing to judge against; reported in `problems`
        gold[question.id] = units
        usable.append(question)
    systems = [(s.name, lambda q, options=s.options(engine.config), main=s.name == MAIN: observe(engine, q, options, main))
               for s in setups]
    systems += [(name, ask) for name, _, ask in peers]
    described = {s.name: {"label": s.label, "overrides": s.describe(engine.config)} for s in setups}
    described.update({name: {"label": label, "overrides": {}} for name, label, _ in peers})
    results: list[QuestionResult] = []
    total = len(systems) * len(usable)
    with tqdm(total=total, desc="eval", unit="q", file=sys.stderr, disable=not progress,
              dynamic_ncols=True) as bar:
        for name, system in systems:
            bar.set_postfix_str(name)
            for question in usable:
                results.append(judge(name, question, gold[question.id], system(question), corpus))
                bar.update()
                if on_answer is not None:
                    on_answer(len(results), total)
    add_rank_metrics(results)
    return EvalRun(results, described, usable, corpus, problems)
