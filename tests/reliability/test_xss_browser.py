"""Hostile markup in source text, title, outlet, URL and the question, through the page in a real browser
(Playwright + Chromium): nothing runs, nothing loads from elsewhere, text shows verbatim, and a
javascript:/data: URL is never a link."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from browser_support import NEEDS_CHROMIUM, chromium, free_port, serve

TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

# Each payload sets window.__xss (or asks for a remote file) if it ever runs as markup.
PAYLOADS = [
    '<img src=x onerror="window.__xss=1">', "<script>window.__xss=2</script>",
    "[ledger](javascript:window.__xss=3)", "<svg/onload=window.__xss=4>",
    '<a href="javascript:window.__xss=5">click me</a>', '<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
    '"><img src=http://evil.example/pixel.gif>', "<style>*{display:none}</style>",
    "<details open ontoggle=window.__xss=7>", "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=8>",
    "**bold** _under_ `tick` $$x^2$$ \\(y\\) &lt;b&gt; &amp;amp; {{7*7}} ${7*7}",
]
PLACES = ["Lankaran", "Astara", "Quba", "Sheki"]
# One hostile article per place; its metadata is hostile too, the URL each time another way to smuggle a script.
ARTICLES = {
    place: {
        "text": f"{place} register notes\n\nThe harbour clerk of {place} copied "
                + " and ".join(PAYLOADS[i::len(PLACES)]) + f" into the {place} register.\n\nNothing else happened.\n",
        "meta": meta,
    }
    for i, (place, meta) in enumerate(zip(PLACES, [
        {"title": '<img src=x onerror="window.__xss=10">', "outlet": '"><script>window.__xss=11</script>',
         "date": "2023", "url": "javascript:window.__xss=12"},
        {"title": "[click](javascript:window.__xss=13)", "outlet": "**Bold Outlet** <b>b</b>",
         "date": "<i>2024</i>", "url": " JaVaScRiPt:window.__xss=14"},
        {"title": "<a href=javascript:window.__xss=15>t</a>", "outlet": "&amp; Co",
         "date": "", "url": "java\tscript:window.__xss=16"},
        {"title": "Quotes \" and ' and </td></tr></table>", "outlet": "Plain",
         "date": "", "url": "data:text/html,<script>window.__xss=17</script>"},
    ]))
}
HOSTILE_QUESTION = ("<img src=x onerror=window.__xss=20> [a](javascript:window.__xss=21) **What** did the "
                    "harbour clerk of {place} copy into the register?")


@pytest.fixture(scope="module")
def app(lab, embedder, tmp_path_factory):
    """The chat app over the indexed seed project plus the hostile articles."""
    from qa import Config

    root = tmp_path_factory.mktemp("xss") / "project"
    shutil.copytree(lab.base, root)
    for place, article in ARTICLES.items():
        (root / "sources" / f"{place.lower()}.txt").write_text(article["text"], encoding="utf-8")
        (root / "sources" / f"{place.lower()}.meta.json").write_text(json.dumps(article["meta"]), encoding="utf-8")
    yield from serve(Config(root=root, port=free_port()), embedder)


@pytest.fixture(scope="module")
def page(app):
    _, url = app
    for browser in chromium():
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(TIMEOUT_MS)
        page.requests, page.dialogs = [], []
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(url)
        page.locator("#qa-question textarea").wait_for()
        yield page


def ask(page, question: str):
    from playwright.sync_api import expect

    bubbles = page.locator("#qa-chat :is(.qa-answer, .qa-notice)")
    before = bubbles.count()
    page.locator("#qa-question textarea").fill(question)
    page.locator("#qa-question textarea").press("Enter")
    expect(bubbles).to_have_count(before + 1)
    return bubbles.last


def choose_file(page, path: Path) -> None:
    from playwright.sync_api import expect

    with page.expect_file_chooser() as chooser:
        page.get_by_label("Click to upload or drop files").click()
    chooser.value.set_files(str(path))
    expect(page.locator("#qa-upload").get_by_label(path.name, exact=True)).to_be_visible()


def squeeze(text: str) -> str:
    return " ".join(text.split())


def assert_nothing_ran(page) -> None:
    page.wait_for_timeout(300)  # time for an injected handler to fire
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert page.dialogs == []
    # what the app writes (gradio's own icons and styles are outside these)
    areas = ".qa-question, .qa-answer, .qa-notice, ol.qa-passages, div.qa-source, .qa-source-table"
    hrefs = page.eval_on_selector_all(
        f":is({areas}) a[href]", "links => links.map(a => a.getAttribute('href'))")
    for href in hrefs:
        assert href.startswith(("#qa-open/", "#qa-save/", "#qa-copy", "#qa-back", "http://", "https://")), href
    injected = "script, iframe, svg, math, details, style, img, [onerror], [onload], [ontoggle], [srcdoc]"
    found = page.eval_on_selector_all(f":is({areas}) :is({injected})", "els => els.map(e => e.outerHTML.slice(0, 300))")
    assert found == []
    hosts = {urlsplit(u).hostname for u in page.requests if u.startswith("http")}
    assert hosts <= {"127.0.0.1"}, hosts


@pytest.mark.parametrize("place", PLACES)
def test_hostile_source_and_metadata_show_verbatim_and_never_run(page, app, place):
    from playwright.sync_api import expect

    engine, _ = app
    question = HOSTILE_QUESTION.format(place=place)
    expected = engine.ask(question)
    source_id = place.lower()
    assert any(q.source_id == source_id for q in expected.answer), [q.quote for q in expected.answer]
    bubble = ask(page, question)

    assert page.locator("#qa-chat .qa-question").last.text_content() == expected.question
    assert bubble.locator("q.qa-text").all_text_contents() == [q.quote for q in expected.answer]
    n = next(c.n for c in expected.citations if c.source_id == source_id)
    meta = ARTICLES[place]["meta"]
    listed = bubble.locator("ul.qa-sources li").nth(n - 1)
    text = listed.text_content()
    assert meta["title"] in text and meta["outlet"] in text
    # a URL that is not http(s) is shown as text (the chat shows a tab as spaces)
    assert squeeze(meta["url"]) in squeeze(text)
    assert listed.locator("a").count() == 0  # and never as a link

    index = next(i for i, q in enumerate(expected.answer) if q.source_id == source_id)
    bubble.locator("a.qa-cite").nth(index).click()
    expect(page.locator("#qa-source #qa-focus")).to_have_text(expected.answer[index].quote)
    assert page.locator("#qa-source .qa-source-text").text_content() == engine.source(source_id).body
    head = page.locator("#qa-source .qa-source-head")
    assert meta["title"] in head.text_content() and head.locator("a:not(.qa-back)").count() == 0
    assert_nothing_ran(page)


def test_the_sources_table_shows_hostile_metadata_as_text(page, app):
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Sources").click()
    table = page.locator("#qa-sources-table")
    expect(table).to_contain_text(ARTICLES["Quba"]["meta"]["title"])
    text = table.text_content()
    for article in ARTICLES.values():
        assert article["meta"]["title"] in text and article["meta"]["outlet"] in text
    assert_nothing_ran(page)
    page.get_by_role("tab", name="Ask").click()


def test_an_upload_with_hostile_fields_is_refused_or_shown_as_text(page, app, tmp_path):
    from playwright.sync_api import expect

    engine, _ = app
    article = tmp_path / "<img src=x onerror=window.__xss=30>.txt"
    article.write_text("Ganja bakery notes\n\nThe Ganja bakery sold 300 loaves of <b>bread</b> "
                       "<script>window.__xss=31</script> on Sunday.\n", encoding="utf-8")
    page.get_by_role("tab", name="Sources").click()
    choose_file(page, article)
    title = '<svg onload="window.__xss=32">Bakery</svg>'
    page.locator("#qa-add-title :is(input, textarea)").fill(title)
    page.locator("#qa-add-outlet :is(input, textarea)").fill("<script>window.__xss=33</script>")
    page.locator("#qa-add-url :is(input, textarea)").fill("javascript:window.__xss=34")
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("http", timeout=TIMEOUT_MS)  # refused: not http(s)
    assert not any(s.meta.title == title for s in engine.sources())

    choose_file(page, article)  # a refused upload empties the file box
    page.locator("#qa-add-url :is(input, textarea)").fill('https://example.org/"><script>window.__xss=35</script>')
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("Added", timeout=TIMEOUT_MS)
    added = next(s for s in engine.sources() if s.meta.title == title)
    assert "/" not in added.source_id and (engine.config.sources_dir / f"{added.source_id}.txt").exists()
    expect(page.locator("#qa-sources-table")).to_contain_text(title)
    link = page.locator("#qa-sources-table a", has_text=title)
    assert link.get_attribute("href") == 'https://example.org/"><script>window.__xss=35</script>'
    assert_nothing_ran(page)
    page.get_by_role("tab", name="Ask").click()
