"""The Milvus backend on Milvus Lite: upsert/delete semantics, alias switch, killed ingests, parity, migration, Ray.

The engine's own tests also run on Milvus (tests/test_engine.py, parametrised in conftest.py).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from seed_data import ONNX_DIR, ROOT, make_project

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

from qa import Config, Engine  # noqa: E402
from qa.index.base import IndexedSource, IndexError_  # noqa: E402
from qa.index.milvus_backend import KINDS, MilvusBackend, milvus_terms, resolve_uri  # noqa: E402
from qa.lexical import tokenize  # noqa: E402
from qa.types import SourceSegments, Span  # noqa: E402

DIM = 8
PARITY_TOLERANCE = 0.02
KNOWN_QUESTION = "Who was dismissed as commander of the Second Army Corps?"


def fake_source(source_id: str, version: int = 0, n_chunks: int = 3, dim: int = DIM) -> IndexedSource:
    """An indexed source with random unit vectors (no model): two sentences per chunk."""
    rng = np.random.default_rng(int(hashlib.sha256(f"{source_id}/{version}".encode()).hexdigest()[:8], 16))
    sentences = [Span(i * 10, i * 10 + 9) for i in range(2 * n_chunks)]
    chunks = [Span(c * 20, c * 20 + 19) for c in range(n_chunks)]
    vectors = rng.standard_normal((3 * n_chunks, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return IndexedSource(
        source_id=source_id,
        content_hash=hashlib.sha256(f"{source_id}/{version}".encode()).hexdigest(),
        segments=SourceSegments(source_id, sentences, chunks, [(2 * c, 2 * c + 2) for c in range(n_chunks)]),
        chunk_vectors=np.ascontiguousarray(vectors[:n_chunks]),
        sentence_vectors=np.ascontiguousarray(vectors[n_chunks:]),
        chunk_tokens=[[f"word{version}", f"chunk{c}", "~T636"] for c in range(n_chunks)],
    )


@pytest.fixture()
def lite(tmp_path, milvus_uri, request):
    """A MilvusBackend on its own collection in the session's Milvus Lite file."""
    collection = "u" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    return Config(root=tmp_path, backend="milvus", milvus_uri=milvus_uri, milvus_collection=collection)


def rows(backend: MilvusBackend, kind: str) -> list[dict]:
    return backend._client.query(backend._generation.name(kind), filter='id != ""',
                                 output_fields=["source_key", "content_hash"])


def assert_doc_freqs_match_the_chunks(backend: MilvusBackend, tokens: list[str]) -> None:
    """The stored document frequencies equal a count over the chunk rows."""
    stored = backend._client.query(backend._generation.name("chunks"), filter='id != ""', output_fields=["terms"])
    counted = {t: sum(milvus_terms([t])[0] in row["terms"].split() for row in stored) for t in tokens}
    assert backend.doc_freqs(tokens) == (len(stored), counted)


def test_phonetic_keys_become_single_words_the_analyzer_keeps():
    assert set(milvus_terms(tokenize("Tartar"))) & set(milvus_terms(tokenize("Terter"))) == {"soundext636"}
    assert milvus_terms(["~T636", "tortur"]) == ["soundext636", "tortur"]


def test_a_lite_location_must_be_a_db_file(tmp_path):
    with pytest.raises(IndexError_, match=r"must end in \.db"):
        resolve_uri(Config(root=tmp_path, milvus_uri="some/folder"))
    assert resolve_uri(Config(root=tmp_path)) == str(tmp_path / "index" / "milvus.db")
    assert resolve_uri(Config(root=tmp_path, milvus_uri="http://milvus:19530")) == "http://milvus:19530"


