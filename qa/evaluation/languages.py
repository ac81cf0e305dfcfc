"""`qa eval --languages`: the same questions asked in English, Russian and Azerbaijani, over the English seed
articles and over the multilingual set the tests own, by MiniLM and the multilingual model side by side; the
metrics per question language × source language."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import DEFAULT_MODEL, Config
from ..engine import Engine
from ..language import MULTILINGUAL_MODEL
from ..sources import load_sources
from .configurations import MAIN, SETUPS
from .dataset import QUESTIONS_DIR, Question, load_questions
from .report import mean_metrics
from .runner import QuestionResult, run_setups

MULTILINGUAL_DIR = Path("eval") / "multilingual"  # sources/ (short ru, az, en texts) and questions.jsonl
MODELS = (DEFAULT_MODEL, MULTILINGUAL_MODEL)
COLUMNS = {"passage_recall@5": "R@5", "answer_hit": "answer hit", "verbatim": "verbatim",
           "citation_correct": "citation", "abstention_recall": "abst. R", "false_abstention": "false abst."}
SET_SEED, SET_MULTILINGUAL = "seed articles (en)", "multilingual set"


@dataclass(frozen=True)
class Cell:
    """One row of the table: a model, a question set, a question language, a source language, its metrics."""

    model: str
    question_set: str
    question_language: str
    source_language: str  # the gold sources' language; "-" for unanswerable questions
    metrics: dict


def seed_questions(root: Path) -> list[Question]:
    """The test questions that have a Russian or Azerbaijani version, in every language they exist in
    (the English originals of the same questions, so each language answers the same set)."""
    every = [q for q in load_questions(root / QUESTIONS_DIR, "all") if q.split == "test"]
    translated = {q.id.split("-", 2)[-1] for q in every if q.language != "en"}
    return [q for q in every if q.language != "en" or q.id.removeprefix("seed-") in translated]


def engine_for(base: Config, model: str, sources_dir: Path, name: str, progress: bool) -> Engine:
    """An engine on `sources_dir` with `model`, its index kept in `<data_dir>/index-languages-<name>-<model>`."""
    tag = model.replace(":", "-").replace("/", "-")
    config = base.replace(model=model, sources_dir=sources_dir, reranker="",
                          index_dir=base.data_dir / f"index-languages-{name}-{tag}")
    return Engine.load(config, progress=progress)


def cells(results: list[QuestionResult], questions: dict[str, Question], languages: dict[str, str], model: str,
          question_set: str) -> list[Cell]:
    def source_language(question: Question) -> str:
        found = sorted({languages.get(g.source_id, "") for g in question.gold} - {""})
        return "+".join(found) or "-"

    groups: dict[tuple[str, str], list[QuestionResult]] = {}
    for result in results:
        question = questions[result.id]
        groups.setdefault((question.language, source_language(question)), []).append(result)
    return [Cell(model, question_set, ql, sl, mean_metrics(rows)) for (ql, sl), rows in sorted(groups.items())]


def run_languages(base: Config, models: tuple[str, ...] = MODELS, progress: bool = True) -> list[Cell]:
    """Every model over both question sets; answerable and unanswerable questions in one table."""
    table: list[Cell] = []
    sets = ((SET_SEED, base.sources_dir, seed_questions(base.root), "seed"),
            (SET_MULTILINGUAL, base.root / MULTILINGUAL_DIR / "sources",
             load_questions(base.root / MULTILINGUAL_DIR / "questions.jsonl", "all"), "multilingual"))
    for model in models:
        for label, sources_dir, questions, name in sets:
            engine = engine_for(base, model, sources_dir, name, progress)
            run = run_setups(engine, questions, [SETUPS[MAIN]], progress=progress)
            languages = {s.source_id: s.meta.language for s in load_sources(sources_dir)[0]}
            table += cells(run.results, {q.id: q for q in questions}, languages, model, label)
    return table


def format_table(table: list[Cell]) -> str:
    """Markdown: one row per model × question set × question language × source language."""
    head = ["model", "sources", "question", "source", "n", *COLUMNS.values()]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for cell in table:
        values = [f"{v:.3f}" if isinstance(v, float) else "-" for v in (cell.metrics.get(k) for k in COLUMNS)]
        lines.append("| " + " | ".join([cell.model, cell.question_set, cell.question_language, cell.source_language,
                                        str(cell.metrics["n"]), *values]) + " |")
    return "\n".join(lines)


def ratios(table: list[Cell], model: str = MULTILINGUAL_MODEL) -> dict[str, float | None]:
    """R@5 of the Russian and Azerbaijani questions over the seed articles, as a share of the English ones'."""
    seed = {c.question_language: c.metrics.get("passage_recall@5") for c in table
            if c.model == model and c.question_set == SET_SEED and c.source_language == "en"}
    english = seed.get("en")
    return {lang: (round(seed[lang] / english, 3) if english and seed.get(lang) is not None else None)
            for lang in ("ru", "az")}
