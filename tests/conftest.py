"""Shared fixtures: one loaded model per test session, engines over temporary copies of the sources."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "sources"
QUESTIONS = ROOT / "eval" / "questions"


def seed_questions() -> list[dict]:
    """Every question of every eval/questions/*.jsonl file."""
    rows = []
    for path in sorted(QUESTIONS.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows


@pytest.fixture(scope="session")
def embedder():
    from qa.config import Config
    from qa.embedding import Embedder

    return Embedder(Config().model)


def make_project(root: Path) -> Path:
    """A project folder with a copy of the seed sources (and no index yet)."""
    shutil.copytree(SOURCES, root / "sources")
    return root


@pytest.fixture()
def project(tmp_path) -> Path:
    return make_project(tmp_path)


@pytest.fixture()
def make_engine(embedder):
    """Build an engine for a project folder, sharing the session's model."""
    from qa import Config, Engine

    def build(root: Path, **settings):
        return Engine.load(Config(root=root, **settings), embedder=embedder)

    return build


@pytest.fixture(scope="session")
def seed_engine(tmp_path_factory, embedder):
    """An engine over the five seed articles, built once for the session. Do not add sources to it."""
    from qa import Config, Engine

    root = make_project(tmp_path_factory.mktemp("seed"))
    return Engine.load(Config(root=root), embedder=embedder)
