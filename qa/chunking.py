"""Chunking: split a source into sentences (pysbd) and group them into overlapping chunks."""

from __future__ import annotations

from functools import lru_cache

from .types import SourceSegments, Span


@lru_cache(maxsize=4)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language, clean=False, char_span=True)


def split_sentences(body: str, max_chars: int = 600, language: str = "en") -> list[Span]:
    """Sentence spans of `body`, whitespace trimmed; sentences longer than `max_chars` are cut."""
    spans: list[Span] = []
    cursor = 0
    for block_start, block_end in _blocks(body):
        block = body[block_start:block_end]
        for piece in _segmenter(language).segment(block):
            start, end = _locate(body, piece.sent, block_start + piece.start, cursor)
            if start < 0:
                continue
            start, end = _trim(body, start, end)
            if end > start:
                spans.extend(_cut_long(body, start, end, max_chars))
                cursor = end
    return spans


def _blocks(body: str) -> list[Span]:
    """Paragraph-like blocks (separated by line breaks): a sentence never spans a line break."""
    blocks, start = [], 0
    for i, ch in enumerate(body):
        if ch == "\n":
            if body[start:i].strip():
                blocks.append(Span(start, i))
            start = i + 1
    if body[start:].strip():
        blocks.append(Span(start, len(body)))
    return blocks


def _locate(body: str, text: str, hint: int, cursor: int) -> tuple[int, int]:
    """Where the segmenter's sentence lies in `body`; its own offsets are checked, not trusted."""
    if body[hint:hint + len(text)] == text:
        return hint, hint + len(text)
    stripped = text.strip()
    if not stripped:
        return -1, -1
    found = body.find(stripped, cursor)
    return (found, found + len(stripped)) if found >= 0 else (-1, -1)


def _trim(body: str, start: int, end: int) -> tuple[int, int]:
    while start < end and body[start].isspace():
        start += 1
    while end > start and body[end - 1].isspace():
        end -= 1
    return start, end


def _cut_long(body: str, start: int, end: int, max_chars: int) -> list[Span]:
    pieces = []
    while end - start > max_chars:
        cut = body.rfind(" ", start + max_chars // 2, start + max_chars)
        cut = cut if cut > start else start + max_chars
        s, e = _trim(body, start, cut)
        if e > s:
            pieces.append(Span(s, e))
        start, _ = _trim(body, cut, end)
    if end > start:
        pieces.append(Span(start, end))
    return pieces


def chunk_source(source_id: str, body: str, chunk_chars: int = 700, overlap: int = 1,
                 max_sentence_chars: int = 600) -> SourceSegments:
    """Group consecutive sentences into chunks of about `chunk_chars`, sharing `overlap` sentences."""
    sentences = split_sentences(body, max_sentence_chars)
    chunks: list[Span] = []
    ranges: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last = first + 1
        while last < len(sentences) and sentences[last].end - sentences[first].start <= chunk_chars:
            last += 1
        chunks.append(Span(sentences[first].start, sentences[last - 1].end))
        ranges.append((first, last))
        if last >= len(sentences):
            break
        first = max(first + 1, last - overlap)
    return SourceSegments(source_id=source_id, sentences=sentences, chunks=chunks, chunk_sentences=ranges)
