"""Shared fixtures: one loaded model per test session, engines over temporary copies of the sources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from seed_data import QUESTIONS, ROOT, SOURCES, make_project, seed_questions  # noqa: F401 (re-exported)


@pytest.fixture(scope="session")
def embedder():
    from qa.config import Config
    from qa.embedding import Embedder

    return Embedder(Config().model)


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
