"""The public benchmark: SQuAD 2.0 paragraphs become the sources of a scratch project; questions go through `ask`."""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
import tempfile
from pathlib import Path

from ..config import Config
from ..embedding import Embedder, resolve_model
from ..engine import Engine
from .configurations import Setup
from .dataset import Benchmark, load_squad
from .embedders import embedder_peers
from .runner import Corpus, EvalRun, Peer, run_setups
from .txtai_peer import LABEL, TxtaiPeer, txtai_version  # txtai itself is imported when the peer is made

log = logging.getLogger(__name__)

DEFAULT_SQUAD = Path("..") / "shared" / "benchmarks" / "squad2-dev-5-articles.json"
OUTLET = "Wikipedia (SQuAD 2.0)"


def default_squad_path(config: Config) -> Path:
    return (config.root / DEFAULT_SQUAD).resolve()


def write_sources(benchmark: Benchmark, sources_dir: Path) -> None:
    """One .txt file per paragraph, byte for byte the paragraph text, with its article title as metadata."""
    sources_dir.mkdir(parents=True, exist_ok=True)
    wanted = {p.source_id for p in benchmark.paragraphs}
    for stale in sources_dir.glob("*.txt"):
        if stale.stem not in wanted:
            stale.unlink()
    for paragraph in benchmark.paragraphs:
        path = sources_dir / f"{paragraph.source_id}.txt"
        data = paragraph.body.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            meta = {"title": paragraph.title, "outlet": OUTLET, "language": "en"}
            path.with_name(paragraph.source_id + ".meta.json").write_text(json.dumps(meta), encoding="utf-8")


def project_config(base: Config, workdir: Path) -> Config:
    """The user's settings (model, backend, weights) pointed at the scratch project."""
    changes = dict(root=workdir, sources_dir=workdir / "sources", index_dir=workdir / "index",
                   data_dir=workdir / "data")
    if base.backend == "milvus":
        changes["milvus_uri"] = str(workdir / "milvus.db")
    return base.replace(**changes)


def run_benchmark(base: Config, path: Path, setups: list[Setup], workdir: Path | None = None,
                  with_peers: bool = True, limit: int | None = None, progress: bool = True,
                  embedder: Embedder | None = None,
                  embedders: tuple[str, ...] = ()) -> tuple[EvalRun, Benchmark, list[str]]:
    """Index the benchmark's paragraphs with our own code and run every setup (and txtai, and the full
    system with each of the `embedders` variants) on its questions.

    Returns the run, the benchmark, and notes (e.g. why a peer did not run).
    """
    benchmark = load_squad(path)
    questions = benchmark.questions[:limit] if limit else benchmark.questions
    notes = list(benchmark.warnings)
    with tempfile.TemporaryDirectory(prefix="qa-squad-") as scratch:
        folder = Path(workdir or scratch).resolve()
        write_sources(benchmark, folder / "sources")
        config = project_config(base, folder)
        engine = Engine.load(config, progress=progress, embedder=embedder)
        peers: list[Peer] = embedder_peers(engine, embedders, progress)
        if with_peers:
            peer, why = make_txtai_peer(config, progress)
            if peer is not None:
                peer.prepare(questions)
                peers.append(("txtai", LABEL, peer.observe))
            else:
                notes.append(f"txtai not run: {why}")
        run = run_setups(engine, questions, setups, progress=progress, peers=peers)
    run.problems = notes + run.problems
    return run, benchmark, notes


def make_txtai_peer(config: Config, progress: bool):
    """(peer, None) or (None, the reason it cannot run)."""
    if importlib.util.find_spec("txtai") is None:
        return None, "txtai is not installed; `pip install txtai==9.14.0`"
    try:
        path, _ = resolve_model(config.model)
        if progress:
            print(f"indexing the benchmark with txtai {txtai_version()} (model {path})", file=sys.stderr, flush=True)
        return TxtaiPeer(path, Corpus.read(config), config.batch_size), None
    except Exception as exc:  # txtai raises many kinds; the report needs the reason, the run goes on
        log.debug("txtai failed", exc_info=True)
        return None, f"{type(exc).__name__}: {exc}"
