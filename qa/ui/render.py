"""HTML for the chat UI: answers, passages and sources, with every piece of source text escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from ..abstention import ABSTAIN_MESSAGE
from ..answer import answer_note
from ..language import name as language_name
from ..types import Answer, Citation, Passage, Source, SourceMeta

OPEN_PREFIX = "#qa-open/"  # links the page's script turns into "show this span of this source"
SAVE_PREFIX = "#qa-save/"  # the same span, saved to the notebook (qa/ui/notebook.py)
COPY_LABEL = "Copy citation"
FAILED = "Something went wrong; the details are in the server log."  # every handler's one line instead of a traceback
SAVE_LABEL = "Save quote"


def esc(text: object) -> str:
    """Text made safe for HTML element content and quoted attribute values."""
    return escape(str(text), quote=True)


def safe_url(url: str) -> str:
    """The URL normalised if it is http(s) with a host, else '' (never a javascript: or data: link)."""
    try:
        parts = urlsplit((url or "").strip())  # also drops the tabs/newlines browsers ignore in a scheme
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return urlunsplit(parts)


def highlight(text: str, spans: Iterable[tuple[int, int]], mark_id: str = "") -> str:
    """`text` as HTML with each span in <mark>.

    The text before, inside and after every span is escaped separately and the pieces are joined
    with <mark> tags, so no character of the text can open or close a tag. Spans are clipped to the
    text and merged where they overlap; `mark_id` goes on the first mark.
    """
    merged: list[list[int]] = []
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces, position = [], 0
    for n, (start, end) in enumerate(merged):
        attributes = f' id="{esc(mark_id)}"' if mark_id and n == 0 else ""
        pieces += [esc(text[position:start]), f"<mark{attributes}>", esc(text[start:end]), "</mark>"]
        position = end
    pieces.append(esc(text[position:]))
    return "".join(pieces)


def open_link(source_id: str, start: int, end: int) -> str:
    """The href that asks the page to show [start, end) of a source."""
    return f"{OPEN_PREFIX}{quote(source_id, safe='')}/{int(start)}/{int(end)}"


def parse_open_link(ref: str) -> tuple[str, int, int]:
    """Inverse of `open_link` (with or without its prefix); raises ValueError for anything else."""
    ref = ref[len(OPEN_PREFIX):] if ref.startswith(OPEN_PREFIX) else ref
    source_id, start, end = ref.rsplit("/", 2)
    return unquote(source_id), int(start), int(end)


def plain_reference(citation: Citation) -> str:
    """Outlet, “title”, date, language, URL as plain text; unknown fields are left out."""
    parts = [citation.outlet, f"“{citation.title}”" if citation.title else citation.source_id, citation.date,
             f"in {language_name(citation.language)}" if citation.language else "", citation.url]
    return ", ".join(p for p in parts if p)


def copy_text(quote_text: str, citation: Citation) -> str:
    """What "Copy citation" puts on the clipboard: the verbatim quote and its reference."""
    return f"“{quote_text}” — {plain_reference(citation)}"


def source_name(meta: SourceMeta, source_id: str) -> str:
    """A short human name for a source: outlet and title, or its id."""
    title = meta.title or source_id
    return f"{meta.outlet} — {title}" if meta.outlet else title


def _citation_html(citation: Citation) -> str:
    title = esc(citation.title or citation.source_id)
    url = safe_url(citation.url)
    title_html = f'<a class="qa-extlink" href="{esc(url)}" rel="noopener noreferrer" target="_blank">{title}</a>' \
        if url else title
    details = [esc(citation.outlet) if citation.outlet else "unknown outlet", title_html,
               esc(citation.date) if citation.date else "no date"]
    if citation.url and not url:
        details.append(esc(citation.url))  # shown as text, never as a link
    if citation.language:
        details.append(f'<span class="qa-language">in {esc(language_name(citation.language))}</span>')
    return f'<li><span class="qa-n">[{citation.n}]</span> {", ".join(details)}</li>'


def user_html(question: str) -> str:
    return f'<span class="qa-question">{esc(question)}</span>'


def notice_html(message: str, kind: str = "error") -> str:
    """A short message in the chat (an error, a refused question)."""
    return f'<p class="qa-notice qa-{esc(kind)}">{esc(message)}</p>'


def answer_html(answer: Answer, previews: Mapping[tuple[str, int, int], str] | None = None,
                metas: Mapping[str, SourceMeta] | None = None) -> str:
    """The chat bubble: the verbatim quotes, each with its citation number, then the numbered sources.

    An abstention is one plain sentence and the reason (what no source mentions). A disagreement lists one
    card per statement, oldest article first: citation, outlet, date, the figure, whom the article attributes
    it to, and the quote. A quote that is part of a sentence has an ellipsis outside the quotation marks;
    question words no quote contains are named below the quotes. Quotes that state no figure of the kind a
    figure question asks for come under a note saying so. `previews` (reading.preview_markup) puts
    each quote's hover preview after its citation. A question limited to some sources names them (`metas`
    gives their names).
    """
    previews = previews or {}
    limited = _limited_html(answer.limited_to, metas or {})
    note = f'<p class="qa-language-note">{esc(answer.language_note)}</p>' if answer.language_note else ""
    if answer.abstained and answer.reason == "language":  # the model cannot bridge the question's language
        return f'<div class="qa-answer">{note}{limited}</div>'
    if answer.abstained:
        reason = answer.message[len(ABSTAIN_MESSAGE):].strip() if answer.message.startswith(ABSTAIN_MESSAGE) else ""
        reason_html = f'<p class="qa-reason">{esc(reason)}</p>' if reason else ""
        return (f'<div class="qa-answer"><p class="qa-abstain">{esc(ABSTAIN_MESSAGE)}</p>{reason_html}{note}'
                f'<p class="qa-hint">The closest passages are listed beside the chat.</p>{limited}</div>')
    citations = {c.n: c for c in answer.citations}
    parts = ['<div class="qa-answer">', note]
    if answer.conflict is not None:
        stated = "; ".join(f"{esc(', '.join(row.figures))} [{row.citation}{page_suffix(row.page)}]"
                           for row in answer.conflict.rows)
        parts.append(f'<p class="qa-conflict"><strong>The sources differ</strong>: {stated}.</p>')
        parts.append('<div class="qa-quotes qa-side-by-side">')
        for row in answer.conflict.rows:
            citation = citations[row.citation]
            meta = [f"[{row.citation}{page_suffix(row.page)}] {esc(row.outlet or row.source_id)}",
                    esc(row.date or "no date"),
                    f'<span class="qa-figure">{esc(", ".join(row.figures))}</span>']
            if row.attribution:
                meta.append(f'<span class="qa-attribution">according to {esc(row.attribution)}</span>')
            label = f'<div class="qa-quote-source">{" · ".join(meta)}</div>'
            parts.append(_quote_html(row.quote, row.source_id, row.start, row.end, row.citation, citation, True, label,
                                     page=row.page, preview=previews.get((row.source_id, row.start, row.end), "")))
    else:
        note = answer_note(answer)  # the quotes do not give the figure or the event asked for
        if note:
            parts.append(f'<p class="qa-missing-figure">{esc(note)}</p>')
        parts.append('<div class="qa-quotes">')
        for item in answer.answer:
            parts.append(_quote_html(item.quote, item.source_id, item.start, item.end, item.citation,
                                     citations[item.citation], item.whole, page=item.page,
                                     preview=previews.get((item.source_id, item.start, item.end), "")))
    parts.append("</div>")
    if answer.uncovered_terms:
        parts.append(f'<p class="qa-uncovered">Not in the quotes: {esc(", ".join(answer.uncovered_terms))}</p>')
    parts.append('<ul class="qa-sources">' + "".join(_citation_html(c) for c in answer.citations) + "</ul>")
    parts.append(limited + "</div>")
    return "".join(parts)


def _limited_html(source_ids: list[str], metas: Mapping[str, SourceMeta]) -> str:
    if not source_ids:
        return ""
    names = "; ".join(source_name(metas.get(sid, SourceMeta()), sid) for sid in source_ids)
    return f'<p class="qa-limited">Asked only of {len(source_ids)} chosen source(s): {esc(names)}</p>'


def page_suffix(page: int | None) -> str:
    """", p. N" after a citation number, for a source with pages (a PDF); nothing for one without."""
    return f", p. {int(page)}" if page else ""


def _quote_html(text: str, source_id: str, start: int, end: int, n: int, citation: Citation, whole: bool,
                label: str = "", page: int | None = None, preview: str = "") -> str:
    ellipsis = "" if whole else '<span class="qa-ellipsis" title="Part of a sentence">…</span>'
    at = page_suffix(page)
    hint = "" if preview else ' title="Show this quote in its source"'  # the preview replaces the tooltip
    return (f'<div class="qa-quote">{label}{ellipsis}<q class="qa-text">{esc(text)}</q>{ellipsis} '
            f'<a class="qa-cite" href="{esc(open_link(source_id, start, end))}"'
            f'{hint}>[{n}{at}]</a>{preview} '
            f'<a class="qa-copy" href="#qa-copy" title="Copy the quote with its reference">{COPY_LABEL}</a>'
            f'<a class="qa-save" href="{esc(SAVE_PREFIX + open_link(source_id, start, end)[len(OPEN_PREFIX):])}" '
            f'title="Save the quote to the notebook">{SAVE_LABEL}</a>'
            f'<span class="qa-copytext">{esc(copy_text(text, citation) + at)}</span></div>')


def passages_html(answer: Answer | None, metas: Mapping[str, SourceMeta]) -> str:
    """The ranked passages of the last answer, quoted spans highlighted, each naming its source."""
    if answer is None:
        return '<p class="qa-empty">Ask a question: the passages it was answered from appear here.</p>'
    if not answer.passages:
        return '<p class="qa-empty">No passage was retrieved.</p>'
    items = ['<ol class="qa-passages">']
    for passage in answer.passages:
        spans = _quote_spans(answer, passage)
        target = spans[0] if spans else (0, passage.end - passage.start)
        meta = metas.get(passage.source_id, SourceMeta())
        link = open_link(passage.source_id, passage.start + target[0], passage.start + target[1])
        items.append(
            f'<li class="qa-passage{" qa-quoted" if spans else ""}">'
            f'<div class="qa-passage-head"><span class="qa-rank">{passage.rank}</span>'
            f'<a class="qa-open" href="{esc(link)}" title="Open the source here">'
            f'{esc(source_name(meta, passage.source_id))}{page_suffix(passage.page)}</a>'
            f'<span class="qa-score">{passage.score:.3f}</span></div>'
            f'<div class="qa-passage-text">{highlight(passage.text, spans)}</div></li>'
        )
    items.append("</ol>")
    return "".join(items)


def _quote_spans(answer: Answer, passage: Passage) -> list[tuple[int, int]]:
    """The answer's quotes that fall in this passage, as offsets into the passage text."""
    spans = []
    for item in answer.answer:
        if item.source_id == passage.source_id and item.start < passage.end and item.end > passage.start:
            spans.append((max(item.start, passage.start) - passage.start, min(item.end, passage.end) - passage.start))
    return sorted(spans)


