"""The FAISS backend's incremental index: adds and removals in place give what a full load from disk gives."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from qa.index.bm25 import SegmentedBM25
from qa.index.faiss_backend import SEGMENTS, FaissBackend
from qa.index.vector_index import VectorIndex
from qa.benchmarks.synthetic import Shape, Vocabulary, synthetic_sources, unit

DIM = 384
TEXT = ("The regional court in Ganja heard a new appeal on March 3. The judge postponed the hearing of the "
        "pelican smuggling case until the spring. Lawyers for the Tartar defence said the delay was unlawful.")


@pytest.fixture(scope="module")
def corpus():
    """40 synthetic sources (400 chunks) with vectors around random centres."""
    seeds = unit(np.random.default_rng(3).standard_normal((30, DIM)).astype(np.float32))
    items = list(synthetic_sources(Shape(400, chunks_per_source=10, seed=5), Vocabulary([TEXT], size=600), seeds))
    return [item.indexed for item in items]


def random_docs(n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[f"w{w % 300}" for w in rng.zipf(1.3, size=int(rng.integers(1, 40)))] for _ in range(n)]


def test_segmented_bm25_scores_equal_bm25s_after_adds_and_removals():
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    docs = random_docs(500, seed=1)
    index = SegmentedBM25()
    for lo in range(0, 500, 37):  # 14 adds: several segments, some merged
        index.add(np.arange(lo, min(lo + 37, 500)), docs[lo:lo + 37])
    removed = set(range(100, 180)) | {3, 499}
    index.remove(np.array(sorted(removed)))
    kept = [i for i in range(500) if i not in removed]
    reference = bm25s.BM25()
    reference.index([docs[i] for i in kept], show_progress=False)
    for query in (["w1", "w2"], ["w5", "w5", "w77"], ["w250"], ["w1", "unknown"]):
        expected = reference.get_scores(query)
        ids, scores = index.search(query, 20)
        order = np.argsort(-expected, kind="stable")[:20]
        order = order[expected[order] > 0]
        assert np.allclose(scores[:len(order)], expected[order], atol=1e-5)
        assert set(ids.tolist()) <= set(kept)
        assert index.doc_freqs(query[:1])[query[0]] == sum(query[0] in docs[i] for i in kept)
    assert index.n_docs == len(kept) and index.n_segments <= 4


def test_ids_must_grow():
    index = SegmentedBM25()
    index.add(np.arange(5), random_docs(5, seed=2))
    with pytest.raises(ValueError):
        index.add(np.arange(3, 6), random_docs(3, seed=3))


@pytest.mark.parametrize("kind", ["ivf", "hnsw"])
def test_vector_index_turns_approximate_at_the_threshold_and_keeps_every_id(kind):
    rng = np.random.default_rng(0)
    vectors = unit(rng.standard_normal((900, 32)).astype(np.float32))
    index = VectorIndex(32, ann_threshold=800, kind=kind, nprobe=64)
    index.add(np.arange(700), vectors[:700])
    assert not index.approximate
    index.add(np.arange(700, 900), vectors[700:])
    assert index.approximate and len(index) == 900
    index.remove(np.arange(0, 100))
    assert len(index) == 800
    _, ids = index.search(vectors[100:110], 1)
    assert ids[:, 0].tolist() == list(range(100, 110))  # each vector finds itself
    _, ids = index.search(vectors[:10], 5)
    assert not set(ids.ravel().tolist()) & set(range(100))


def probe(backend: FaissBackend, probes) -> list:
    """What searches return, by content (chunk keys, spans, rounded scores)."""
    out = []
    for vector, tokens in probes:
        dense = [(h.key, h.start, h.end, round(h.score, 5)) for h in backend.search_dense(vector, 15)]
        lexical = [(h.key, h.start, h.end, round(h.score, 4)) for h in backend.search_lexical(tokens, 15)]
        sentences = [(r.chunk_key, r.start, r.end, round(float(r.vector[0]), 6))
                     for r in backend.sentences([k for k, *_ in dense[:4]])]
        out.append((dense, lexical, sentences, backend.doc_freqs(tokens)))
    return out


def test_incremental_apply_equals_a_fresh_load(tmp_path, corpus):
    backend = FaissBackend(tmp_path / "index")
    backend.apply("model", DIM, add=corpus[:30], remove=[])
    segments = tmp_path / "index" / SEGMENTS
    before = {p.name: p.stat().st_mtime_ns for p in segments.iterdir()}
    backend.apply("model", DIM, add=corpus[30:31], remove=[])  # one article
    after = {p.name: p.stat().st_mtime_ns for p in segments.iterdir()}
    assert {name: after[name] for name in before} == before and len(after) == len(before) + 1
    for source in corpus[31:]:
        backend.apply("model", DIM, add=[source], remove=[])
    backend.apply("model", DIM, add=[], remove=[corpus[2].source_id, corpus[35].source_id])
    replaced = corpus[7]
    backend.apply("model", DIM, add=[type(replaced)(replaced.source_id, "0" * 64, replaced.segments,
                                                     replaced.chunk_vectors[::-1].copy(), replaced.sentence_vectors,
                                                     replaced.chunk_tokens[::-1])], remove=[])
    assert len(list(segments.iterdir())) == 38  # removed and replaced segments are gone

    fresh = FaissBackend(tmp_path / "index")
    assert fresh.info() == backend.info() and fresh.problems == []
    probes = [(corpus[n].chunk_vectors[1], corpus[n].chunk_tokens[1][:6]) for n in (0, 7, 12, 35, 39)]
    assert probe(backend, probes) == probe(fresh, probes)
    assert not [h for h in backend.search_dense(corpus[2].chunk_vectors[0], 400) if h.source_id == corpus[2].source_id]


def test_loading_past_the_threshold_builds_the_approximate_index(tmp_path, corpus):
    FaissBackend(tmp_path / "index").apply("model", DIM, add=corpus, remove=[])
    backend = FaissBackend(tmp_path / "index", ann_threshold=300, ivf_nprobe=1000)
    assert backend.describe()["vector_index"].startswith("IVF") and backend.info().n_chunks == 400
    hit = backend.search_dense(corpus[4].chunk_vectors[3], 1)[0]
    assert hit.key == f"{corpus[4].source_id}#3"


def test_a_large_index_loads_from_its_snapshot_plus_the_journal(tmp_path, corpus):
    index = tmp_path / "index"
    backend = FaissBackend(index, snapshot_min_chunks=100)
    backend.apply("model", DIM, add=corpus[:30], remove=[])  # 300 chunks: a snapshot is written
    snapshot = backend.describe()["snapshot"]
    assert snapshot and (index / snapshot).is_dir()
    manifest = (index / "manifest.json").read_bytes()
    for source in corpus[30:33]:
        backend.apply("model", DIM, add=[source], remove=[])
    backend.apply("model", DIM, add=[], remove=[corpus[1].source_id, corpus[31].source_id])
    assert (index / "manifest.json").read_bytes() == manifest  # each change was one journal line
    assert backend.describe()["journal_lines"] == 4

    with open(index / backend.read_manifest()["journal"], "a") as journal:
        journal.write('{"add": {"torn')  # a crash while a line was written: that change never happened
    loaded = FaissBackend(index, snapshot_min_chunks=100)
    assert loaded.describe()["snapshot"] == snapshot and loaded.info() == backend.info()
    probes = [(corpus[n].chunk_vectors[2], corpus[n].chunk_tokens[2][:6]) for n in (0, 5, 30, 32)]
    expected = probe(backend, probes)
    assert probe(loaded, probes) == expected

    import shutil

    shutil.rmtree(index / snapshot)  # an unusable snapshot: every segment is read instead
    without = FaissBackend(index, snapshot_min_chunks=100)
    assert without.info() == backend.info() and probe(without, probes) == expected


def test_a_damaged_segment_under_a_snapshot_is_reported(tmp_path, corpus):
    index = tmp_path / "index"
    FaissBackend(index, snapshot_min_chunks=100).apply("model", DIM, add=corpus[:20], remove=[])
    damaged = next((index / SEGMENTS).glob(f"{corpus[3].source_id}.*"))
    damaged.write_bytes(b"garbage")
    loaded = FaissBackend(index, snapshot_min_chunks=100)
    assert corpus[3].source_id not in loaded.info().sources and len(loaded.info().sources) == 19
    assert any(corpus[3].source_id in problem for problem in loaded.problems)


def test_files_a_killed_run_left_in_segments_are_removed_once_stale(tmp_path, corpus):
    import os
    import time

    from qa.files import STALE_TEMPORARY_S

    backend = FaissBackend(tmp_path / "index")
    backend.apply("model", DIM, add=corpus[:3], remove=[])
    segments = tmp_path / "index" / SEGMENTS
    kept = set(os.listdir(segments))
    old = time.time() - STALE_TEMPORARY_S - 60
    for name in ("orphan.0123.npz", ".orphan.npz.x1y2.tmp"):  # written by a run killed before its commit
        (segments / name).write_bytes(b"left over")
        os.utime(segments / name, (old, old))
    (segments / ".busy.npz.a9b8.tmp").write_bytes(b"another process is writing this now")
    backend.apply("model", DIM, add=corpus[3:4], remove=[])
    new = set(os.listdir(segments)) - kept
    assert len(new) == 2 and ".busy.npz.a9b8.tmp" in new  # the new article's segment and the recent file
    assert FaissBackend(tmp_path / "index").info().n_chunks == backend.info().n_chunks
