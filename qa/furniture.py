"""Page furniture: the parts of a collected article that are not its prose (datelines, headlines, captions,
share counters, breadcrumbs, teasers), found as spans of the text, which itself stays unchanged."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from .types import Source, Span


class Furniture(NamedTuple):
    """A span of a source body that is not article prose, and what it is."""

    start: int
    end: int
    kind: str  # headline, dateline, caption, counter, byline, breadcrumb, teaser, boilerplate, label, marker


MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
          "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
DATE_ONLY = re.compile(
    rf"^(?:(?:date|published|updated|posted|last updated|modified)\s*:?\s*)?"
    rf"(?:\d{{1,4}}[-./]\d{{1,2}}[-./]\d{{1,4}}|\d{{4}}|(?:{MONTHS})\.?\s+\d{{1,2}},?\s+\d{{4}}|"
    rf"\d{{1,2}}\s+(?:{MONTHS})\.?,?\s+\d{{4}})(?:[,\s]+\d{{1,2}}:\d{{2}}(?::\d{{2}})?)?$", re.I)
# A dateline fused to the first sentence: "date 2024-10-07 The commander…", "BAKU, Dec 7 (Reuters) - The…"
DATELINE_PREFIX = re.compile(
    rf"^(?:date\s+)?\d{{4}}-\d{{2}}-\d{{2}}(?:\s+\d{{1,2}}:\d{{2}})?\s+(?=[A-Z])|"
    rf"^(?:[A-Z][\w.&’'-]*(?:[ ,]+(?:[A-Z][\w.&’'-]*|\d{{1,2}}|(?:{MONTHS})\.?))*\s*(?:\([\w .]+\))?)\s+[-–—]\s+(?=[A-Z])")
CAPTION = re.compile(r"(?:^|[\s,(])(?:photo|photos|image|picture|illustration|video|credit)s?\s*(?::|by\b|©)|"
                     r"©|\bgetty images\b|\bap photo\b|\breuters/|/\s*global look press\b", re.I)
# A wire service's credit line: "(Reporting by Anna Petrova; Editing by John Smith)", "Additional reporting by …"
CREDIT = re.compile(r"^\(?\s*(?:(?:additional\s+)?reporting|writing|editing|edited|compiled|translated|translation|"
                    r"produced|fact-checked)\s+by\b", re.I)
COUNTER = re.compile(r"^[\d\s.,:|/+-]+$|^(?:share|shares|like|likes|tweet|comments?|views?|reads?)\b[\s:\d]*$", re.I)
BREADCRUMB = re.compile(r"^(?:home|main|ana səhifə|главная|başlanğıc)\b|\s[›»>|/]\s\S", re.I)
BOILERPLATE = re.compile(
    r"^(?:leave a (?:reply|comment)|article categories|categories|tags?|share(?: this)?|print|subscribe|"
    r"follow us|sign up|read (?:more|also)|related|advertisement|all rights reserved|comments?|"
    r"-{2,}|—{2,}|\*{3,})\b.{0,80}$|all rights reserved|\bcookies?\b.{0,40}\b(?:accept|policy)\b", re.I)
TEASER_HEADING = re.compile(
    r"^(?:top stories|partner news|related (?:news|articles|stories|posts)|read (?:also|more)|more (?:news|stories|"
    r"from)|most (?:read|popular|viewed)|latest news|recommended|you may also like|popular|trending|see also|"
    r"other news|news feed)\b[\s:]*$", re.I)
NOT_THE_ARTICLE = ("teaser", "boilerplate", "breadcrumb", "counter")  # other stories, menus, share counts
TERMINAL = tuple(".!?…\"”»’)")
MARKER = re.compile(r"^[*•·▪►>#]+\s*")
GLUED = re.compile(r"[a-zà-ÿəğışçöü][A-Z]")  # "səhifəPoliticsVictims": menu items run together
LABEL_MAX_WORDS = 14
TEASER_MAX_CHARS = 400  # after a teaser heading, lines this short are teasers; a longer one is prose again


def normalize(text: str) -> str:
    """Case, quotes and spacing folded: a headline and the title match however they were typed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"[\"“”«»„'‘’`]", "", text)
    return " ".join(text.split())


def furniture_spans(body: str, title: str = "") -> list[Furniture]:
    """Every span of `body` that is not article prose, in order; `title` is the article's known title."""
    lines = _lines(body)
    counts: dict[str, int] = {}
    for start, end in lines:
        key = normalize(body[start:end])
        counts[key] = counts.get(key, 0) + 1
    wanted_title = normalize(title)
    found: list[Furniture] = []
    in_teasers = False
    for start, end in lines:
        text = body[start:end]
        key = normalize(text)
        kind = _line_kind(text, key, counts, wanted_title)
        if kind == "teaser-heading":
            in_teasers, kind = True, "teaser"
        elif in_teasers and len(text) <= TEASER_MAX_CHARS:
            kind = kind or "teaser"
        else:
            in_teasers = False
        if kind:
            found.append(Furniture(start, end, kind))
            continue
        marker = MARKER.match(text)
        if marker:
            found.append(Furniture(start, start + marker.end(), "marker"))
        prefix = DATELINE_PREFIX.match(text)
        if prefix and prefix.end() < len(text):
            found.append(Furniture(start, start + prefix.end(), "dateline"))
    return found


