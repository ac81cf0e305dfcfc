"""The workbench's gaps closed: internal addresses not fetched, a PDF's own size limit, page numbers on
disagreement rows and passages, an abstention under a limit worded for it, a failed add naming its file once."""

from __future__ import annotations

import json
import socket

import pytest

from ingest_data import PDF_PAGES, local_server, make_pdf, make_scanned_pdf
from seed_data import ONNX_DIR
from qa.abstention import Verdict, abstain_message
from qa.config import Config
from qa.ingest.addresses import is_internal, resolve
from qa.ingest.web import fetch
from qa.sources import SourceError, add_source, prepare_source
from qa.types import SourceMeta

MEYDAN = "002_e8a6ebfdac5c0c25"  # a seed article that does not name Barkhudarov


# ---- 1. internal addresses ------------------------------------------------------------------------------

@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.7", "172.16.0.1", "169.254.169.254",
                                     "0.0.0.0", "100.64.0.1", "224.0.0.1", "240.0.0.1", "::1", "fe80::1",
                                     "fc00::1", "::ffff:127.0.0.1", "ff02::1"])
def test_loopback_private_link_local_multicast_and_reserved_addresses_are_internal(address):
    assert is_internal(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111"])
def test_public_addresses_are_not(address):
    assert not is_internal(address)


def test_the_setting_is_off_by_default_and_read_from_the_environment():
    assert Config().fetch_private_addresses is False
    assert Config.from_env({"QA_FETCH_PRIVATE_ADDRESSES": "1"}).fetch_private_addresses is True


def test_a_loopback_address_is_refused_with_one_line_unless_the_setting_allows_it():
    with local_server() as base:
        with pytest.raises(SourceError, match=r"127\.0\.0\.1 is a private or internal address") as refused:
            fetch(f"{base}/article.html", 2.0, 1_000_000)
        assert "\n" not in str(refused.value) and "QA_FETCH_PRIVATE_ADDRESSES" in str(refused.value)
        with pytest.raises(SourceError, match="private or internal"):
            fetch(base.replace("127.0.0.1", "localhost") + "/article.html", 2.0, 1_000_000)
        assert fetch(f"{base}/article.html", 2.0, 1_000_000, allow_private=True).kind == "html"


def public_test_server(host: str, port: int) -> list[str]:
    """Resolution with the test server's literal address standing for a public host; other names resolve."""
    return ["93.184.216.34"] if host == "127.0.0.1" else resolve(host, port)


def test_every_redirect_is_checked_again():
    with local_server() as base:
        # the "public" host is fetched, and so is its redirect to itself: the guard lets public hosts through
        assert fetch(f"{base}/moved", 2.0, 1_000_000, resolver=public_test_server).url.endswith("/article.html")
        with pytest.raises(SourceError, match=r"redirects to .http://localhost:\d+/article.html., a private") as refused:
            fetch(f"{base}/to-localhost", 2.0, 1_000_000, resolver=public_test_server)
        assert "\n" not in str(refused.value)


def test_a_host_with_a_public_and_a_private_address_is_refused():
    both = lambda host, port: ["93.184.216.34", "10.0.0.5"]  # noqa: E731
    with pytest.raises(SourceError, match=r"10\.0\.0\.5"):
        fetch("http://news.example/a.html", 2.0, 1_000_000, resolver=both)


def test_a_host_that_does_not_resolve_is_one_line():
    def nowhere(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(SourceError, match="cannot be found"):
        fetch("http://no-such-host.example/a.html", 2.0, 1_000_000, resolver=nowhere)


# ---- 2. a PDF's own limit -------------------------------------------------------------------------------

def test_a_pdf_has_its_own_limit_and_its_text_the_source_limit():
    pdf = make_pdf(PDF_PAGES, title="Detention report 2022")
    prepared = prepare_source(pdf, "report.pdf", max_bytes=len(pdf) - 1, max_pdf_bytes=len(pdf))
    assert len(prepared.pages) == 3
    with pytest.raises(SourceError, match=r"over the limit of [\d,]+ bytes \(QA_MAX_PDF_BYTES\)"):
        prepare_source(pdf, "report.pdf", max_bytes=10 * len(pdf), max_pdf_bytes=len(pdf) - 1)
    with pytest.raises(SourceError, match=r"\(QA_MAX_SOURCE_BYTES\)"):  # a text file keeps the source limit
        prepare_source(b"x" * len(pdf), "notes.txt", max_bytes=len(pdf) - 1, max_pdf_bytes=len(pdf))
    with pytest.raises(SourceError, match=r"its text is [\d,]+ bytes, over the limit of 100 bytes"):
        prepare_source(pdf, "report.pdf", max_bytes=100, max_pdf_bytes=len(pdf))


def test_a_fetched_pdf_has_the_pdf_limit():
    with local_server() as base:
        fetched = fetch(f"{base}/report.pdf", 2.0, 1_000, allow_private=True, max_pdf_bytes=1_000_000)
        assert fetched.kind == "pdf"
        with pytest.raises(SourceError, match="over the limit"):
            fetch(f"{base}/huge.html", 2.0, 1_000, allow_private=True, max_pdf_bytes=1_000_000)


def test_the_page_states_both_limits_and_the_upload_guard_lets_a_large_pdf_through():
    from qa.ui.guard import RequestGuard
    from qa.ui.sources_tab import limits_label

    config = Config(max_source_bytes=5_000_000, max_pdf_bytes=50_000_000)
    assert limits_label(config) == ("a text or HTML file may be up to 4.8 MB (5,000,000 bytes), a PDF up to "
                                    "47.7 MB (50,000,000 bytes)")
    assert RequestGuard.settings(config)["max_file_bytes"] == 50_000_000


def test_an_upload_over_both_limits_is_refused_naming_both():
    import asyncio

    from qa.ui.guard import RequestGuard

    async def never_reached(scope, receive, send):
        raise AssertionError("the upload went past the guard")

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    config = Config(max_source_bytes=5_000_000, max_pdf_bytes=50_000_000)
    guard = RequestGuard(never_reached, **RequestGuard.settings(config))
    scope = {"type": "http", "method": "POST", "path": "/gradio_api/upload", "client": ("127.0.0.1", 1),
             "headers": [(b"content-type", b"multipart/form-data; boundary=x"), (b"content-length", b"60000000")]}
    asyncio.run(guard(scope, receive, send))
    assert sent[0]["status"] == 413
    assert sent[1]["body"].decode() == ("The file is over the limit of 50 MB (50,000,000 bytes) for a PDF, and of "
                                        "5 MB for another file.")


# ---- 6. and 2. on the command line ----------------------------------------------------------------------

@pytest.fixture()
def project(tmp_path):
    root = tmp_path / "project"
    (root / "sources").mkdir(parents=True)
    add_source(root / "sources", b"The ferry to Aktau left Baku on 5 May 2022 with 300 passengers aboard.\n",
               "ferry.txt", SourceMeta(title="Ferry"))
    return root


def qa_add(project, *files: str) -> tuple[int, str, list[str]]:
    """`qa add` the files: its exit code, its output and its error lines."""
    import contextlib
    import io

    from qa.cli import main

    where = ["--sources-dir", str(project / "sources"), "--index-dir", str(project / "index")]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["add", *files, *where])
    return code, out.getvalue(), [line for line in err.getvalue().splitlines() if line.startswith("error:")]


def test_qa_add_names_a_refused_file_once(project, tmp_path, monkeypatch):
    (tmp_path / "scan.pdf").write_bytes(make_scanned_pdf())
    (tmp_path / "long.txt").write_bytes(b"word " * 400)
    monkeypatch.setenv("QA_MAX_SOURCE_BYTES", "1000")
    monkeypatch.setenv("QA_ONNX_DIR", str(ONNX_DIR))
    files = [str(tmp_path / "scan.pdf"), str(tmp_path / "long.txt"), str(tmp_path / "missing.txt")]
    code, _, lines = qa_add(project, *files)
    assert code == 1 and len(lines) == 3
    assert lines[0].startswith(f"error: {files[0]}: the PDF has no text layer") and lines[0].count("scan.pdf") == 1
    assert lines[1].startswith(f"error: {files[1]}: 2,000 bytes is over the limit of 1,000 bytes (QA_MAX_SOURCE_BYTES)")
    assert lines[1].count("long.txt") == 1
    assert lines[2] == f"error: {files[2]}: No such file or directory"


def test_qa_add_takes_a_pdf_over_the_text_limit_up_to_the_pdf_limit(project, tmp_path, monkeypatch):
    pdf = make_pdf(PDF_PAGES, title="Detention report 2022")
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    monkeypatch.setenv("QA_MAX_SOURCE_BYTES", str(len(pdf) - 1))
    monkeypatch.setenv("QA_ONNX_DIR", str(ONNX_DIR))
    monkeypatch.setenv("QA_MAX_PDF_BYTES", str(len(pdf) - 1))
    code, _, lines = qa_add(project, str(path))
    assert code == 1 and lines == [f"error: {path}: {len(pdf):,} bytes is over the limit of {len(pdf) - 1:,} bytes "
                                   "(QA_MAX_PDF_BYTES)"]
    monkeypatch.setenv("QA_MAX_PDF_BYTES", str(len(pdf)))
    code, out, lines = qa_add(project, str(path))
    assert code == 0 and lines == [] and "as detention-report-2022" in out


# ---- 3. pages on disagreement rows and passages ----------------------------------------------------------

FILLER = ("Annual report of the commission.\nThe commission met in Baku and reviewed the files of the year "
          "with the ministry of defence.")


def pdf_report(figure: str, outlet: str) -> bytes:
    return make_pdf([FILLER + f" Report of {outlet}.",
                     f"Second page.\n{figure} servicemen died as a result of torture in the Tartar case, "
                     f"{outlet} reported."], title=f"Tartar report by {outlet}")


@pytest.fixture()
def pdf_engine(tmp_path, embedder):
    from qa import Engine

    root = tmp_path / "pdfs"
    (root / "sources").mkdir(parents=True)
    engine = Engine.load(Config(root=root, onnx_dir=ONNX_DIR), embedder=embedder)
    engine.add(pdf_report("Nine", "Turan"), "turan.pdf", SourceMeta(outlet="Turan", date="2021-10-07"))
    engine.add(pdf_report("Eleven", "Meydan TV"), "meydan.pdf", SourceMeta(outlet="Meydan TV", date="2021-11-02"))
    return engine


def test_disagreement_rows_and_passages_name_their_page(pdf_engine):
    from qa.cli import format_answer
    from qa.export import records_of_answer
    from qa.ui import render

    answer = pdf_engine.ask("How many servicemen died as a result of torture in the Tartar case?")
    assert answer.conflict is not None and len(answer.conflict.rows) == 2
    for row in answer.conflict.rows:
        source = pdf_engine.source(row.source_id)
        assert row.page == source.page_of(row.start) == 2 and source.body[row.start:row.end] == row.quote
    text = format_answer(answer)
    for row in answer.conflict.rows:
        assert f"  [{row.citation}, p. 2] {row.outlet}" in text
    html = render.answer_html(answer)
    assert html.count(", p. 2]") >= 2 * len(answer.conflict.rows)  # the summary line and every row's cite
    assert answer.passages and all(p.page == pdf_engine.source(p.source_id).page_of(p.start) for p in answer.passages)
    panel = render.passages_html(answer, {s.source_id: s.meta for s in pdf_engine.sources()})
    assert panel.count("</a>") == len(answer.passages)
    assert all(f", p. {p.page}</a>" in panel for p in answer.passages) and ", p. None" not in panel
    data = answer.to_dict()
    data["answer"] = []  # the rows alone carry their pages into the evidence pack
    records = records_of_answer(data, {s.source_id: s for s in pdf_engine.sources()})
    assert [r.page for r in records] == [2, 2] and all(r.verified for r in records)
    assert json.loads(json.dumps(data))["conflict"]["rows"][0]["page"] == 2


# ---- 5. an abstention under a limit ----------------------------------------------------------------------

def test_the_abstention_message_says_chosen_sources_only_when_limited():
    verdict = Verdict(True, "never_mentioned", ("Barkhudarov",))
    assert abstain_message(verdict) == "The sources do not say. No source mentions: Barkhudarov."
    assert abstain_message(verdict, limited=True) == ("The sources do not say. None of the chosen sources "
                                                      "mentions: Barkhudarov.")
    apart = Verdict(True, "never_together", ("population", "Tartar"))
    assert "No passage of the chosen sources mentions “population”" in abstain_message(apart, limited=True)


def test_an_engine_abstention_under_a_limit_is_worded_for_the_chosen_sources(seed_engine):
    limited = seed_engine.ask("Who is Barkhudarov?", sources=[MEYDAN])
    assert limited.abstained and limited.message.startswith("The sources do not say. None of the chosen sources "
                                                            "mentions: ")
    assert "Barkhudarov" in limited.message
    everywhere = seed_engine.ask("Who is Zorbakhanov Quillistrat?")
    assert everywhere.abstained and "No source mentions: " in everywhere.message
