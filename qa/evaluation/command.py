"""The `qa eval` command: run the question sets (or the SQuAD benchmark), print tables, write the report."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from ..embedding import configured_variant
from ..options import add_common_arguments, config_from_args, load_engine
from .benchmark import default_squad_path, run_benchmark
from .calibrate import calibrate, format_calibration
from .configurations import BENCHMARK_SETUPS, MAIN, SETUPS, pick
from .dataset import QUESTIONS_DIR, DatasetError, load_questions, select_split
from .diff import diff_markdown, diff_reports
from .embedders import embedder_peers, parse_variants
from .report import REPORTS_DIR, build_report, previous_report, text_summary, write_report
from .runner import run_setups


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--split", choices=("tune", "test", "all"), default="all",
                        help="which questions to run (default: all, reported per split)")
    parser.add_argument("--questions", type=Path, help="a .jsonl file or a folder of them (default: eval/questions/)")
    parser.add_argument("--configs", help=f"comma-separated configurations to compare, from: {', '.join(SETUPS)} "
                        f"(default: all; with --dataset squad: {','.join(BENCHMARK_SETUPS)})")
    parser.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 1 if METRIC (of the full system, or CONFIG:METRIC) is below VALUE; repeatable")
    parser.add_argument("--fail-over", action="append", default=[], metavar="METRIC=VALUE",
                        help="exit 1 if METRIC is above VALUE (for false_abstention); repeatable")
    parser.add_argument("--dataset", choices=("questions", "squad"), default="questions",
                        help="questions: the question files; squad: the SQuAD 2.0 benchmark file")
    parser.add_argument("--squad-file", type=Path,
                        help="SQuAD 2.0 JSON (default: ../shared/benchmarks/squad2-dev-5-articles.json)")
    parser.add_argument("--workdir", type=Path,
                        help="squad: keep the benchmark's sources and index in this folder (reused next time)")
    parser.add_argument("--no-peers", action="store_true", help="squad: do not run txtai beside the engine")
    parser.add_argument("--language", default="en",
                        help="questions in this language only (ISO 639-1: en, ru, az; all: every language; default en)")
    parser.add_argument("--languages", action="store_true",
                        help="the cross-language table: per question language × source language, for MiniLM and "
                             "the multilingual model side by side (eval/questions/ and eval/multilingual/)")
    parser.add_argument("--limit", type=int, help="only the first N questions (quick checks)")
    parser.add_argument("--reports-dir", type=Path, help="where reports go (default: eval/reports/)")
    parser.add_argument("--no-report", action="store_true", help="print the tables only; write no report")
    parser.add_argument("--worst", type=int, default=10, help="how many worst questions to list (default 10)")
    parser.add_argument("--embedders", metavar="VARIANTS",
                        help="also run the full system with these embedders, each on its own index, as extra rows "
                             "(comma-separated: torch, onnx-fp32, onnx-int8)")
    parser.add_argument("--calibrate", action="store_true",
                        help="grid-search abstain_threshold on the tune split; print values for qa/config.py")
    parser.add_argument("--calibrate-weights", action="store_true", help="with --calibrate: the w_* weights too")
    add_common_arguments(parser)


def parse_bounds(specs: list[str]) -> list[tuple[str, str, float]]:
    """'METRIC=VALUE' or 'CONFIG:METRIC=VALUE' -> (config, metric, value)."""
    bounds = []
    for spec in specs:
        name, sep, value = spec.partition("=")
        config, _, metric = name.rpartition(":")
        try:
            number = float(value)
        except ValueError:
            number = None
        if not sep or not metric or number is None:
            raise ValueError(f"expected METRIC=VALUE or CONFIG:METRIC=VALUE, got {spec!r}")
        bounds.append((config or MAIN, metric, number))
    return bounds


def check_bounds(summary: dict, under: list[tuple[str, str, float]], over: list[tuple[str, str, float]]) -> list[str]:
    """Messages for every bound not met; an unknown configuration or metric is a failure too."""
    failures = []
    for bounds, below in ((under, True), (over, False)):
        for config, metric, limit in bounds:
            value = summary.get(config, {}).get(metric)
            if config not in summary or metric not in summary[config]:
                known = ", ".join(sorted(k for k in next(iter(summary.values()), {}) if k != "n"))
                failures.append(f"{config}:{metric} was not measured (metrics: {known})")
            elif value is None:
                failures.append(f"{config}:{metric} does not apply to these questions")
            elif (value < limit) if below else (value > limit):
                failures.append(f"{config}:{metric} = {value:.4f} is {'below' if below else 'above'} {limit}")
    return failures


def run(args: argparse.Namespace, engine=None) -> int:
    """`qa eval`; pass an `engine` already loaded (tests, the UI) to skip loading the model again."""
    try:
        under, over = parse_bounds(args.fail_under), parse_bounds(args.fail_over)
        config = config_from_args(args)
        default = BENCHMARK_SETUPS if args.dataset == "squad" else tuple(SETUPS)
        setups = pick(args.configs, default)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if engine is not None:
            config = engine.config
        if args.calibrate:
            return run_calibration(args, config, engine)
        if args.languages:
            return run_language_table(config)
        if args.dataset == "squad":
            report = run_squad(args, config, setups, engine.embedder if engine else None)
        else:
            report = run_questions(args, config, setups, engine)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # one line for the user; the traceback with -v
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return finish(args, config, report, under, over)


def questions_path(args: argparse.Namespace, config) -> Path:
    return args.questions if args.questions else config.root / QUESTIONS_DIR


def run_questions(args: argparse.Namespace, config, setups, engine=None) -> dict:
    path = questions_path(args, config)
    questions = select_split(load_questions(path, args.language), args.split)
    questions = questions[: args.limit] if args.limit else questions
    if not questions:
        raise DatasetError(f"no {args.split} questions in {path}")
    engine = engine or load_engine(config)
    run = run_setups(engine, questions, setups, progress=True,
                     peers=embedder_peers(engine, parse_variants(args.embedders)))
    label_embedder(run)
    return build_report(run, "questions", str(path), args.split, config, command_line())


def label_embedder(run) -> None:
    """With other embedders beside it, the configured one's rows say which one it is."""
    if any("@" in name for name in run.systems):
        variant = configured_variant(run.corpus.config)
        for name, system in run.systems.items():
            if "@" not in name:
                system["label"] += f", {variant} embedder"


