"""Reading in the page: citation previews, the pinned source view, the open citation, the disagreement banner in
view, phone width, and the Evaluation tab (progress, headline first, download). Playwright against the app."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pytest

from browser_support import ARTIFACTS, CHROMIUM, TIMEOUT_MS, chromium, free_port, serve
from seed_data import QUESTIONS, make_project
from qa.types import Source, SourceMeta
from qa.ui import reading, render

SEED_QUESTION = "Who was dismissed as commander of the Second Army Corps?"
DISAGREEMENT = "How many servicemen died as a result of torture?"  # the sources differ on the count
EVAL_QUESTIONS = 2



# ---- the preview's text, without a browser ---------------------------------------------------------------

BODY = ("Harbour notes\n\nThe first ferry left at dawn. The harbour master <b>Zaur</b> logged the storm at noon. "
        "Nobody was hurt in the harbour. The pier reopened on Monday.\n")


def test_the_preview_holds_the_sentences_around_the_quote_all_escaped():
    quote = "The harbour master <b>Zaur</b> logged the storm at noon."
    start = BODY.index(quote)
    before, after = reading.context(BODY, start, start + len(quote))
    assert before.strip() == "The first ferry left at dawn."
    assert after.strip() == "Nobody was hurt in the harbour."
    preview = reading.Preview(2, "<i>Wire</i>", "Storm & pier", "2024-01-02", before, quote, after)
    html = reading.preview_html(preview)
    assert "<b>" not in html and "<i>" not in html and "&lt;b&gt;Zaur&lt;/b&gt;" in html
    assert "[2] &lt;i&gt;Wire&lt;/i&gt; · Storm &amp; pier · 2024-01-02" in html


def test_part_of_a_sentence_keeps_the_rest_of_its_sentence_around_it():
    start = BODY.index("logged the storm")
    before, after = reading.context(BODY, start, start + len("logged the storm"))
    assert before.endswith("The harbour master <b>Zaur</b> ") and before.startswith("The first ferry")
    assert after.startswith(" at noon.") and after.endswith("Nobody was hurt in the harbour.")


def test_previews_cover_every_quote_and_skip_a_missing_source(seed_engine):
    answer = seed_engine.ask(DISAGREEMENT)
    assert answer.conflict is not None, "precondition: the sources differ on this question"
    found = reading.previews(answer, seed_engine.source)
    spans = {(r.source_id, r.start, r.end) for r in answer.conflict.rows}
    assert spans <= set(found)
    for (source_id, start, end), preview in found.items():
        assert preview.quote == seed_engine.source(source_id).body[start:end]
    assert reading.previews(answer, lambda source_id: None) == {}
    assert reading.open_label("[3]") == "[3]" and reading.open_label("<b>[3]</b>") == ""
    view = reading.source_html(Source("s", BODY, "h", SourceMeta(title="<T>")), 10, 20, reading.open_label("[3]"))
    assert '<span class="qa-open-label">[3]</span>' in view and "&lt;T&gt;" in view
    message = reading.source_message_html("<b>gone</b>")
    assert "&lt;b&gt;gone&lt;/b&gt;" in message and 'class="qa-back"' in message


def test_the_tab_evaluation_reports_each_answer_and_puts_the_headline_apart(seed_engine, tmp_path):
    pytest.importorskip("qa.evaluation")
    from qa.evaluation import evaluate_for_ui
    from qa.evaluation.configurations import DEFAULT_SETUPS

    steps = []
    result = evaluate_for_ui(seed_engine, questions=QUESTIONS, reports_dir=tmp_path / "reports", limit=EVAL_QUESTIONS,
                             on_answer=lambda done, total: steps.append((done, total)))
    total = EVAL_QUESTIONS * len(DEFAULT_SETUPS)
    assert steps == [(done, total) for done in range(1, total + 1)]
    assert result.questions == EVAL_QUESTIONS and result.folder is not None
    assert (result.folder / "report.json").is_file() and Path(result.plot).is_file()
    rows = [line for line in result.headline.splitlines() if line.startswith("| ") and "configuration" not in line]
    assert len(rows) == len(DEFAULT_SETUPS) and "R@5" in result.headline
    assert "worst questions" in result.details and "worst questions" not in result.headline


# ---- in the browser --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    """The app over a copy of the seed sources and question set; its Evaluation tab asks a few questions."""
    from qa import Config

    root = make_project(tmp_path_factory.mktemp("ui-reading"))
    shutil.copytree(QUESTIONS, root / "eval" / "questions")
    yield from serve(Config(root=root, port=free_port(), ui_eval_questions=EVAL_QUESTIONS), embedder)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    yield from chromium()


def open_page(browser, app, width: int, height: int):
    _, url = app
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    page.locator("#qa-question textarea").wait_for()
    return page


@pytest.fixture()
def desktop(browser, app):
    page = open_page(browser, app, 1280, 900)
    yield page
    page.context.close()


@pytest.fixture()
def phone(browser, app):
    page = open_page(browser, app, 420, 860)
    yield page
    page.context.close()


def ask(page, question: str):
    from playwright.sync_api import expect

    bubbles = page.locator("#qa-chat :is(.qa-answer, .qa-notice)")
    before = bubbles.count()
    box = page.locator("#qa-question textarea")
    box.fill(question)
    box.press("Enter")
    expect(bubbles).to_have_count(before + 1)
    page.wait_for_timeout(300)  # the page scrolls the new answer after it is drawn
    return bubbles.last


def box(locator) -> dict:
    found = locator.bounding_box()
    assert found is not None, "not rendered"
    return found


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (inner["y"] >= outer["y"] - slack and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
            and inner["x"] >= outer["x"] - slack and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack)


def viewport(page) -> dict:
    size = page.viewport_size
    return {"x": 0, "y": 0, "width": size["width"], "height": size["height"]}


def before_quote(body: str, start: int) -> str:
    """The last few words before the quote: the neighbouring sentence's end, as the source has it."""
    return " ".join(body[max(0, start - 200):start].split()[-4:])


