"""Sources: byte-identical seeds, decoding, adding, duplicates, refusal of bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.chunking import chunk_source
from qa.sources import SourceError, add_source, decode_text, load_sources, slugify
from qa.types import SourceMeta

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT.parent / "shared" / "seeds"


def test_seed_sources_are_byte_identical_to_the_collected_files():
    if not SEEDS.is_dir():
        pytest.skip("../shared/seeds is not beside this checkout")
    meta = json.loads((SEEDS / "metadata.json").read_text(encoding="utf-8"))
    for name, fields in meta.items():
        assert (ROOT / "sources" / name).read_bytes() == (SEEDS / name).read_bytes()
        sidecar = json.loads((ROOT / "sources" / (Path(name).stem + ".meta.json")).read_text(encoding="utf-8"))
        for key in ("title", "outlet", "date", "url"):
            assert sidecar[key] == fields[key]


def test_every_seed_loads_with_its_metadata():
    sources, warnings = load_sources(ROOT / "sources")
    assert warnings == []
    assert len(sources) == 5
    by_id = {s.source_id: s for s in sources}
    assert by_id["000_219d92d582d0d3aa"].meta.outlet == "Turan"
    assert by_id["002_e8a6ebfdac5c0c25"].meta.date == ""  # unknown stays empty


@pytest.mark.parametrize("path", sorted((ROOT / "sources").glob("*.txt")), ids=lambda p: p.stem[:3])
def test_chunks_and_sentences_are_exact_slices(path):
    body = path.read_bytes().decode("utf-8")
    seg = chunk_source(path.stem, body)
    assert seg.chunks and seg.sentences
    for start, end in seg.sentences + seg.chunks:
        text = body[start:end]
        assert text and text == text.strip()
    for (start, end), (lo, hi) in zip(seg.chunks, seg.chunk_sentences):
        assert seg.sentences[lo].start == start and seg.sentences[hi - 1].end == end
    # consecutive chunks overlap by one sentence and together cover every sentence
    covered = {i for lo, hi in seg.chunk_sentences for i in range(lo, hi)}
    assert covered == set(range(len(seg.sentences)))


def test_crlf_offsets_stay_exact():
    body = "First line here.\r\nSecond sentence follows. Third one!\r\n"
    seg = chunk_source("crlf", body)
    assert [body[a:b] for a, b in seg.sentences] == ["First line here.", "Second sentence follows.", "Third one!"]


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    (b"\x00\x01\x02binary\x00", "binary"),
    ("caf\u00e9 na\u00efve".encode("latin-1"), "not UTF-8"),
])
def test_bad_files_are_refused_with_a_clear_message(data, message):
    with pytest.raises(SourceError, match=message):
        decode_text(data, "x.txt")


def test_utf16_with_bom_and_utf8_bom_are_read():
    assert decode_text("Terter case".encode("utf-16"), "a") == "Terter case"
    assert decode_text(b"\xef\xbb\xbfTerter case", "a") == "Terter case"


def test_add_source_detects_duplicates_and_never_uses_the_name_as_a_path(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    first = add_source(sources, "An article body. It has two sentences.".encode(), "../../etc/evil name.txt",
                       SourceMeta(outlet="T"))  # no title: the file name proposes the id
    assert first.added and first.source.source_id == "evil-name"
    assert sorted(p.name for p in sources.iterdir()) == ["evil-name.meta.json", "evil-name.txt"]
    again = add_source(sources, "An article body. It has two sentences.".encode(), "copy.txt")
    assert not again.added and again.duplicate_of == "evil-name"
    assert len(list(sources.iterdir())) == 2
    with pytest.raises(SourceError, match="unsupported"):
        add_source(sources, b"x", "picture.png")
    with pytest.raises(SourceError, match="over the limit"):
        add_source(sources, b"x" * 101, "big.txt", max_bytes=100)


def test_html_is_stored_as_extracted_text(tmp_path):
    sources = tmp_path / "sources"
    sources.mkdir()
    html = ("<html><head><title>Army case</title></head><body><nav>Menu Home</nav><article><h1>Army case</h1>"
            + "<p>The general was dismissed on Monday after an inquiry into the torture of soldiers.</p>" * 3
            + "</article></body></html>")
    result = add_source(sources, html.encode(), "page.html")
    stored = (sources / "army-case.txt").read_bytes().decode("utf-8")  # the id: a slug of the page's title
    assert result.source.body == stored and "dismissed on Monday" in stored and "<p>" not in stored


def test_slugify():
    assert slugify("Ünïcode név 2024.txt") == "unicode-nev-2024-txt"
    assert slugify("../..") == "source"


def test_adding_a_source_removes_stale_temporary_files_only(tmp_path):
    import os
    import time

    from qa.files import STALE_TEMPORARY_S

    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "kept.txt").write_text("A user's own file. Never touched.")
    stale, busy = sources / ".killed.txt.k1l2.tmp", sources / ".busy.txt.b3c4.tmp"
    stale.write_bytes(b"half an article")
    busy.write_bytes(b"being written")
    old = time.time() - STALE_TEMPORARY_S - 60
    os.utime(stale, (old, old))
    os.utime(sources / "kept.txt", (old, old))
    add_source(sources, "A new article. It has two sentences.".encode(), "new.txt")
    assert sorted(p.name for p in sources.iterdir()) == [
        ".busy.txt.b3c4.tmp", "kept.txt", "new.meta.json", "new.txt"]
