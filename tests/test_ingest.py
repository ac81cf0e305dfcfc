"""Adding and managing sources: dates checked, readable ids, stated metadata only, PDFs with pages, web
addresses from a local server, edit and delete through the engine and the command line."""

from __future__ import annotations

import json
import stat

import pytest

from ingest_data import (ARTICLE_HTML, JSON_LD_HTML, LEFT_COLUMN, PDF_PAGES, RIGHT_COLUMN, UNDATED_HTML,
                         local_server, make_pdf, make_scanned_pdf)
from seed_data import ONNX_DIR
from qa.ingest.fields import check_date, readable_id, slugify
from qa.ingest.html_meta import stated_metadata
from qa.ingest.pdf import pdf_text
from qa.sources import (PAGES_SUFFIX, SourceError, add_source, prepare_source, scan_sources, source_files)
from qa.types import SourceMeta

ARTICLE_TEXT = ("Ferry service to Aktau\n\nThe ferry to Aktau left Baku on 5 May 2022 with 300 passengers aboard.\n\n"
                "Its captain, Elchin Huseynov, said the crossing took nineteen hours because of the wind.\n")


# ---- fields -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2024-10-07", "2024-10", "2024", "", "  2024-02-29 "])
def test_a_date_is_a_day_a_month_a_year_or_empty(value):
    assert check_date(value) == value.strip()


@pytest.mark.parametrize("value", ["last Thursday", "2024-13", "2023-02-29", "07/10/2024", "24", "2024-1-7"])
def test_anything_else_is_refused_with_the_forms_it_takes(value):
    with pytest.raises(SourceError, match="YYYY-MM-DD, YYYY-MM or YYYY"):
        check_date(value)


def test_ids_are_cut_at_a_word_boundary_and_never_taken_twice():
    title = "The investigation into the deaths of servicemen in the Tartar case: what the prosecutors found"
    slug = slugify(title, 60)
    assert len(slug) <= 60 and title.lower().replace(" ", "-").replace(":", "").startswith(slug)
    assert slug.split("-")[-1] in title.lower().split()  # a whole word, not "investigatio"
    assert readable_id("Pier closed", "x", {"pier-closed", "pier-closed-2"}) == "pier-closed-3"
    assert readable_id("", "000_219d92d582d0d3aa", set()) == "000_219d92d582d0d3aa"
    assert readable_id("«»", "report.pdf", set()) == "report-pdf"


# ---- HTML: only what the page states ------------------------------------------------------------------

def test_html_metadata_comes_from_the_pages_meta_tags_with_where_each_field_came_from():
    stated = stated_metadata(ARTICLE_HTML)
    assert stated.meta == SourceMeta(title="Lankaran pier closed after the storm", outlet="Caspian Wire",
                                     date="2023-01-13", author="Leyla Karimova")
    assert stated.origin["date"] == "page meta article:published_time"
    assert stated.origin["title"] == "page meta og:title"


def test_json_ld_is_read_when_there_are_no_meta_tags():
    stated = stated_metadata(JSON_LD_HTML)
    assert (stated.meta.title, stated.meta.date, stated.meta.outlet, stated.meta.author) == (
        "Court reopens the Tartar case", "2024-06-02", "Meydan TV", "Anar Mammadov")
    assert stated.origin["date"] == "page JSON-LD datePublished"


def test_a_page_that_states_no_date_gets_none_and_its_byline_is_kept(tmp_path):
    result = add_source(tmp_path, UNDATED_HTML.encode(), "dam.html")
    assert result.source.meta.date == ""  # the years in its text (2017, 2019) are not its date
    assert result.source.meta.author == "Leyla Karimova"
    sidecar = json.loads((tmp_path / f"{result.source.source_id}.meta.json").read_text())
    assert sidecar["author_from"] == "page byline" and "date_from" not in sidecar
    assert sidecar["title_from"] == "page <title>"


def test_typed_metadata_wins_and_is_marked_as_the_users(tmp_path):
    result = add_source(tmp_path, ARTICLE_HTML.encode(), "pier.html", SourceMeta(date="2023-01", outlet="CW"))
    sidecar = json.loads((tmp_path / f"{result.source.source_id}.meta.json").read_text())
    assert (sidecar["date"], sidecar["date_from"], sidecar["outlet_from"]) == ("2023-01", "user", "user")
    assert sidecar["title_from"] == "page meta og:title"


