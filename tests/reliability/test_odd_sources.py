"""Odd source files through `qa add` and dropped into sources/: accepted with exact offsets, or refused
with a clear message; nothing written outside the project's folders."""

from __future__ import annotations

import codecs
import os
import shutil
from pathlib import Path

import pytest

from qa.sources import SourceError, add_source

# Each accepted fixture states one fact that only it states, so a question finds exactly that sentence.
FACT = {
    "utf16le": "The UTF-16 fixture reports that 17 wolves were seen near Goranboy.",
    "utf16be": "The big-endian fixture reports that 19 bears were seen near Naftalan.",
    "utf8bom": "The BOM fixture reports that 29 storks nested near Agdam.",
    "crlf": "The CRLF fixture reports that 23 foxes were seen near Barda.",
    "nonlatin": "Репортаж: 31 журавль видели возле Геранбоя.",
    "longname": "The long-name fixture reports that 37 owls were seen near Tovuz.",
    "badbytes": "The odd-bytes fixture reports that 41 herons were seen near Shamkir.",
}
LONG_NAME = "very long name " * 16 + ".txt"  # 244 bytes: a legal file name, too long for a derived one
BAD_BYTES_NAME = os.fsdecode(b"not utf-8 \xff\xfe.txt")  # Linux file names are bytes
QUESTION = {
    "utf16le": "How many wolves were seen near Goranboy?",
    "utf16be": "How many bears were seen near Naftalan?",
    "utf8bom": "How many storks nested near Agdam?",
    "crlf": "How many foxes were seen near Barda?",
    "nonlatin": "Сколько журавлей видели возле Геранбоя?",
    "longname": "How many owls were seen near Tovuz?",
    "badbytes": "How many herons were seen near Shamkir?",
}
LIMIT = 5_000_000  # Config().max_source_bytes


def article(fact: str, newline: str = "\n") -> str:
    return newline.join(["A fixture article", "", "First, an unrelated sentence about the weather in spring.",
                         fact, "Finally, officials declined to comment on the report.", ""])


def odd_files() -> dict[str, tuple[bytes, str | None]]:
    """file name -> (bytes, None if it must be accepted, else a word the refusal must contain)."""
    twenty_mb = (article("Filler sentence about nothing in particular.") * 200_000)[:20_000_000]
    return {
        "empty.txt": (b"", "empty"),
        "blank.txt": (b" \n\t\r\n ", "empty"),
        "binary.txt": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
        "control-chars.txt": (bytes(range(1, 32)) * 50, "binary"),
        "latin1.txt": ("Le café de Tartar a ouvert à Bardá.".encode("latin-1"), "UTF-8"),
        "utf16le.txt": (codecs.BOM_UTF16_LE + article(FACT["utf16le"]).encode("utf-16-le"), None),
        "utf16be.txt": (codecs.BOM_UTF16_BE + article(FACT["utf16be"]).encode("utf-16-be"), None),
        "utf8bom.md": (codecs.BOM_UTF8 + article(FACT["utf8bom"]).encode("utf-8"), None),
        "crlf.txt": (article(FACT["crlf"], "\r\n").encode("utf-8"), None),
        "Тартар дело — репортаж.txt": (article(FACT["nonlatin"]).encode("utf-8"), None),
        LONG_NAME: (article(FACT["longname"]).encode("utf-8"), None),
        BAD_BYTES_NAME: (article(FACT["badbytes"]).encode("utf-8"), None),
        "twenty-mb.txt": (twenty_mb.encode("utf-8"), "limit"),
        "photo.png": (b"\x89PNG\r\n\x1a\n", "unsupported"),
    }


def listing(folder: Path, skip: tuple[Path, ...]) -> dict[str, int]:
    """Every path under `folder` (but the skipped folders) with its size."""
    return {str(p.relative_to(folder)): p.stat().st_size for p in sorted(folder.rglob("*"))
            if not any(p == s or s in p.parents for s in skip)}


@pytest.fixture()
def nested(lab, tmp_path) -> Path:
    """An indexed project three folders deep, so that '../../../x' still lands inside tmp_path."""
    root = tmp_path / "a" / "b" / "c" / "project"
    shutil.copytree(lab.base, root)
    return root


def allowed(root: Path) -> tuple[Path, ...]:
    return (root / "sources", root / "index", root / "data")


@pytest.mark.parametrize("name", sorted(odd_files()))
def test_add_accepts_with_exact_text_or_refuses_clearly(nested, name):
    data, refusal = odd_files()[name]
    before = listing(nested.parents[3], allowed(nested))
    names = {p.name for p in (nested / "sources").iterdir()}
    if refusal is not None:
        with pytest.raises(SourceError) as caught:
            add_source(nested / "sources", data, name, max_bytes=LIMIT)
        message = str(caught.value)
        assert refusal.lower() in message.lower() and Path(name).name in message and "\n" not in message
        assert {p.name for p in (nested / "sources").iterdir()} == names
    else:
        result = add_source(nested / "sources", data, name, max_bytes=LIMIT)
        assert result.added
        stored = Path(result.source.path)
        assert stored.parent == nested / "sources"
        assert stored.read_bytes().decode("utf-8") == result.source.body  # offsets refer to the stored file
        fact = next(text for text in FACT.values() if text in result.source.body)
        assert fact
    assert listing(nested.parents[3], allowed(nested)) == before


