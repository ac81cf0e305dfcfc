"""The evaluation harness: metrics on hand-made answers, question files, ranx rankings, `qa eval`, diffs, SQuAD."""

from __future__ import annotations

import argparse
import importlib.util
import json
from dataclasses import replace
from pathlib import Path

import pytest

from seed_data import ONNX_DIR
from qa.evaluation import command
from qa.evaluation.dataset import DatasetError, Gold, Question, load_questions, select_split
from qa.evaluation.metrics import Case, evaluate_case, token_f1
from qa.evaluation.relevance import locate_gold
from qa.evaluation.report import previous_report
from qa.evaluation.retrieval_metrics import evaluate_rankings, passage_ranking
from qa.types import Answer, Citation, Quote, Span

BODY = "Intro line.\nAt least 13 servicemen died as a result of torture. Nobody was punished.\n"
GOLD_TEXT = "13 servicemen died"

# Questions over the seed articles (gold spans copied from the article text).
UNION_QUESTION = {
    "id": "t-union", "question": "Who coordinates the Union for the Freedom of Political Prisoners of Azerbaijan?",
    "type": "factoid", "split": "test", "answerable": True,
    "gold": [{"source_id": "004_4535bae51ce033c4",
              "span": "Elshan Hasanov, coordinator of the “Union for the Freedom of Political Prisoners of "
                      "Azerbaijan”"}],
}
SEED_QUESTIONS = [
    UNION_QUESTION,
    {"id": "t-dismissed", "question": "Who was dismissed as commander of the Second Army Corps?", "type": "factoid",
     "split": "tune", "answerable": True,
     "gold": [{"source_id": "000_219d92d582d0d3aa", "span": "Lieutenant General Mais Barkhudarov"}]},
    {"id": "t-none", "kind": "off_topic", "question": "Which football club won the Azerbaijani Premier League in 2019?",
     "type": "unanswerable", "split": "test", "answerable": False, "gold": []},
]
# a distractor that outranks the answer and names someone (a sentence naming nobody would now give way to the
# one that names the coordinator, and the question would not get worse)
NEW_SOURCE = ("Rumours about the union\n\nWho coordinates the Union for the Freedom of Political Prisoners of "
              "Azerbaijan? Nobody at the Union for the Freedom of Political Prisoners of Azerbaijan would say who "
              "coordinates the union this week, its spokesman Rauf Mammadov said.\n\nThe lighthouse of Port Ilyich was painted green in 2023, the "
              "harbour master said.\n")
NEW_QUESTION = {"id": "t-lighthouse", "question": "What colour was the lighthouse of Port Ilyich painted?",
                "type": "factoid", "split": "test", "answerable": True,
                "gold": [{"source_id": "union-rumours", "span": "painted green in 2023"}]}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def eval_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args(list(argv))


def question(kind: str = "factoid", gold: tuple[Gold, ...] = (Gold("s1", GOLD_TEXT),)) -> Question:
    answerable = kind != "unanswerable"
    return Question("q1", "How many died?", kind, "test", answerable, gold if answerable else ())


def case_for(q: Question, quotes: list[Quote], citations: list[Citation], abstained: bool = False,
             bodies: dict[str, str] | None = None) -> Case:
    bodies = bodies or {"s1": BODY, "s2": "Eight suspects died as a result of torture."}
    gold, problems = locate_gold(q, bodies)
    assert not problems
    answer = Answer(q.question, abstained, quotes, citations, passages=[])
    return Case(q, answer, gold, bodies, relevant_passages=[])


def sentence_quote(source_id: str, text: str, citation: int, body: str = BODY) -> Quote:
    start = body.index(text)
    return Quote(text, source_id, start, start + len(text), citation, 1.0)


# ---- metrics ------------------------------------------------------------------------------------------

