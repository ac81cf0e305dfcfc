"""Metadata a user types: the date checked, readable ids, the time a source was collected."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from .errors import SourceError

DATE_FORMS = ((re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"), (re.compile(r"\d{4}-\d{2}"), "%Y-%m"),
              (re.compile(r"\d{4}"), "%Y"))
ID_MAX_CHARS = 60  # long enough to tell titles apart, short enough for a table column and a file name
USER = "user"  # where a field came from when the user typed it


def check_date(value: str) -> str:
    """The date as typed, stripped, when it is YYYY-MM-DD, YYYY-MM, YYYY or empty; else SourceError."""
    value = (value or "").strip()
    if not value:
        return ""
    for pattern, form in DATE_FORMS:
        if pattern.fullmatch(value):
            try:
                dt.datetime.strptime(value, form)
            except ValueError:
                break
            return value
    raise SourceError(f"the date “{value[:40]}” is not a date: write it as YYYY-MM-DD, YYYY-MM or YYYY "
                      "(e.g. 2024-10-07), or leave it empty")


def iso_date(value: str) -> str:
    """The calendar date at the start of an ISO date or time ("2024-10-07T09:30:00+04:00" -> "2024-10-07"),
    or '' when it does not start with one."""
    match = re.match(r"\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value or "")
    if not match:
        return ""
    found = "-".join(part for part in match.groups() if part)
    try:
        return check_date(found)
    except SourceError:
        return ""


def slugify(name: str, max_chars: int = 80) -> str:
    """A file-system safe id: ASCII letters, digits, '-', '_' only, cut at a word boundary."""
    stem = unicodedata.normalize("NFKD", name)
    stem = stem.encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_").lower()
    if len(stem) > max_chars:
        cut = stem[:max_chars + 1]
        boundary = max(cut.rfind("-"), cut.rfind("_"))
        stem = (cut[:boundary] if boundary > max_chars // 2 else stem[:max_chars]).strip("-_")
    return stem or "source"


def unique_id(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`… : the first one not taken."""
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    return source_id


def readable_id(title: str, fallback: str, taken: set[str]) -> str:
    """A new source's id: a slug of its title (else of `fallback`, the file name or address), unique."""
    base = slugify(title, ID_MAX_CHARS) if title.strip() else ""
    if base in ("", "source"):
        base = slugify(fallback, ID_MAX_CHARS)
    return unique_id(base, taken)


def collected_now(with_time: bool = False) -> str:
    """Now, in UTC: the date (a file added) or the time to the second (a page fetched)."""
    now = dt.datetime.now(dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%SZ") if with_time else now.strftime("%Y-%m-%d")