# ---- adding: ids, modes, collected --------------------------------------------------------------------

def test_a_new_source_gets_a_readable_id_its_collected_date_and_files_readable_by_all(tmp_path):
    meta = SourceMeta(title="Ferry to Aktau leaves with 300 passengers", outlet="Port News", date="2022-05-05")
    result = add_source(tmp_path, ARTICLE_TEXT.encode(), "0f3a9c_upload.txt", meta)
    assert result.source.source_id == "ferry-to-aktau-leaves-with-300-passengers"
    assert len(result.source.meta.collected) == 10 and result.source.meta.collected[:2] == "20"
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path.name
    again = add_source(tmp_path, (ARTICLE_TEXT + "More.\n").encode(), "b.txt", meta)
    assert again.source.source_id == "ferry-to-aktau-leaves-with-300-passengers-2"


def test_a_date_that_is_not_one_is_refused_before_anything_is_written(tmp_path):
    with pytest.raises(SourceError, match="last Thursday"):
        add_source(tmp_path, ARTICLE_TEXT.encode(), "a.txt", SourceMeta(date="last Thursday"))
    assert list(tmp_path.iterdir()) == []


# ---- PDF ----------------------------------------------------------------------------------------------

def test_pdf_text_keeps_every_page_in_order_with_its_start_offset():
    data = make_pdf(PDF_PAGES, title="Detention report 2022", author="Commission",
                    columns=(LEFT_COLUMN, RIGHT_COLUMN))
    extracted = pdf_text(data, "report.pdf")
    assert len(extracted.page_starts) == 4 and extracted.page_starts[0] == 0
    bounds = list(extracted.page_starts) + [len(extracted.text)]
    pages = [extracted.text[a:b] for a, b in zip(bounds, bounds[1:])]
    for n, known in enumerate(PDF_PAGES):
        last_sentence = known.split("\n")[1]
        assert last_sentence in pages[n] and all(last_sentence not in p for i, p in enumerate(pages) if i != n)
    # the two-column page: each column whole, the left one first
    assert LEFT_COLUMN in pages[3] and RIGHT_COLUMN in pages[3]
    assert pages[3].index(LEFT_COLUMN) < pages[3].index(RIGHT_COLUMN)
    assert extracted.stated.meta.title == "Detention report 2022"
    assert extracted.stated.origin["title"] == "PDF document info Title"


def test_a_pdf_without_a_text_layer_is_refused_with_a_clear_message(tmp_path):
    with pytest.raises(SourceError, match="no text layer.*no OCR"):
        add_source(tmp_path, make_scanned_pdf(), "scan.pdf")
    with pytest.raises(SourceError, match="not a PDF"):
        add_source(tmp_path, b"hello there, this is text", "fake.pdf")
    assert list(tmp_path.iterdir()) == []


def test_a_pdf_is_stored_as_text_with_its_page_map_that_scanning_reads_back(tmp_path):
    result = add_source(tmp_path, make_pdf(PDF_PAGES, title="Detention report 2022"), "report.pdf")
    source_id = result.source.source_id
    assert source_id == "detention-report-2022"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"{source_id}.meta.json", f"{source_id}{PAGES_SUFFIX}", f"{source_id}.txt"]
    assert [p.name for p in source_files(tmp_path)] == [f"{source_id}.txt"]  # the page map is no source
    scanned = scan_sources(tmp_path)
    assert scanned.warnings == [] and scanned.sources[0].pages == result.source.pages
    body = scanned.sources[0].body
    offset = body.index("Farid Aliyev")
    assert scanned.sources[0].page_of(offset) == 2 and scanned.sources[0].page_of(0) == 1


def test_a_page_map_that_does_not_fit_the_text_is_ignored(tmp_path):
    result = add_source(tmp_path, make_pdf(PDF_PAGES), "report.pdf")
    (tmp_path / f"{result.source.source_id}{PAGES_SUFFIX}").write_text('{"starts": [0, 999999]}')
    assert scan_sources(tmp_path).sources[0].pages == ()


# ---- the engine: PDF answers with pages, edit, remove, web --------------------------------------------

@pytest.fixture()
def engine(tmp_path, embedder):
    from qa import Config, Engine

    root = tmp_path / "project"
    (root / "sources").mkdir(parents=True)
    add_source(root / "sources", ARTICLE_TEXT.encode(), "ferry.txt", SourceMeta(title="Ferry to Aktau"))
    return Engine.load(Config(root=root, onnx_dir=ONNX_DIR), embedder=embedder)


