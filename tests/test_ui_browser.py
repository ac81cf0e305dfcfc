"""The chat page in a real browser: Playwright drives Debian's Chromium against the running app."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from browser_support import ARTIFACTS, NEEDS_CHROMIUM, TIMEOUT_MS, chromium, free_port, serve
from seed_data import make_project
from qa.ui.render import copy_text

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

SEED_QUESTION = "Who was dismissed as commander of the Second Army Corps?"
UPLOADED_TEXT = (
    "Reservoir inspection in Kelbajar\n\n"
    "The Kelbajar reservoir dam was inspected on 3 March 2023 by the hydraulic engineer Rauf Mammadli.\n\n"
    "He reported a crack fourteen metres long in the northern spillway.\n"
)
UPLOADED_QUESTION = "Which engineer inspected the Kelbajar reservoir dam?"
# Markup, a script, a javascript: link and markdown characters, inside one sentence of a source.
HOSTILE_SENTENCE = (
    'The harbour master Zaur Quliyev wrote <img src=x onerror="window.__xss=1"> and '
    '<script>window.__xss=2</script> and [the ledger](javascript:window.__xss=3) with *stars*, _under_, '
    '`ticks`, $$x^2$$ and &amp; into the Lankaran pier logbook.'
)
HOSTILE_TEXT = f"Pier logbook notes\n\n{HOSTILE_SENTENCE}\n\nThe pier was closed in winter.\n"
UNANSWERABLE = "How tall is the Eiffel Tower?"
HOSTILE_QUESTION = "What did harbour master Zaur Quliyev write into the Lankaran pier logbook?"
HOSTILE_META = {"title": '<b onmouseover="window.__xss=4">Logbook</b>', "outlet": "<script>window.__xss=5</script>",
                "date": "2023", "url": "javascript:window.__xss=6"}


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    """The app over a temporary copy of the seed sources, served from this process on a free port."""
    from qa import Config

    root = make_project(tmp_path_factory.mktemp("ui-browser"))
    yield from serve(Config(root=root, port=free_port()), embedder)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture()
def page(browser, app):
    """A fresh page on the app; records every request and dialog it makes."""
    _, url = app
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.requests, page.dialogs = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(url)
    page.locator("#qa-question textarea").wait_for()
    yield page
    context.close()


def ask(page, question: str):
    """Type a question, submit it, and return the new answer bubble."""
    from playwright.sync_api import expect

    bubbles = page.locator("#qa-chat :is(.qa-answer, .qa-notice)")
    before = bubbles.count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(bubbles).to_have_count(before + 1)
    return bubbles.last


def choose_file(page, path: Path) -> None:
    """Pick a file in the upload box the way a user does (its file chooser), and wait for the upload."""
    from playwright.sync_api import expect

    with page.expect_file_chooser() as chooser:
        page.get_by_label("Click to upload or drop files").click()
    chooser.value.set_files(str(path))
    expect(page.locator("#qa-upload").get_by_label(path.name, exact=True)).to_be_visible()


def test_seed_question_shows_the_verbatim_quote_its_citation_and_the_marked_passage(page, app):
    from playwright.sync_api import expect

    engine, _ = app
    expect(page.locator("#qa-chat").get_by_text("How many servicemen died as a result of torture?")).to_be_visible()
    expected = engine.ask(SEED_QUESTION)
    assert "Barkhudarov" in expected.answer[0].quote

    bubble = ask(page, SEED_QUESTION)
    first = expected.answer[0]
    assert bubble.locator("q.qa-text").first.text_content() == first.quote
    assert bubble.locator("a.qa-cite").first.text_content() == f"[{first.citation}]"
    assert "Turan" in bubble.locator("ul.qa-sources").text_content()
    marks = page.locator("#qa-passages mark")
    expect(marks.first).to_be_visible()
    assert first.quote in marks.all_text_contents()

    bubble.locator("a.qa-copy").first.click()  # "copy citation": the quote with a plain-text reference
    expect(bubble.locator("a.qa-copy").first).to_have_text("Copied")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied == copy_text(first.quote, expected.citations[0])
    assert copied.endswith(", 2024-10-07, in English, " + expected.citations[0].url)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-answer.png"))


def test_opening_a_citation_shows_the_full_source_with_the_span_marked_in_view(page, app):
    from playwright.sync_api import expect

    engine, _ = app
    bubble = ask(page, SEED_QUESTION)
    quote = bubble.locator("q.qa-text").first.text_content()
    bubble.locator("a.qa-cite").first.click()
    focus = page.locator("#qa-source #qa-focus")
    expect(focus).to_have_text(quote)
    source_id = engine.ask(SEED_QUESTION).answer[0].source_id
    assert page.locator("#qa-source .qa-source-text").text_content() == engine.source(source_id).body
    assert focus.evaluate("""mark => {
        const box = mark.getBoundingClientRect(), view = mark.closest('#qa-source').getBoundingClientRect();
        return box.top >= view.top - 1 && box.bottom <= view.bottom + 1 && box.bottom <= innerHeight;
    }""")

    page.locator("#qa-passages li.qa-passage").nth(1).click()  # a passage opens its source too
    passage_link = page.locator("#qa-passages li.qa-passage").nth(1).locator("a.qa-open").get_attribute("href")
    _, start, end = passage_link.rsplit("/", 2)
    expect(focus).to_have_count(1)
    source_id = passage_link.split("/")[1]
    expect(focus).to_have_text(engine.source(source_id).body[int(start):int(end)])


def test_a_source_uploaded_through_the_page_is_answerable_at_once(page, app, tmp_path):
    from playwright.sync_api import expect

    engine, _ = app
    article = tmp_path / "kelbajar reservoir.txt"
    article.write_text(UPLOADED_TEXT, encoding="utf-8")
    page.get_by_role("tab", name="Sources").click()
    choose_file(page, article)
    uploads = engine.config.data_dir / "gradio"
    assert list(uploads.glob("**/kelbajar reservoir.txt"))  # the upload lands inside the data folder
    page.locator("#qa-add-title :is(input, textarea)").fill("Reservoir inspection")
    page.locator("#qa-add-outlet :is(input, textarea)").fill("Test Wire")
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("Added", timeout=60_000)
    expect(page.locator("#qa-sources-table")).to_contain_text("Reservoir inspection")
    assert any(s.meta.title == "Reservoir inspection" for s in engine.sources())
    assert not list(uploads.glob("**/kelbajar reservoir.txt"))  # and is deleted once stored

    choose_file(page, article)  # the same text again
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("already source")

    page.get_by_role("tab", name="Ask").click()
    bubble = ask(page, UPLOADED_QUESTION)
    quotes = bubble.locator("q.qa-text").all_text_contents()
    assert any("Rauf Mammadli" in q for q in quotes), quotes
    assert all(q in UPLOADED_TEXT for q in quotes if "Mammadli" in q)
    assert "Test Wire" in bubble.locator("ul.qa-sources").text_content()


def test_a_hidden_file_name_gets_our_message_not_a_generic_error(page, app, tmp_path):
    from playwright.sync_api import expect

    hidden = tmp_path / ".hidden-notes.txt"
    hidden.write_text(UPLOADED_TEXT, encoding="utf-8")
    page.get_by_role("tab", name="Sources").click()
    with page.expect_file_chooser() as chooser:
        page.get_by_label("Click to upload or drop files").click()
    chooser.value.set_files(str(hidden))
    expect(page.get_by_text("a file name starting with “.” is not accepted", exact=False).first).to_be_visible()


def test_hostile_source_text_is_shown_verbatim_and_never_runs(page, app):
    from playwright.sync_api import expect

    engine, _ = app
    sources_dir = engine.config.sources_dir
    (sources_dir / "pier-logbook.meta.json").write_text(json.dumps(HOSTILE_META), encoding="utf-8")
    (sources_dir / "pier-logbook.txt").write_text(HOSTILE_TEXT, encoding="utf-8")
    engine.index()

    bubble = ask(page, HOSTILE_QUESTION)
    quotes = bubble.locator("q.qa-text").all_text_contents()
    assert HOSTILE_SENTENCE in quotes, quotes
    marks = page.locator("#qa-passages mark").all_text_contents()
    assert HOSTILE_SENTENCE in marks
    bubble.locator("a.qa-cite").nth(quotes.index(HOSTILE_SENTENCE)).click()
    expect(page.locator("#qa-source #qa-focus")).to_have_text(HOSTILE_SENTENCE)
    assert page.locator("#qa-source .qa-source-text").text_content() == HOSTILE_TEXT
    assert HOSTILE_META["title"] in page.locator("#qa-source .qa-source-head").text_content()
    page.get_by_role("tab", name="Sources").click()
    expect(page.locator("#qa-sources-table")).to_contain_text(HOSTILE_META["outlet"])

    page.wait_for_timeout(300)  # give any injected handler the chance to run
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.dialogs == []
    assert page.locator("img[src=x], a[href^='javascript:' i]").count() == 0
    assert page.locator("#qa-chat script, #qa-passages script, #qa-source script").count() == 0


def test_an_unanswerable_question_reads_the_sources_do_not_say(page, app):
    engine, _ = app
    assert engine.ask(UNANSWERABLE).abstained, "precondition: the engine abstains on this question"
    bubble = ask(page, UNANSWERABLE)
    assert bubble.locator(".qa-abstain").text_content() == "The sources do not say."
    assert bubble.locator("q.qa-text").count() == 0


def test_quotes_that_give_no_figure_come_under_a_note_saying_they_are_only_the_closest(page, app):
    engine, _ = app
    question = "When did Hikmet Hasanov take command of the First Army Corps?"
    expected = engine.ask(question)
    assert expected.missing_figure == "date", "precondition: no quote gives a date"
    bubble = ask(page, question)
    assert bubble.locator(".qa-missing-figure").text_content() == (
        "No quote gives the date asked for: these are the closest passages in the sources.")
    assert bubble.locator("q.qa-text").all_text_contents() == [q.quote for q in expected.answer]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    bubble.screenshot(path=str(ARTIFACTS / "ui-missing-figure.png"))


def test_the_page_says_why_the_sources_do_not_say_and_lists_who_says_what_when_they_differ(page, app):
    engine, _ = app
    for question, reason in (("Who designed the Flame Towers in Baku?", "No source mentions: Flame Towers."),
                             ("When did Azerbaijan first host a Formula 1 race?", "No source mentions: Formula."),
                             ("How many people live in Ganja?", "No source mentions: live.")):
        bubble = ask(page, question)
        assert bubble.locator(".qa-abstain").text_content() == "The sources do not say."
        assert bubble.locator(".qa-reason").text_content() == reason

    expected = engine.ask("How many servicemen died as a result of torture?")
    bubble = ask(page, "How many servicemen died as a result of torture?")
    assert bubble.locator(".qa-conflict").text_content().startswith("The sources differ")
    cards = bubble.locator(".qa-side-by-side .qa-quote")
    assert cards.count() == len(expected.conflict.rows) >= 6
    heads = bubble.locator(".qa-quote-source").all_text_contents()
    for row, head, text in zip(expected.conflict.rows, heads, bubble.locator("q.qa-text").all_text_contents()):
        assert head.startswith(f"[{row.citation}] {row.outlet} · {row.date or 'no date'} · {', '.join(row.figures)}")
        assert ("according to" in head) == bool(row.attribution)
        assert text == row.quote
    shown = " ".join(heads)
    for outlet in ("Turan", "Geghard", "Meydan TV", "chernayakobra.ru", "PanARMENIAN.Net"):
        assert outlet in shown
    assert "according to the Parliamentary Assembly of the Council of Europe" in shown
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ui-disagreement.png"), full_page=True)


def test_every_request_the_page_makes_stays_on_the_machine(page, app):
    from playwright.sync_api import expect

    _, url = app
    bubble = ask(page, "How many servicemen died as a result of torture?")
    bubble.locator("a.qa-cite").first.click()
    expect(page.locator("#qa-source #qa-focus")).to_have_count(1)
    page.get_by_role("tab", name="Sources").click()
    page.get_by_role("tab", name="Evaluation").click()
    run = page.locator("#qa-eval-run")
    if run.count():  # qa.evaluation is installed: its tab runs it
        run.click()
        expect(page.locator("#qa-eval-table")).to_have_text(re.compile(r"\S"), timeout=120_000)
        assert "Something went wrong" not in page.locator("#qa-eval-table").text_content()
    else:
        expect(page.locator("#qa-eval-missing")).to_contain_text("not part of this installation")
    page.get_by_role("tab", name="Ask").click()
    page.wait_for_timeout(1000)  # the page keeps a live connection open, so "network idle" never comes
    origin = urlsplit(url).netloc
    assert page.requests and all(urlsplit(u).netloc == origin or u.startswith(("data:", "blob:"))
                                 for u in page.requests), sorted({urlsplit(u).netloc for u in page.requests})
    assert urlsplit(url).hostname == "127.0.0.1"
