"""Optional cross-encoder: reads each candidate sentence together with the question and scores the pair."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .scoring import ScoredSentence
from .embedding import ModelError, load_model


@dataclass
class Reranker:
    """A sentence-transformers CrossEncoder with one output per (question, sentence) pair, read as the
    probability that the sentence answers the question (the model's own activation, a sigmoid by default).

    Off by default: no trained one can be loaded offline here. With internet, any one-label cross-encoder
    works (e.g. `cross-encoder/ms-marco-MiniLM-L-6-v2`); a local folder works offline.
    """

    model_name: str
    device: str = "cpu"
    batch_size: int = 32

    def __post_init__(self) -> None:
        self._model, self.model_id = load_model("CrossEncoder", self.model_name, self.device, "reranker")
        labels = int(getattr(self._model, "num_labels", 1))
        if labels != 1:
            raise ModelError(f"reranker {self.model_name!r} gives {labels} scores per pair; "
                             "it must give one (a relevance or answerability score)")

    def score(self, question: str, texts: list[str]) -> np.ndarray:
        """One score in [0, 1] per text (higher: the text answers the question)."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        scores = self._model.predict([(question, text) for text in texts], batch_size=self.batch_size,
                                     show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(scores, dtype=np.float32).reshape(len(texts))


def rerank_sentences(question: str, ranked: list[ScoredSentence], reranker: Reranker,
                     k: int) -> list[ScoredSentence]:
    """The best `k` sentences of the first pass, re-scored by the cross-encoder and sorted by its score.

    The others are left out: their first-pass scores are on another scale, and the cross-encoder has not
    judged them.
    """
    candidates = ranked[:k]
    scores = reranker.score(question, [s.text for s in candidates])
    rescored = [replace(s, score=float(p), rerank=float(p)) for s, p in zip(candidates, scores)]
    return sorted(rescored, key=lambda s: (-s.score, s.source_id, s.start))
