"""Regenerate docs/screenshot.png: the chat page after two answered questions, a citation opened.

Usage: .venv/bin/python scripts/screenshot.py [--out docs/screenshot.png]
Needs Debian's Chromium (/usr/bin/chromium). Works on a temporary copy of sources/, so the project's
own index is left alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
QUESTIONS = ["How many servicemen died as a result of torture?",  # the sources disagree: side by side
             "Who was dismissed as commander of the Second Army Corps?"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shoot(url: str, out: Path, questions: list[str], width: int, height: int) -> None:
    """Ask the questions in the page, open the first citation of the last answer, save the viewport."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(60_000)
        page.goto(url)
        box = page.locator("#qa-question textarea")
        bubbles = page.locator("#qa-chat :is(.qa-answer, .qa-notice)")
        for n, question in enumerate(questions, start=1):
            box.fill(question)
            box.press("Enter")
            expect(bubbles).to_have_count(n)
        bubbles.last.locator("a.qa-cite").first.click()
        expect(page.locator("#qa-source #qa-focus")).to_have_count(1)
        page.mouse.move(0, 0)  # no hover effects in the picture
        page.wait_for_timeout(500)
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(out))
        browser.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=1000)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT))
    from qa import Config, Engine
    from qa.ui.app import build_app, launch

    with tempfile.TemporaryDirectory(prefix="qa-screenshot-") as tmp:
        shutil.copytree(ROOT / "sources", Path(tmp) / "sources")
        config = Config(root=Path(tmp), port=free_port(), onnx_dir=ROOT / "data" / "onnx")
        engine = Engine.load(config)
        demo = build_app(engine)
        url = launch(demo, config)
        try:
            shoot(url, args.out, QUESTIONS, args.width, args.height)
        finally:
            demo.close()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
