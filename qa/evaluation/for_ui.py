"""The UI's evaluation tab: run the project's question set with the default configurations, return table and plot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..engine import Engine
from .configurations import pick
from .dataset import QUESTIONS_DIR, DatasetError, load_questions
from .diff import diff_markdown, diff_reports
from .report import REPORTS_DIR, build_report, metrics_table, previous_report, text_summary, write_report
from .runner import run_setups

HEADLINE_COLUMNS = {  # the few numbers a reader looks at first; the rest is in the details
    "passage_recall@5": "R@5", "passage_mrr@10": "MRR@10", "answer_hit": "answer hit", "quote_f1": "quote F1",
    "abstention_recall": "abst. R", "false_abstention": "false abst.", "conflict_recall": "conflict R",
}


@dataclass(frozen=True)
class UIEvaluation:
    """One run from the page: the headline table first, then the full tables; the report's folder."""

    headline: str  # Markdown: one row per configuration, HEADLINE_COLUMNS
    details: str  # Markdown: what `qa eval` prints, and the change since the previous report
    plot: str  # the PNG's path; "" when there was nothing to evaluate (the headline says why)
    folder: Path | None  # the report's folder (report.json, summary.md, plot.png)
    questions: int = 0  # questions asked (under each configuration)


def evaluate_for_ui(engine: Engine, questions: Path | None = None, reports_dir: Path | None = None,
                    limit: int = 0, on_answer: Callable[[int, int], None] | None = None) -> UIEvaluation:
    """Run the question set (its first `limit` questions when > 0) and write a report like `qa eval`."""
    root = engine.config.root
    path = questions or root / QUESTIONS_DIR
    try:
        loaded = load_questions(path)
    except DatasetError as exc:
        return UIEvaluation(f"**No evaluation questions:** {exc}", "", "", None)
    if limit > 0:
        loaded = loaded[:limit]
    run = run_setups(engine, loaded, pick(None), progress=False, on_answer=on_answer)
    report = build_report(run, "questions", str(path), "all", engine.config, "qa eval (UI)")
    reports_dir = reports_dir or root / REPORTS_DIR
    previous = previous_report(reports_dir, "questions", report["split"])
    if previous is not None:
        report["diff"] = diff_reports(previous, report)
    folder = write_report(report, reports_dir)
    split = next((s for s in ("test", "tune") if s in report["summary"]), "all")
    n = next(iter(report["summary"][split].values()))["n"]
    headline = (f"**{split} split: {n} of the {len(run.questions)} questions asked**\n\n"
                + metrics_table(report, split, HEADLINE_COLUMNS))
    details = text_summary(report) + ("\n" + diff_markdown(report["diff"]) if report["diff"] else "")
    return UIEvaluation(headline, details, str(folder / "plot.png"), folder, len(run.questions))


def run_for_ui(engine: Engine, questions: Path | None = None, reports_dir: Path | None = None) -> tuple[str, str]:
    """(Markdown tables, path of the PNG plot) for the project's questions; writes a report like `qa eval`.

    The plot path is "" when there is nothing to evaluate (the Markdown says why).
    """
    result = evaluate_for_ui(engine, questions, reports_dir)
    if result.folder is None:
        return result.headline, ""
    return result.details + f"\n\nReport: `{result.folder}`\n", result.plot
