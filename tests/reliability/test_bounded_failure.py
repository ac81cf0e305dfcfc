"""Bounded failure: one bad input costs one answer, never the batch; errors repeat little of the input; an
HTML page cut by extraction says how much was kept; an unreadable source keeps its indexed version."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path
from unittest import mock

import pytest

QUESTIONS = ["Who was dismissed as commander of the Second Army Corps?",
             "How many servicemen died as a result of torture?"]
KEPT_ID = "000_219d92d582d0d3aa"  # a seed source whose file becomes unreadable
KEPT_QUESTION = "Who was dismissed as commander of the Second Army Corps?"


@pytest.fixture()
def project(lab, tmp_path) -> Path:
    shutil.copytree(lab.base, tmp_path / "project")
    return tmp_path / "project"


def ask_lines(run_cli, project: Path, data: bytes, encoding: str = "ascii") -> tuple[int, list[dict], str]:
    """`qa ask --json -` with `data` on a stdin decoded as `encoding`, strictly (as PYTHONIOENCODING may set it)."""
    stdin = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors="strict")
    with mock.patch("sys.stdin", stdin):
        rc, out, err = run_cli(project, ["ask", "--json", "-"])
    return rc, [json.loads(line) for line in out.splitlines()], err


def test_a_bad_line_on_stdin_answers_an_error_for_that_line_and_the_rest_go_on(project, run_cli):
    long_line = "y" * 1_000_000
    data = b"\n".join([QUESTIONS[0].encode(), b"caf\xe9 \xff\xfe not UTF-8", long_line.encode(), b"",
                       QUESTIONS[1].encode(), "Qu’est-ce que c’est ? — ünïcode is fine".encode()]) + b"\n"
    rc, rows, err = ask_lines(run_cli, project, data)
    assert rc == 2 and "Traceback" not in err
    assert len(rows) == 5  # the blank line is skipped, every other line gets one object
    assert rows[0]["question"] == QUESTIONS[0] and rows[0]["answer"]
    assert rows[1]["line"] == 2 and "not UTF-8" in rows[1]["error"] and len(rows[1]["question"]) < 40
    assert rows[2]["line"] == 3 and "limit" in rows[2]["error"]
    assert len(rows[2]["question"]) < 240 and rows[2]["question"].startswith("y" * 200)
    assert rows[3]["question"] == QUESTIONS[1] and rows[3]["answer"]
    assert "error" not in rows[4]  # decoded as UTF-8 whatever the locale says


def test_a_refused_question_echoes_at_most_200_characters(project, run_cli):
    rc, out, err = run_cli(project, ["ask", "--json", "z" * 50_000])
    refused = json.loads(out)
    assert rc == 2 and "limit" in refused["error"]
    assert refused["question"].startswith("z" * 200) and len(refused["question"]) < 240
    assert "50,000 characters" in refused["question"]


def long_page() -> bytes:
    """A page whose article is a small part of its text: thousands of related links around six paragraphs."""
    paragraphs = "".join(f"<p>Paragraph {n} of the report on the dam on the Tartar river, long enough to be "
                         "kept as article text by the extractor.</p>" for n in range(6))
    links = "".join(f'<li><a href="/story/{n}">Related story number {n} about another matter entirely</a></li>'
                    for n in range(3000))
    return (f"<html><head><title>Dam report</title></head><body><nav><ul>{links}</ul></nav><article>"
            f"<h1>Dam report</h1>{paragraphs}</article></body></html>").encode("utf-8")


def test_an_html_page_cut_by_extraction_says_how_much_was_kept(project, run_cli, make_engine, tmp_path):
    page = tmp_path / "dam-report.html"
    page.write_bytes(long_page())
    rc, out, err = run_cli(project, ["add", str(page)])
    notes = [line for line in err.splitlines() if line.startswith("note:")]
    assert rc == 0 and "added" in out
    assert len(notes) == 1 and "extraction kept" in notes[0] and "of the" in notes[0]
    kept, total = [int(n.replace(",", "")) for n in notes[0].split("kept ")[1].split(" characters")[0].split(" of the ")]
    assert kept < total / 10 and total > 100_000
    (project / "sources" / "dropped-page.html").write_bytes(long_page().replace(b"Dam report", b"Dam inquiry"))
    engine = make_engine(project)
    assert any(w.startswith("dropped-page.html: extraction kept") for w in engine.last_report.warnings)


def test_an_unreadable_source_keeps_its_indexed_version_and_the_report_says_so(project, make_engine):
    from qa import Config, Engine

    path = project / "sources" / f"{KEPT_ID}.txt"
    original = path.read_bytes()
    server = make_engine(project)  # a running server: it holds the text it answers from
    before = server.ask(KEPT_QUESTION)
    assert any(q.source_id == KEPT_ID for q in before.answer)

    real_read = __import__("qa.sources", fromlist=["read_checked"]).read_checked

    def unreadable(target, *args, **kwargs):
        if Path(target).name == path.name:
            raise PermissionError(13, "Permission denied")
        return real_read(target, *args, **kwargs)

    with mock.patch("qa.sources.read_checked", unreadable):
        report = server.index()
    assert report.kept == [KEPT_ID] and report.removed == [] and not report.changed
    assert any(KEPT_ID in w and "kept the indexed version" in w for w in report.warnings)
    assert any(w.startswith(f"skipped {path.name}: cannot read (Permission denied)") for w in report.warnings)
    assert server.ask(KEPT_QUESTION).answer == before.answer  # still answered, from the text it holds
    assert KEPT_ID in Engine.load(Config(root=project), build=False, embedder=server.embedder).backend.info().sources

    path.unlink()  # the same with a FIFO in its place: refused, not read, and still kept
    os.mkfifo(path)
    report = server.index()
    assert report.kept == [KEPT_ID] and "kept" in report.summary()
    assert server.ask(KEPT_QUESTION).answer == before.answer
    fresh = make_engine(project)  # a new process has no text for it: it stays indexed, unquoted
    assert KEPT_ID in fresh.backend.info().sources and fresh.source(KEPT_ID) is None

    path.unlink()
    path.write_bytes(original)  # readable again: nothing to embed
    report = server.index()
    assert not report.changed and report.kept == [] and report.embedded_chunks == 0
    path.unlink()  # deleted: now it goes
    assert server.index().removed == [KEPT_ID]


def test_a_rebuild_says_which_unreadable_source_it_left_out(project, make_engine):
    engine = make_engine(project)
    path = project / "sources" / f"{KEPT_ID}.txt"
    path.unlink()
    os.mkfifo(path)
    report = engine.index(rebuild=True)
    assert KEPT_ID not in engine.backend.info().sources
    assert any(w == f"left {KEPT_ID} out of the new index: its file cannot be read now" for w in report.warnings)
