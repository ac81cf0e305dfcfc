"""The journalist's workbench in a real browser: questions limited to chosen sources, the notebook that
survives a reload, the confirmation before clearing, and the evidence pack checked against the sources."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, NEEDS_CHROMIUM, TIMEOUT_MS, chromium, free_port, serve
from seed_data import make_project
QUESTION = "Who was dismissed as commander of the Second Army Corps?"
DEATHS = "How many servicemen died as a result of torture?"

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    from qa import Config

    root = make_project(tmp_path_factory.mktemp("ui-notebook"))
    yield from serve(Config(root=root, port=free_port()), embedder)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture()
def page(browser, app):
    """A fresh browser profile on the app; `page.answer_dialogs` says whether a confirm() is accepted."""
    _, url = app
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.dialogs, page.answer_dialogs = [], False
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.accept() if page.answer_dialogs else d.dismiss()))
    page.goto(url)
    page.locator("#qa-question textarea").wait_for()
    yield page
    context.close()


def ask(page, question: str):
    from playwright.sync_api import expect

    bubbles = page.locator("#qa-chat :is(.qa-answer, .qa-notice)")
    before = bubbles.count()
    page.locator("#qa-question textarea").fill(question)
    page.locator("#qa-question textarea").press("Enter")
    expect(bubbles).to_have_count(before + 1)
    return bubbles.last


def shoot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 420):
        page.set_viewport_size({"width": width, "height": 1000})
        page.screenshot(path=str(ARTIFACTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1000})


def test_a_question_limited_to_one_outlet_is_answered_only_from_it(page, app):
    from playwright.sync_api import expect

    engine, _ = app
    meydan = [s for s in engine.sources() if s.meta.outlet == "Meydan TV"]
    page.get_by_text("Sources to ask").click()
    page.locator("#qa-filter-outlet input").click()
    page.get_by_role("option", name="Meydan TV").click()
    ticked = page.locator("#qa-filter-sources input[type=checkbox]:checked")
    expect(ticked).to_have_count(len(meydan))
    bubble = ask(page, DEATHS)
    expect(bubble.locator(".qa-limited")).to_contain_text("Meydan TV")
    shoot(page, "notebook-limited")
    cited = bubble.locator(".qa-sources li")
    for n in range(cited.count()):
        assert "Meydan TV" in cited.nth(n).inner_text()
    heads = page.locator("#qa-passages .qa-open")
    assert heads.count() > 0
    assert all(heads.nth(n).inner_text().startswith("Meydan TV") for n in range(heads.count()))
    # ticking every source again asks every source: no limit is named
    page.locator("#qa-filter-outlet input").click()
    page.get_by_role("option", name="All sources").click()
    expect(ticked).to_have_count(len(engine.sources()))
    expect(ask(page, DEATHS).locator(".qa-limited")).to_have_count(0)


def test_a_saved_quote_survives_a_reload_and_exports_with_checkable_offsets(page, app):
    from playwright.sync_api import expect

    engine, _ = app
    bubble = ask(page, QUESTION)
    quote = bubble.locator(".qa-text").first.inner_text()
    bubble.locator("a.qa-save").first.click()
    notes = page.locator("#qa-notes .qa-note")
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text(quote)
    ask(page, DEATHS).locator("a.qa-save").first.click()
    expect(notes).to_have_count(2)
    # reorder: the second note moves up
    second = notes.nth(1).locator(".qa-note-quote").inner_text()
    notes.nth(1).get_by_text("↑ Up").click()
    expect(notes.first.locator(".qa-note-quote")).to_have_text(second)

    page.reload()
    page.locator("#qa-question textarea").wait_for()
    expect(notes).to_have_count(2)
    expect(notes.nth(1)).to_contain_text(quote)
    expect(page.locator("#qa-chat .qa-answer")).to_have_count(2)  # the conversation came back too
    shoot(page, "notebook-after-reload")

    page.get_by_text("Export the evidence").click()
    page.locator("#qa-export-format").get_by_text("JSON").click()
    page.locator("#qa-export-run").click()
    link = page.locator("#qa-export-file a[download]").first
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    pack = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    rows = pack["quotes"]
    assert [r["quote"] for r in rows][1] == quote and len(rows) == 2
    for row in rows:  # recomputed from the file on disk, not from the app
        text = (engine.config.sources_dir / f"{row['source_id']}.txt").read_bytes().decode("utf-8")
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == row["source_sha256"]
        assert text[row["start"]:row["end"]] == row["quote"]
        assert row["question"] in (QUESTION, DEATHS) and row["asked_at"] and row["outlet"] and row["citation"]

    notes.first.get_by_text("Remove").click()
    expect(notes).to_have_count(1)


def test_clearing_the_conversation_asks_first_and_keeps_the_notes(page):
    from playwright.sync_api import expect

    ask(page, QUESTION).locator("a.qa-save").first.click()
    expect(page.locator("#qa-notes .qa-note")).to_have_count(1)
    answers = page.locator("#qa-chat .qa-answer")
    bin_button = page.locator("#qa-chat").get_by_role("button", name="Clear")
    bin_button.click()
    assert page.dialogs and "Clear the whole conversation" in page.dialogs[-1]
    expect(answers).to_have_count(1)  # dismissed: nothing cleared
    page.answer_dialogs = True
    bin_button.click()
    expect(answers).to_have_count(0)
    page.reload()
    page.locator("#qa-question textarea").wait_for()
    expect(page.locator("#qa-notes .qa-note")).to_have_count(1)
    page.wait_for_timeout(500)
    expect(answers).to_have_count(0)