@pytest.mark.parametrize("filename", [
    "../../../escape.txt", "/etc/cron.d/escape.txt", "..\\..\\escape.txt", "sub/dir/../../escape.txt",
    "....txt", " spaced name .txt", "a" * 250 + ".txt", "\u202eevil\u202d.txt", "con.txt", "-rf .txt",
])
def test_a_file_name_never_decides_where_the_file_is_written(nested, filename):
    before = listing(nested.parents[3], allowed(nested))
    result = add_source(nested / "sources", article("Name test " + filename).encode("utf-8"), filename)
    stored = Path(result.source.path)
    assert stored.parent == nested / "sources" and stored.exists()
    assert all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in result.source.source_id)
    assert listing(nested.parents[3], allowed(nested)) == before


def test_the_same_article_twice_under_different_names_is_added_once(nested):
    data = article(FACT["crlf"]).encode("utf-8")
    first = add_source(nested / "sources", data, "first name.txt")
    second = add_source(nested / "sources", data, "second-name.md")
    assert first.added and not second.added and second.duplicate_of == first.source.source_id


def test_qa_add_prints_a_line_per_file_and_fails_only_for_refused_ones(nested, run_cli, tmp_path):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    for name in ("empty.txt", "latin1.txt", "crlf.txt", "twenty-mb.txt"):
        (incoming / name).write_bytes(odd_files()[name][0])
    (incoming / "crlf-copy.txt").write_bytes(odd_files()["crlf.txt"][0])
    names = ("empty.txt", "latin1.txt", "crlf.txt", "crlf-copy.txt", "twenty-mb.txt")
    rc, out, err = run_cli(nested, ["add", *(str(incoming / name) for name in names)])
    assert rc == 1 and "Traceback" not in err
    assert "added" in out and "crlf" in out and "skipped" in out and "same text" in out
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 3 and "empty" in errors[0] and "UTF-8" in errors[1] and "limit" in errors[2]


def test_dropped_odd_files_are_indexed_with_exact_offsets_or_skipped_with_a_warning(nested, make_engine):
    sources = nested / "sources"
    for name, (data, _) in odd_files().items():
        (sources / name).write_bytes(data)
    (sources / "crlf-again.txt").write_bytes(odd_files()["crlf.txt"][0])  # same text, another name
    before = listing(nested.parents[3], allowed(nested))
    digests = {p.name: p.read_bytes() for p in sources.iterdir()}
    engine = make_engine(nested)
    warnings = "\n".join(engine.warnings + engine.last_report.warnings)
    for name, (data, refusal) in odd_files().items():
        if refusal is not None and name.endswith((".txt", ".md")):
            line = next((w for w in warnings.splitlines() if name in w), "")
            assert refusal.lower() in line.lower(), f"no clear warning for {name}: {warnings}"
    assert any("same text" in w and "crlf" in w for w in warnings.splitlines())
    for key, question in QUESTION.items():
        answer = engine.ask(question)
        quotes = [q for q in answer.answer if FACT[key] in q.quote or q.quote == FACT[key]]
        assert quotes, f"{key}: {[q.quote for q in answer.answer]}"
        for quote in answer.answer:
            assert engine.source(quote.source_id).body[quote.start:quote.end] == quote.quote
        body = engine.source(quotes[0].source_id).body
        assert body[quotes[0].start:quotes[0].end] == FACT[key]
        path = Path(engine.source(quotes[0].source_id).path)
        assert body == path.read_bytes().decode("utf-8")  # offsets refer to the file as stored, read as UTF-8
        raw = digests[path.name]
        assert body == (raw.decode("utf-16") if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
                        else raw.decode("utf-8-sig"))  # no newline translation: CRLF offsets stay exact
    again = make_engine(nested)  # the index written for these names loads back as it is
    assert not again.last_report.changed and not again.backend.problems
    converted = {"utf16le.txt", "utf16be.txt", "utf8bom.md"}  # stored again once as UTF-8, with a message
    for name in converted:
        assert any(line.startswith(f"{name} was") and "UTF-8" in line for line in warnings.splitlines()), name
    now = {p.name: p.read_bytes() for p in sources.iterdir()}
    assert {n: b for n, b in now.items() if n not in converted} == \
        {n: b for n, b in digests.items() if n not in converted}  # indexing touches no other file
    assert listing(nested.parents[3], allowed(nested)) == before
