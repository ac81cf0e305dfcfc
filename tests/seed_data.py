"""Paths and loaders shared by the tests (importable as `seed_data`; fixtures stay in conftest.py)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
QUESTIONS = ROOT / "eval" / "questions"
# One ONNX export of the model for every test and every `qa` process they start (a fresh one takes a minute);
# conftest.py sets QA_ONNX_DIR to it.
ONNX_DIR = Path(os.environ.get("QA_ONNX_DIR", ROOT / "data" / "onnx"))


def seed_questions(languages: tuple[str, ...] | None = ("en",)) -> list[dict]:
    """The questions of every eval/questions/*.jsonl file in these languages (None: every language; a row
    without a `language` field is English)."""
    rows = []
    for path in sorted(QUESTIONS.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if languages is None or row.get("language", "en") in languages]


def make_project(root: Path) -> Path:
    """A project folder with a copy of the seed sources (and no index yet)."""
    shutil.copytree(SOURCES, root / "sources")
    return root
