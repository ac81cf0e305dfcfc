"""The `qa` command line: index, add, remove, edit, sources, ask, export (and eval, serve, bench from their own modules)."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from . import export
from .answer import answer_note
from .engine import Engine, QuestionError
from .files import RefusedFile, atomic_write_bytes, read_checked
from .index.migrate import migrate_from_faiss
from .options import add_common_arguments, config_from_args, error_object, load_engine, print_warnings
from .ingest.fields import check_date
from .ingest.web import is_web_address
from .sources import SourceError, file_limit, scan_sources
from .types import Answer, SourceMeta

META_OPTIONS = ("title", "outlet", "date", "url", "author")  # `--date`: YYYY-MM-DD, YYYY-MM or YYYY

# Commands that live in their own modules, imported only when run (they bring gradio, ranx, txtai...);
# each module has add_arguments(parser) and run(args) -> int.
EXTERNAL_COMMANDS = {
    "eval": ("qa.evaluation.command", "evaluate retrieval and answers on the question sets"),
    "serve": ("qa.ui.app", "start the chat UI in the browser"),
    "bench": ("qa.benchmarks.command", "measure speed and scale"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qa", description="Answers from news sources as verbatim, cited quotes.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("index", help="build or update the index (only new or changed sources are embedded)")
    p.add_argument("--rebuild", action="store_true", help="re-embed everything")
    p.add_argument("--from-faiss", nargs="?", const=True, type=Path, metavar="FAISS_DIR",
                   help="with --backend milvus: copy the FAISS index (default: --index-dir) into Milvus, "
                        "reusing its stored vectors")
    p.add_argument("--ray-address", help="embed on a Ray cluster: local, auto or ray://host:10001 (QA_RAY_ADDRESS)")
    add_common_arguments(p)

    p = sub.add_parser("add", help="add sources (.txt, .md, .html, .pdf files or https:// addresses) and index them")
    p.add_argument("files", nargs="+", metavar="FILE_OR_URL")
    for name in META_OPTIONS:
        p.add_argument(f"--{name}", default="", help=f"the article's {name} (applies to every file given)")
    add_common_arguments(p)

    p = sub.add_parser("remove", help="delete a source (file, metadata, page map) and take it out of the index")
    p.add_argument("source_id")
    add_common_arguments(p)

    p = sub.add_parser("edit", help="change a source's metadata (only the fields given)")
    p.add_argument("source_id")
    for name in META_OPTIONS:
        p.add_argument(f"--{name}", default=None, help=f"the new {name} ('' clears it)")
    add_common_arguments(p)

    p = sub.add_parser("sources", help="list the sources")
    p.add_argument("--json", action="store_true")
    add_common_arguments(p)

    p = sub.add_parser("ask", help="ask a question ('-' reads one question per line from stdin)")
    p.add_argument("question", help="the question, or - for stdin")
    p.add_argument("--json", action="store_true", help="print one JSON object per question")
    p.add_argument("--source", action="append", dest="sources", metavar="ID",
                   help="ask only this source (repeatable; `qa sources` lists the ids)")
    p.add_argument("--outlet", action="append", dest="outlets", metavar="NAME",
                   help="ask only this outlet's sources (repeatable; with --source: both)")
    add_common_arguments(p)

    p = sub.add_parser("export", help="an evidence pack (Markdown, CSV, JSON) from `qa ask --json` output")
    p.add_argument("answers", nargs="*", type=Path, help="files of `qa ask --json` lines (default: stdin)")
    p.add_argument("--format", choices=export.FORMATS, default="md", help="md (default), csv or json")
    p.add_argument("--style", choices=export.STYLES, default="plain",
                   help="reference style: plain (Outlet, “Title”, date, URL, accessed DATE), apa or mla")
    p.add_argument("-o", "--output", type=Path, help="write to this file (default: stdout)")
    add_common_arguments(p)

    for name, (_, help_text) in EXTERNAL_COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if argv and argv[0] in EXTERNAL_COMMANDS:
        return run_external(argv[0], argv[1:])
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line for the user, the traceback only with -v
        if args.verbose:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 1


def run_external(name: str, argv: list[str]) -> int:
    module_name, help_text = EXTERNAL_COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        print(f"error: `qa {name}` is unavailable ({exc})", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog=f"qa {name}", description=help_text)
    module.add_arguments(parser)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) else logging.WARNING,
                        format="%(levelname)s %(message)s")
    return int(module.run(args) or 0)


def _engine(args: argparse.Namespace, progress: bool = True) -> Engine:
    return load_engine(config_from_args(args), progress=progress)


def cmd_index(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.from_faiss:
        if config.backend != "milvus":
            print("error: --from-faiss copies a FAISS index into Milvus: add --backend milvus", file=sys.stderr)
            return 2
        print(migrate_from_faiss(config, None if args.from_faiss is True else args.from_faiss).summary())
        return 0
    engine = Engine.open(config, for_indexing=True)
    if not engine.sources():
        print_warnings(engine.warnings)
        print(f"error: no usable sources in {config.sources_dir}", file=sys.stderr)
        return 1
    report = engine.index(rebuild=args.rebuild, progress=True)
    engine.spellings()  # counted now and saved beside the index, so that no first question waits for it
    print_warnings(report.warnings)  # the skipped sources among them
    print(report.summary())
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    try:
        check_date(args.date)  # before the model is loaded: the same answer for every file
    except SourceError as exc:
        print(f"error: --date: {exc}", file=sys.stderr)
        return 2
    engine = _engine(args)
    meta = SourceMeta(**{name: getattr(args, name) for name in META_OPTIONS})
    failed = 0
    for given in args.files:
        path = Path(given)
        try:
            if is_web_address(given):
                result, _ = engine.add_url(given, meta, progress=True)
            else:
                # Checked before read: a FIFO, /dev/zero or a sparse 1.5 GB file is refused, not read. A link
                # is followed to a regular file: the user named it here.
                limit, setting = file_limit(path.name, engine.config.max_source_bytes, engine.config.max_pdf_bytes)
                data = read_checked(path, limit, setting=setting)
                result, _ = engine.add(data, path.name, meta, progress=True)
        except (OSError, SourceError, RefusedFile) as exc:
            print(f"error: {add_error(given, exc)}", file=sys.stderr)
            failed += 1
            continue
        for notice in result.notices:
            print(f"note: {notice}", file=sys.stderr)
        if result.added:
            print(f"added {given} as {result.source.source_id}")
        else:
            print(f"skipped {given}: same text as source {result.duplicate_of}")
    return 1 if failed else 0


def add_error(given: str, exc: Exception) -> str:
    """The one line of a failed add, naming the file once, by the path given (the message of a file's
    refusal starts with its bare name; a web address's names the address)."""
    if is_web_address(given):
        return str(exc)
    message = getattr(exc, "strerror", None) or str(exc)
    name = Path(given).name + ": "
    return f"{given}: {message[len(name):] if message.startswith(name) else message}"


def cmd_remove(args: argparse.Namespace) -> int:
    engine = _engine(args)
    try:
        engine.remove(args.source_id)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"removed {args.source_id}")
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    engine = _engine(args, progress=False)
    source = engine.source(args.source_id)
    changes = {name: getattr(args, name).strip() for name in META_OPTIONS if getattr(args, name) is not None}
    if source is None or not changes:
        print(f"error: no source with the id {args.source_id!r} (`qa sources` lists them)" if source is None
              else "error: nothing to change: give --title, --outlet, --date, --url or --author", file=sys.stderr)
        return 1
    try:
        edited = engine.edit(args.source_id, replace(source.meta, **changes))
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"edited {args.source_id}: " + "; ".join(f"{k} = {getattr(edited.meta, k) or '(empty)'}" for k in changes))
    return 0


