"""Many clients at once through the app's API: every answer the same as for a single user, no error.

A short version of `python scripts/loadtest.py` (200 questions from 20 clients against `qa serve`).
"""

from __future__ import annotations

import shutil
import socket

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(lab, embedder, tmp_path_factory):
    """The chat app (as `qa serve` builds it) over a copy of the indexed seed project, in this process."""
    from qa import Config, Engine
    from qa.ui.app import build_app, launch

    root = tmp_path_factory.mktemp("load") / "project"
    shutil.copytree(lab.base, root)
    config = Config(root=root, port=free_port())
    demo = build_app(Engine.load(config, embedder=embedder))
    url = launch(demo, config)
    yield url
    demo.close()


def test_concurrent_clients_all_get_the_single_user_answer(served, loadtest):
    report = loadtest.run_load(served, loadtest.QUESTIONS, n_questions=40, clients=8, time_limit=240)
    print(report.summary())
    assert report.errors == []
    assert report.mismatches == []
    assert report.completed == 40


def test_the_load_test_refuses_a_non_loopback_address(loadtest):
    with pytest.raises(SystemExit, match="loopback"):
        loadtest.run_load("http://192.0.2.1:7860/", ["q"], 1, 1)
