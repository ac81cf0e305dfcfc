"""The evidence pack: every exported quote is found again in its source file by its offsets and hash."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from qa import export
from qa.types import Source, SourceMeta

QUESTIONS = ["Who was dismissed as commander of the Second Army Corps?",
             "How many servicemen died as a result of torture in the Tartar case?",  # sources differ
             "What is the capital of Peru?"]  # abstains


def source_text(sources_dir: Path, source_id: str) -> str:
    """The source file as stored, read byte-exactly (no newline translation)."""
    return (sources_dir / f"{source_id}.txt").read_bytes().decode("utf-8")


def assert_found_in_sources(rows: list[dict], sources_dir: Path) -> None:
    """Recompute each row's hash from the source file and find its quote at its offsets."""
    assert rows
    for row in rows:
        text = source_text(sources_dir, row["source_id"])
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == row["source_sha256"]
        start, end = int(row["start"]), int(row["end"])
        assert text[start:end] == row["quote"]
        assert row["question"] and row["asked_at"] and row["citation"]


@pytest.fixture(scope="module")
def answers_file(seed_engine, tmp_path_factory) -> Path:
    """`qa ask --json` output for QUESTIONS (made in-process), plus a refused question's line."""
    from qa.cli import now_iso

    lines = [json.dumps({**seed_engine.ask(q).to_dict(), "asked_at": now_iso()}, ensure_ascii=False)
             for q in QUESTIONS]
    lines.append(json.dumps({"question": "", "error": "Please type a question."}))
    path = tmp_path_factory.mktemp("export") / "answers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_export(seed_engine, capsys, *args) -> str:
    from qa.cli import main

    assert main(["export", *args, "--sources-dir", str(seed_engine.config.sources_dir)]) == 0
    return capsys.readouterr().out


def test_every_format_exports_quotes_that_are_found_again_in_the_sources(seed_engine, answers_file, capsys):
    sources_dir = seed_engine.config.sources_dir
    pack = json.loads(run_export(seed_engine, capsys, str(answers_file), "--format", "json"))
    rows = pack["quotes"]
    assert_found_in_sources(rows, sources_dir)
    answers = [json.loads(line) for line in answers_file.read_text().splitlines()]
    expected = {(q["source_id"], q["start"], q["end"]) for a in answers if not a.get("abstained")
                for q in a.get("answer", [])} | {(r["source_id"], r["start"], r["end"]) for a in answers
                                                 for r in ((a.get("conflict") or {}).get("rows") or [])}
    assert {(r["source_id"], r["start"], r["end"]) for r in rows} == expected  # each once, none invented
    assert QUESTIONS[2] not in {r["question"] for r in rows}  # an abstention has no quote
    assert {r["question"] for r in rows} == set(QUESTIONS[:2])
    assert all(r["verified"] and r["outlet"] and r["url"].startswith("https://") for r in rows)

    table = list(csv.DictReader(io.StringIO(run_export(seed_engine, capsys, str(answers_file), "--format", "csv"))))
    assert [r["quote"] for r in table] == [r["quote"] for r in rows]
    assert_found_in_sources(table, sources_dir)
    assert set(table[0]) >= {"quote", "source_id", "start", "end", "page", "outlet", "title", "author", "date",
                             "url", "collected", "source_sha256", "question", "asked_at", "citation"}

    markdown = run_export(seed_engine, capsys, "--format", "md", str(answers_file))
    for row in rows:
        assert row["source_sha256"] in markdown and f"characters {row['start']}–{row['end']}" in markdown
    assert markdown.count("\n## ") == 2


def test_stdin_and_output_file(seed_engine, answers_file, capsys, monkeypatch, tmp_path):
    from qa.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(answers_file.read_text()))
    out = tmp_path / "pack.json"
    assert main(["export", "--format", "json", "-o", str(out), "--sources-dir",
                 str(seed_engine.config.sources_dir)]) == 0
    quotes = json.loads(out.read_text())["quotes"]
    assert_found_in_sources(quotes, seed_engine.config.sources_dir)
    assert capsys.readouterr().err == f"wrote {len(quotes)} quotes to {out}\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("not json\n"))
    assert main(["export", "--sources-dir", str(seed_engine.config.sources_dir)]) == 2
    assert capsys.readouterr().err.startswith("error: line 1 is not JSON")