@pytest.mark.browser
@pytest.mark.parametrize("key", ["hover", "keyboard"])
def test_a_citation_previews_its_sentence_in_context_with_the_source(desktop, app, key):
    from playwright.sync_api import expect

    engine, _ = app
    expected = engine.ask(DISAGREEMENT)
    bubble = ask(desktop, DISAGREEMENT)
    link = bubble.locator("a.qa-cite").nth(1)
    source_id, start, end = render.parse_open_link(link.get_attribute("href"))
    body = engine.source(source_id).body
    n = int(link.text_content().strip("[]"))
    citation = next(c for c in expected.citations if c.n == n)
    pop = desktop.locator("#qa-preview-pop")
    if key == "hover":
        link.hover()
    else:  # Tab from the link before it (the first quote's last link): the keyboard's way in
        bubble.locator(".qa-quote").first.locator("a").last.focus()
        desktop.keyboard.press("Tab")
        assert link.evaluate("a => document.activeElement === a")
    expect(pop).to_be_visible()
    text = " ".join(pop.text_content().split())
    assert " ".join(body[start:end].split()) in text
    assert before_quote(body, start) in text  # the sentence before the quote
    assert citation.outlet in text and citation.date in text and f"[{n}]" in text
    assert inside(box(pop), viewport(desktop))
    desktop.keyboard.press("Escape")
    expect(pop).to_be_hidden()
    if key == "hover":
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        desktop.mouse.move(0, 0)  # away and back: the pointer was still over the link
        link.hover()
        expect(pop).to_be_visible()
        desktop.screenshot(path=str(ARTIFACTS / "reading-preview-1280.png"))


