"""Questions limited to chosen sources: the restriction inside each backend's search, the grounding, the
engine, the command line and the API."""

from __future__ import annotations

import json

import pytest

from qa.engine import QuestionError
from qa.lexical import tokenize

QUESTION = "How many servicemen died as a result of torture?"
MEYDAN = "002_e8a6ebfdac5c0c25"  # Meydan TV
TURAN = "000_219d92d582d0d3aa"  # Turan: the one naming Barkhudarov


def lowest_ranked(ranking: list, all_ids: list[str], n: int) -> set[str]:
    """The n sources whose best chunk ranks lowest in an unrestricted ranking (absent ones first)."""
    best = {sid: len(ranking) for sid in all_ids}
    for rank, hit in enumerate(ranking):
        best[hit.source_id] = min(best[hit.source_id], rank)
    return set(sorted(all_ids, key=lambda sid: -best[sid])[:n])


@pytest.mark.backends("faiss", "milvus")
def test_a_restricted_search_returns_k_candidates_from_the_chosen_sources(seed_engine):
    backend, ids = seed_engine.backend, [s.source_id for s in seed_engine.sources()]
    vector = seed_engine.embedder.encode_one(QUESTION)
    tokens = tokenize(QUESTION)
    k = 6
    top_dense, top_lexical = backend.search_dense(vector, k), backend.search_lexical(tokens, k)
    everything = backend.search_dense(vector, 10_000)
    chosen = lowest_ranked(top_dense[:3], ids, 2)
    assert not chosen & {h.source_id for h in top_dense[:3]}  # they rank low unrestricted
    dense = backend.search_dense(vector, k, sources=chosen)
    assert len(dense) == k and {h.source_id for h in dense} <= chosen
    # the same candidates as the full ranking filtered afterwards: nothing was cut by a top-k first
    assert [h.key for h in dense] == [h.key for h in everything if h.source_id in chosen][:k]
    lexical = backend.search_lexical(tokens, k, sources=chosen)
    full_lexical = [h for h in backend.search_lexical(tokens, 10_000) if h.source_id in chosen]
    assert {h.source_id for h in lexical} <= chosen
    assert len(lexical) == min(k, len(full_lexical)) and len(lexical) > len([h for h in top_lexical
                                                                             if h.source_id in chosen])
    assert [h.key for h in lexical] == [h.key for h in full_lexical][:k]


@pytest.mark.backends("faiss", "milvus")
def test_grounding_counts_only_the_chosen_sources(seed_engine):
    backend = seed_engine.backend
    keys = tokenize("Barkhudarov", phonetic=False)
    total, everywhere = backend.doc_freqs(keys)
    n_meydan, in_meydan = backend.doc_freqs(keys, sources={MEYDAN})
    n_turan, in_turan = backend.doc_freqs(keys, sources={TURAN})
    assert everywhere[keys[0]] > 0 and in_turan[keys[0]] > 0 and in_meydan[keys[0]] == 0
    assert 0 < n_meydan < total and 0 < n_turan < total
    answer = seed_engine.ask("Who was dismissed as commander of the Second Army Corps?", sources=[MEYDAN])
    assert answer.abstained and answer.limited_to == [MEYDAN]  # the Turan article says it; Meydan TV does not


@pytest.mark.backends("faiss", "milvus")
def test_an_answer_limited_to_an_outlet_quotes_only_it_and_says_so(seed_engine):
    answer = seed_engine.ask("What does Meydan TV say about the victims?", outlets=["meydan tv"])
    assert answer.limited_to == [MEYDAN]
    assert answer.passages and {p.source_id for p in answer.passages} == {MEYDAN}
    assert {q.source_id for q in answer.answer} <= {MEYDAN} and {c.source_id for c in answer.citations} <= {MEYDAN}
    free = seed_engine.ask("What does Meydan TV say about the victims?")
    assert free.limited_to == [] and {p.source_id for p in free.passages} != {MEYDAN}


GEGHARD = "001_471d33dee7243037"  # Geghard: its name is in no article's text, only in its metadata


def test_a_question_asking_an_outlets_version_is_limited_to_it(seed_engine):
    answer = seed_engine.ask("How many servicemen died according to Geghard?")
    assert answer.limited_to == [GEGHARD] and not answer.abstained
    assert "At least 13 servicemen died" in answer.answer[0].quote and "Geghard" not in answer.uncovered_terms
    assert seed_engine.ask("According to Meydan TV, how many people were convicted of treason?").limited_to == [MEYDAN]
    assert seed_engine.ask(QUESTION).limited_to == []  # no outlet named: every source
    other = seed_engine.ask("How many people died according to the Guardian?")  # no such outlet
    assert other.abstained and other.limited_to == [] and "Guardian" in other.message
    chosen = seed_engine.ask("How many servicemen died according to Geghard?", sources=[TURAN])
    assert chosen.limited_to == [TURAN]  # the user's own choice wins