def _line_kind(text: str, key: str, counts: dict[str, int], title: str) -> str:
    stripped = text.strip()
    words = stripped.split()
    if TEASER_HEADING.match(stripped):
        return "teaser-heading"
    if title and key == title:
        return "headline"
    if counts.get(key, 0) > 1 and len(words) <= 3 * LABEL_MAX_WORDS:
        return "headline"  # a line printed twice (headline and page title, a repeated teaser)
    if DATE_ONLY.match(stripped):
        return "dateline"
    if COUNTER.match(stripped):
        return "counter"
    if CREDIT.match(stripped) and len(words) <= 2 * LABEL_MAX_WORDS:
        return "byline"
    if CAPTION.search(stripped) and (len(words) <= 2 * LABEL_MAX_WORDS or not stripped.endswith(TERMINAL)):
        return "caption"
    if BOILERPLATE.search(stripped):
        return "boilerplate"
    if title and title in key and GLUED.search(stripped) and not stripped.endswith(TERMINAL):
        return "breadcrumb"  # not a sentence that names "FitzGibbons" beside the title's word
    if BREADCRUMB.search(stripped) and not stripped.endswith(TERMINAL):
        return "breadcrumb"
    if not stripped.endswith(TERMINAL) and len(words) <= LABEL_MAX_WORDS:
        return "label"  # a heading, byline or menu entry: no sentence ends here
    return ""


def _lines(body: str) -> list[Span]:
    """Non-blank lines as spans, surrounding whitespace trimmed."""
    spans = []
    for match in re.finditer(r"[^\n]+", body):
        start, end = match.start(), match.end()
        while start < end and body[start].isspace():
            start += 1
        while end > start and body[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append(Span(start, end))
    return spans


def prose_span(start: int, end: int, body: str, furniture: list[Furniture]) -> Span | None:
    """The part of the sentence [start, end) that is prose: None when it is furniture, else the span with a
    furniture prefix (a dateline, a '*') or suffix cut off and the whitespace beside the cut trimmed."""
    for item in furniture:
        if item.end <= start or item.start >= end:
            continue
        if item.start <= start and item.end >= end:
            return None
        if item.start <= start:
            start = item.end
        elif item.end >= end:
            end = item.start
        else:
            return None  # furniture in the middle of a sentence: not a clean quote
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def split_prose(body: str, start: int, end: int, furniture: list[Furniture]) -> tuple[str, list[str]]:
    """The passage [start, end) with the furniture that is not the article's own words (NOT_THE_ARTICLE)
    blanked out (offsets kept), and that furniture's texts. Headlines, captions, datelines and bylines stay:
    they speak of the article."""
    inside = [(max(f.start, start), min(f.end, end)) for f in furniture
              if f.kind in NOT_THE_ARTICLE and f.start < end and f.end > start]
    if not inside:
        return body[start:end], []
    text = list(body[start:end])
    for a, b in inside:
        text[a - start:b - start] = " " * (b - a)
    return "".join(text), [body[a:b] for a, b in inside]


def is_whole_sentence(body: str, start: int, end: int, furniture: list[Furniture] = ()) -> bool:
    """Starts where a sentence starts (after a line break, a sentence end or cut-off furniture, with a
    capital, digit or quote) and ends with a sentence end; otherwise the page shows it with an ellipsis."""
    text = body[start:end]
    if not text:
        return False
    before = re.sub(r"[^\S\n]+$", "", body[:start])
    if any(f.start < start and not body[f.end:start].strip() for f in furniture):
        before = ""  # right after cut-off furniture (a dateline): a sentence starts here
    starts = (not before or before.endswith(("\n",) + TERMINAL) or before.endswith(":")) and (
        text[0].isupper() or text[0].isdigit() or text[0] in "\"“«‘'(")
    return starts and text.rstrip().endswith(TERMINAL + (":",))


class FurnitureCache:
    """The furniture of each source, found the first time one of its sentences may be quoted and kept while
    its text and title stay the same (a large archive never pays for sources no question reaches)."""

    def __init__(self) -> None:
        self._found: dict[str, tuple[str, str, list[Furniture]]] = {}

    def of(self, source: Source) -> list[Furniture]:
        known = self._found.get(source.source_id)
        if known is None or known[:2] != (source.content_hash, source.meta.title):
            known = (source.content_hash, source.meta.title, furniture_spans(source.body, source.meta.title))
            self._found[source.source_id] = known
        return known[2]

    def keep_only(self, source_ids: set[str]) -> None:
        """Forget the sources that are gone."""
        for source_id in set(self._found) - source_ids:
            del self._found[source_id]

