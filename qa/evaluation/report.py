"""Reports: tables of the metrics, the per-question JSON, a Markdown summary and a plot, under eval/reports/."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from ..config import Config
from .configurations import MAIN
from .diff import diff_markdown
from .runner import EvalRun, QuestionResult
from .tables import fmt, table

REPORTS_DIR = Path("eval") / "reports"  # under the project's root
RETRIEVAL_COLUMNS = {
    "passage_recall@1": "R@1", "passage_recall@5": "R@5", "passage_recall@10": "R@10",
    "passage_mrr@10": "MRR@10", "passage_ndcg@10": "nDCG@10",
    "source_recall@1": "src R@1", "source_recall@5": "src R@5", "source_mrr@10": "src MRR@10",
    "source_ndcg@10": "src nDCG@10",
}
ANSWER_COLUMNS = {
    "answer_hit": "hit", "gold_coverage": "gold cov.", "quote_precision": "quote P", "quote_f1": "quote F1",
    "verbatim": "verbatim", "citation_correct": "citations", "abstention_precision": "abst. P",
    "abstention_recall": "abst. R", "false_abstention": "false abst.", "conflict_recall": "conflict R",
}
TRUST_COLUMNS = {  # what the answer claims around its quotes (issue: trust beyond the quote)
    "abstention_recall_off_topic": "abst. R off-topic", "abstention_recall_near_miss": "abst. R near-miss",
    "false_abstention": "false abst.", "conflict_precision": "conflict P", "conflict_recall": "conflict R",
    "furniture_rate": "furniture", "spelling_agreement": "spelling agree",
}
TYPE_COLUMNS = {
    "passage_recall@5": "R@5", "passage_mrr@10": "MRR@10", "answer_hit": "hit", "quote_f1": "quote F1",
    "abstention_recall": "abst. R", "false_abstention": "false abst.", "conflict_recall": "conflict R",
}
BENCHMARK_COLUMNS = {  # the ReQA protocol's table: paragraphs are the sources
    "source_precision@1": "para P@1", "source_hit_rate@5": "para R@5", "source_mrr@10": "para MRR@10",
    "sentence_precision@1": "sent P@1", "sentence_hit_rate@5": "sent R@5", "sentence_mrr@10": "sent MRR@10",
    "answer_hit": "answer hit", "abstention_precision": "abst. P", "abstention_recall": "abst. R",
    "false_abstention": "false abst.",
}
SETTINGS_LEFT_OUT = ("root", "sources_dir", "index_dir", "data_dir", "onnx_dir", "auth", "milvus_uri")


def mean_metrics(results: list[QuestionResult]) -> dict[str, float | None]:
    """Mean of each metric over the questions where it applies; `n` is the number of questions."""
    names = list(dict.fromkeys(name for r in results for name in r.metrics))
    summary: dict[str, float | None] = {"n": len(results)}
    for name in names:
        values = [r.metrics[name] for r in results if r.metrics.get(name) is not None]
        summary[name] = round(sum(values) / len(values), 4) if values else None
    return summary


def summarize(results: list[QuestionResult], splits: tuple[str, ...] = ("all", "tune", "test")) -> dict:
    """{split: {config: metrics}} and {config: {type: metrics}} over all results."""
    configs = list(dict.fromkeys(r.config for r in results))
    summary = {}
    for split in splits:
        chosen = [r for r in results if split == "all" or r.split == split]
        if chosen:
            summary[split] = {c: mean_metrics([r for r in chosen if r.config == c]) for c in configs}
    by_type = {
        c: {t: mean_metrics([r for r in results if r.config == c and r.type == t])
            for t in dict.fromkeys(r.type for r in results if r.config == c)}
        for c in configs
    }
    return {"summary": summary, "by_type": by_type}


def build_report(run: EvalRun, dataset: str, questions: str, split: str, config: Config, command: str) -> dict:
    settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(config).items()
                if k not in SETTINGS_LEFT_OUT}
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        "dataset": dataset,
        "questions": questions,
        "split": split,
        "systems": run.systems,
        "settings": settings,
        "sources": run.corpus.hashes,
        "problems": run.problems,
        **summarize(run.results),
        "results": [r.to_dict() for r in run.results],
        "diff": None,
    }


# ---- text ------------------------------------------------------------------------------------------

def metrics_table(report: dict, split: str, columns: dict[str, str]) -> str:
    rows = []
    for name, values in report["summary"].get(split, {}).items():
        label = report["systems"].get(name, {}).get("label", name)
        rows.append([f"{name} ({label})", str(values["n"])] + [fmt(values.get(c)) for c in columns])
    return table(rows, ["configuration", "n"] + list(columns.values()))


def type_table(report: dict, config: str = MAIN) -> str:
    rows = [[kind, str(values["n"])] + [fmt(values.get(c)) for c in TYPE_COLUMNS]
            for kind, values in report["by_type"].get(config, {}).items()]
    return table(rows, ["type", "n"] + list(TYPE_COLUMNS.values()))


def badness(r: dict) -> tuple[float, int, float]:
    """Larger is worse: (missed, rank of the first relevant passage, −quote F1)."""
    m = r["metrics"]
    if not r["answerable"]:
        return (0.0 if r["abstained"] else 1.0, 0, 0.0)
    missed = 1.0 - (m.get("answer_hit") or 0.0)
    if m.get("conflict_recall") is not None:
        missed += 1.0 - m["conflict_recall"]
    return (missed, r["first_relevant_rank"] or 99, -(m.get("quote_f1") or 0.0))


def worst(report: dict, config: str = MAIN, count: int = 10) -> list[dict]:
    """The questions a configuration did worst on: misses, abstentions on the wrong side, gold ranked low."""
    rows = [r for r in report["results"] if r["config"] == config]
    bad = [r for r in rows if badness(r)[0] > 0 or badness(r)[1] > 5]
    return sorted(bad, key=badness, reverse=True)[:count]


def shorten(text: str, limit: int = 110) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def worst_table(report: dict, config: str = MAIN, count: int = 10) -> str:
    rows = []
    for r in worst(report, config, count):
        returned = "(abstained)" if r["abstained"] else " // ".join(
            f"[{q['source_id']}] {shorten(q['quote'], 90)}" for q in r["quotes"])
        expected = "(should abstain)" if not r["answerable"] else shorten(r["gold"][0]["span"], 60) if r["gold"] else ""
        hit = r["metrics"].get("answer_hit")
        rows.append([r["id"], r["type"], shorten(r["question"], 70), expected, str(r["first_relevant_rank"] or "—"),
                     fmt(hit), shorten(returned, 160)])
    if not rows:
        return "(none)"
    return table(rows, ["id", "type", "question", "expected", "gold rank", "hit", "returned"])


def text_summary(report: dict, worst_count: int = 10) -> str:
    """What `qa eval` prints: per split, a retrieval and an answer table; the per-type table; the worst questions."""
    parts = []
    summary = report["summary"]
    if report["dataset"] != "questions":
        n = next(iter(summary["all"].values()))["n"]
        answerable = len({r["id"] for r in report["results"] if r["answerable"]})
        parts += [f"## {report['dataset']}: {n} questions, {answerable} answerable (ReQA protocol: retrieval over "
                  "the answerable ones; R@5 = a relevant item in the top 5)", "",
                  metrics_table(report, "all", BENCHMARK_COLUMNS), ""]
    else:
        for split in [s for s in ("test", "tune") if s in summary] or ["all"]:
            n = next(iter(summary[split].values()))["n"]
            parts += [f"## {split} split, {n} questions — retrieval (passage level; src = source level)", "",
                      metrics_table(report, split, RETRIEVAL_COLUMNS), "",
                      f"## {split} split — answers", "", metrics_table(report, split, ANSWER_COLUMNS), "",
                      f"## {split} split — trust (abstention per kind, disagreement notes, page furniture, "
                      "spelling)", "", metrics_table(report, split, TRUST_COLUMNS), ""]
    main = MAIN if MAIN in report["by_type"] else next(iter(report["by_type"]), MAIN)
    parts += [f"## per question type ({main}, {report['split']} split)" if report["dataset"] == "questions"
              else f"## per question type ({main})", "", type_table(report, main), "",
              f"## worst questions ({main})", "", worst_table(report, main, worst_count), ""]
    if report["problems"]:
        parts += ["## problems with the question files", ""] + [f"- {p}" for p in report["problems"]] + [""]
    return "\n".join(parts)


def markdown_summary(report: dict, worst_count: int = 10) -> str:
    split = f" ({report['split']} split)" if report["dataset"] == "questions" else ""
    head = [f"# Evaluation {report.get('name', '')}", "",
            f"- created: {report['created']}", f"- command: `{report['command']}`",
            f"- questions: {report['questions']}{split}",
            f"- sources: {len(report['sources'])}", "",
            "![plot](plot.png)", ""]
    body = text_summary(report, worst_count)
    tail = ["", diff_markdown(report["diff"])] if report.get("diff") else []
    return "\n".join(head) + "\n" + body + "\n".join(tail) + "\n"


# ---- plot -------------------------------------------------------------------------------------------

def plot(report: dict, path: Path) -> Path:
    """Passage recall@k curves per configuration, and per-type bars (answer hit; abstention for unanswerable)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    split = "test" if "test" in report["summary"] and report["dataset"] == "questions" else "all"
    summary = report["summary"][split]
    fig, (curves, bars) = plt.subplots(1, 2, figsize=(14, 5.2))
    ks = list(range(1, 11))
    for name, values in summary.items():
        points = [values.get(f"passage_recall@{k}") for k in ks]
        if any(p is not None for p in points):
            curves.plot(ks, [p if p is not None else float("nan") for p in points], marker="o", label=name)
    curves.set(title=f"passage recall@k ({split})", xlabel="k", ylabel="recall", ylim=(0, 1.02), xticks=ks)
    curves.grid(alpha=0.3)
    curves.legend(fontsize=8)

    by_type = report["by_type"]
    configs = list(by_type)
    kinds = list(dict.fromkeys(kind for c in configs for kind in by_type[c]))
    width = 0.8 / max(1, len(configs))
    for i, name in enumerate(configs):
        heights = []
        for kind in kinds:
            values = by_type[name].get(kind, {})
            metric = "abstention_recall" if kind == "unanswerable" else "answer_hit"
            heights.append(values.get(metric) or 0.0)
        bars.bar([x + i * width for x in range(len(kinds))], heights, width, label=name)
    bars.set_xticks([x + width * (len(configs) - 1) / 2 for x in range(len(kinds))], kinds, rotation=20, fontsize=8)
    bars.set(title=f"answer hit per type (unanswerable: abstention recall), {report['split']} split", ylim=(0, 1.02))
    bars.grid(axis="y", alpha=0.3)
    bars.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ---- files ------------------------------------------------------------------------------------------

