"""The configurations compared side by side: baselines, the full system, and one-component ablations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from ..config import Config


@dataclass(frozen=True)
class Setup:
    """A named variant of the engine's settings, applied per question through `Engine.ask(options=...)`."""

    name: str
    label: str
    overrides: Callable[[Config], dict] = field(default=lambda base: {}, repr=False)

    def options(self, base: Config) -> Config:
        return base.replace(**self.overrides(base))

    def describe(self, base: Config) -> dict:
        return self.overrides(base)


SETUPS: dict[str, Setup] = {s.name: s for s in (
    # sentence score = lexical coverage + passage score: BM25 retrieval, no vectors anywhere
    Setup("bm25", "BM25 only", lambda b: dict(use_dense=False, w_dense=0.0, use_phonetic=False,
                                               use_answer_type=False, w_lexical=1.0)),
    # sentence score = cosine + passage score: vector retrieval, no words matched anywhere
    Setup("dense", "dense only", lambda b: dict(use_lexical=False, w_lexical=0.0, use_answer_type=False)),
    # RRF of both retrievers; sentences by cosine + passage score, without the lexical and answer-type terms
    Setup("rrf", "hybrid RRF", lambda b: dict(use_phonetic=False, use_answer_type=False, w_lexical=0.0)),
    Setup("full", "full system"),
    Setup("no_phonetic", "− phonetic keys", lambda b: dict(use_phonetic=False)),
    Setup("no_answer_type", "− answer-type bonus", lambda b: dict(use_answer_type=False)),
    Setup("no_sentence_lexical", "− lexical in sentence scoring", lambda b: dict(w_lexical=0.0)),
    # abstention on the evidence threshold alone: no "the sources never mention X"
    Setup("no_grounding", "− grounding", lambda b: dict(use_grounding=False)),
    # names searched as typed, not in the spelling the sources use most
    Setup("no_source_spelling", "− source spelling", lambda b: dict(use_source_spelling=False)),
)}
DEFAULT_SETUPS = tuple(SETUPS)
BENCHMARK_SETUPS = ("bm25", "dense", "rrf", "full")
MAIN = "full"


def pick(names: str | None, default: tuple[str, ...] = DEFAULT_SETUPS) -> list[Setup]:
    """Setups from a comma-separated list of names (None: the default ones)."""
    chosen = [n.strip() for n in names.split(",") if n.strip()] if names else list(default)
    unknown = [n for n in chosen if n not in SETUPS]
    if unknown:
        raise ValueError(f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(SETUPS)}")
    return [SETUPS[n] for n in dict.fromkeys(chosen)]
