"""Sources: read articles from the sources folder, add new ones, detect duplicates."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import STALE_TEMPORARY_S, atomic_write_bytes, remove_stale_files
from .types import Source, SourceMeta

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES
META_SUFFIX = ".meta.json"


class SourceError(ValueError):
    """A file that cannot become a source; the message says why, for the user."""


@dataclass(frozen=True)
class AddResult:
    source: Source
    added: bool  # False: the same text was already there (see `duplicate_of`)
    duplicate_of: str = ""


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
    side = path.with_name(path.stem + META_SUFFIX)
    if not side.exists():
        return SourceMeta()
    try:
        raw = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("ignoring unreadable metadata %s: %s", side, exc)
        return SourceMeta()
    fields = SourceMeta.__dataclass_fields__
    return SourceMeta(**{k: str(v) for k, v in raw.items() if k in fields and v is not None})


def too_big(name: str, size: int, max_bytes: int) -> str:
    return f"{name}: {size:,} bytes is over the limit of {max_bytes:,} bytes (QA_MAX_SOURCE_BYTES)"


def read_source(path: Path, max_bytes: int | None = None) -> Source:
    """One file of the sources folder as a Source; raises SourceError if it cannot be used.

    A file over `max_bytes` is refused before it is read (indexing it could take hours).
    """
    if max_bytes is not None and path.stat().st_size > max_bytes:
        raise SourceError(too_big(path.name, path.stat().st_size, max_bytes))
    data = path.read_bytes()
    text = decode_text(data, path.name)
    meta = read_meta(path)
    if path.suffix.lower() in HTML_SUFFIXES:
        text, found = html_to_text(text)
        meta = _merge(meta, found)
    return Source(
        source_id=path.stem, body=text, content_hash=content_hash(text), meta=meta, path=str(path)
    )


def _merge(given: SourceMeta, found: SourceMeta) -> SourceMeta:
    return SourceMeta(**{k: getattr(given, k) or getattr(found, k) for k in asdict(given)})


def source_files(sources_dir: Path) -> list[Path]:
    if not sources_dir.is_dir():
        return []
    return sorted(
        p for p in sources_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith(".")
    )


def load_sources(sources_dir: Path, max_bytes: int | None = None) -> tuple[list[Source], list[str]]:
    """All usable sources, and a warning per file skipped (unreadable, too big, or a duplicate text)."""
    sources: list[Source] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    ids: set[str] = set()
    for path in source_files(sources_dir):
        try:
            source = read_source(path, max_bytes)
        except SourceError as exc:
            warnings.append(f"skipped {path.name}: {exc}")
            continue
        except OSError as exc:
            warnings.append(f"skipped {path.name}: cannot read ({exc.strerror})")
            continue
        if source.source_id in ids:
            warnings.append(f"skipped {path.name}: another file has the id {source.source_id!r}")
            continue
        if source.content_hash in seen:
            warnings.append(f"skipped {path.name}: same text as {seen[source.content_hash]}")
            continue
        seen[source.content_hash] = source.source_id
        ids.add(source.source_id)
        sources.append(source)
    return sources, warnings


def add_source(
    sources_dir: Path,
    data: bytes,
    filename: str,
    meta: SourceMeta | None = None,
    max_bytes: int = 5_000_000,
) -> AddResult:
    """Store a new source file (and its metadata sidecar) in the sources folder.

    The file name only proposes an id: it never decides where the file goes. HTML is stored as the
    extracted text, so quotes and offsets refer to what is shown.
    """
    display = Path(filename).name or "file"
    suffix = Path(display).suffix.lower()
    if suffix not in SUFFIXES:
        raise SourceError(f"{display}: unsupported file type {suffix or '(none)'}; use {', '.join(SUFFIXES)}")
    if len(data) > max_bytes:
        raise SourceError(too_big(display, len(data), max_bytes))
    text = decode_text(data, display)
    meta = meta or SourceMeta()
    if suffix in HTML_SUFFIXES:
        text, found = html_to_text(text)
        meta = _merge(meta, found)
        suffix = ".txt"
    digest = content_hash(text)
    existing, _ = load_sources(sources_dir)
    for source in existing:
        if source.content_hash == digest:
            return AddResult(source=source, added=False, duplicate_of=source.source_id)
    taken = {p.stem for p in source_files(sources_dir)}
    base = slugify(Path(display).stem)
    source_id, n = base, 2
    while source_id in taken:
        source_id, n = f"{base}-{n}", n + 1
    path = sources_dir / f"{source_id}{suffix}"
    sidecar = json.dumps(asdict(meta), ensure_ascii=False, indent=2) + "\n"
    atomic_write_bytes(path.with_name(source_id + META_SUFFIX), sidecar.encode("utf-8"))
    atomic_write_bytes(path, text.encode("utf-8"))
    remove_stale_files(sources_dir.glob(".*.tmp"), STALE_TEMPORARY_S)
    source = Source(source_id=source_id, body=text, content_hash=digest, meta=meta, path=str(path))
    return AddResult(source=source, added=True)