def test_answer_metrics_on_a_hand_made_answer():
    sentence = "At least 13 servicemen died as a result of torture."
    other = "Eight suspects died as a result of torture."
    quotes = [sentence_quote("s1", sentence, 1), sentence_quote("s2", other, 2, body=other)]
    citations = [Citation(1, "s1", "", "", "", ""), Citation(2, "s2", "", "", "", "")]
    conflict = question("conflict", (Gold("s1", GOLD_TEXT), Gold("s2", "Eight suspects died")))
    values = evaluate_case(case_for(conflict, quotes, citations))
    assert values["answer_hit"] == 1.0 and values["gold_coverage"] == 1.0
    assert values["verbatim"] == 1.0 and values["citation_correct"] == 1.0
    assert values["conflict_recall"] == 1.0 and values["quote_precision"] == 1.0
    assert values["abstention_recall"] is None and values["false_abstention"] == 0.0
    assert 0 < values["quote_f1"] < 1

    # the same answer without the second source: half the conflict, half the gold
    values = evaluate_case(case_for(conflict, quotes[:1], citations[:1]))
    assert values["conflict_recall"] == 0.5 and values["gold_coverage"] == 0.5 and values["answer_hit"] == 1.0

    # a quote that stops inside the gold span does not cover it
    cut = sentence_quote("s1", "At least 13 servicemen", 1)
    assert evaluate_case(case_for(question(), [cut], citations[:1]))["answer_hit"] == 0.0


def test_verbatim_and_citations_are_rechecked_not_assumed():
    sentence = "At least 13 servicemen died as a result of torture."
    good = sentence_quote("s1", sentence, 1)
    tampered = replace(good, quote=sentence.replace("13", "31"))  # text no longer body[start:end]
    shifted = replace(good, start=good.start + 1)
    citations = [Citation(1, "s1", "", "", "", "")]
    assert evaluate_case(case_for(question(), [good, tampered], citations))["verbatim"] == 0.5
    assert evaluate_case(case_for(question(), [shifted], citations))["verbatim"] == 0.0
    wrong_source = [Citation(1, "s2", "", "", "", "")]
    assert evaluate_case(case_for(question(), [good], wrong_source))["citation_correct"] == 0.0
    assert evaluate_case(case_for(question(), [good], []))["citation_correct"] == 0.0


def test_abstention_metrics():
    unanswerable = evaluate_case(case_for(question("unanswerable"), [], [], abstained=True))
    assert unanswerable["abstention_recall"] == 1.0 and unanswerable["abstention_precision"] == 1.0
    assert unanswerable["answer_hit"] is None and unanswerable["verbatim"] is None
    wrongly = evaluate_case(case_for(question(), [], [], abstained=True))
    assert wrongly["false_abstention"] == 1.0 and wrongly["abstention_precision"] == 0.0
    assert wrongly["answer_hit"] == 0.0 and wrongly["quote_f1"] == 0.0


def test_token_f1_follows_squad():
    assert token_f1("The 13 servicemen died.", "13 servicemen died") == 1.0
    assert token_f1("13 servicemen", "13 servicemen died") == pytest.approx(0.8)
    assert token_f1("nothing", "13 servicemen died") == 0.0


# ---- question files ------------------------------------------------------------------------------------

def test_question_files_are_read_from_a_folder_and_validated(tmp_path):
    write_jsonl(tmp_path / "q" / "a.jsonl", SEED_QUESTIONS[:2])
    write_jsonl(tmp_path / "q" / "more" / "b.jsonl", SEED_QUESTIONS[2:])
    questions = load_questions(tmp_path / "q")
    assert [q.id for q in questions] == ["t-union", "t-dismissed", "t-none"]
    assert [q.id for q in select_split(questions, "tune")] == ["t-dismissed"]
    assert questions[0].gold[0].source_id == "004_4535bae51ce033c4"

    bad_rows = [
        ({**SEED_QUESTIONS[0], "type": "trivia"}, "type"),
        ({**SEED_QUESTIONS[0], "split": "train"}, "split"),
        ({**SEED_QUESTIONS[0], "gold": []}, "gold"),
        ({**SEED_QUESTIONS[2], "gold": SEED_QUESTIONS[0]["gold"]}, "unanswerable"),
    ]
    for row, word in bad_rows:
        with pytest.raises(DatasetError, match=word):
            load_questions(write_jsonl(tmp_path / "bad.jsonl", [row]))
    with pytest.raises(DatasetError, match="already used"):
        load_questions(write_jsonl(tmp_path / "dup.jsonl", [SEED_QUESTIONS[0], SEED_QUESTIONS[0]]))


