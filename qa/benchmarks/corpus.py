"""The benchmarks' inputs: a private copy of the seed corpus, its questions, and its real vectors."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..config import Config
from ..evaluation.dataset import load_questions
from ..index.faiss_backend import SEGMENTS, read_segment

# Used for latency only when no question file exists (eval/questions/*.jsonl has gold spans for recall).
FALLBACK_QUESTIONS = (
    "How many servicemen died as a result of torture?",
    "Who was dismissed as commander of the Second Army Corps?",
    "When were the servicemen arrested?",
    "What did military prosecutor Khanlar Valiyev acknowledge?",
    "Who is Hikmet Hasanov?",
    "What happened in Terter in 2017?",
    "How many people were detained in the Tartar case?",
    "Who ordered the arrests?",
    "What did the Ministry of Defence say about the case?",
    "What is the capital of France?",
)


@dataclass(frozen=True)
class QuestionSet:
    """Questions to time, and (when a question file exists) the parsed questions with gold spans."""

    texts: list[str]
    judged: list  # qa.evaluation.dataset.Question, answerable ones with gold spans; empty without a file
    origin: str


def load_question_set(path: Path, limit: int = 0) -> QuestionSet:
    """Questions of eval/questions (every split); the fallback list when there are none."""
    try:
        questions = load_questions(path)
    except (ValueError, OSError) as exc:
        texts = list(FALLBACK_QUESTIONS)
        return QuestionSet(texts[:limit] if limit else texts, [], f"built-in list ({exc})")
    texts = [q.question for q in questions]
    judged = [q for q in questions if q.answerable and q.gold]
    return QuestionSet(texts[:limit] if limit else texts, judged, str(path))


def seed_project(config: Config, work: Path) -> Config:
    """A copy of the configured sources under `work` (the benchmark never touches the real index)."""
    root = work / "seed"
    sources = root / "sources"
    if sources.exists():
        shutil.rmtree(sources)
    shutil.copytree(config.sources_dir, sources, ignore=shutil.ignore_patterns(".*"))
    return config.replace(root=root, sources_dir=sources, index_dir=root / "index", data_dir=root / "data")


def seed_vectors(engine) -> np.ndarray:
    """Every chunk and sentence vector of the seed index (the centres of the synthetic corpora)."""
    backend = engine.backend
    manifest = backend.read_manifest()
    blocks = []
    for source_id, entry in sorted(manifest["sources"].items()):
        source = read_segment(backend.index_dir / SEGMENTS / entry["segment"], source_id, int(manifest["dim"]))
        blocks += [source.chunk_vectors, source.sentence_vectors]
    return np.concatenate(blocks).astype(np.float32)
