"""The "Sources to ask" list in a real browser follows the Sources tab: a source added, renamed or deleted
there appears, changes or goes at once, without a reload, and the user's ticks stay on the others."""

from __future__ import annotations

import pytest

from seed_data import make_project
from browser_support import NEEDS_CHROMIUM, TIMEOUT_MS, chromium, free_port, serve
from test_ui_browser import choose_file
from test_ui_sources import choose_source, field, open_tab, shot

pytestmark = [
    pytest.mark.browser,
    NEEDS_CHROMIUM,
]

BRIDGE = ("Bridge repairs in Ganja\n\nThe Kura bridge in Ganja was closed on 2 March 2023 for repairs.\n\n"
          "The engineer Sevda Rzayeva said the repairs would cost 4 million manat.\n")


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    from qa import Config

    root = make_project(tmp_path_factory.mktemp("ui-refresh"))
    yield from serve(Config(root=root, port=free_port()), embedder)


@pytest.fixture()
def page(app):
    for browser in chromium():
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(app[1])
        page.locator("#qa-question textarea").wait_for()
        yield page


def test_a_source_added_renamed_and_deleted_in_the_sources_tab_follows_in_the_sources_to_ask(page, app, tmp_path):
    from playwright.sync_api import expect

    engine, _ = app
    boxes = page.locator("#qa-filter-sources input[type=checkbox]")
    ticked = page.locator("#qa-filter-sources input[type=checkbox]:checked")
    n = len(engine.sources())
    page.get_by_text("Sources to ask").click()
    expect(boxes).to_have_count(n)
    expect(ticked).to_have_count(n)  # all on by default
    unticked = page.locator("#qa-filter-sources label").first
    unticked_name = unticked.inner_text().strip()
    unticked.click()  # the user's own choice: every source but the first
    expect(ticked).to_have_count(n - 1)

    path = tmp_path / "bridge.txt"
    path.write_text(BRIDGE, encoding="utf-8")
    open_tab(page, "Sources")
    choose_file(page, path)
    field(page, "title").fill("Kura bridge closed")
    page.locator("#qa-add").click()
    expect(page.locator("#qa-add-status")).to_contain_text("Added", timeout=60_000)
    # refreshed by the add itself (the Ask tab is not shown yet): its box is there, the ticks are kept
    new_box = page.locator("#qa-filter-sources label").filter(has_text="Kura bridge closed")
    expect(new_box).to_have_count(1)
    expect(boxes).to_have_count(n + 1)

    open_tab(page, "Ask")
    expect(new_box).to_be_visible()
    first = page.locator("#qa-filter-sources label").filter(has_text=unticked_name)
    expect(first.locator("input")).not_to_be_checked()
    expect(ticked).to_have_count(n - 1)  # a limited choice does not grow by itself
    new_box.click()
    expect(ticked).to_have_count(n)
    shot(page, "sources-to-ask-refreshed")

    open_tab(page, "Sources")
    choose_source(page, "kura-bridge-closed")
    field(page, "title", "qa-edit").fill("Ganja bridge repairs")
    page.locator("#qa-edit-save").click()
    expect(page.locator("#qa-edit-status")).to_contain_text("Saved")
    renamed = page.locator("#qa-filter-sources label").filter(has_text="Ganja bridge repairs")
    expect(renamed).to_have_count(1)
    expect(renamed.locator("input")).to_be_checked()  # the tick follows the source, not its label

    choose_source(page, "kura-bridge-closed")
    page.locator("#qa-edit-delete").click()
    expect(page.locator("#qa-edit-status")).to_contain_text("Deleted")
    expect(boxes).to_have_count(n)
    expect(renamed).to_have_count(0)
    open_tab(page, "Ask")
    expect(ticked).to_have_count(n - 1)
    expect(first.locator("input")).not_to_be_checked()