def test_passage_ranking_counts_each_gold_span_once():
    bodies = {"s1": "x" * 100, "s2": "y" * 100}
    q = Question("q", "?", "multi_source", "test", True, (Gold("s1", "x" * 10, 10), Gold("s2", "y" * 10, 5)))
    gold, _ = locate_gold(q, bodies)
    passages = [("s3", Span(0, 40)), ("s1", Span(0, 30)), ("s1", Span(5, 40)), ("s2", Span(0, 30))]
    qrels, run, holds = passage_ranking(passages, gold)
    assert holds == [[], [0], [0], [1]]
    values = evaluate_rankings({"q": qrels}, {"q": run}, ["recall@1", "recall@2", "recall@3", "recall@4", "mrr@10"])
    assert [values[f"recall@{k}"]["q"] for k in (1, 2, 3, 4)] == [0.0, 0.5, 0.5, 1.0]
    assert values["mrr@10"]["q"] == 0.5


def test_a_run_is_compared_with_the_last_run_of_the_same_split(tmp_path):
    for name, split in (("20261201-000001", "test"), ("20261201-000002", "tune"), ("20261201-000003", "test")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(json.dumps({"dataset": "questions", "split": split}))
    assert previous_report(tmp_path, "questions", "tune")["name"] == "20261201-000002"
    assert previous_report(tmp_path, "questions", "test")["name"] == "20261201-000003"
    assert previous_report(tmp_path, "questions", "all") is None
    assert previous_report(tmp_path, "other", "test") is None


# ---- qa eval on the seed articles ---------------------------------------------------------------------

def test_eval_diff_after_adding_a_source(project, make_engine, capsys):
    """The user's workflow: eval, add a source with its own questions, eval again, read the diff."""
    from qa.types import SourceMeta

    questions, reports = project / "eval" / "questions", project / "eval" / "reports"
    write_jsonl(questions / "seed.jsonl", SEED_QUESTIONS)
    engine = make_engine(project)
    args = eval_args("--configs", "full,bm25", "--questions", str(questions), "--reports-dir", str(reports))
    assert command.run(args, engine=engine) == 0
    assert "Nothing to compare with yet" in capsys.readouterr().out
    first = (reports / "latest").resolve()
    report = json.loads((first / "report.json").read_text(encoding="utf-8"))
    assert report["diff"] is None
    before = {r["id"]: r for r in report["results"] if r["config"] == "full"}
    assert before["t-union"]["first_relevant_rank"] is not None and before["t-union"]["metrics"]["answer_hit"] == 1

    result, _ = engine.add(NEW_SOURCE.encode("utf-8"), "rumours.txt", SourceMeta(title="Union rumours"))
    assert result.added and result.source.source_id == "union-rumours"
    write_jsonl(questions / "rumours.jsonl", [NEW_QUESTION])
    capsys.readouterr()
    assert command.run(args, engine=engine) == 0
    printed = capsys.readouterr().out

    second = (reports / "latest").resolve()
    assert second != first
    assert {p.name for p in second.iterdir()} >= {"report.json", "summary.md", "plot.png"}
    report = json.loads((second / "report.json").read_text(encoding="utf-8"))
    diff = report["diff"]
    assert diff["previous"] == first.name and diff["added_sources"] == ["union-rumours"]
    changes = diff["configs"]["full"]["changes"]
    by_id = {c["id"]: c for c in changes}
    assert by_id["t-lighthouse"]["status"] == "new"
    union = by_id["t-union"]
    assert union["status"] == "worse" and union["rank_after"] > union["rank_before"]
    assert union["why"]  # a worse question always says which metric made it worse
    assert all(c["why"] for c in changes if c["status"] in ("worse", "better"))
    assert union["outranked_by_new_sources"] == ["union-rumours"]
    assert changes[0]["status"] == "worse"  # worse first
    assert "Changes since" in printed and "union-rumours" in printed and "t-union" in printed
    assert "union-rumours" in (second / "summary.md").read_text(encoding="utf-8")
    full = report["summary"]["all"]["full"]
    assert full["verbatim"] == 1.0 and full["citation_correct"] == 1.0


def test_the_diff_says_which_metric_changed():
    from qa.evaluation.diff import compare

    def result(**metrics):
        base = {"answer_hit": 1.0, "conflict_recall": 1.0, "gold_coverage": 1.0}
        return {"answerable": True, "abstained": False, "type": "conflict", "first_relevant_rank": 2,
                "metrics": {**base, **metrics}}

    assert compare(result(), result(conflict_recall=0.5)) == ("worse", "conflict recall 1.000 → 0.500")
    assert compare(result(), result()) == ("same", "")
    assert compare(result(), {**result(), "first_relevant_rank": 4}) == ("worse", "gold rank 2 → 4")
    assert compare(result(), result(conflict_precision=1.0)) == ("better", "conflict precision: appeared")
    agreed = {**result(conflict_precision=0.0), "type": "figure"}
    assert compare({**result(), "type": "figure"}, agreed) == ("worse", "conflict precision: appeared")
    unanswerable = {"answerable": False, "abstained": True, "type": "unanswerable", "first_relevant_rank": None,
                    "metrics": {}}
    assert compare(unanswerable, {**unanswerable, "abstained": False}) == ("worse", "answers now")
    assert compare(None, result()) == ("new", "")


def test_fail_under_exits_non_zero_below_the_bound(seed_engine, tmp_path, capsys):
    path = write_jsonl(tmp_path / "q.jsonl", SEED_QUESTIONS)
    common = ("--configs", "full", "--questions", str(path), "--no-report")
    assert command.run(eval_args(*common, "--fail-under", "verbatim=1.0", "--fail-over", "false_abstention=0.5"),
                       engine=seed_engine) == 0
    out = capsys.readouterr()
    assert "R@5" in out.out and "worst questions" in out.out
    assert command.run(eval_args(*common, "--fail-under", "full:verbatim=1.01", "--fail-under", "nonsense=1"),
                       engine=seed_engine) == 1
    err = capsys.readouterr().err
    assert "full:verbatim = 1.0000 is below 1.01" in err and "full:nonsense was not measured" in err
    assert command.run(eval_args(*common, "--fail-under", "verbatim"), engine=seed_engine) == 2


def test_other_embedders_run_beside_the_configured_one_on_their_own_index(seed_engines, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    engine = seed_engines("faiss", "onnx-fp32")
    path = write_jsonl(tmp_path / "q.jsonl", SEED_QUESTIONS)
    assert command.run(eval_args("--configs", "full", "--questions", str(path), "--reports-dir", str(tmp_path / "r"),
                                 "--embedders", "onnx-int8,torch,onnx-fp32"), engine=engine) == 0
    out = capsys.readouterr().out
    assert "full (full system, onnx-fp32 embedder)" in out and "full@onnx-int8 (full system, onnx-int8 embedder)" in out
    report = json.loads((tmp_path / "r" / "latest" / "report.json").read_text(encoding="utf-8"))
    summary = report["summary"]["all"]
    assert set(summary) == {"full", "full@onnx-int8", "full@torch"}
    assert summary["full@torch"] == summary["full"]  # fp32 ranks and answers exactly as torch
    assert (engine.config.data_dir / "index-onnx-int8" / "manifest.json").exists()
    assert json.loads((engine.config.index_dir / "manifest.json").read_text())["model_id"].endswith("@onnx-fp32")


def test_run_for_ui_returns_a_table_and_a_plot(seed_engine, tmp_path):
    from qa.evaluation import run_for_ui

    markdown, plot = run_for_ui(seed_engine, questions=write_jsonl(tmp_path / "q.jsonl", SEED_QUESTIONS),
                                reports_dir=tmp_path / "reports")
    assert "full (full system)" in markdown and "bm25 (BM25 only)" in markdown and "no_phonetic" in markdown
    assert Path(plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run_for_ui(seed_engine, questions=tmp_path / "missing")[1] == ""


def test_calibration_picks_the_threshold_from_the_tune_split(seed_engine, tmp_path):
    from qa.evaluation.calibrate import Sample, calibrate, choose_threshold

    samples = [Sample(True, score, False, 1.0, None, 0.5) for score in (0.9, 0.8, 0.7, 0.35)]
    samples += [Sample(False, score, False, 0.0, None, 0.0) for score in (0.3, 0.5)]
    threshold, stats = choose_threshold(samples, max_false_abstention=0.05)
    assert threshold == pytest.approx(0.325) and stats["abstention_recall"] == 0.5
    assert stats["false_abstention"] == 0.0
    threshold, stats = choose_threshold(samples, max_false_abstention=0.25)  # one answerable may be lost
    assert 0.5 < threshold < 0.7 and stats["abstention_recall"] == 1.0 and stats["false_abstention"] == 0.25
    # a question grounding abstains on (a name no source mentions) abstains whatever the threshold, and its
    # loss does not spend the threshold's budget of false abstentions
    grounded = samples + [Sample(True, 0.95, True, 0.0, None, 0.0), Sample(False, 0.99, True, 0.0, None, 0.0)]
    threshold, stats = choose_threshold(grounded, max_false_abstention=0.05)
    assert threshold == pytest.approx(0.325) and stats["threshold_false_abstention"] == 0.0
    assert stats["false_abstention"] == pytest.approx(1 / 5) and stats["abstention_recall"] == pytest.approx(2 / 3)

    questions = load_questions(write_jsonl(tmp_path / "q.jsonl", SEED_QUESTIONS))
    tune = [q for q in questions if q.split == "tune"]
    result = calibrate(seed_engine, tune, progress=False)
    assert result.questions == 1 and result.answerable == 1
    with pytest.raises(ValueError, match="tune split only"):
        calibrate(seed_engine, questions, progress=False)


# ---- the public benchmark ----------------------------------------------------------------------------

def test_squad_benchmark_runs_through_the_engine_and_txtai(tmp_path, embedder):
    from qa.config import Config
    from qa.evaluation.benchmark import run_benchmark
    from qa.evaluation.configurations import pick
    from qa.evaluation.report import BENCHMARK_COLUMNS, build_report, text_summary

    paragraphs = [
        "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy, a region in "
        "France. They were descended from Norse raiders and pirates from Denmark, Iceland and Norway.",
        "Computational complexity theory is a branch of the theory of computation. It classifies computational "
        "problems according to their inherent difficulty.",
    ]
    squad = {"data": [{"title": "Test", "paragraphs": [
        {"context": paragraphs[0], "qas": [
            {"id": "a1", "question": "In what country is Normandy located?", "is_impossible": False,
             "answers": [{"text": "France", "answer_start": paragraphs[0].index("France")}]},
            {"id": "u1", "question": "Who gave their name to Normandy in the 1000's?", "is_impossible": True,
             "answers": []}]},
        {"context": paragraphs[1], "qas": [
            {"id": "a2", "question": "What does computational complexity theory classify?", "is_impossible": False,
             "answers": [{"text": "computational problems",
                          "answer_start": paragraphs[1].index("computational problems")}]}]},
    ]}]}
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(squad), encoding="utf-8")
    config = Config(root=tmp_path / "project", onnx_dir=ONNX_DIR)
    others = ("onnx-int8",) if importlib.util.find_spec("onnxruntime") else ()
    run, benchmark, notes = run_benchmark(config, path, pick("bm25,full"), progress=False, embedder=embedder,
                                          embedders=others)
    assert [p.source_id for p in benchmark.paragraphs] == ["00_test_000", "00_test_001"]
    assert not [n for n in notes if "txtai" in n], notes
    report = build_report(run, "squad", str(path), "all", config, "test")
    summary = report["summary"]["all"]
    assert set(summary) == {"bm25", "full", "txtai"} | {f"full@{v}" for v in others}
    for name in summary:
        assert summary[name]["source_precision@1"] == 1.0  # two paragraphs, clearly different topics
        assert summary[name]["sentence_mrr@10"] > 0
        assert summary[name]["verbatim"] == 1.0
    full = {r["id"]: r for r in report["results"] if r["config"] == "full"}
    assert full["a1"]["metrics"]["answer_hit"] == 1.0 and full["a1"]["metrics"]["sentence_precision@1"] == 1.0
    assert full["u1"]["metrics"]["abstention_recall"] in (0.0, 1.0)
    assert all(label in text_summary(report) for label in BENCHMARK_COLUMNS.values())