def test_upsert_by_chunk_id_delete_by_source_and_no_duplicates(lite):
    backend = MilvusBackend(lite)
    assert backend.info() is None
    a, b = fake_source("a"), fake_source("b")
    backend.apply("model-x", DIM, add=[a, b], remove=[])
    first = backend._generation
    assert backend.info().sources == {"a": a.content_hash, "b": b.content_hash}
    assert len(rows(backend, "chunks")) == 6 and len(rows(backend, "sentences")) == 12

    backend.apply("model-x", DIM, add=[a], remove=[])  # the same text again: nothing doubles
    assert len(rows(backend, "chunks")) == 6 and len(rows(backend, "sentences")) == 12

    a2 = fake_source("a", version=1, n_chunks=2)  # an edited source: only its new rows stay
    backend.apply("model-x", DIM, add=[a2], remove=["b"])
    assert backend._generation == first  # incremental: the same collections
    assert backend.info().sources == {"a": a2.content_hash}
    assert {r["content_hash"] for r in rows(backend, "chunks")} == {a2.content_hash}
    assert len(rows(backend, "chunks")) == 2 and len(rows(backend, "sentences")) == 4

    reopened = MilvusBackend(lite)  # what another process sees
    assert reopened.info() == backend.info()
    hits = reopened.search_dense(a2.chunk_vectors[1], 2)
    assert hits[0].key == "a#1" and hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert [h.source_id for h in reopened.search_lexical(["word1"], 5)] == ["a", "a"]
    assert reopened.search_lexical(["word0"], 5) == []  # the old version's words are gone
    records = reopened.sentences(["a#1"])
    assert [(r.start, r.end) for r in records] == [(20, 29), (30, 39)]
    assert np.array_equal(np.stack([r.vector for r in records]), a2.sentence_vectors[2:4])  # stored, not recomputed
    assert reopened.doc_freqs(["word1", "~T636", "absent"]) == (2, {"word1": 2, "~T636": 2, "absent": 0})
    backend.apply("model-x", DIM, add=[fake_source("c", n_chunks=4)], remove=[])
    assert_doc_freqs_match_the_chunks(backend, ["word0", "word1", "~T636", "chunk3", "absent"])


def test_another_model_builds_a_new_collection_and_switches_the_alias(lite):
    backend = MilvusBackend(lite)
    backend.apply("model-x", DIM, add=[fake_source("a")], remove=[])
    old = backend._generation
    backend.apply("model-y", 2 * DIM, add=[fake_source("a", dim=2 * DIM)], remove=[])
    assert backend.info().model_id == "model-y" and backend.info().dim == 2 * DIM
    assert backend._generation != old
    names = backend._client.list_collections()
    assert not any(name.startswith(old.name("")) for name in names)  # the replaced generation is dropped
    with pytest.raises(IndexError_, match="16-d vectors of model 'model-y'"):
        backend.search_dense(np.ones(DIM, np.float32), 3)


def test_a_collection_made_by_something_else_is_refused(lite):
    from pymilvus import MilvusClient

    client = MilvusClient(resolve_uri(lite))
    client.create_collection(lite.milvus_collection, dimension=4)
    with pytest.raises(IndexError_, match="was not made by qa"):
        MilvusBackend(lite)


def test_the_token_comes_from_the_environment_only(tmp_path, monkeypatch):
    seen = {}

    class FakeClient:
        def __init__(self, uri, token=""):
            seen.update(uri=uri, token=token)

        def has_collection(self, name):
            return False

    import pymilvus

    monkeypatch.setattr(pymilvus, "MilvusClient", FakeClient)
    monkeypatch.setenv("MY_MILVUS_TOKEN", "user:secret")
    config = Config(root=tmp_path, backend="milvus", milvus_uri="http://milvus.example:19530",
                    milvus_token_env="MY_MILVUS_TOKEN")
    backend = MilvusBackend(config)
    assert seen == {"uri": "http://milvus.example:19530", "token": "user:secret"}
    assert "secret" not in repr(config) and "secret" not in json.dumps(backend.describe())


def test_a_model_change_rebuilds_the_milvus_index(project, make_engine, milvus_uri, embedder):
    config = Config(root=project, backend="milvus", milvus_uri=milvus_uri, milvus_collection="model_change")
    engine = Engine.load(config, embedder=embedder)
    backend = engine.backend
    backend._client.alter_collection_properties(backend._generation.name("chunks"), {"qa.model_id": "another-model"})
    engine = Engine.load(config, embedder=embedder)
    assert "another-model" in engine.last_report.rebuilt
    assert engine.last_report.embedded_chunks == engine.backend.info().n_chunks > 0
    assert not engine.ask(KNOWN_QUESTION).abstained


