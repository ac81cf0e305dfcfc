"""Sources: read articles from the sources folder (checked before read), add new ones, detect duplicates."""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import os
import stat
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .files import STALE_TEMPORARY_S, RefusedFile, atomic_write_bytes, read_checked, remove_stale_files, too_big
from .ingest.errors import SourceError
from .ingest.fields import USER, check_date, collected_now, readable_id, slugify
from .ingest.html_meta import stated_metadata
from .ingest.pdf import is_pdf, pdf_text
from .ingest.stated import FIELDS, Stated
from .ingest.web import Fetched
from .language import detect as detect_language
from .types import Source, SourceMeta

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
PDF_SUFFIXES = (".pdf",)  # added as their text (a .txt) and a page map; never read from the folder as PDF
ADD_SUFFIXES = SUFFIXES + PDF_SUFFIXES
META_SUFFIX = ".meta.json"
PAGES_SUFFIX = ".pages.json"  # beside a source from a PDF: the offset where each page starts
FILE_MODE = 0o644  # what the rest of the folder has: readable by the other tools that read sources/
MAX_META_BYTES = 1_000_000  # a metadata sidecar is a few lines of JSON
HTML_KEPT_NOTICE = 0.5  # Config.html_kept_notice


@dataclass(frozen=True)
class AddResult:
    source: Source
    added: bool  # False: the same text was already there (see `duplicate_of`)
    duplicate_of: str = ""
    notices: tuple[str, ...] = ()  # what the user should know (an HTML page cut by extraction)


@dataclass(frozen=True)
class PreparedSource:
    """A file to add, decoded and converted, before anything is written: no lock is needed to make it."""

    name: str  # the file name given (it only proposes an id)
    suffix: str  # the suffix stored: .txt or .md (HTML is stored as its text)
    text: str
    meta: SourceMeta
    content_hash: str
    notices: tuple[str, ...] = ()
    origin: dict[str, str] = field(default_factory=dict)  # per metadata field, where it came from
    pages: tuple[int, ...] = ()  # a PDF's page map


