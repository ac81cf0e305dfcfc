"""The evaluation question files: schema, verbatim gold spans, coverage of types, articles and splits."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from seed_data import QUESTIONS, SOURCES, seed_questions

TYPES = {"factoid", "paraphrase", "name_variant", "multi_source", "conflict", "unanswerable"}


def test_every_question_is_well_formed_and_every_gold_span_is_verbatim():
    rows = seed_questions()
    assert len({r["id"] for r in rows}) == len(rows)
    for row in rows:
        assert row["type"] in TYPES and row["split"] in ("tune", "test") and row["question"].strip()
        assert row["answerable"] == bool(row["gold"]) == (row["type"] != "unanswerable")
        for gold in row["gold"]:
            body = (SOURCES / f"{gold['source_id']}.txt").read_bytes().decode("utf-8")
            assert gold["span"] and gold["span"] in body, (row["id"], gold["span"])


def test_the_seed_set_covers_every_type_article_and_split():
    rows = [json_row for json_row in seed_questions() if json_row["id"].startswith("seed-")]
    assert len(rows) >= 80
    per_type = Counter(r["type"] for r in rows)
    assert set(per_type) == TYPES and min(per_type.values()) >= 8
    assert {(r["type"], r["split"]) for r in rows} == {(t, s) for t in TYPES for s in ("tune", "test")}
    articles = {g["source_id"] for r in rows for g in r["gold"]}
    assert articles == {p.stem for p in Path(SOURCES).glob("*.txt")}
    for row in rows:
        if row["type"] in ("multi_source", "conflict"):
            assert len({g["source_id"] for g in row["gold"]}) >= 2, row["id"]


def test_questions_folder_is_documented():
    assert (QUESTIONS / "README.md").exists()