def test_an_answer_from_a_pdf_names_the_page_of_each_quote_and_stays_verbatim(engine):
    from qa.cli import format_answer

    result, report = engine.add(make_pdf(PDF_PAGES, title="Detention report 2022"), "report.pdf")
    assert result.added and report.embedded_chunks > 0
    answer = engine.ask("How many inmates did the inspector Farid Aliyev count?")
    assert not answer.abstained
    quote = answer.answer[0]
    source = engine.source(quote.source_id)
    assert source.body[quote.start:quote.end] == quote.quote and "41 inmates" in quote.quote
    assert quote.page == 2 and answer.to_dict()["answer"][0]["page"] == 2
    assert f"[{quote.citation}, p. 2]" in format_answer(answer)
    ferry = engine.ask("Who was the captain of the ferry to Aktau?")
    assert ferry.answer[0].page is None and ", p." not in format_answer(ferry)
    # "Its captain, Elchin Huseynov, …": the ferry's, named in the sentence before
    assert "Elchin Huseynov" in ferry.answer[0].quote


def test_editing_metadata_changes_the_citation_at_once_and_records_the_user(engine):
    source_id = "ferry-to-aktau"
    question = "Who was the captain of the ferry to Aktau?"
    assert engine.ask(question).citations[0].title == "Ferry to Aktau"
    edited = engine.edit(source_id, SourceMeta(title="Aktau crossing", outlet="Port News", date="2022-05"))
    assert edited.meta.title == "Aktau crossing"
    citation = engine.ask(question).citations[0]
    assert (citation.title, citation.outlet, citation.date) == ("Aktau crossing", "Port News", "2022-05")
    sidecar = json.loads((engine.config.sources_dir / f"{source_id}.meta.json").read_text())
    assert sidecar["title_from"] == "user" and sidecar["outlet_from"] == "user"
    with pytest.raises(SourceError, match="YYYY-MM-DD"):
        engine.edit(source_id, SourceMeta(date="last Thursday"))
    with pytest.raises(SourceError, match="no source"):
        engine.edit("nope", SourceMeta())


def test_removing_a_source_deletes_its_files_and_takes_it_out_of_the_answers(engine):
    result, _ = engine.add(make_pdf(PDF_PAGES, title="Detention report 2022"), "report.pdf")
    question = "How many inmates did the inspector Farid Aliyev count?"
    assert engine.ask(question).answer[0].source_id == result.source.source_id
    engine.remove(result.source.source_id)
    assert [p.name for p in engine.config.sources_dir.iterdir() if p.name.startswith("detention")] == []
    assert engine.source(result.source.source_id) is None
    answer = engine.ask(question)
    assert all(q.source_id != result.source.source_id for q in answer.answer)
    assert result.source.source_id not in engine.backend.info().sources
    with pytest.raises(SourceError, match="no source"):
        engine.remove(result.source.source_id)


def test_a_web_address_is_fetched_with_its_stated_metadata_and_the_time_it_was_fetched(engine):
    engine.config = engine.config.replace(fetch_private_addresses=True)  # the test server is on 127.0.0.1
    with local_server() as base:
        result, _ = engine.add_url(f"{base}/moved")  # a redirect to /article.html
        pdf, _ = engine.add_url(f"{base}/report.pdf")
    meta = result.source.meta
    assert result.source.source_id == "lankaran-pier-closed-after-the-storm"
    assert (meta.title, meta.outlet, meta.date, meta.author) == (
        "Lankaran pier closed after the storm", "Caspian Wire", "2023-01-13", "Leyla Karimova")
    assert meta.url == f"{base}/article.html" and meta.collected.endswith("Z") and "T" in meta.collected
    sidecar = json.loads((engine.config.sources_dir / f"{result.source.source_id}.meta.json").read_text())
    assert sidecar["collected_from"] == "fetched" and sidecar["url_from"] == "fetched from"
    assert "Zaur Quliyev closed the Lankaran pier" in result.source.body and "Home | World" not in result.source.body
    assert len(pdf.source.pages) == 3
    answer = engine.ask("Who closed the Lankaran pier?")
    assert answer.answer[0].source_id == result.source.source_id


