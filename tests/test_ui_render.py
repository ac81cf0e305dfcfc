"""The UI's HTML: source text is escaped piece by piece, highlights are exact, links are only http(s)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.types import Answer, Citation, Conflict, ConflictRow, Passage, Quote, Source, SourceMeta
from qa.ui import reading, render

PAYLOADS = [
    '<img src=x onerror="window.__xss=1">',
    "<script>alert(1)</script>",
    "</mark><script>alert(2)</script><mark>",
    '"><svg onload=alert(3)>',
    "[click](javascript:alert(4)) *bold* _em_ `code` $$x^2$$ ~~s~~ # h",
    "&amp; &lt;b&gt; &#x3C;script&#x3E;",
    "{{constructor.constructor('alert(5)')()}} ${alert(6)}",
    "line one\nline two\r\n\ttabbed  spaced",
]


class Tree(HTMLParser):
    """Tags (with attributes) and text as a browser would read them."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.marked: list[str] = []
        self._open_marks = 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self._open_marks += 1
            self.marked.append("")

    def handle_endtag(self, tag):
        if tag == "mark":
            self._open_marks -= 1

    def handle_data(self, data):
        self.text.append(data)
        if self._open_marks:
            self.marked[-1] += data


class TextOfClass(HTMLParser):
    """The text inside every element with a given class (elements of that class do not nest here)."""

    def __init__(self, html_class: str, html: str):
        super().__init__(convert_charrefs=True)
        self.html_class, self.found, self._depth = html_class, [], 0
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self._depth:
            self._depth += 1
        elif self.html_class in classes:
            self._depth = 1
            self.found.append("")

    def handle_endtag(self, tag):
        if self._depth:
            self._depth -= 1

    def handle_data(self, data):
        if self._depth:
            self.found[-1] += data


def tag_names(html: str) -> set[str]:
    return {tag for tag, _ in Tree(html).tags}


@pytest.mark.parametrize("payload", PAYLOADS)
def test_highlight_escapes_every_piece_and_marks_exactly_the_span(payload):
    text = f"before {payload} after"
    start = text.index(payload)
    html = render.highlight(text, [(start, start + len(payload))])
    tree = Tree(html)
    assert [tag for tag, _ in tree.tags] == ["mark"]
    assert "".join(tree.text) == text
    assert tree.marked == [payload]


@given(st.lists(st.sampled_from(list("ab <>&\"'/=*_`$[]()\n\té") + ["</mark>", "<script>", "&lt;"]),
                max_size=30).map("".join),
       st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=4))
def test_highlight_never_changes_the_text_and_marks_the_merged_spans(text, spans):
    tree = Tree(render.highlight(text, spans))
    assert "".join(tree.text) == text
    assert {tag for tag, _ in tree.tags} <= {"mark"}
    covered = sorted((max(0, s), min(len(text), e)) for s, e in spans if min(len(text), e) > max(0, s))
    merged: list[list[int]] = []
    for s, e in covered:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    assert tree.marked == [text[s:e] for s, e in merged]


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", "  javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)",
    "//evil.example/x", "/relative/path", "http:/no-host", "file:///etc/passwd", "", "not a url",
])
def test_safe_url_refuses_everything_but_http_and_https(url):
    assert render.safe_url(url) == ""


@pytest.mark.parametrize("url", ["https://turan.az/en/a-1", "http://example.org/x?y=1&z=2#f", "HTTPS://EXAMPLE.ORG"])
def test_safe_url_keeps_http_and_https(url):
    assert render.safe_url(url).lower() == url.lower()


def hostile_answer(quote_text: str) -> tuple[Answer, Source]:
    body = f"Intro sentence. {quote_text} Closing sentence."
    start = body.index(quote_text)
    meta = SourceMeta(title='<b onmouseover="x()">T</b>', outlet="<script>o()</script>", date="2024",
                      url="javascript:alert(7)")
    source = Source("src-1", body, "h", meta)
    citation = Citation(1, "src-1", meta.title, meta.outlet, meta.date, meta.url)
    quote = Quote(quote_text, "src-1", start, start + len(quote_text), 1, 1.0)
    passage = Passage("src-1", 0, len(body), body, 0.5, 1)
    return Answer("q?", False, [quote], [citation], [passage]), source