def cmd_sources(args: argparse.Namespace) -> int:
    engine = _engine(args, progress=True)
    rows = [{"source_id": s.source_id, "title": s.meta.title, "outlet": s.meta.outlet, "date": s.meta.date,
             "url": s.meta.url, "author": s.meta.author, "collected": s.meta.collected, "chars": len(s.body),
             "pages": len(s.pages)} for s in engine.sources()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for row in rows:
            print(f"{row['source_id']}  {row['outlet'] or '-'} | {row['title'] or '(untitled)'} | "
                  f"{row['date'] or 'no date'} | {row['chars']:,} chars" + (f", {row['pages']} pp." if row['pages'] else ""))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    engine = _engine(args)
    lines = args.question == "-"
    questions = stdin_questions(engine.config.max_question_chars) if lines else [(0, args.question, None)]
    status = 0
    for number, question, problem in questions:
        if lines and not problem and not question.strip():
            continue
        try:
            if problem:
                raise QuestionError(problem)
            asked_at = now_iso()
            answer = engine.ask(question, sources=args.sources, outlets=args.outlets or ())
        except QuestionError as exc:
            status = 2
            if args.json:
                refused = error_object(question, str(exc), engine.config)
                print(json.dumps({**refused, "line": number} if lines else refused, ensure_ascii=False),
                      flush=True)
            else:
                where = f"line {number}: " if lines else ""
                print(f"error: {where}{exc}", file=sys.stderr)
            continue
        if args.json:
            print(json.dumps({**answer.to_dict(), "asked_at": asked_at}, ensure_ascii=False), flush=True)
        else:
            print(format_answer(answer), flush=True)
    return status


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def cmd_export(args: argparse.Namespace) -> int:
    """Quotes of saved answers with their sources' metadata, offsets and text hashes; no model is loaded."""
    config = config_from_args(args)
    try:
        lines = [line for path in args.answers for line in path.read_text(encoding="utf-8").splitlines()] \
            if args.answers else sys.stdin.read().splitlines()
        answers = export.read_answers(lines)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"error: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
        return 2
    sources = {s.source_id: s for s in scan_sources(config.sources_dir, config.max_source_bytes).sources}
    records = [r for a in answers for r in export.records_of_answer(a, sources, style=args.style)]
    for record in records:
        if not record.verified:
            print(f"warning: {record.source_id} [{record.start}:{record.end}] no longer holds the quote "
                  "(source changed or missing); exported as answered", file=sys.stderr)
    text = export.render(records, args.format, now_iso())
    if args.output:
        atomic_write_bytes(args.output, text.encode("utf-8"), mode=0o644)
        print(f"wrote {len(records)} quotes to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def stdin_questions(max_chars: int, stream=None):
    """(line number, question, problem) per line of stdin, read as bytes: a line that is not UTF-8 or is
    far too long is one refused question (`problem` says why), and the lines after it are still answered.

    Text-mode stdin would raise on the first undecodable byte and end the whole batch; a line is read to at
    most a bounded length and the rest of a longer one is skipped unread into memory."""
    stream = stream if stream is not None else getattr(sys.stdin, "buffer", None)
    if stream is None:  # a text stream put in place of stdin (tests): already decoded
        for number, line in enumerate(sys.stdin, start=1):
            yield number, line.rstrip("\r\n"), None
        return
    limit = 4 * max_chars + 2  # UTF-8 takes at most 4 bytes a character, plus the line break
    number = 0
    while True:
        raw = stream.readline(limit)
        if not raw:
            return
        number += 1
        problem = None
        if not raw.endswith(b"\n") and len(raw) >= limit:
            size = len(raw)
            while True:  # skip the rest of the line
                rest = stream.readline(1 << 20)
                size += len(rest)
                if not rest or rest.endswith(b"\n"):
                    break
            problem = f"The question is {size:,} bytes long; the limit is {max_chars:,} characters."
        text = raw.decode("utf-8", "replace").rstrip("\r\n")
        if problem is None:
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problem = f"Line {number} is not UTF-8 text ({exc.reason} at byte {exc.start}); it was skipped."
        yield number, text, problem


def format_answer(answer: Answer) -> str:
    """A plain-text answer: the quotes with citation numbers (an ellipsis where a quote is part of a
    sentence), who says what when the sources differ, a note when no quote gives the figure asked for, the
    question words no quote contains, the sources, and the sources it was limited to."""
    limited = f"\n(limited to: {', '.join(answer.limited_to)})" if answer.limited_to else ""
    if answer.abstained:
        missing = f"\n(not found: {', '.join(answer.uncovered_terms)})" if answer.uncovered_terms else ""
        return answer.message + missing + limited
    lines = []
    if answer.conflict:
        lines += ["The sources differ:"]
        for row in answer.conflict.rows:
            said = f" — according to {row.attribution}" if row.attribution else ""
            page = f", p. {row.page}" if row.page else ""
            lines.append(f"  [{row.citation}{page}] {row.outlet or row.source_id} ({row.date or 'no date'}): "
                         f"{', '.join(row.figures)}{said}")
        lines.append("")
    note = answer_note(answer)
    if note:
        lines.append(f"({note})")
    for quote in answer.answer:
        text = quote.quote if quote.whole else f"…{quote.quote}…"
        page = f", p. {quote.page}" if quote.page else ""
        lines.append(f"“{text}” [{quote.citation}{page}]")
    if answer.uncovered_terms:
        lines.append(f"(not in the quotes: {', '.join(answer.uncovered_terms)})")
    lines.append("")
    for c in answer.citations:
        parts = [c.outlet or "unknown outlet", c.title or c.source_id, c.date or "no date"]
        lines.append(f"[{c.n}] " + ", ".join(parts) + (f" — {c.url}" if c.url else ""))
    return "\n".join(lines) + limited


COMMANDS = {"index": cmd_index, "add": cmd_add, "remove": cmd_remove, "edit": cmd_edit, "sources": cmd_sources,
            "ask": cmd_ask, "export": cmd_export}


if __name__ == "__main__":
    sys.exit(main())
