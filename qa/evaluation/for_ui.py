"""The UI's evaluation tab: run the project's question set with the default configurations, return table and plot."""

from __future__ import annotations

from pathlib import Path

from ..engine import Engine
from .configurations import pick
from .dataset import QUESTIONS_DIR, DatasetError, load_questions
from .diff import diff_markdown, diff_reports
from .report import REPORTS_DIR, build_report, previous_report, text_summary, write_report
from .runner import run_setups


def run_for_ui(engine: Engine, questions: Path | None = None, reports_dir: Path | None = None) -> tuple[str, str]:
    """(Markdown tables, path of the PNG plot) for the project's questions; writes a report like `qa eval`.

    The plot path is "" when there is nothing to evaluate (the Markdown says why).
    """
    root = engine.config.root
    path = questions or root / QUESTIONS_DIR
    try:
        loaded = load_questions(path)
    except DatasetError as exc:
        return f"**No evaluation questions:** {exc}", ""
    run = run_setups(engine, loaded, pick(None), progress=False)
    report = build_report(run, "questions", str(path), "all", engine.config, "qa eval (UI)")
    reports_dir = reports_dir or root / REPORTS_DIR
    previous = previous_report(reports_dir, "questions")
    if previous is not None:
        report["diff"] = diff_reports(previous, report)
    folder = write_report(report, reports_dir)
    markdown = text_summary(report) + ("\n" + diff_markdown(report["diff"]) if report["diff"] else "")
    return markdown + f"\n\nReport: `{folder}`\n", str(folder / "plot.png")
