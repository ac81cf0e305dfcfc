"""What the page tests share: Debian's Chromium, a free port, the app served from the test's process."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from seed_data import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
ARTIFACTS = Path(os.environ.get("QA_TEST_ARTIFACTS", ROOT / "tmp" / "artifacts"))
TIMEOUT_MS = 30_000
NEEDS_CHROMIUM = pytest.mark.skipif(not CHROMIUM.exists(),
                                    reason="/usr/bin/chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(config, embedder=None) -> Iterator[tuple]:
    """(engine, url) of the app over `config`, served from this process until the generator is closed."""
    from qa import Engine
    from qa.ui.app import build_app, launch

    engine = Engine.load(config, embedder=embedder)
    demo = build_app(engine)
    url = launch(demo, config)
    try:
        yield engine, url
    finally:
        demo.close()


def chromium() -> Iterator:
    """A Chromium browser driven by Playwright, closed when the generator is."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
