"""Sources: read articles from the sources folder (checked before read), add new ones, detect duplicates."""

from __future__ import annotations

import codecs
import hashlib
import json
import logging
import os
import re
import stat
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from .files import STALE_TEMPORARY_S, RefusedFile, atomic_write_bytes, read_checked, remove_stale_files, too_big
from .language import detect as detect_language
from .types import Source, SourceMeta

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
META_SUFFIX = ".meta.json"
MAX_META_BYTES = 1_000_000  # a metadata sidecar is a few lines of JSON
HTML_KEPT_NOTICE = 0.5  # Config.html_kept_notice


class SourceError(ValueError):
    """A file that cannot become a source; the message says why, for the user."""


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
    """Main text and metadata of a web page, through trafilatura."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True)
    if not text or not text.strip():
        raise SourceError("no article text could be extracted from this HTML page")
    found = trafilatura.extract_metadata(html)
    meta = SourceMeta()
    if found is not None:
        meta = SourceMeta(
            title=found.title or "", outlet=found.sitename or "", date=found.date or "", url=found.url or ""
        )
    return text, meta


def slugify(name: str) -> str:
    """A file-system safe id from a file name: letters, digits, '-', '_' only."""
    stem = unicodedata.normalize("NFKD", name)
    stem = stem.encode("ascii", "ignore").decode("ascii")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-_").lower()
    return stem[:80] or "source"


def read_meta(path: Path) -> SourceMeta:
    """The sidecar `<id>.meta.json` beside `path`, read with the same checks as a source; empty when absent."""
    side = path.with_name(path.stem + META_SUFFIX)
    if not os.path.lexists(side):
        return SourceMeta()
    try:
        raw = json.loads(read_checked(side, MAX_META_BYTES, within=path.parent).decode("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable metadata %s: %s", side, exc)
        return SourceMeta()
    fields = SourceMeta.__dataclass_fields__
    return SourceMeta(**{k: str(v) for k, v in raw.items() if k in fields and v is not None})


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
        source_id=path.stem, body=text, content_hash=content_hash(text), meta=meta, path=str(path)
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


def prepare_source(data: bytes, filename: str, meta: SourceMeta | None = None, max_bytes: int = 5_000_000,
                   kept_notice: float = HTML_KEPT_NOTICE) -> PreparedSource:
    """Check, decode and convert a file to add; raises SourceError, for the user, when it cannot be a source.

    HTML is stored as its extracted text, so quotes and offsets refer to what is shown."""
    display = Path(filename).name or "file"
    suffix = Path(display).suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(f"{display}: unsupported file type {suffix or '(none)'}; use {', '.join(SUFFIXES)}")
    if len(data) > max_bytes:
        raise SourceError(too_big(display, len(data), max_bytes))
    text = decode_text(data, display)
    meta = meta or SourceMeta()
    notices: tuple[str, ...] = ()
    if suffix in HTML_SUFFIXES:
        html = text
        text, found = html_to_text(html)
        meta = _merge(meta, found)
        suffix = ".txt"
        notice = extraction_notice(display, html, text, kept_notice)
        notices = (notice,) if notice else ()
    meta = with_language(meta, text)
    return PreparedSource(display, suffix, text, meta, content_hash(text), notices)


def store_source(sources_dir: Path, prepared: PreparedSource, max_bytes: int | None = None) -> AddResult:
    """Write a prepared source (and its metadata sidecar) into the sources folder, unless its text is there.

    The duplicate check and the choice of a free id must not be raced by another writer: call this under
    the writer lock (`Engine.add` does). The file name only proposes an id: it never decides where the
    file goes."""
    scan = scan_sources(sources_dir, max_bytes)
    for source in scan.sources:
        if source.content_hash == prepared.content_hash:
            return AddResult(source=source, added=False, duplicate_of=source.source_id, notices=prepared.notices)
    taken = {p.stem for p in source_files(sources_dir)}
    base = slugify(Path(prepared.name).stem)
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    path = sources_dir / f"{source_id}{prepared.suffix}"
    sidecar = json.dumps(asdict(prepared.meta), ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(path.with_name(source_id + META_SUFFIX), sidecar.encode("utf-8"))
    atomic_write_bytes(path, prepared.text.encode("utf-8"))
    remove_stale_files(sources_dir.glob(".*.tmp"), STALE_TEMPORARY_S)
    source = Source(source_id=source_id, body=prepared.text, content_hash=prepared.content_hash,
                    meta=prepared.meta, path=str(path))
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
