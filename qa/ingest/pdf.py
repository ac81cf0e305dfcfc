"""PDF to text with pypdfium2: the text of every page, where each page starts, and what the file states."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import SourceError
from .stated import Stated

PAGE_BREAK = "\n\n"  # between the texts of two pages in the stored text
MIN_TEXT_CHARS = 20  # fewer letters and digits than this in the whole file: no text layer (a scan)


@dataclass(frozen=True)
class PdfText:
    text: str
    page_starts: tuple[int, ...]  # the offset in `text` where each page begins; page n is index n - 1
    stated: Stated


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def pdf_text(data: bytes, name: str = "file") -> PdfText:
    """The text layer of every page, joined with a blank line, and the start offset of each page.

    A file with no text layer (a scan) is refused: there is no OCR here, and a source without text cannot
    be quoted."""
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = "it is password-protected" if "password" in str(exc).lower() else f"it cannot be read ({exc})"
        raise SourceError(f"{name}: not a usable PDF: {reason}") from None
    try:
        pages = []
        for index in range(len(document)):
            page = document[index]
            try:
                textpage = page.get_textpage()
                try:
                    pages.append(_tidy(textpage.get_text_range()))
                finally:
                    textpage.close()
            finally:
                page.close()
        info = document.get_metadata_dict(skip_empty=True)
    finally:
        document.close()
    if not pages or sum(1 for ch in "".join(pages) if ch.isalnum()) < MIN_TEXT_CHARS:
        raise SourceError(f"{name}: the PDF has no text layer (a scanned document?); qa does no OCR: "
                          "add a PDF with text, or the text itself as a .txt file")
    starts, parts, offset = [], [], 0
    for text in pages:
        starts.append(offset)
        parts.append(text)
        offset += len(text) + len(PAGE_BREAK)
    stated = Stated()
    for field_name, key in (("title", "Title"), ("author", "Author")):
        value = " ".join(str(info.get(key, "")).split())
        if value:
            stated = stated.with_field(field_name, value, f"PDF document info {key}")
    return PdfText(PAGE_BREAK.join(parts), tuple(starts), stated)


def _tidy(text: str) -> str:
    """A page's text with its hard-wrapped lines joined back into paragraphs ('\\n' between paragraphs, pdfium
    writes '\\r\\n' at every line end), no NULs or form feeds, no trailing blanks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\x0c", "\n")
    lines = [line.strip() for line in text.replace("\ufffe", "").split("\n")]
    return _unwrap(lines).strip()


def _unwrap(lines: list[str]) -> str:
    """Join a line to the next one when it was wrapped: it is about as long as the page's lines and does not
    end a sentence. A short line (a heading, a paragraph's last line) and a blank line keep their break; a
    word hyphenated by the layout (pdfium's soft hyphen, \\x02) is joined without its hyphen."""
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    typical = lengths[len(lengths) * 3 // 4]
    out = []
    for n, line in enumerate(lines):
        out.append(line)
        if n == len(lines) - 1:
            break
        if line.endswith("\x02"):
            out[-1] = line[:-1]
            continue
        wrapped = line and lines[n + 1] and len(line) >= 0.6 * typical and not re.search(r"[.!?:;\"”’)]$", line)
        out.append(" " if wrapped else "\n")
    return re.sub(r"\n{3,}", "\n\n", "".join(out).replace("\x02", "-"))

