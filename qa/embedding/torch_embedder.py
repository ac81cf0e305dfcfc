"""The sentence-transformers embedder (PyTorch): the reference the ONNX export is checked against, and the
fallback when onnxruntime is missing."""

from __future__ import annotations

import contextlib

import numpy as np

from ..config import Config
from .base import Embedder, cpu_threads
from .model import load_model


class SentenceTransformerEmbedder(Embedder, kind="torch"):
    """A sentence-transformers model on PyTorch; `threads` intra-op threads for indexing (0: one per CPU)."""

    reference = True
    variant = "torch"

    def __init__(self, model_name: str, device: str = "cpu", batch_size: int = 32, threads: int = 0,
                 **model_options) -> None:
        self.model_name, self.device, self.batch_size = model_name, device, batch_size
        self.threads = cpu_threads(threads)
        self._model, self.model_id = load_model("SentenceTransformer", model_name, device, "embedding model",
                                                **model_options)
        dimension = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dimension = int(dimension())

    @classmethod
    def load(cls, config: Config) -> "SentenceTransformerEmbedder":
        return cls(config.model, device=config.device, batch_size=config.batch_size, threads=config.embed_threads)

    @property
    def model(self):
        """The `SentenceTransformer` itself (the ONNX export reads its modules)."""
        return self._model

    def _embed(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, self.threads)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Questions on one CPU thread: a short input gains nothing from more, and on a busy machine every
        extra thread waits for a free core (measured here: 10 ms on one, 90 ms on two)."""
        return self._encode(list(texts), 1).reshape(len(texts), self.dimension)

    def _encode(self, texts: list[str], threads: int) -> np.ndarray:
        with self._threads(threads):
            vectors = self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                         normalize_embeddings=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @contextlib.contextmanager
    def _threads(self, count: int):
        """torch's intra-op threads set to `count` for the block (on CPU; a GPU ignores them)."""
        if not self.device.startswith("cpu"):
            yield
            return
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(count)
        try:
            yield
        finally:
            torch.set_num_threads(before)