@pytest.mark.parametrize("sources, outlets, message", [
    (["no-such-id"], (), "unknown source id: no-such-id"),
    (None, ["Nowhere Daily"], "unknown outlet: Nowhere Daily"),
    ([], (), "Choose at least one source."),
])
def test_unknown_sources_and_outlets_are_one_line_errors(seed_engine, sources, outlets, message):
    with pytest.raises(QuestionError, match=message) as caught:
        seed_engine.ask(QUESTION, sources=sources, outlets=outlets)
    assert "\n" not in str(caught.value)


def test_the_command_line_limits_a_question(seed_engine, capsys):
    from qa.cli import main

    where = ["--sources-dir", str(seed_engine.config.sources_dir), "--index-dir", str(seed_engine.config.index_dir)]
    assert main(["ask", QUESTION, "--json", "--source", MEYDAN, "--source", TURAN, *where]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["limited_to"] == sorted([MEYDAN, TURAN])
    assert {p["source_id"] for p in data["passages"]} <= {MEYDAN, TURAN}
    assert main(["ask", QUESTION, "--outlet", "Meydan TV", *where]) == 0
    assert f"(limited to: {MEYDAN})" in capsys.readouterr().out
    assert main(["ask", QUESTION, "--outlet", "Daily Nowhere", *where]) == 2
    assert capsys.readouterr().err.strip() == "error: unknown outlet: Daily Nowhere (`qa sources` lists the outlets)"


@pytest.mark.parametrize("kind, threshold", [("ivf", 10**9), ("ivf", 1000), ("hnsw", 1000)])
def test_the_vector_index_filter_is_exact_among_the_allowed_ids(kind, threshold):
    """Exact, IVF and HNSW alike: the k nearest among a few allowed ids, though none is near unrestricted."""
    import numpy as np

    from qa.index.vector_index import VectorIndex

    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((4000, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = VectorIndex(16, ann_threshold=threshold, kind=kind)
    index.add(np.arange(4000), vectors)
    assert index.approximate == (threshold < 4000)
    query = vectors[:1]
    _, nearest = index.search(query, 50)
    allowed = np.setdiff1d(np.arange(0, 4000, 97), nearest[0])[:12]
    _, found = index.search(query, 5, allowed=allowed)
    expected = allowed[np.argsort(-(vectors[allowed] @ query[0]))][:5]
    assert found[0].tolist() == expected.tolist()


def test_the_api_limits_a_question(seed_engine):
    from qa.ui.app import ChatActions

    actions = ChatActions(seed_engine)
    assert actions.ask_api(QUESTION, sources=[MEYDAN])["limited_to"] == [MEYDAN]
    assert actions.ask_api(QUESTION, outlets=["Turan"])["limited_to"] == [TURAN]
    assert actions.ask_api(QUESTION, sources=["nope"])["error"].startswith("unknown source id: nope")


def test_the_page_asks_every_source_unless_the_user_ticked_some_but_not_all():
    from qa.ui.source_filter import limit

    assert limit(["a", "b"], ["a", "b"]) is None and limit(None, ["a"]) is None and limit([], ["a"]) is None
    assert limit(["a"], ["a", "b"]) == ["a"]
    # ticks the page set itself (a refresh that dropped one) never limit a question
    assert limit(["a"], ["a", "b"], limited=False) is None


def test_a_refresh_ticks_a_new_source_unless_the_user_limited_the_choice_and_never_reticks_one(seed_engine):
    from qa.ui.source_filter import ALL, SourceFilter

    choice = SourceFilter(seed_engine, None, None, None, None, None)  # ticks() reads only the engine
    ids = [s.source_id for s in seed_engine.sources()]
    new, unticked, rest = ids[0], ids[1], ids[2:]
    offered = ids[1:]  # `new` arrived since the list was sent
    update, picked, now_offered = choice.ticks(rest, offered, ALL, False)  # `unticked` just unticked, not yet limited
    assert now_offered == ids and update["value"] == picked == [new, *rest]
    update, picked, _ = choice.ticks(rest + ["deleted-meanwhile"], offered, ALL, True)
    assert update["value"] == picked == rest
    outlet = next(s.meta.outlet for s in seed_engine.sources() if s.source_id == new)
    update, picked, _ = choice.ticks(rest, offered, outlet, True)
    assert new in picked and unticked not in picked