@pytest.mark.browser
def test_the_source_view_pins_its_header_fills_the_page_and_marks_the_open_citation(desktop, app):
    from playwright.sync_api import expect

    bubble = ask(desktop, DISAGREEMENT)
    links = bubble.locator("a.qa-cite")
    link = links.nth(links.count() - 1)  # the last card's quote: far down its source, so the view must scroll
    n = link.text_content()
    link.click()
    view, head, mark = (desktop.locator(s) for s in ("#qa-source .qa-source", "#qa-source .qa-source-head",
                                                       "#qa-source #qa-focus"))
    expect(mark).to_have_count(1)
    expect(desktop.locator("#qa-source .qa-open-label")).to_have_text(n)
    desktop.wait_for_timeout(300)
    assert view.evaluate("v => v.scrollTop") > 0, "the view scrolled to the quote"
    view_box, head_box, mark_box = box(view), box(head), box(mark)
    assert abs(head_box["y"] - view_box["y"]) <= 2, "the header is pinned to the top of the view"
    assert inside(head_box, viewport(desktop)) and inside(mark_box, view_box)
    assert mark_box["y"] >= head_box["y"] + head_box["height"] - 1, "the quote is not under the header"
    height = desktop.evaluate("innerHeight")
    assert view_box["height"] > 330 and height - 40 <= view_box["y"] + view_box["height"] <= height + 1
    assert desktop.evaluate("scrollY") == 0, "the page itself did not jump"
    marked = bubble.locator("a.qa-cite.qa-cite-open")
    expect(marked).to_have_count(1)
    assert marked.text_content() == n and marked.get_attribute("aria-current") == "true"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    desktop.screenshot(path=str(ARTIFACTS / "reading-source-1280.png"))

    links.first.click()  # another citation moves the mark
    expect(desktop.locator("#qa-source .qa-open-label")).to_have_text(links.first.text_content())
    expect(bubble.locator("a.qa-cite.qa-cite-open")).to_have_count(1)
    assert bubble.locator("a.qa-cite").first.get_attribute("class").split().count("qa-cite-open") == 1


@pytest.mark.browser
@pytest.mark.parametrize("width,height", [(1280, 900), (420, 860)])
def test_the_disagreement_banner_is_in_view_when_the_answer_arrives(browser, app, width, height):
    page = open_page(browser, app, width, height)
    try:
        ask(page, SEED_QUESTION)  # an earlier answer above, as in a conversation
        bubble = ask(page, DISAGREEMENT)
        banner = bubble.locator(".qa-conflict")
        assert banner.text_content().startswith("The sources differ")
        chat = page.locator("#qa-chat")
        banner_box = box(banner)
        assert inside(banner_box, box(chat)) and inside(banner_box, viewport(page))
        first_card = box(bubble.locator(".qa-side-by-side .qa-quote").first)
        assert first_card["y"] < box(chat)["y"] + box(chat)["height"], "the first row shows under the banner"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"reading-banner-{width}.png"))
    finally:
        page.context.close()


def page_fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= innerWidth")


