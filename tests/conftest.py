"""Shared fixtures: one loaded model per embedder per test session, engines over temporary copies of the
sources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from seed_data import ONNX_DIR, QUESTIONS, ROOT, SOURCES, make_project, seed_questions  # noqa: F401 (re-exported)

os.environ.setdefault("QA_ONNX_DIR", str(ONNX_DIR))


def _onnx_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("onnxruntime") is not None


@pytest.fixture(scope="session")
def embedders():
    """Embedders by variant ("onnx-fp32", "onnx-int8", "torch"), each loaded once, on first use."""
    from qa.config import Config
    from qa.embedding import Embedder, variant_config

    loaded: dict = {}

    def get(variant: str):
        if variant not in loaded:
            loaded[variant] = Embedder.from_config(variant_config(Config.from_env(), variant))
        return loaded[variant]

    return get


@pytest.fixture(scope="session")
def embedder(embedders, embedder_name):
    """The session's model: the default embedder (ONNX fp32 when onnxruntime is installed, as for `qa`;
    QA_EMBEDDER=torch runs the tests on torch), or the one an `embedders` marker parametrizes."""
    return embedders(embedder_name)


@pytest.fixture(scope="session")
def embedder_name(request) -> str:
    return getattr(request, "param", None) or default_embedder()


def default_embedder() -> str:
    """The variant `qa` runs with in this environment: onnx-fp32 when onnxruntime is installed."""
    from qa.config import Config
    from qa.embedding import configured_variant

    return configured_variant(Config.from_env())


@pytest.fixture()
def project(tmp_path) -> Path:
    return make_project(tmp_path)


def pytest_configure(config):
    config.addinivalue_line("markers", "backends(*names): run the test once per retrieval backend named "
                                       "(through `seed_engine`/`make_engine`; unmarked tests use faiss)")
    config.addinivalue_line("markers", "embedders(*variants): run the test once per embedder named (onnx-fp32, "
                                       "onnx-int8, torch) through `embedder`, `seed_engine`, `make_engine`; "
                                       "unmarked tests use the default one")


def pytest_generate_tests(metafunc):
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None and "backend_name" in metafunc.fixturenames:
        params = [pytest.param(name, marks=pytest.mark.skipif(
            name == "milvus" and not _milvus_installed(), reason="pymilvus / milvus-lite not installed"))
            for name in marker.args]
        metafunc.parametrize("backend_name", params, indirect=True, scope="session")
    marker = metafunc.definition.get_closest_marker("embedders")
    if marker is not None and "embedder_name" in metafunc.fixturenames:
        params = [pytest.param(name, marks=pytest.mark.skipif(
            name.startswith("onnx") and not _onnx_installed(), reason="onnxruntime not installed"))
            for name in marker.args]
        metafunc.parametrize("embedder_name", params, indirect=True, scope="session")


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
        settings = {"onnx_dir": ONNX_DIR, **backend_settings(backend_name, root, uri), **settings}
        return Engine.load(Config(root=root, **settings), embedder=embedder)

    return build


@pytest.fixture(scope="session")
def seed_engines(tmp_path_factory, embedders, request):
    """Engines over the five seed articles, one per backend and embedder, each built once for the session."""
    from qa import Config, Engine

    engines: dict = {}

    def get(backend: str, embedder_name: str | None = None):
        embedder_name = embedder_name or default_embedder()
        if (backend, embedder_name) not in engines:
            uri = request.getfixturevalue("milvus_uri") if backend == "milvus" else ""
            root = make_project(tmp_path_factory.mktemp(f"seed-{backend}-{embedder_name}"))
            config = Config(root=root, onnx_dir=ONNX_DIR, **backend_settings(backend, root, uri))
            engines[backend, embedder_name] = Engine.load(config, embedder=embedders(embedder_name))
        return engines[backend, embedder_name]

    return get


@pytest.fixture(scope="session")
def seed_engine(seed_engines, backend_name, embedder_name):
    """An engine over the five seed articles, built once for the session. Do not add sources to it."""
    return seed_engines(backend_name, embedder_name)