# ---- parity with faiss on the seed evaluation set ---------------------------------------------------

def evaluate(engine) -> dict:
    from qa.evaluation.configurations import SETUPS
    from qa.evaluation.dataset import load_questions
    from qa.evaluation.report import summarize
    from qa.evaluation.runner import run_setups

    questions = load_questions(ROOT / "eval" / "questions")
    run = run_setups(engine, questions, [SETUPS["full"]], progress=False)
    return summarize(run.results, ("all",))["summary"]["all"]["full"]


def test_milvus_matches_faiss_on_the_seed_evaluation_set(seed_engines):
    faiss, milvus = evaluate(seed_engines("faiss")), evaluate(seed_engines("milvus"))
    for metric in ("passage_recall@5", "answer_hit"):
        assert abs(milvus[metric] - faiss[metric]) <= PARITY_TOLERANCE, (metric, faiss[metric], milvus[metric])
    assert milvus["n"] == faiss["n"] >= 80
    for metric in ("verbatim", "citation_correct"):
        assert milvus[metric] == faiss[metric] == 1.0


def test_the_chat_app_answers_through_its_api_on_milvus(seed_engines):
    """The page and its `/ask` endpoint know nothing of the backend: the answers equal the faiss ones."""
    import socket

    from gradio_client import Client

    from qa.ui.app import build_app, launch

    engine = seed_engines("milvus")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = build_app(engine)
    url = launch(demo, engine.config.replace(port=port))
    try:
        client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        for question in ("Who was dismissed as commander of the Second Army Corps?",
                         "How many servicemen died as a result of torture?"):
            data = client.predict(question=question, api_name="/ask")
            assert data["answer"], data
            for quote in data["answer"]:
                assert engine.source(quote["source_id"]).body[quote["start"]:quote["end"]] == quote["quote"]
            assert [q["quote"] for q in data["answer"]] == [q.quote for q in seed_engines("faiss").ask(question).answer]
    finally:
        demo.close()


# ---- a killed ingest ---------------------------------------------------------------------------------

KILLED_INGEST = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {tests!r})
    from test_milvus import fake_source
    from qa import Config
    from qa.index.milvus_backend import MilvusBackend

    config = Config(root=Path({root!r}), backend="milvus", milvus_uri={uri!r}, milvus_batch_rows=1)
    backend = MilvusBackend(config)
    info = backend.info()
    writes = {{"n": 0}}
    client_insert, client_upsert = backend._client.insert, backend._client.upsert

    def pause_before_the_second_commit(write):
        def wrapped(collection, data, **kwargs):
            if collection.endswith("__sources") and not data[0]["id"].startswith("p:"):
                writes["n"] += 1
                if writes["n"] == 2:  # one batch of sources committed, the next one's rows written
                    print("PAUSED", flush=True)
                    sys.stdin.read()  # wait to be killed
            return write(collection, data, **kwargs)
        return wrapped

    backend._client.insert = pause_before_the_second_commit(client_insert)
    backend._client.upsert = pause_before_the_second_commit(client_upsert)
    new = [fake_source(f"killed-{{n}}", dim=info.dim) for n in range(4)]
    backend.apply(info.model_id, info.dim, add=new, remove=[], rebuild={rebuild})
    print("FINISHED", flush=True)