@pytest.mark.browser
def test_at_phone_width_nothing_is_cut_and_a_citation_opens_in_place_with_a_way_back(phone, app):
    from playwright.sync_api import expect

    bubble = ask(phone, DISAGREEMENT)
    assert page_fits(phone)
    link = bubble.locator("a.qa-cite").nth(1)
    link.scroll_into_view_if_needed()
    scrolled = phone.evaluate("scrollY")
    link.click()
    mark = phone.locator("#qa-source #qa-focus")
    expect(mark).to_have_count(1)
    back = phone.locator("#qa-source a.qa-back")
    expect(back).to_be_visible()
    phone.wait_for_timeout(300)
    screen = viewport(phone)
    assert inside(box(phone.locator("#qa-source")), screen), "the source opens over the page, in view"
    assert inside(box(mark), screen) and inside(box(back), screen)
    assert phone.evaluate("scrollY") == scrolled, "the page did not jump away from the answer"
    assert page_fits(phone)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "reading-source-420.png"))

    back.click()
    expect(back).to_be_hidden()
    assert phone.evaluate("scrollY") == scrolled
    assert inside(box(link), screen) and link.evaluate("a => document.activeElement === a")
    expect(phone.locator("#qa-preview-pop")).to_be_hidden()  # the answer is not covered on the way back
    phone.screenshot(path=str(ARTIFACTS / "reading-back-420.png"))

    # a citation whose source is gone (deleted since the answer): the message opens in place, with the way back
    bubble.evaluate("b => b.insertAdjacentHTML('beforeend', '<a class=\"qa-cite\" id=\"gone\" "
                    "href=\"#qa-open/no-such-source/0/5\">[9]</a>')")
    phone.locator("#gone").click()
    message = phone.locator("#qa-source .qa-source-message")
    expect(message).to_contain_text("no longer available")
    assert inside(box(message), screen) and inside(box(back), screen)
    back.click()
    expect(back).to_be_hidden()

    phone.get_by_role("tab", name="Sources").click()
    expect(phone.locator("#qa-sources-table table")).to_be_visible()
    assert page_fits(phone), "the sources table scrolls inside its box"
    table_box = phone.locator("#qa-sources-table")
    assert table_box.evaluate("t => getComputedStyle(t).overflowX") in ("auto", "scroll")
    phone.screenshot(path=str(ARTIFACTS / "reading-sources-420.png"))


@pytest.mark.browser
def test_the_evaluation_tab_shows_progress_then_the_headline_first_and_a_download(browser, app):
    from playwright.sync_api import expect

    page = open_page(browser, app, 1280, 900)
    try:
        page.get_by_role("tab", name="Evaluation").click()
        page.evaluate("""() => { window.__progress = [];
            new MutationObserver(() => document.querySelectorAll('.progress-level-inner, .progress-text')
                .forEach(e => window.__progress.push(e.textContent.trim())))
              .observe(document.body, {subtree: true, childList: true, characterData: true}); }""")
        page.locator("#qa-eval-run").click()
        download = page.locator("#qa-eval-download")
        expect(download).to_be_visible(timeout=240_000)
        seen = " | ".join(page.evaluate("window.__progress"))
        from qa.evaluation.configurations import DEFAULT_SETUPS

        total = EVAL_QUESTIONS * len(DEFAULT_SETUPS)  # every question under every configuration
        assert re.search(rf"Answered \d+/{total}", seen), seen[:500]
        headline = page.locator("#qa-eval-table")
        expect(headline.locator("table")).to_be_visible()
        rows = headline.locator("tbody tr")
        assert rows.count() == len(DEFAULT_SETUPS) and "full (full system)" in headline.text_content()
        chart, details = page.locator("#qa-eval-chart"), page.locator("#qa-eval-details-box")
        assert box(headline)["y"] < box(chart)["y"] < box(download)["y"] < box(details)["y"]
        assert box(headline)["y"] < 900, "the headline is on the first screen"
        expect(page.locator("#qa-eval-details")).to_be_hidden()  # folded until asked for
        assert "Report: `" not in page.content()  # no server path on the page
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "reading-eval-1280.png"), full_page=True)
        with page.expect_download() as fetched:
            download.click()
        name = fetched.value.suggested_filename
        assert name.startswith("evaluation-") and name.endswith(".zip")
        archive = fetched.value.path()
        assert {"report.json", "summary.md", "plot.png"} <= set(zipfile.ZipFile(archive).namelist())
        page.locator("#qa-eval-details-box").get_by_text("All tables").click()
        expect(page.locator("#qa-eval-details")).to_contain_text("worst questions")
        page.set_viewport_size({"width": 420, "height": 900})
        page.wait_for_timeout(300)
        assert page_fits(page), "the tables scroll inside their boxes"
        page.screenshot(path=str(ARTIFACTS / "reading-eval-420.png"), full_page=True)
    finally:
        page.context.close()
