"""Exporting a sentence-transformers model to ONNX, once, offline. It needs torch and sentence-transformers,
imported only when an export runs (the answering path loads this module, never them). The caller
(`OnnxEmbedder.load`) checks each exported variant against the torch vectors stored here before it is used.

sentence-transformers' own `backend="onnx"` needs optimum-onnx, whose transformers < 4.58 conflicts with
sentence-transformers 6.2's transformers >= 5, so the graph is exported directly: `torch.onnx.export`'s
TorchScript exporter (opset 17) over the transformer with mean pooling and L2 normalisation inside the
graph, dynamic batch and sequence axes, then fused by onnxruntime's transformer optimizer (all but the
residual additions with their layer norms: see `SESSION_DISABLED_FUSIONS`).
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Callable

import numpy as np

from ..files import STALE_TEMPORARY_S, folder_made_whole
from .model import ModelError
from .onnx_cache import (FILES, META, RECIPE, ExportError, fingerprint, folder_name, model_settings, read_json,
                         remember, write_json)
from .torch_embedder import SentenceTransformerEmbedder

OPSET = 17
CHECK_TEXTS = 200
# The residual additions and their layer norms stay unfused, in the export and in a CPU session (whose own
# optimiser would fuse them again): onnxruntime 1.32's CPU SkipLayerNormalization took 727 µs where Add +
# LayerNormalization take 110 µs on one (8, 52, 384) batch, so fusing cost 6 % of indexing with fp32 and
# 20 % with int8 (the seed corpus; same vectors to 1e-6)
SESSION_DISABLED_FUSIONS = ["SkipLayerNormFusion"]


def export(model_dir: str | os.PathLike, cache_dir: str | os.PathLike, model_id: str, quantize: str = "",
           log: Callable[[str], None] = print) -> Path:
    """The export folder of the model in `model_dir` under `cache_dir`, made if missing (and its int8 file
    when `quantize` is "int8"). Reads only `model_dir`. Two processes exporting at once both succeed: the
    folder is written under a temporary name and renamed."""
    model_dir, cache_dir = Path(model_dir).resolve(), Path(cache_dir)
    settings = model_settings(model_dir)
    key = fingerprint(model_dir)
    folder = cache_dir / folder_name(model_id, key)
    if not (folder / META).exists() or not (folder / FILES["fp32"]).exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        _remove_stale_exports(cache_dir, model_id)
        log(f"exporting the embedding model {model_id!r} to ONNX, once, into {folder} (about a minute)")
        with folder_made_whole(folder) as temporary:
            _export_fp32(model_dir, temporary, settings, key, model_id)
    if quantize and not (folder / FILES[quantize]).exists():
        _quantize_int8(folder)
    remember(model_dir, cache_dir, key)
    return folder


def _remove_stale_exports(cache_dir: Path, model_id: str) -> None:
    """Once an hour old (a younger one may be in use by another process): temporary export folders an
    interrupted export left, and this model's exports made by an earlier recipe (about 130 MB each, never
    read again by this version)."""
    for folder in [*cache_dir.glob(".*.tmp"), *cache_dir.glob(f"{folder_name(model_id, '')}*")]:
        try:
            if not folder.is_dir() or time.time() - folder.stat().st_mtime <= STALE_TEMPORARY_S:
                continue
            if not folder.name.startswith("."):
                meta = read_json(folder / META, None)
                if meta is None or meta.get("model_id") != model_id or meta.get("recipe") == RECIPE:
                    continue
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _export_fp32(model_dir: Path, folder: Path, settings: dict, key: str, model_id: str) -> None:
    started = time.perf_counter()
    torch_embedder = SentenceTransformerEmbedder(str(model_dir), device="cpu")
    texts = check_texts()
    reference = torch_embedder.encode_passages(texts)  # what `--embedder torch` computes for them
    import torch

    model = torch_embedder.model
    if int(model.max_seq_length) != settings["max_seq_length"]:
        raise ExportError(f"max_seq_length: the model says {model.max_seq_length}, its files "
                          f"{settings['max_seq_length']}")
    transformer = model[0].auto_model
    # Eager attention traces to MatMul/Softmax that onnxruntime's optimizer fuses into one Attention node
    # (~10 % faster); the default (sdpa) traces to a shape the fuser does not recognise. Same numbers.
    transformer.set_attn_implementation("eager")

    class Pooled(torch.nn.Module):
        """transformer -> mean over the attention mask -> L2 normalisation (Pooling and Normalize)."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            tokens = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    raw = folder / "raw.onnx"
    dummy = (torch.ones(2, 16, dtype=torch.long), torch.ones(2, 16, dtype=torch.long))
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its deprecation
        # dynamo=False: the dynamo exporter needs onnxscript, emits opset 18 and fuses no Attention
        torch.onnx.export(Pooled(transformer).eval(), dummy, str(raw), dynamo=False, opset_version=OPSET,
                          input_names=["input_ids", "attention_mask"], output_names=["sentence_embedding"],
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "sentence_embedding": {0: "batch"}})
    fused = _fuse(raw, folder / FILES["fp32"], transformer.config)
    shutil.copy2(model_dir / "tokenizer.json", folder / "tokenizer.json")
    np.save(folder / "check_ref.npy", reference)
    write_json(folder / "check_texts.json", texts)
    import onnxruntime

    write_json(folder / META, {
        "model_id": model_id, "dimension": int(reference.shape[1]), **settings, "key": key, "recipe": RECIPE,
        "source": str(model_dir), "opset": OPSET, "fused": fused, "export_s": round(time.perf_counter() - started, 1),
        "versions": {"torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
                     "sentence_transformers": sys.modules["sentence_transformers"].__version__},
        "checks": {}})


