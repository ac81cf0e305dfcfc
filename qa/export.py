"""The evidence pack: quotes with everything needed to check them, as Markdown, CSV or JSON."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields

from .types import Source, SourceMeta

FORMATS = ("md", "csv", "json")
STYLES = ("plain", "apa", "mla")
PACK_VERSION = 1


@dataclass(frozen=True)
class QuoteRecord:
    """One quote as evidence: the words, where they stand in which text (offsets into the source text whose
    SHA-256 is given), the source's metadata, the question it answered and when, and a reference to paste."""

    question: str
    asked_at: str  # ISO time the question was asked ("" when unknown)
    quote: str  # source text [start:end], verbatim
    source_id: str
    start: int  # character offsets (Python str indices) into the source text
    end: int
    page: int | None  # the page the quote starts on, for sources with pages (PDF)
    outlet: str
    title: str
    author: str
    date: str  # the article's publication date
    url: str
    collected: str  # when the source was added to the collection
    source_sha256: str  # SHA-256 of the source text (UTF-8) the offsets refer to
    verified: bool  # the source text at export time holds the quote at these offsets
    citation: str  # ready to paste, in the style chosen


def reference(meta: SourceMeta, source_id: str, accessed: str, style: str = "plain") -> str:
    """A reference to paste. plain: Outlet, “Title”, date, URL, accessed DATE; apa: Author (date). Title.
    Outlet. URL; mla: Author. “Title.” Outlet, date, URL. Accessed DATE. Unknown parts are left out."""
    title = (meta.title or source_id).strip()
    if len(title) > 1 and title[0] in "“\"" and title[-1] in "”\"":
        title = title[1:-1]  # the quotation marks come from the style, not twice
    if style == "apa":
        parts = [f"{meta.author}." if meta.author else "", f"({meta.date or 'n.d.'}).", f"{title}.",
                 f"{meta.outlet}." if meta.outlet else "", meta.url]
        return " ".join(p for p in parts if p)
    if style == "mla":
        tail = ", ".join(p for p in (meta.outlet, meta.date, meta.url) if p)
        parts = [f"{meta.author}." if meta.author else "", f"“{title}.”", f"{tail}." if tail else "",
                 f"Accessed {accessed}." if accessed else ""]
        return " ".join(p for p in parts if p)
    if style != "plain":
        raise ValueError(f"unknown citation style {style!r}; choose one of {', '.join(STYLES)}")
    return ", ".join(p for p in (meta.outlet, f"“{title}”", meta.date, meta.url,
                                 f"accessed {accessed}" if accessed else "") if p)


def quote_record(question: str, asked_at: str, quote: str, source_id: str, start: int, end: int,
                 page: int | None, source: Source | None, style: str = "plain") -> QuoteRecord:
    """The record of one quote, checked against the source text as it is now."""
    meta = source.meta if source is not None else SourceMeta()
    body = source.body if source is not None else ""
    verified = source is not None and 0 <= start <= end <= len(body) and body[start:end] == quote
    accessed = (meta.collected or asked_at)[:10]
    return QuoteRecord(question, asked_at, quote, source_id, int(start), int(end), page, meta.outlet, meta.title,
                       meta.author, meta.date, meta.url, meta.collected, sha256(body) if source else "",
                       verified, reference(meta, source_id, accessed, style))


def records_of_answer(answer: Mapping, sources: Mapping[str, Source], asked_at: str = "",
                      style: str = "plain") -> list[QuoteRecord]:
    """Every quote of one answer (`Answer.to_dict()`, a `qa ask --json` line), the statements of a
    disagreement included, each once; an abstention or a refused question gives none."""
    if answer.get("error") or answer.get("abstained"):
        return []
    question, asked_at = str(answer.get("question", "")), str(answer.get("asked_at") or asked_at)
    quotes = list(answer.get("answer") or [])
    conflict = answer.get("conflict") or {}
    quotes += [{"quote": r["quote"], "source_id": r["source_id"], "start": r["start"], "end": r["end"],
                "page": r.get("page")} for r in conflict.get("rows") or []]
    records, seen = [], set()
    for q in quotes:
        key = (q["source_id"], int(q["start"]), int(q["end"]))
        if key not in seen:
            seen.add(key)
            records.append(quote_record(question, asked_at, q["quote"], *key, q.get("page"),
                                        sources.get(q["source_id"]), style))
    return records


def read_answers(lines: Iterable[str]) -> list[dict]:
    """The JSON objects of `qa ask --json` output, one a line (blank lines skipped); ValueError names the
    first line that is not one."""
    answers = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number} is not JSON ({exc.msg}); expected `qa ask --json` output") from None
        if not isinstance(data, dict) or "question" not in data:
            raise ValueError(f"line {number} is not an answer of `qa ask --json`")
        answers.append(data)
    return answers


def to_json(records: list[QuoteRecord], exported_at: str = "") -> str:
    return json.dumps({"format": "qa-evidence", "version": PACK_VERSION, "exported_at": exported_at,
                       "quotes": [asdict(r) for r in records]}, ensure_ascii=False, indent=1) + "\n"


def to_csv(records: list[QuoteRecord]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, [f.name for f in fields(QuoteRecord)], lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({k: "" if v is None else v for k, v in asdict(record).items()})
    return out.getvalue()


def to_markdown(records: list[QuoteRecord], exported_at: str = "") -> str:
    """Quotes grouped under their question, each with its reference and the data to check it."""
    lines = ["# Evidence", ""]
    if exported_at:
        lines += [f"Exported {exported_at}. Offsets are character positions in the source text whose SHA-256 "
                  "is given.", ""]
    question = None
    for record in records:
        if record.question != question:
            question = record.question
            asked = f" (asked {record.asked_at})" if record.asked_at else ""
            lines += [f"## {_md_line(question)}{asked}", ""]
        lines += ["> " + "\n> ".join(_md_line(part) for part in record.quote.splitlines() or [""]), "",
                  f"— {_md_line(record.citation)}", ""]
        where = [f"source `{record.source_id}`", f"characters {record.start}–{record.end}"]
        if record.page is not None:
            where.append(f"page {record.page}")
        where += [f"SHA-256 `{record.source_sha256 or 'unknown'}`"]
        if record.author:
            where.append(f"author {_md_line(record.author)}")
        if record.collected:
            where.append(f"added {record.collected}")
        if not record.verified:
            where.append("**not found at these offsets in the current source text**")
        lines += ["<sub>" + "; ".join(where) + "</sub>", ""]
    return "\n".join(lines)


def render(records: list[QuoteRecord], fmt: str, exported_at: str = "") -> str:
    """The pack in one of FORMATS."""
    if fmt == "json":
        return to_json(records, exported_at)
    if fmt == "csv":
        return to_csv(records)
    if fmt == "md":
        return to_markdown(records, exported_at)
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")


def records_from_dicts(rows: Iterable[Mapping]) -> list[QuoteRecord]:
    """Records back from their dicts (a JSON pack, the page's notebook); unknown keys are ignored."""
    names = {f.name for f in fields(QuoteRecord)}
    return [QuoteRecord(**{k: v for k, v in row.items() if k in names}) for row in rows]


def sha256(text: str) -> str:
    """The SHA-256 of a text as UTF-8 (what sources.py stores as a source's content hash)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _md_line(text: str) -> str:
    """Text kept literal in Markdown: characters that would start markup are escaped, HTML included."""
    return "".join("\\" + ch if ch in "\\`*_{}[]<>#|!" else ch for ch in " ".join(str(text).split()))
