"""`qa bench --only backends`: faiss and Milvus (Lite) side by side on one tiny synthetic corpus, through
the command's own code path (stages run in-process here, with the session's model; no timing asserted)."""

from __future__ import annotations

import argparse
import json

import pytest

from qa.benchmarks import command as bench
from qa.embedding import Embedder

ARTICLE = ("The regional court in Ganja heard a new appeal on March 3. The judge postponed the hearing of the "
           "pelican smuggling case until the spring. Lawyers for the defence said the delay was unlawful.")


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    bench.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_backends_is_opt_in_and_the_other_stages_refuse_milvus(capsys):
    assert "backends" not in parse().only.split(",") and "backends" in bench.OPT_IN_STAGES
    assert bench.run(parse("--backend", "milvus")) == 2
    assert "--only backends" in capsys.readouterr().err
    assert bench.run(parse("--only", "backends,nonsense")) == 2
    assert "nonsense" in capsys.readouterr().err


def test_backends_stage_prints_and_writes_both_backends(tmp_path, embedder, monkeypatch, capsys):
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "ganja-court.txt").write_text(ARTICLE, encoding="utf-8")
    monkeypatch.setattr(bench, "_in_child", lambda function, *args: function(*args))
    monkeypatch.setattr(Embedder, "from_config", lambda config: embedder)
    monkeypatch.delenv("QA_MILVUS_URI", raising=False)
    out = tmp_path / "out.json"
    args = parse("--only", "backends", "--sizes", "300", "--runs", "1", "--scale-questions", "2",
                 "--sources-dir", str(sources), "--work", str(tmp_path / "work"), "--out", str(out), "--verbose")
    assert bench.run(args) == 0

    measured = json.loads(out.read_text(encoding="utf-8"))["backends"]["300"]
    assert measured["n_chunks"] == 300 and measured["questions"] == 2
    for name in ("faiss", "milvus"):
        row = measured[name]
        assert 0 <= row["recall_at_10"]["questions"] <= 1 and 0 <= row["recall_at_10"]["held_out"] <= 1
        assert row["ingest_chunks_per_s"] > 0 and row["ask_ms"]["total"]["p95"] >= row["ask_ms"]["total"]["p50"]
    assert measured["faiss"]["recall_at_10"]["held_out"] == 1.0  # exact search below the ANN threshold
    assert "Milvus Lite" in measured["milvus"]["index"]
    printed = capsys.readouterr().out
    assert "7. Both backends" in printed
    assert [line.split("|")[2].strip() for line in printed.splitlines() if line.startswith("| 300 ")] == \
        ["faiss", "milvus"]