@pytest.mark.parametrize("path, message", [
    ("/missing", "answered 404"),
    ("/data.json", "application/json, not a web page"),
    ("/huge.html", "over the limit"),
    ("/slow.html", "timed out"),
    ("/to-ftp", r"redirects to .ftp://.*not an http\(s\) address"),
])
def test_a_web_address_that_cannot_be_added_gives_one_clear_line(engine, path, message):
    engine.config = engine.config.replace(fetch_timeout_s=1.0, max_source_bytes=1_000_000,
                                          fetch_private_addresses=True)
    before = sorted(p.name for p in engine.config.sources_dir.iterdir())
    with local_server() as base, pytest.raises(SourceError, match=message) as refused:
        engine.add_url(base + path)
    assert "\n" not in str(refused.value) and len(str(refused.value)) < 200
    assert sorted(p.name for p in engine.config.sources_dir.iterdir()) == before


@pytest.mark.parametrize("address", ["ftp://example.org/a.html", "file:///etc/passwd", "javascript:alert(1)"])
def test_only_http_addresses_are_fetched(engine, address):
    with pytest.raises(SourceError, match="only http:// and https://"):
        engine.add_url(address)


# ---- the command line ---------------------------------------------------------------------------------

def test_the_command_line_adds_a_pdf_edits_and_removes_it(engine, tmp_path, capsys):
    from qa.cli import main

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(make_pdf(PDF_PAGES, title="Detention report 2022"))
    where = ["--sources-dir", str(engine.config.sources_dir), "--index-dir", str(engine.config.index_dir)]
    assert main(["add", str(pdf), "--author", "The commission", *where]) == 0
    assert "as detention-report-2022" in capsys.readouterr().out
    assert main(["ask", "--json", "How many inmates did the inspector Farid Aliyev count?", *where]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["answer"][0]["page"] == 2
    assert main(["edit", "detention-report-2022", "--date", "last Thursday", *where]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert main(["edit", "detention-report-2022", "--outlet", "PACE", "--date", "2022-09", *where]) == 0
    sidecar = json.loads((engine.config.sources_dir / "detention-report-2022.meta.json").read_text())
    assert (sidecar["outlet"], sidecar["date"], sidecar["author"]) == ("PACE", "2022-09", "The commission")
    assert main(["remove", "detention-report-2022", *where]) == 0
    assert not list(engine.config.sources_dir.glob("detention-report-2022*"))
    assert main(["add", str(pdf), "--date", "last Thursday", *where]) == 2
    assert "--date" in capsys.readouterr().err


def test_prepare_source_takes_pdf_and_refuses_other_binaries():
    prepared = prepare_source(make_pdf(PDF_PAGES), "r.pdf")
    assert prepared.suffix == ".txt" and len(prepared.pages) == 3
    with pytest.raises(SourceError, match="unsupported file type .docx"):
        prepare_source(b"PK\x03\x04", "r.docx")


def test_the_source_view_of_a_pdf_shows_its_page_breaks_around_the_unchanged_text():
    import re
    from html import unescape

    from qa.types import Source
    from qa.ui import reading

    body = "First page <b>text</b>.\n\nSecond page text.\n\nThird & last."
    source = Source("r", body, "h", pages=(0, body.index("Second"), body.index("Third")))
    start = body.index("Second")
    view = reading.source_html(source, start, start + 6)
    assert re.findall(r'<div class="qa-page-break"[^>]*>(p\. \d)</div>', view) == ["p. 1", "p. 2", "p. 3"]
    text = re.search(r'<div class="qa-source-text">(.*)</div></div>$', view, re.S).group(1)
    text = re.sub(r'<div class="qa-page-break"[^>]*>p\. \d</div>', "", text)
    assert unescape(re.sub(r"</?mark[^>]*>", "", text)) == body and "<b>" not in text
    assert view.count('<mark id="qa-focus">') == 1 and '<mark id="qa-focus">Second</mark>' in view


def test_an_edit_in_another_process_is_cited_by_a_running_engine_at_once(engine):
    from qa import Engine

    other = Engine.load(engine.config, embedder=engine.embedder)  # another process, on the same folders
    question = "Who was the captain of the ferry to Aktau?"
    assert engine.ask(question).citations[0].title == "Ferry to Aktau"
    other.edit("ferry-to-aktau", SourceMeta(title="Aktau crossing"))
    assert engine.ask(question).citations[0].title == "Aktau crossing"
    assert engine.source("ferry-to-aktau").meta.title == "Aktau crossing"