def _fuse(raw: Path, target: Path, model_config) -> dict:
    """onnxruntime's BERT fusions (EmbedLayerNormalization, Attention, BiasGelu; not SkipLayerNormalization)
    written to `target`; the unfused graph, which is just as exact, when they cannot run (onnx missing)."""
    try:
        from onnxruntime.transformers.fusion_options import FusionOptions
        from onnxruntime.transformers.optimizer import optimize_model

        options = FusionOptions("bert")
        options.enable_skip_layer_norm = options.enable_bias_skip_layer_norm = False
        optimized = optimize_model(str(raw), model_type="bert", num_heads=model_config.num_attention_heads,
                                   hidden_size=model_config.hidden_size, opt_level=0, use_gpu=False,
                                   optimization_options=options)
        optimized.save_model_to_file(str(target))
        raw.unlink()
        return {name: count for name, count in optimized.get_fused_operator_statistics().items() if count}
    except Exception as exc:  # an optimisation only
        logging.getLogger(__name__).info("ONNX fusion skipped: %s", exc)
        raw.rename(target)
        return {}


def _quantize_int8(folder: Path) -> None:
    """Dynamic int8 quantisation of model.onnx: int8 weights per output channel, activations quantised at
    run time. Per channel: per-tensor gave min cosine 0.88 to torch here, per channel 0.97."""
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise ModelError(f"int8 quantisation needs the onnx package: pip install -e \".[onnx]\" ({exc})") from exc
    temporary = folder / f".{FILES['int8']}.{os.getpid()}.tmp"
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint on the root logger
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # DefaultTensorType: the fused contrib ops defeat ONNX shape inference; without a default element
            # type (FLOAT) quantize_dynamic refuses the graph
            quantize_dynamic(str(folder / FILES["fp32"]), str(temporary), weight_type=QuantType.QInt8,
                             per_channel=True, extra_options={"DefaultTensorType": 1})
        os.replace(temporary, folder / FILES["int8"])
    finally:
        root.setLevel(level)
        temporary.unlink(missing_ok=True)
    meta = read_json(folder / META, {})
    meta.get("checks", {}).pop("int8", None)
    write_json(folder / META, meta)


def check_texts(n: int = CHECK_TEXTS) -> list[str]:
    """A fixed set of texts the export is checked on: edge cases, news-like sentences in several scripts,
    and deterministic word strings of every length up to past max_seq_length (so truncation is checked)."""
    texts = [
        "", " ", "a", "?", "Hello, world!", "How many servicemen died as a result of torture?",
        "Who ordered the dismissal of the corps commander?", "When did the Defense Ministry acknowledge the deaths?",
        "The commander of the Second Army Corps has been dismissed by the order of the head of state.",
        "According to the lawyer, at least 25 people were tortured in May 2017 in Tartar (Tərtər).",
        "In 2017, dozens of soldiers were detained; 9 died, the report said — others dispute the figure.",
        "\"We were beaten every day,\" one of the former servicemen told the court on 7 October 2024.",
        "Müdafiə Nazirliyi məlumatı təkzib etdi.", "Министерство обороны не комментирует эти сообщения.",
        "国防部对此不予置评。", "The case 🚨 was reopened #Tartar @user https://example.org/a?b=1&c=2",
        "UPPER CASE HEADLINE: MINISTRY SILENT", "tabs\tand\nnewlines\r\nand   spaces",
        "e-mail: press@mod.gov.az, tel. +994 12 000 00 00", "1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
        "naïve café façade résumé coöperate", "Lieutenant-General Mais Barkhudarov",
    ]
    words = ("the ministry said army soldiers were detained tortured court case lawyer report officers commander "
             "general investigation prosecutor families died deaths released prison military corps state office "
             "according human rights statement journalists year during after before against however because "
             "people former 2017 2020 2024 nine thirteen twenty-five percent azerbaijan baku tartar terter").split()
    lengths = [1, 2, 3, 5, 8, 12, 16, 24, 32, 48, 64, 96, 128, 180, 240, 250, 255, 260, 300, 400]
    rng = random.Random(17)
    while len(texts) < n:
        count = lengths[len(texts) % len(lengths)] if len(texts) % 3 else rng.randint(4, 40)
        sentence = " ".join(rng.choice(words) for _ in range(count))
        texts.append(sentence[0].upper() + sentence[1:] + rng.choice([".", "?", "!", ""]))
    return texts[:n]
