"""Reading a cited source: the preview of each citation (its sentence in context) and the source view."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..chunking import split_sentences
from ..types import Answer, Source, Span
from .render import esc, highlight, safe_url

WINDOW_CHARS = 1_500  # text split into sentences on each side of a quote: enough for a neighbour, cheap to split
CONTEXT_CHARS = 320  # the most of each neighbouring sentence a preview shows
SpanKey = tuple[str, int, int]  # (source_id, start, end) of one quote


@dataclass(frozen=True)
class Preview:
    """One citation's preview: the quote with the sentences around it, and where it comes from."""

    n: int
    outlet: str
    title: str
    date: str
    before: str  # the previous sentence (and the start of the quote's own sentence)
    quote: str
    after: str  # the rest of the quote's sentence and the next one


def context(body: str, start: int, end: int, language: str = "en") -> tuple[str, str]:
    """(before, after): the text from the start of the sentence before [start, end) and to the end of the one after.

    Only the quote's lines and the non-empty line on each side are split into sentences (a sentence never
    spans a line break), at most WINDOW_CHARS either way: splitting is the slow part of an answer's previews.
    """
    low, high = _window(body, start, end)
    sentences = [Span(s.start + low, s.end + low) for s in split_sentences(body[low:high], language=language)]
    previous = [s for s in sentences if s.end <= start]
    following = [s for s in sentences if s.start >= end]
    own_start = min([s.start for s in sentences if s.start < start < s.end] or [start])
    own_end = max([s.end for s in sentences if s.start < end < s.end] or [end])
    before_start = previous[-1].start if previous else own_start
    after_end = following[0].end if following else own_end
    return _clip_left(body[before_start:start]), _clip_right(body[end:after_end])


def _window(body: str, start: int, end: int) -> tuple[int, int]:
    """From the start of the non-empty line before the quote's line to the end of the one after it."""
    floor, ceiling = max(0, start - WINDOW_CHARS), min(len(body), end + WINDOW_CHARS)
    low = body.rfind("\n", floor, start) + 1 or floor  # the quote's line
    before = low - 1
    while before > floor and body[before].isspace():
        before -= 1
    if before > floor:  # the line before (else the window starts at the quote's line, or the floor)
        low = body.rfind("\n", floor, before) + 1 or floor
    high = body.find("\n", end, ceiling)
    high = ceiling if high < 0 else high
    while high < ceiling and body[high].isspace():
        high += 1
    following = body.find("\n", high, ceiling)
    return low, ceiling if following < 0 else following


def _clip_left(text: str) -> str:
    return text if len(text) <= CONTEXT_CHARS else "…" + text[-CONTEXT_CHARS:].lstrip()


def _clip_right(text: str) -> str:
    return text if len(text) <= CONTEXT_CHARS else text[:CONTEXT_CHARS].rstrip() + "…"


def previews(answer: Answer, source_of: Callable[[str], Source | None]) -> dict[SpanKey, Preview]:
    """A preview for every quote of the answer (the side-by-side rows of a disagreement too), by its span."""
    citations = {c.n: c for c in answer.citations}
    spans = [(q.source_id, q.start, q.end, q.citation) for q in answer.answer]
    if answer.conflict is not None:
        spans += [(r.source_id, r.start, r.end, r.citation) for r in answer.conflict.rows]
    found: dict[SpanKey, Preview] = {}
    bodies: dict[str, str | None] = {}
    for source_id, start, end, n in spans:
        if (source_id, start, end) in found:
            continue
        if source_id not in bodies:
            source = source_of(source_id)
            bodies[source_id] = source.body if source is not None else None
        body, citation = bodies[source_id], citations.get(n)
        if body is None or citation is None or not 0 <= start <= end <= len(body):
            continue
        before, after = context(body, start, end)
        found[(source_id, start, end)] = Preview(n, citation.outlet, citation.title or source_id, citation.date,
                                                 before, body[start:end], after)
    return found


def preview_html(preview: Preview) -> str:
    """The hidden element after a citation that the page shows on hover and focus (all text escaped).

    Spans only: the chat's sanitiser keeps classes but drops data attributes and scripts.
    """
    head = " · ".join(esc(part) for part in (preview.outlet or "unknown outlet", preview.title,
                                              preview.date or "no date"))
    return (f'<span class="qa-preview"><span class="qa-preview-head">[{preview.n}] {head}</span>'
            f'<span class="qa-preview-text">{esc(preview.before)}'
            f'<span class="qa-preview-quote">{esc(preview.quote)}</span>{esc(preview.after)}</span></span>')


def preview_markup(answer: Answer, source_of: Callable[[str], Source | None]) -> Mapping[SpanKey, str]:
    """What `render.answer_html(previews=…)` takes: the preview element of every quote, by its span."""
    return {key: preview_html(preview) for key, preview in previews(answer, source_of).items()}


def source_html(source: Source, start: int, end: int, label: str = "") -> str:
    """The whole source with [start, end) marked, under a header that stays pinned while the text scrolls.

    `label` names what opened it (a citation "[2]" or "passage 3"); the header shows it, and the way back
    to the answer (the page shows that link on narrow screens, where the view opens over the page).
    """
    meta = source.meta
    url = safe_url(meta.url)
    details = [esc(meta.outlet) if meta.outlet else "unknown outlet", esc(meta.date) if meta.date else "no date",
               f"characters {start:,}–{end:,} of {len(source.body):,}"]
    if url:
        details.append(f'<a class="qa-extlink" href="{esc(url)}" rel="noopener noreferrer" target="_blank">'
                       "original article</a>")
    badge = f'<span class="qa-open-label">{esc(label)}</span> ' if label else ""
    return (f'<div class="qa-source"><div class="qa-source-head">'
            f'<a class="qa-back" href="#qa-back">← Back to the answer</a>'
            f'{badge}<strong>{esc(meta.title or source.source_id)}</strong><br>'
            f'<span class="qa-meta">{" · ".join(details)}</span></div>'
            f'<div class="qa-source-text">{_paged_text(source, start, end)}</div></div>')


def _paged_text(source: Source, start: int, end: int) -> str:
    """The source text with [start, end) marked; a PDF's pages each open with a "p. N" rule."""
    if not source.pages:
        return highlight(source.body, [(start, end)], mark_id="qa-focus")
    bounds = list(source.pages) + [len(source.body)]
    pieces = []
    for n, (a, b) in enumerate(zip(bounds, bounds[1:]), start=1):
        holds_start = a <= start < b or (n == len(source.pages) and start >= b)
        pieces.append(f'<div class="qa-page-break" role="separator">p. {n}</div>'
                      + highlight(source.body[a:b], [(start - a, end - a)], mark_id="qa-focus" if holds_start else ""))
    return "".join(pieces)


def source_message_html(message: str) -> str:
    """Why a source cannot be shown, in the view's frame (on a phone it opens over the page with its way back)."""
    return (f'<div class="qa-source qa-source-message"><div class="qa-source-head">'
            f'<a class="qa-back" href="#qa-back">← Back to the answer</a>'
            f'<span class="qa-notice qa-error">{esc(message)}</span></div></div>')


def open_label(raw: object) -> str:
    """The label the page sends with a click: "[n]" for a citation, "" otherwise (anything else is dropped)."""
    text = str(raw or "").strip()
    return text if len(text) <= 8 and text.startswith("[") and text.endswith("]") and text[1:-1].isdigit() else ""
