"""The Sources tab in a real browser: a PDF cited by page, a web address, edit and delete, cleared fields."""

from __future__ import annotations

import pytest

from ingest_data import PDF_PAGES, local_server, make_pdf
from seed_data import make_project
from browser_support import ARTIFACTS, NEEDS_CHROMIUM, TIMEOUT_MS, chromium, free_port, serve
from test_ui_browser import ask, choose_file

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

PDF_QUESTION = "How many inmates did the inspector Farid Aliyev count?"
WEB_QUESTION = "Who closed the Lankaran pier?"
ADD_FIELDS = ("title", "outlet", "date", "author", "url", "address")


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    from qa import Config

    root = make_project(tmp_path_factory.mktemp("ui-sources"))
    # the test pages are on 127.0.0.1
    yield from serve(Config(root=root, port=free_port(), fetch_private_addresses=True), embedder)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


@pytest.fixture()
def page(browser, app):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.accept()))
    page.goto(app[1])
    page.locator("#qa-question textarea").wait_for()
    yield page
    context.close()


def field(page, name: str, prefix: str = "qa-add"):
    return page.locator(f"#{prefix}-{name} :is(input, textarea)")


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size({"width": 420, "height": 900})
    page.screenshot(path=str(ARTIFACTS / f"{name}-420.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 1000})


def choose_source(page, source_id: str) -> None:
    """Pick a source in the edit list by typing its id and choosing the one option left."""
    box = page.locator("#qa-edit-source input")
    box.click()
    box.fill(source_id)
    page.get_by_role("option", name=source_id).first.click()


def test_a_pdf_uploaded_in_the_page_is_cited_by_page_and_the_fields_are_cleared(page, app, tmp_path):
    from playwright.sync_api import expect

    engine, _ = app
    pdf = tmp_path / "detention report.pdf"
    pdf.write_bytes(make_pdf(PDF_PAGES, title="Detention report 2022"))
    open_tab(page, "Sources")
    choose_file(page, pdf)
    field(page, "outlet").fill("Commission")
    field(page, "date").fill("2022-09")
    field(page, "author").fill("The commission")
    page.locator("#qa-add").click()
    status = page.locator("#qa-add-status")
    expect(status).to_contain_text("Added", timeout=60_000)
    expect(status).to_contain_text("3 pages")
    assert " 1 passages" not in status.text_content()
    for name in ADD_FIELDS:  # the next file must not inherit this one's metadata
        expect(field(page, name)).to_have_value("")
    expect(page.locator("#qa-sources-table")).to_contain_text("Detention report 2022")
    expect(page.locator("#qa-sources-table")).to_contain_text("by The commission")
    assert page.locator("#qa-add-status .progress-text, #qa-sources-table .progress-text").count() == 0
    shot(page, "sources-tab")

    open_tab(page, "Ask")
    bubble = ask(page, PDF_QUESTION)
    expected = engine.ask(PDF_QUESTION).answer[0]
    assert expected.page == 2
    cite = bubble.locator("a.qa-cite").first
    expect(cite).to_have_text(f"[{expected.citation}, p. 2]")
    cite.click()
    view = page.locator("#qa-source")
    expect(view.locator("mark#qa-focus")).to_have_text(expected.quote)
    assert view.locator(".qa-page-break").all_text_contents() == ["p. 1", "p. 2", "p. 3"]
    shot(page, "pdf-answer")


def test_an_address_is_added_from_the_address_field(page, app):
    from playwright.sync_api import expect

    open_tab(page, "Sources")
    with local_server() as base:
        field(page, "address").fill(f"{base}/article.html")
        page.locator("#qa-add").click()
        expect(page.locator("#qa-add-status")).to_contain_text("Added “Lankaran pier closed after the storm”",
                                                               timeout=60_000)
    expect(field(page, "address")).to_have_value("")
    table = page.locator("#qa-sources-table")
    expect(table).to_contain_text("Caspian Wire")
    expect(table).to_contain_text("2023-01-13")
    with local_server() as base:
        field(page, "address").fill(f"{base}/missing")
        page.locator("#qa-add").click()
        expect(page.locator("#qa-add-status")).to_contain_text("answered 404")
    open_tab(page, "Ask")
    bubble = ask(page, WEB_QUESTION)
    expect(bubble.locator("ul.qa-sources")).to_contain_text("Caspian Wire")


def test_a_source_is_edited_and_deleted_in_the_page_and_the_answers_follow(page, app, tmp_path):
    from playwright.sync_api import expect

    engine, _ = app
    text = ("Bridge repairs in Ganja\n\nThe Kura bridge in Ganja was closed on 2 March 2023 for repairs.\n\n"
            "The engineer Sevda Rzayeva said the repairs would cost 4 million manat.\n")
    path = tmp_path / "bridge.txt"
    path.write_text(text, encoding="utf-8")
    open_tab(page, "Sources")
    choose_file(page, path)
    field(page, "title").fill("Kura bridge closed")
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("Added", timeout=60_000)

    choose_source(page, "kura-bridge-closed")
    expect(field(page, "title", "qa-edit")).to_have_value("Kura bridge closed")
    field(page, "title", "qa-edit").fill("Ganja bridge repairs")
    field(page, "date", "qa-edit").fill("last Thursday")
    page.locator("#qa-edit-save").click()
    expect(page.locator("#qa-edit-status")).to_contain_text("YYYY-MM-DD, YYYY-MM or YYYY")
    field(page, "date", "qa-edit").fill("2023-03-02")
    page.locator("#qa-edit-save").click()
    expect(page.locator("#qa-edit-status")).to_contain_text("Saved")
    expect(page.locator("#qa-sources-table")).to_contain_text("Ganja bridge repairs")
    assert engine.source("kura-bridge-closed").meta.date == "2023-03-02"

    open_tab(page, "Ask")
    question = "How much will the repairs of the Kura bridge in Ganja cost?"
    bubble = ask(page, question)
    expect(bubble.locator("ul.qa-sources")).to_contain_text("Ganja bridge repairs")

    open_tab(page, "Sources")
    choose_source(page, "kura-bridge-closed")
    page.locator("#qa-edit-delete").click()
    expect(page.locator("#qa-edit-status")).to_contain_text("Deleted")
    assert page.dialogs and "Delete this source" in page.dialogs[-1]
    expect(page.locator("#qa-sources-table")).not_to_contain_text("Ganja bridge repairs")
    assert engine.source("kura-bridge-closed") is None
    assert not list(engine.config.sources_dir.glob("kura-bridge-closed*"))
    open_tab(page, "Ask")
    bubble = ask(page, question)
    expect(bubble).not_to_contain_text("Ganja bridge repairs")
    expect(bubble).not_to_contain_text("4 million manat")


def test_the_add_messages_say_what_to_do(page, app, tmp_path):
    from playwright.sync_api import expect

    open_tab(page, "Sources")
    expect(page.locator("#qa-sources-table")).to_be_visible()
    limit = page.get_by_text("up to 4.8 MB (5,000,000 bytes), a PDF up to 47.7 MB (50,000,000 bytes)")
    expect(limit).to_be_visible()
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("choose a file (.txt, .md, .html or .pdf")
    path = tmp_path / "note.txt"
    path.write_text("The ferry to Aktau left on 5 May 2022 with 300 passengers aboard.", encoding="utf-8")
    choose_file(page, path)
    field(page, "title").fill("Ferry")
    field(page, "date").fill("last Thursday")
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("“last Thursday” is not a date")
    expect(field(page, "title")).to_have_value("Ferry")  # kept, to correct the date and add again