def new_report_dir(reports_dir: Path) -> Path:
    reports_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target, n = reports_dir / stamp, 1
    while target.exists():
        n += 1
        target = reports_dir / f"{stamp}-{n}"
    target.mkdir()
    return target


def previous_report(reports_dir: Path, dataset: str, split: str | None = None) -> dict | None:
    """The newest earlier report of the same dataset and split, read from its report.json (a tune run compared
    with a test run would list every question as removed or new)."""
    if not reports_dir.is_dir():
        return None
    for folder in sorted((p for p in reports_dir.iterdir() if p.is_dir() and not p.is_symlink()), reverse=True):
        try:
            report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if report.get("dataset") == dataset and (split is None or report.get("split") == split):
            report.setdefault("name", folder.name)
            return report
    return None


def write_report(report: dict, reports_dir: Path, worst_count: int = 10) -> Path:
    """report.json, summary.md and plot.png in a new timestamped folder; `latest` points to it."""
    folder = new_report_dir(reports_dir)
    report["name"] = folder.name
    plot(report, folder / "plot.png")
    (folder / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (folder / "summary.md").write_text(markdown_summary(report, worst_count), encoding="utf-8")
    point_latest(reports_dir, folder)
    return folder


def point_latest(reports_dir: Path, folder: Path) -> None:
    latest = reports_dir / "latest"
    if latest.is_symlink() or latest.is_file():
        latest.unlink()
    elif latest.is_dir():
        shutil.rmtree(latest)
    try:
        os.symlink(folder.name, latest, target_is_directory=True)
    except OSError:  # no symlinks here (some Windows setups): keep a copy
        shutil.copytree(folder, latest)