@pytest.mark.parametrize("payload", PAYLOADS)
def test_answer_bubble_shows_the_quote_verbatim_and_no_active_markup(payload):
    answer, _ = hostile_answer(payload)
    html = render.answer_html(answer)
    assert tag_names(html) <= {"div", "q", "a", "span", "ul", "li", "p", "strong"}
    assert TextOfClass("qa-text", html).found == [payload]
    hrefs = [attrs.get("href", "") for tag, attrs in Tree(html).tags if tag == "a"]
    assert hrefs and all(h.startswith(("#qa-open/", "#qa-copy", "#qa-save/")) for h in hrefs)  # the javascript: URL is no link
    assert "javascript:alert(7)" in "".join(Tree(html).text)  # shown as text instead
    copied = TextOfClass("qa-copytext", html).found
    assert copied == [f"“{payload}” — <script>o()</script>, “<b onmouseover=\"x()\">T</b>”, 2024, javascript:alert(7)"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_passages_and_source_view_mark_the_quote_and_escape_everything(payload):
    answer, source = hostile_answer(payload)
    metas = {source.source_id: source.meta}
    passages = render.passages_html(answer, metas)
    assert tag_names(passages) <= {"ol", "li", "div", "span", "a", "mark"}
    assert Tree(passages).marked == [payload]
    assert TextOfClass("qa-passage-text", passages).found == [source.body]
    view = reading.source_html(source, answer.answer[0].start, answer.answer[0].end, "[1]")
    assert tag_names(view) <= {"div", "strong", "br", "span", "mark", "a"}
    tree = Tree(view)
    assert tree.marked == [payload]
    assert [attrs.get("id") for tag, attrs in tree.tags if tag == "mark"] == ["qa-focus"]
    assert TextOfClass("qa-source-text", view).found == [source.body]
    table = render.sources_table_html([source])
    assert tag_names(table) <= {"table", "thead", "tbody", "tr", "th", "td", "code"}


def test_a_conflict_lists_who_says_what_when_with_the_quotes_side_by_side():
    citations = [Citation(1, "a", "A title", "Turan", "2024-10-07", "https://a.example"),
                 Citation(2, "b", "B title", "PanARMENIAN.Net", "", "")]
    quotes = [Quote("9 people died.", "a", 0, 14, 1, 1.0), Quote("PACE said 11 died.", "b", 0, 18, 2, 0.9)]
    rows = [ConflictRow("a", 1, "Turan", "2024-10-07", ["9"], ["9"], "9 people died.", 0, 14),
            ConflictRow("b", 2, "PanARMENIAN.Net", "", ["11"], ["11"], "PACE said 11 died.", 0, 18, "PACE")]
    conflict = Conflict("count", {"a": ["9"], "b": ["11"]}, "The sources differ: …", rows)
    html = render.answer_html(Answer("How many died?", False, quotes, citations, [], conflict, conflict.message))
    assert "qa-side-by-side" in html
    assert TextOfClass("qa-conflict", html).found == ["The sources differ: 9 [1]; 11 [2]."]
    assert TextOfClass("qa-quote-source", html).found == ["[1] Turan · 2024-10-07 · 9",
                                                          "[2] PanARMENIAN.Net · no date · 11 · according to PACE"]
    assert TextOfClass("qa-figure", html).found == ["9", "11"]
    assert TextOfClass("qa-text", html).found == ["9 people died.", "PACE said 11 died."]


def test_an_abstention_is_one_plain_message_and_its_reason():
    html = render.answer_html(Answer("q", True, [], [], [], message="The sources do not say."))
    assert TextOfClass("qa-abstain", html).found == ["The sources do not say."]
    assert TextOfClass("qa-reason", html).found == []
    assert "<q" not in html
    html = render.answer_html(Answer("q", True, [], [], [], message="The sources do not say. No source mentions: "
                                                                    "<Flame> Towers."))
    assert TextOfClass("qa-abstain", html).found == ["The sources do not say."]
    assert TextOfClass("qa-reason", html).found == ["No source mentions: <Flame> Towers."]


def test_a_partial_quote_has_an_ellipsis_outside_the_quote_and_uncovered_words_are_named():
    citations = [Citation(1, "a", "A title", "Turan", "", "")]
    quotes = [Quote("part of a sentence", "a", 3, 21, 1, 1.0, whole=False)]
    html = render.answer_html(Answer("Who is the mayor?", False, quotes, citations, [], uncovered_terms=["mayor"]))
    assert TextOfClass("qa-text", html).found == ["part of a sentence"]
    assert TextOfClass("qa-ellipsis", html).found == ["…", "…"]
    assert TextOfClass("qa-uncovered", html).found == ["Not in the quotes: mayor"]


def test_quotes_without_the_figure_asked_for_come_under_a_note_saying_so():
    citations = [Citation(1, "a", "A title", "Turan", "", "")]
    quotes = [Quote("He was dismissed earlier.", "a", 0, 25, 1, 1.0)]
    html = render.answer_html(Answer("When was he dismissed?", False, quotes, citations, [], missing_figure="date"))
    assert TextOfClass("qa-missing-figure", html).found == [
        "No quote gives the date asked for: these are the closest passages in the sources."]
    assert html.index("qa-missing-figure") < html.index("qa-text")  # read before the quotes
    plain = render.answer_html(Answer("When was he dismissed?", False, quotes, citations, []))
    assert "qa-missing-figure" not in plain
    # an event no quote says of the one asked about: the same note, with the verb and the name escaped
    unsaid = render.answer_html(Answer("Was <b>he</b> arrested?", False, quotes, citations, [],
                                       unsaid=["arrested", "Mais <b>Barkhudarov</b>"]))
    assert TextOfClass("qa-missing-figure", unsaid).found == [
        "No quote says “arrested” about Mais <b>Barkhudarov</b>: these are the closest passages in the sources."]
    assert "<b>Barkhudarov" not in unsaid


@pytest.mark.parametrize("source_id", ["000_219d", "weird id/with/slashes", "ünïcode", "../../etc/passwd"])
def test_open_links_round_trip_any_source_id(source_id):
    link = render.open_link(source_id, 5, 17)
    assert link.count("/") == 3  # the id is percent-encoded
    assert render.parse_open_link(link) == (source_id, 5, 17)


@pytest.mark.parametrize("ref", ["", "#qa-open/", "#qa-open/x/1", "#qa-open/x/a/b", "nonsense"])
def test_malformed_open_links_are_refused(ref):
    with pytest.raises(ValueError):
        render.parse_open_link(ref)


def test_copied_reference_leaves_out_unknown_fields():
    citation = Citation(1, "src", "", "Turan", "", "")
    assert render.copy_text("A quote.", citation) == "“A quote.” — Turan, src"