def source_placeholder_html(message: str = "") -> str:
    text = message or "Click a citation number or a passage to read it in its source."
    return f'<p class="qa-empty">{esc(text)}</p>'


def sources_table_html(sources: Iterable[Source]) -> str:
    """Every source with its metadata, newest additions included."""
    rows = []
    for s in sorted(sources, key=lambda s: ((s.meta.title or s.source_id).lower(), s.source_id)):
        url = safe_url(s.meta.url)
        title = esc(s.meta.title or "(untitled)")
        if url:
            title = f'<a class="qa-extlink" href="{esc(url)}" rel="noopener noreferrer" target="_blank">{title}</a>'
        byline = f'<span class="qa-meta qa-byline">by {esc(s.meta.author)}</span>' if s.meta.author else ""
        size = f"{len(s.body):,}" + (f" ({len(s.pages)} pp.)" if s.pages else "")
        rows.append(f"<tr><td>{title}{byline}<code class='qa-id'>{esc(s.source_id)}</code></td>"
                    f"<td>{esc(s.meta.outlet) or '—'}</td><td class='qa-date'>{esc(s.meta.date) or '—'}</td>"
                    f"<td class='qa-num'>{size}</td></tr>")
    head = "<tr><th>title</th><th>outlet</th><th>date</th><th>characters</th></tr>"
    return f'<table class="qa-source-table"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
