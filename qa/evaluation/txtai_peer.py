"""txtai as a peer system: its hybrid (BM25 + vectors) search over the same paragraphs and sentences, same model."""

from __future__ import annotations

import logging

from ..types import Answer, Citation, Quote, Span
from .dataset import Question
from .retrieval_metrics import DEPTH
from .runner import Corpus, Observation

LABEL = "txtai hybrid (peer)"


class TxtaiPeer:
    """Two txtai indexes, one of paragraphs and one of sentences (the spans our own index uses).

    Its answer is its best sentence, quoted; txtai has no way to abstain.
    """

    def __init__(self, model_path: str, corpus: Corpus, batch_size: int = 64):
        from txtai import Embeddings

        logging.getLogger("txtai").setLevel(logging.WARNING)
        settings = {"path": model_path, "method": "sentence-transformers", "content": False, "hybrid": True,
                    "batch": batch_size, "encodebatch": batch_size}
        self.corpus = corpus
        self.paragraphs = sorted(corpus.bodies)
        self.sentences = [(sid, span) for sid in self.paragraphs for span in corpus.sentences(sid)]
        self.paragraph_index = Embeddings(**settings)
        self.paragraph_index.index([(i, corpus.bodies[sid], None) for i, sid in enumerate(self.paragraphs)])
        self.sentence_index = Embeddings(**settings)
        self.sentence_index.index([(i, corpus.bodies[sid][span.start:span.end], None)
                                   for i, (sid, span) in enumerate(self.sentences)])

        self._found: dict[str, tuple[list, list]] = {}
        self.batch_size = batch_size

    def prepare(self, questions: list[Question]) -> None:
        """Search for all questions in batches (one model call per batch, as txtai intends)."""
        texts = list(dict.fromkeys(q.question for q in questions if q.question not in self._found))
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            paragraphs = self.paragraph_index.batchsearch(batch, DEPTH)
            sentences = self.sentence_index.batchsearch(batch, DEPTH)
            self._found.update(zip(batch, zip(paragraphs, sentences)))

    def observe(self, question: Question) -> Observation:
        if question.question not in self._found:
            self.prepare([question])
        found_paragraphs, found_sentences = self._found[question.question]
        paragraphs = [self.paragraphs[int(i)] for i, _ in found_paragraphs]
        sentences = [self.sentences[int(i)] for i, _ in found_sentences]
        quotes, citations = [], []
        if sentences:
            sid, span = sentences[0]
            quotes = [Quote(self.corpus.bodies[sid][span.start:span.end], sid, span.start, span.end, 1, 0.0)]
            citations = [Citation(1, sid, "", "", "", "")]
        answer = Answer(question=question.question, abstained=False, answer=quotes, citations=citations, passages=[])
        return Observation(answer, [(sid, Span(0, len(self.corpus.bodies[sid]))) for sid in paragraphs], sentences)


def txtai_version() -> str:
    from importlib.metadata import version

    return version("txtai")