""")


def kill_in_the_middle_of_an_ingest(root: Path, uri: str, rebuild: bool) -> None:
    """Start an ingest of four fake sources in another process and SIGKILL it after the first commit."""
    script = KILLED_INGEST.format(tests=str(Path(__file__).parent), root=str(root), uri=uri, rebuild=rebuild)
    process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        line = process.stdout.readline()
        assert line.strip() == "PAUSED", (line, process.stderr.read() if process.poll() is not None else "")
        os.kill(process.pid, signal.SIGKILL)
        assert process.wait(timeout=60) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
        process.stdin.close()
        process.stdout.close()
        process.stderr.close()


@pytest.fixture(scope="module")
def killed_project(tmp_path_factory, embedder):
    """A project indexed on its own Milvus Lite file, which this process then lets go of (one process per file)."""
    from milvus_lite.server_manager import server_manager_instance

    root = make_project(tmp_path_factory.mktemp("killed"))
    uri = str(root / "kill.db")
    config = Config(root=root, backend="milvus", milvus_uri=uri)
    engine = Engine.load(config, embedder=embedder)
    before = engine.backend.info()
    engine.backend.close()
    server_manager_instance.release_server(uri)
    return config, before


@pytest.mark.parametrize("rebuild", [True, False], ids=["full-build", "incremental"])
def test_a_killed_ingest_leaves_the_alias_on_a_complete_index_that_answers(killed_project, embedder, rebuild):
    from milvus_lite.server_manager import server_manager_instance

    config, before = killed_project
    kill_in_the_middle_of_an_ingest(config.root, config.milvus_uri, rebuild)
    backend = MilvusBackend(config)
    try:
        info = backend.info()
        if rebuild:  # the new generation never got the alias: the old index, untouched
            assert info == before
            assert len(backend._client.list_collections()) == 2 * len(KINDS)  # the dead build's, until the next
        else:  # the first batch was committed whole; the second one's written rows are not part of the index
            assert set(info.sources) == set(before.sources) | {"killed-0"}
            assert len(rows(backend, "chunks")) > info.n_chunks
            probe = np.ones(info.dim, np.float32) / np.sqrt(info.dim)
            assert not any(h.source_id == "killed-1" for h in backend.search_dense(probe, 500))
        engine = Engine.load(config, embedder=embedder)  # syncs with the sources folder, cleaning up
        answer = engine.ask(KNOWN_QUESTION)
        assert not answer.abstained and "Barkhudarov" in " ".join(q.quote for q in answer.answer)
        assert all(engine.source(q.source_id).body[q.start:q.end] == q.quote for q in answer.answer)
        assert engine.backend.info().sources == before.sources
        assert len(rows(engine.backend, "chunks")) == before.n_chunks  # what the killed process wrote is gone
        assert_doc_freqs_match_the_chunks(engine.backend, tokenize(KNOWN_QUESTION) + ["word0", "chunk0"])
        engine.backend.close()
    finally:
        backend.close()
        server_manager_instance.release_server(config.milvus_uri)


# ---- moving a FAISS index into Milvus ------------------------------------------------------------

def test_qa_index_from_faiss_copies_the_stored_vectors_without_embedding(seed_engines, embedder_name, milvus_uri,
                                                                         monkeypatch, capsys):
    from qa import cli
    from qa.embedding import Embedder

    faiss = seed_engines("faiss", embedder_name)
    monkeypatch.setattr(Embedder, "encode_passages", lambda *a, **k: pytest.fail("--from-faiss must not embed"))
    monkeypatch.setenv("QA_MILVUS_COLLECTION", "from_faiss")
    status = cli.main(["index", "--backend", "milvus", "--uri", milvus_uri, "--from-faiss",
                       "--index-dir", str(faiss.config.index_dir), "--sources-dir", str(faiss.config.sources_dir)])
    assert status == 0 and "nothing was re-embedded" in capsys.readouterr().out
    milvus = MilvusBackend(faiss.config.replace(backend="milvus", milvus_uri=milvus_uri,
                                                milvus_collection="from_faiss"))
    assert milvus.info() == faiss.backend.info()
    vector = faiss.embedder.encode_one(KNOWN_QUESTION)
    assert [h.key for h in milvus.search_dense(vector, 10)] == [h.key for h in faiss.backend.search_dense(vector, 10)]
    keys = [h.key for h in faiss.backend.search_dense(vector, 3)]
    for ours, theirs in zip(milvus.sentences(keys), faiss.backend.sentences(keys)):
        assert (ours.chunk_key, ours.start, ours.end) == (theirs.chunk_key, theirs.start, theirs.end)
        assert np.array_equal(ours.vector, theirs.vector)


def test_from_faiss_needs_the_milvus_backend(capsys, tmp_path):
    from qa import cli

    assert cli.main(["index", "--from-faiss", "--index-dir", str(tmp_path)]) == 2
    assert "--backend milvus" in capsys.readouterr().err


# ---- embedding on Ray ----------------------------------------------------------------------------

@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # raised inside Ray Data's own configuration
def test_a_ray_data_pipeline_builds_the_same_index_as_one_process(tmp_path, embedder):
    ray = pytest.importorskip("ray")
    from qa.index.faiss_backend import SEGMENTS, FaissBackend, read_manifest, read_segment
    from qa.index.ray_embedder import RayEmbedder
    from qa.index.sync import embed_sources, sync_index
    from qa.sources import load_sources

    # a few hundred short chunks: the seed articles, and three of them again with their lines reversed
    config = Config(root=make_project(tmp_path), chunk_chars=200, ray_address="local", onnx_dir=ONNX_DIR,
                    embedder=embedder.kind, quantize=getattr(embedder, "quantize", ""))
    for path in sorted(config.sources_dir.glob("*.txt"))[:3]:
        lines = path.read_text(encoding="utf-8").splitlines()
        (config.sources_dir / f"reversed-{path.name}").write_text("\n".join(reversed(lines)), encoding="utf-8")
    sources, _ = load_sources(config.sources_dir)
    local = embed_sources(sources, embedder, config)
    assert sum(len(s.segments.chunks) for s in local) >= 200
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 * 2**20, log_to_driver=False)
    try:
        report = sync_index(sources, FaissBackend(config.index_dir), RayEmbedder(config, embedder, workers=1), config)
    finally:
        ray.shutdown()
    assert report.embedded_chunks == sum(len(s.segments.chunks) for s in local)
    manifest = read_manifest(config.index_dir)
    for single in local:
        entry = manifest["sources"][single.source_id]
        distributed = read_segment(config.index_dir / SEGMENTS / entry["segment"], single.source_id, embedder.dim)
        assert distributed.segments == single.segments and distributed.chunk_tokens == single.chunk_tokens
        np.testing.assert_allclose(distributed.chunk_vectors, single.chunk_vectors, atol=1e-5)
        np.testing.assert_allclose(distributed.sentence_vectors, single.sentence_vectors, atol=1e-5)


# ---- a server shared by several replicas -------------------------------------------------------------

@pytest.fixture(scope="module")
def milvus_server(tmp_path_factory):
    """Milvus Lite's own gRPC server in another process on 127.0.0.1: the code path of a Milvus server."""
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = tmp_path_factory.mktemp("server") / "data"
    process = subprocess.Popen([sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(data),
                                "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "Milvus Lite server did not start"
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_replicas_on_a_server_follow_each_others_changes(milvus_server, tmp_path):
    config = Config(root=tmp_path, backend="milvus", milvus_uri=milvus_server, milvus_collection="shared")
    writer, reader = MilvusBackend(config), MilvusBackend(config)
    assert not writer.lite and reader.info() is None
    writer.apply("model-x", DIM, add=[fake_source("a"), fake_source("b")], remove=[])
    assert reader.refresh_if_changed() and reader.info() == writer.info()
    assert not reader.refresh_if_changed()  # nothing new: no reload

    a2 = fake_source("a", version=1)
    writer.apply("model-x", DIM, add=[a2], remove=["b"])  # an incremental change
    assert reader.refresh_if_changed() and reader.info().sources == {"a": a2.content_hash}
    assert [h.key for h in reader.search_dense(a2.chunk_vectors[2], 1)] == ["a#2"]

    writer.apply("model-y", DIM, add=[fake_source("c")], remove=[])  # a full build: the alias moves
    assert reader.refresh_if_changed() and set(reader.info().sources) == {"c"}
    assert reader.info().model_id == "model-y" and reader._generation == writer._generation
    assert [h.source_id for h in reader.search_lexical(["chunk1"], 3)] == ["c"]


def test_an_idle_lite_connection_is_not_dropped_for_pinging(lite, capfd):
    """pymilvus' default idle keepalive pings make Milvus Lite send GOAWAY after ~30 s; an idle `qa serve` must live."""
    import time

    backend = MilvusBackend(lite)
    backend.apply("model-x", DIM, add=[fake_source("a")], remove=[])
    time.sleep(40)
    assert backend.search_dense(fake_source("a").chunk_vectors[0], 1)[0].key == "a#0"
    assert MilvusBackend(lite).info() == backend.info()
    assert "too_many_pings" not in capfd.readouterr().err
