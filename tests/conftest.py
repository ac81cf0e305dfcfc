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


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run the test once per retrieval backend named "
                                       "(through `seed_engine`/`make_engine`; unmarked tests use faiss)")


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "backend_name" in metafunc.fixturenames:
        params = [pytest.param(name, marks=pytest.mark.skipif(
            name == "milvus" and not _milvus_installed(), reason="pymilvus / milvus-lite not installed"))
            for name in marker.args]
        metafunc.parametrize("backend_name", params, indirect=True, scope="session")


def _milvus_installed() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(name) is not None for name in ("pymilvus", "milvus_lite"))


@pytest.fixture(scope="session")
def backend_name(request) -> str:
    """The retrieval backend of `seed_engine`/`make_engine`: faiss unless a `backends` marker says more."""
    return getattr(request, "param", "faiss")


@pytest.fixture(scope="session")
def milvus_uri(tmp_path_factory) -> str:
    """One Milvus Lite file for the session (it starts once); each engine gets its own collection in it."""
    return str(tmp_path_factory.mktemp("milvus") / "lite.db")


def backend_settings(backend: str, root: Path, milvus_uri: str) -> dict:
    """Config settings that put an engine over `root` on this backend."""
    if backend != "milvus":
        return {"backend": backend}
    import hashlib

    collection = "t" + hashlib.sha256(str(root).encode()).hexdigest()[:16]
    return {"backend": "milvus", "milvus_uri": milvus_uri, "milvus_collection": collection}


@pytest.fixture()
def make_engine(embedder, backend_name, request):
    """Build an engine for a project folder, sharing the session's model (on `backend_name`)."""
    from qa import Config, Engine

    uri = request.getfixturevalue("milvus_uri") if backend_name == "milvus" else ""

    def build(root: Path, **settings):
        settings = {**backend_settings(backend_name, root, uri), **settings}
        return Engine.load(Config(root=root, **settings), embedder=embedder)

    return build


@pytest.fixture(scope="session")
def seed_engines(tmp_path_factory, embedder, request):
    """Engines over the five seed articles, one per backend, each built once for the session."""
    from qa import Config, Engine

    engines: dict = {}

    def get(backend: str):
        if backend not in engines:
            uri = request.getfixturevalue("milvus_uri") if backend == "milvus" else ""
            root = make_project(tmp_path_factory.mktemp(f"seed-{backend}"))
            engines[backend] = Engine.load(Config(root=root, **backend_settings(backend, root, uri)),
                                           embedder=embedder)
        return engines[backend]

    return get


@pytest.fixture(scope="session")
def seed_engine(seed_engines, backend_name):
    """An engine over the five seed articles, built once for the session. Do not add sources to it."""
    return seed_engines(backend_name)