def run_squad(args: argparse.Namespace, config, setups, embedder=None) -> dict:
    path = args.squad_file or default_squad_path(config)
    run, _, _ = run_benchmark(config, path, setups, workdir=args.workdir, with_peers=not args.no_peers,
                              limit=args.limit, progress=True, embedder=embedder,
                              embedders=parse_variants(args.embedders))
    label_embedder(run)
    return build_report(run, "squad", str(path), "all", config, command_line())


def run_language_table(config) -> int:
    from .languages import format_table, ratios, run_languages

    table = run_languages(config)
    print(format_table(table))
    shares = ", ".join(f"{lang} {value:.3f}" if value is not None else f"{lang} -" for lang, value in ratios(table).items())
    print(f"\nR@5 over the seed articles as a share of the English questions' (multilingual model): {shares}")
    return 0


def run_calibration(args: argparse.Namespace, config, engine=None) -> int:
    if args.split != "all" and args.split != "tune":
        print("note: calibration always uses the tune split only", file=sys.stderr)
    tune = select_split(load_questions(questions_path(args, config)), "tune")
    if not tune:
        raise DatasetError("no tune-split questions to calibrate on")
    engine = engine or load_engine(config)
    result = calibrate(engine, tune, weights=args.calibrate_weights, progress=True)
    print(format_calibration(result, engine.config))
    return 0


def finish(args: argparse.Namespace, config, report: dict, under, over) -> int:
    reports_dir = args.reports_dir or config.root / REPORTS_DIR
    previous = previous_report(reports_dir, report["dataset"], report.get("split"))
    if previous is not None:
        report["diff"] = diff_reports(previous, report)
    print(text_summary(report, args.worst))
    if report["diff"]:
        print(diff_markdown(report["diff"]))
    else:
        kept = ("this run's report is what the next run will be compared with." if not args.no_report
                else "this run is not kept either (--no-report).")
        print(f"## Changes\n\nNothing to compare with yet: no earlier `{report['dataset']}` report of the "
              f"{report.get('split') or 'whole'} split in {reports_dir}; "
              f"{kept}\n")
    if not args.no_report:
        folder = write_report(report, reports_dir, args.worst)
        print(f"report: {folder}/ (summary.md, report.json, plot.png); latest: {reports_dir / 'latest'}")
    split = args.split if args.split in report["summary"] else "all"
    failures = check_bounds(report["summary"][split], under, over)
    for failure in failures:
        print(f"FAIL: {failure}", file=sys.stderr)
    return 1 if failures else 0


def command_line() -> str:
    return "qa eval " + " ".join(shlex.quote(a) for a in sys.argv[2:]) if sys.argv[1:2] == ["eval"] else "qa eval"