def test_a_changed_source_is_flagged_not_silently_exported(seed_engine, answers_file, capsys, tmp_path):
    from qa.cli import main

    copy = tmp_path / "sources"
    shutil.copytree(seed_engine.config.sources_dir, copy)
    answer = json.loads(answers_file.read_text().splitlines()[0])
    changed = copy / f"{answer['answer'][0]['source_id']}.txt"
    changed.write_text("Rewritten. " + changed.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["export", str(answers_file), "--format", "json", "--sources-dir", str(copy)]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)["quotes"]
    flagged = [r for r in rows if r["source_id"] == answer["answer"][0]["source_id"]]
    assert flagged and not any(r["verified"] for r in flagged) and "no longer holds the quote" in captured.err
    assert all(r["verified"] for r in rows if r not in flagged)


def test_reference_styles_and_markdown_escaping():
    meta = SourceMeta(title="A <b>title</b>", outlet="Turan", date="2024-10-07", url="https://turan.az/x",
                      author="J. Doe", collected="2025-01-02T10:00:00")
    source = Source("s1", "Before. He said <script>x</script> *now*. After.", "", meta)
    start = source.body.index("He")
    end = source.body.index(" After")
    record = export.quote_record("Who said it?", "2026-12-02T05:00:00+00:00", source.body[start:end], "s1", start,
                                 end, 3, source)
    assert record.citation == "Turan, “A <b>title</b>”, 2024-10-07, https://turan.az/x, accessed 2025-01-02"
    assert record.verified and record.page == 3
    assert export.reference(meta, "s1", "2025-01-02", "apa") == \
        "J. Doe. (2024-10-07). A <b>title</b>. Turan. https://turan.az/x"
    assert export.reference(meta, "s1", "2025-01-02", "mla") == \
        "J. Doe. “A <b>title</b>.” Turan, 2024-10-07, https://turan.az/x. Accessed 2025-01-02."
    markdown = export.to_markdown([record])
    assert "<script>" not in markdown and "\\<script\\>" in markdown and "page 3" in markdown
    assert re.search(r"\\\*now\\\*", markdown)
    assert export.records_from_dicts(json.loads(export.to_json([record]))["quotes"]) == [record]
    quoted = SourceMeta(title="“The officer was forced”", outlet="chernayakobra.ru")
    assert export.reference(quoted, "s2", "") == "chernayakobra.ru, “The officer was forced”"
    with pytest.raises(ValueError, match="unknown export format"):
        export.render([record], "pdf")


def test_the_page_notebook_keeps_turns_saves_records_and_moves_notes(seed_engine, tmp_path):
    from qa.ui.notebook import EMPTY_CONVERSATION, Notebook, moved, restyled

    answer = seed_engine.ask(QUESTIONS[0]).to_dict()
    conversation = Notebook.remember(["bubble"], [QUESTIONS[0]], answer, EMPTY_CONVERSATION)
    assert conversation["turns"][0]["question"] == QUESTIONS[0] and conversation["turns"][0]["asked_at"]
    assert "passages" not in conversation["turns"][0]["answer"]  # kept small for the browser's storage
    assert Notebook.remember(["bubble"], [], None, conversation)["turns"] == conversation["turns"]
    notebook = Notebook.__new__(Notebook)
    notebook.engine = seed_engine
    first = answer["answer"][0]
    ref = f"#qa-save/{first['source_id']}/{first['start']}/{first['end']}"
    notes, html = notebook.act(ref, conversation, [])
    assert len(notes) == 1 and notes[0]["quote"] == first["quote"] and notes[0]["verified"]
    assert first["quote"].split()[0] in html
    assert notebook.act(ref, conversation, notes)[0] == notes  # saved once
    assert moved([1, 2, 3], "up", 2) == [1, 3, 2] and moved([1, 2, 3], "down", 0) == [2, 1, 3]
    assert moved([1, 2, 3], "remove", 1) == [1, 3] and moved([1, 2], "remove", 5) == [1, 2]
    record = export.records_from_dicts(notes)[0]
    assert restyled(record, "mla").citation.startswith("“") and restyled(record, "plain") == record