@dataclass(frozen=True)
class SourceScan:
    """The sources folder as read now: usable sources, one warning per file left out, and the ids of files
    that are there but cannot be used now (the index keeps their last indexed version)."""

    sources: list[Source]
    warnings: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def content_hash(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def decode_text(data: bytes, name: str = "file") -> str:
    """Bytes -> text with no newline translation, so offsets match the stored file.

    UTF-8 (with or without BOM) and UTF-16 with a BOM are accepted; anything else is refused.
    """
    if not data.strip():
        raise SourceError(f"{name}: the file is empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise SourceError(f"{name}: invalid UTF-16 text ({exc.reason})") from None
    else:
        if b"\x00" in data:
            raise SourceError(f"{name}: looks like a binary file (NUL bytes), not text")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SourceError(
                f"{name}: not UTF-8 text; convert it first (e.g. `iconv -f latin1 -t utf-8`)"
            ) from None
    if _control_share(text) > 0.01:
        raise SourceError(f"{name}: looks like a binary file (control characters), not text")
    if not text.strip():
        raise SourceError(f"{name}: the file has no text")
    return text


def _control_share(text: str) -> float:
    controls = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    return controls / max(1, len(text))


def extraction_notice(name: str, html: str, text: str, kept_notice: float = HTML_KEPT_NOTICE) -> str | None:
    """A line saying how much of the page's text extraction kept, when it kept less than `kept_notice` of it.

    Extraction keeps the main text and leaves menus, links and comments out; on a long page that can be a
    small part of it (a 4.2 MB page gave 17,852 characters), which must not pass in silence."""
    page = _page_text_chars(html)
    kept = len(" ".join(text.split()))
    if page and kept < kept_notice * page:
        return (f"{name}: extraction kept {kept:,} of the {page:,} characters of text on the page (the main "
                "text; menus, links and comments are left out): check that the article is complete")
    return None


def _page_text_chars(html: str) -> int:
    from lxml import etree
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, etree.ParserError):
        return 0
    for element in tree.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    return len(" ".join(tree.text_content().split()))


def html_to_text(html: str) -> tuple[str, SourceMeta]:
    """Main text (trafilatura) and the metadata the page states (see `html_source`)."""
    text, stated = html_source(html)
    return text, stated.meta


def html_source(html: str) -> tuple[str, Stated]:
    """Main text of a web page through trafilatura, and only the metadata the page states: its meta tags and
    structured data (`ingest.html_meta`), and its byline for the author. No date is guessed from the text."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if not text or not text.strip():
        raise SourceError("no article text could be extracted from this HTML page")
    stated = stated_metadata(html)
    if not stated.meta.author:
        found = trafilatura.extract_metadata(html)  # its author comes from the byline the page prints
        if found is not None and found.author:
            stated = stated.with_field("author", " ".join(found.author.split()), "page byline")
    return text, stated


def read_meta(path: Path) -> SourceMeta:
    """The sidecar `<id>.meta.json` beside `path`, read with the same checks as a source; empty when absent."""
    raw = _read_sidecar(path)
    return SourceMeta(**{k: str(v) for k, v in raw.items() if k in FIELDS and v is not None})


def _read_sidecar(path: Path) -> dict:
    side = path.with_name(path.stem + META_SUFFIX)
    if not os.path.lexists(side):
        return {}
    try:
        raw = json.loads(read_checked(side, MAX_META_BYTES, within=path.parent).decode("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable metadata %s: %s", side, exc)
        return {}
    return raw


def read_pages(path: Path, body: str) -> tuple[int, ...]:
    """The page map `<id>.pages.json` beside `path`; () when absent or when it does not fit the text."""
    side = path.with_name(path.stem + PAGES_SUFFIX)
    if not os.path.lexists(side):
        return ()
    try:
        starts = json.loads(read_checked(side, MAX_META_BYTES, within=path.parent).decode("utf-8"))["starts"]
        starts = tuple(int(n) for n in starts)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("ignoring unreadable page map %s: %s", side, exc)
        return ()
    if not starts or starts[0] != 0 or list(starts) != sorted(set(starts)) or starts[-1] > len(body):
        log.warning("ignoring page map %s: it does not fit the text (was the text edited?)", side)
        return ()
    return starts


def read_source(path: Path, max_bytes: int | None = None) -> Source:
    """One file of the sources folder as a Source; raises SourceError if it cannot be used.

    Only a regular file (or a link to one inside the folder) is read, and one over `max_bytes` is refused
    before it is read (indexing it could take hours)."""
    return _read_source(path, max_bytes, normalize=False)[0]


def _read_source(path: Path, max_bytes: int | None, normalize: bool,
                 kept_notice: float = HTML_KEPT_NOTICE) -> tuple[Source, list[str]]:
    """A Source and what the user should know about it. With `normalize` (a writer, under the writer lock),
    a text file with a BOM or in UTF-16 is stored again as UTF-8, once, so that offsets into the text are
    offsets into the file as stored (a file dropped into the folder gets what `qa add` does)."""
    try:
        data = read_checked(path, max_bytes, within=path.parent)
    except RefusedFile as exc:
        raise SourceError(str(exc)) from None
    text = decode_text(data, path.name)
    meta = read_meta(path)
    notes: list[str] = []
    if path.suffix.lower() in HTML_SUFFIXES:
        html = text
        text, found = html_to_text(html)
        meta = _merge(meta, found)
        notice = extraction_notice(path.name, html, text, kept_notice)
        notes += [notice] if notice else []
    elif normalize and data != text.encode("utf-8"):
        notes.append(_store_as_utf8(path, data, text))
    meta = with_language(meta, text)
    return Source(
        source_id=path.stem, body=text, content_hash=content_hash(text), meta=meta, path=str(path),
        pages=read_pages(path, text),
    ), notes


def _store_as_utf8(path: Path, data: bytes, text: str) -> str:
    was = "UTF-16" if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "UTF-8 with a BOM"
    real = Path(os.path.realpath(path))
    try:
        atomic_write_bytes(real, text.encode("utf-8"), mode=stat.S_IMODE(real.stat().st_mode))
    except OSError as exc:
        return (f"{path.name} is {was} and could not be stored as UTF-8 ({exc.strerror}); offsets count the "
                "characters of its text, without the BOM")
    return f"{path.name} was {was}: stored once as UTF-8 without a BOM, so offsets refer to the file as stored"


def with_language(meta: SourceMeta, text: str) -> SourceMeta:
    """The metadata with the text's language detected, unless the sidecar gives one."""
    return meta if meta.language else replace(meta, language=detect_language(text))


def _merge(given: SourceMeta, found: SourceMeta) -> SourceMeta:
    return SourceMeta(**{k: getattr(given, k) or getattr(found, k) for k in asdict(given)})


def source_files(sources_dir: Path) -> list[Path]:
    """Every entry that claims to be a source (a source suffix, no leading dot, not a folder): a FIFO, a
    device or a link out of the folder is listed too, so that reading it refuses it with a warning."""
    if not sources_dir.is_dir():
        return []
    return sorted(
        p for p in sources_dir.iterdir()
        if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and not p.is_dir()
    )


def scan_sources(sources_dir: Path, max_bytes: int | None = None, normalize: bool = False,
                 kept_notice: float = HTML_KEPT_NOTICE) -> SourceScan:
    """All usable sources, a warning per file skipped (unreadable, refused, too big, a duplicate text),
    and the ids of files skipped because they cannot be read or used now. `normalize`: see `_read_source`."""
    sources: list[Source] = []
    warnings: list[str] = []
    unreadable: list[str] = []
    seen: dict[str, str] = {}
    ids: set[str] = set()
    for path in source_files(sources_dir):
        try:
            source, notes = _read_source(path, max_bytes, normalize, kept_notice)
        except SourceError as exc:
            warnings.append(f"skipped {path.name}: {exc}")
            unreadable.append(path.stem)
            continue
        except OSError as exc:
            warnings.append(f"skipped {path.name}: cannot read ({exc.strerror})")
            unreadable.append(path.stem)
            continue
        if source.source_id in ids:
            warnings.append(f"skipped {path.name}: another file has the id {source.source_id!r}")
            continue
        if source.content_hash in seen:
            warnings.append(f"skipped {path.name}: same text as {seen[source.content_hash]}")
            continue
        warnings += notes
        seen[source.content_hash] = source.source_id
        ids.add(source.source_id)
        sources.append(source)
    return SourceScan(sources, warnings, sorted(set(unreadable) - ids))


def sources_signature(sources_dir: Path) -> frozenset[tuple[str, int, int, int]]:
    """(name, size, modification time, inode) of every entry of the folder: cheap to take, and different
    once a file is added, replaced, edited or removed (a writer compares two before it commits)."""
    try:
        entries = list(os.scandir(sources_dir))
    except OSError:
        return frozenset()
    found = set()
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        found.add((entry.name, info.st_size, info.st_mtime_ns, info.st_ino))
    return frozenset(found)


def load_sources(sources_dir: Path, max_bytes: int | None = None) -> tuple[list[Source], list[str]]:
    """All usable sources, and a warning per file skipped (unreadable, too big, or a duplicate text)."""
    scan = scan_sources(sources_dir, max_bytes)
    return scan.sources, scan.warnings


def file_limit(filename: str, max_bytes: int, max_pdf_bytes: int | None) -> tuple[int, str]:
    """The size limit of a file to add and the setting that sets it: a PDF has its own (reports run to tens
    of MB of which the text is a small part), every other file `max_bytes`."""
    if max_pdf_bytes is not None and Path(filename).suffix.lower() in PDF_SUFFIXES:
        return max_pdf_bytes, "QA_MAX_PDF_BYTES"
    return max_bytes, "QA_MAX_SOURCE_BYTES"


def prepare_source(data: bytes, filename: str, meta: SourceMeta | None = None, max_bytes: int = 5_000_000,
                   kept_notice: float = HTML_KEPT_NOTICE, max_pdf_bytes: int | None = None) -> PreparedSource:
    """Check, decode and convert a file to add; raises SourceError, for the user, when it cannot be a source.

    HTML is stored as its extracted text and a PDF as the text of its pages with a page map, so quotes and
    offsets refer to what is shown. A PDF file may be up to `max_pdf_bytes` (default `max_bytes`), the text
    stored of any file up to `max_bytes`. The metadata typed wins over what the file states; the date must
    be a date; `collected` is today."""
    display = Path(filename).name or "file"
    suffix = Path(display).suffix.lower()
    if suffix not in ADD_SUFFIXES:
        raise SourceError(f"{display}: unsupported file type {suffix or '(none)'}; use {', '.join(ADD_SUFFIXES)}")
    limit, setting = file_limit(display, max_bytes, max_pdf_bytes)
    if len(data) > limit:
        raise SourceError(too_big(display, len(data), limit, setting))
    given = _given(meta)
    if suffix in PDF_SUFFIXES:
        return _checked_text(_prepared_pdf(data, display, given, collected_now()), display, max_bytes)
    text = decode_text(data, display)
    stated = given
    notices: tuple[str, ...] = ()
    if suffix in HTML_SUFFIXES:
        html = text
        text, found = html_source(html)
        stated = given.over(found)
        suffix = ".txt"
        notice = extraction_notice(display, html, text, kept_notice)
        notices = (notice,) if notice else ()
    stated = _collected(stated, collected_now(), "added")
    return PreparedSource(display, suffix, text, stated.meta, content_hash(text), notices, stated.origin)


def prepare_fetched(fetched: Fetched, meta: SourceMeta | None = None,
                    kept_notice: float = HTML_KEPT_NOTICE, max_bytes: int | None = None) -> PreparedSource:
    """A fetched web page (or PDF) to add: its main text, what it states, its address, the time fetched;
    its text is refused over `max_bytes`."""
    given = _given(meta)
    name = slugify(fetched.url.split("://", 1)[-1])
    if fetched.kind == "pdf":
        prepared = _prepared_pdf(fetched.data, fetched.url, given, fetched.fetched_at, "fetched")
    else:
        html = decode_text(fetched.data, fetched.url)
        text, found = html_source(html)
        stated = _collected(given.over(found), fetched.fetched_at, "fetched")
        notice = extraction_notice(fetched.url, html, text, kept_notice)
        prepared = PreparedSource(name, ".txt", text, stated.meta, content_hash(text),
                                  (notice,) if notice else (), stated.origin)
    stated = Stated(prepared.meta, prepared.origin)
    if not stated.meta.url:
        stated = stated.with_field("url", fetched.url, "fetched from")
    prepared = PreparedSource(name, ".txt", prepared.text, stated.meta, prepared.content_hash, prepared.notices,
                              stated.origin, prepared.pages)
    return prepared if max_bytes is None else _checked_text(prepared, fetched.url, max_bytes)


def _checked_text(prepared: PreparedSource, display: str, max_bytes: int) -> PreparedSource:
    """The prepared source, unless its text is over the limit of a source's text (it would be stored, then
    skipped by every scan)."""
    size = len(prepared.text.encode("utf-8"))
    if size > max_bytes:
        raise SourceError(f"{display}: its text is {size:,} bytes, over the limit of {max_bytes:,} bytes for "
                          "a source's text (QA_MAX_SOURCE_BYTES)")
    return prepared


def _given(meta: SourceMeta | None) -> Stated:
    """What the user typed, the date checked (SourceError when it is not one)."""
    meta = meta or SourceMeta()
    return Stated.by_user(SourceMeta(**{**asdict(meta), "date": check_date(meta.date)}))


def _collected(stated: Stated, when: str, how: str) -> Stated:
    return stated if stated.meta.collected else stated.with_field("collected", when, how)


def _prepared_pdf(data: bytes, display: str, given: Stated, when: str, how: str = "added") -> PreparedSource:
    if not is_pdf(data):
        raise SourceError(f"{display}: not a PDF (it does not start with %PDF-)")
    extracted = pdf_text(data, display)
    stated = _collected(given.over(extracted.stated), when, how)
    return PreparedSource(display, ".txt", extracted.text, stated.meta, content_hash(extracted.text), (),
                          stated.origin, extracted.page_starts)


def store_source(sources_dir: Path, prepared: PreparedSource, max_bytes: int | None = None) -> AddResult:
    """Write a prepared source (and its metadata sidecar) into the sources folder, unless its text is there.

    The duplicate check and the choice of a free id must not be raced by another writer: call this under
    the writer lock (`Engine.add` does). The file name only proposes an id: it never decides where the
    file goes."""
    scan = scan_sources(sources_dir, max_bytes)
    for source in scan.sources:
        if source.content_hash == prepared.content_hash:
            return AddResult(source=source, added=False, duplicate_of=source.source_id, notices=prepared.notices)
    # a sidecar without its text is what an interrupted add leaves (sidecars are written first): it
    # describes nothing, so its id is free and the add that takes it writes a new sidecar over it
    taken = {p.stem for p in source_files(sources_dir)}
    source_id = readable_id(prepared.meta.title, Path(prepared.name).stem, taken)
    path = sources_dir / f"{source_id}{prepared.suffix}"
    stated = Stated(prepared.meta, prepared.origin)
    if not stated.meta.language:
        stated = stated.with_field("language", detect_language(prepared.text), "detected")
    _write_sidecar(path, stated)
    if prepared.pages:  # before the text: a reader that sees the text sees its page map
        pages = json.dumps({"starts": list(prepared.pages)}) + "\n"
        atomic_write_bytes(path.with_name(source_id + PAGES_SUFFIX), pages.encode("utf-8"), mode=FILE_MODE)
    atomic_write_bytes(path, prepared.text.encode("utf-8"), mode=FILE_MODE)
    remove_stale_files(sources_dir.glob(".*.tmp"), STALE_TEMPORARY_S)
    source = Source(source_id=source_id, body=prepared.text, content_hash=prepared.content_hash,
                    meta=stated.meta, path=str(path), pages=prepared.pages)
    return AddResult(source=source, added=True, notices=prepared.notices)


def add_source(
    sources_dir: Path,
    data: bytes,
    filename: str,
    meta: SourceMeta | None = None,
    max_bytes: int = 5_000_000,
) -> AddResult:
    """`prepare_source` then `store_source`, for a caller that is the only writer (tests, scripts)."""
    return store_source(sources_dir, prepare_source(data, filename, meta, max_bytes), max_bytes)


def _write_sidecar(path: Path, stated: Stated) -> None:
    sidecar = json.dumps(stated.sidecar(), ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(path.with_name(path.stem + META_SUFFIX), sidecar.encode("utf-8"), mode=FILE_MODE)


def source_path(sources_dir: Path, source_id: str) -> Path:
    """The file of a source in the folder; SourceError when there is none with that id."""
    for path in source_files(sources_dir):
        if path.stem == source_id:
            return path
    raise SourceError(f"no source with the id {source_id!r} (`qa sources` lists them)")


def remove_source(sources_dir: Path, source_id: str) -> list[Path]:
    """Delete a source: its file, its metadata and its page map. Call it under the writer lock."""
    path = source_path(sources_dir, source_id)
    removed = []
    for target in (path, path.with_name(source_id + META_SUFFIX), path.with_name(source_id + PAGES_SUFFIX)):
        if os.path.lexists(target):
            target.unlink()
            removed.append(target)
    return removed


def edit_source_meta(sources_dir: Path, source_id: str, meta: SourceMeta) -> SourceMeta:
    """Store new metadata for a source (the date checked); fields that change are marked as the user's,
    the others keep where they came from. Call it under the writer lock."""
    path = source_path(sources_dir, source_id)
    meta = SourceMeta(**{**asdict(meta), "date": check_date(meta.date)})
    raw = _read_sidecar(path)
    old = SourceMeta(**{k: str(v) for k, v in raw.items() if k in FIELDS and v is not None})
    origin = {name: USER if getattr(meta, name) != getattr(old, name) else str(raw.get(f"{name}_from", ""))
              for name in FIELDS}
    _write_sidecar(path, Stated(meta, {k: v for k, v in origin.items() if v}))
    return meta
