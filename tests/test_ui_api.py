"""The chat app without a browser: its named API through gradio_client, and its event handlers."""

from __future__ import annotations

import pytest

from browser_support import free_port, serve
from seed_data import make_project

SEED_QUESTION = "Who was dismissed as commander of the Second Army Corps?"
TOPIC_QUESTION = "What did military prosecutor Khanlar Veliyev acknowledge in 2021?"
FOLLOW_UP = "and when?"


@pytest.fixture(scope="module")
def app(tmp_path_factory, embedder):
    """The app over a temporary copy of the seed sources, served from this process on a free port."""
    from qa import Config

    root = make_project(tmp_path_factory.mktemp("ui-api"))
    yield from serve(Config(root=root, port=free_port()), embedder)


@pytest.fixture(scope="module")
def client(app):
    from gradio_client import Client

    return Client(app[1], verbose=False, analytics_enabled=False, download_files=False)


def test_the_server_counts_the_name_spellings_before_the_first_question(app):
    """Counting takes 83 s at 1M chunks: `qa serve` starts it at once, in the background (first test of the
    module: no question has been asked yet)."""
    import threading

    engine, _ = app
    for thread in threading.enumerate():
        if thread.name == "qa-spellings":
            thread.join(timeout=120)
    assert engine._spellings is not None and engine._spellings[0] is engine._sources


def test_the_ask_endpoint_returns_the_answer_json_with_verbatim_quotes(app, client):
    engine, _ = app
    data = client.predict(question=SEED_QUESTION, api_name="/ask")
    assert data["abstained"] is False
    assert {"question", "answer", "citations", "passages", "conflict"} <= set(data)
    assert "Barkhudarov" in data["answer"][0]["quote"]
    for quote in data["answer"]:
        assert engine.source(quote["source_id"]).body[quote["start"]:quote["end"]] == quote["quote"]
    assert data == {**engine.ask(SEED_QUESTION).to_dict(), "timings_ms": data["timings_ms"]}


def test_the_ask_endpoint_takes_the_previous_question_for_a_follow_up(app, client):
    engine, _ = app
    data = client.predict(question=FOLLOW_UP, previous=TOPIC_QUESTION, api_name="/ask")
    quotes = [q["quote"] for q in data["answer"]]
    assert quotes == [q.quote for q in engine.ask(FOLLOW_UP, previous=TOPIC_QUESTION).answer]
    assert any("Veliyev" in q for q in quotes)  # the topic of the previous question carried over
    assert not any("Veliyev" in q.quote for q in engine.ask(FOLLOW_UP).answer)  # and it is needed


def test_an_invalid_question_gives_an_error_object_not_a_traceback(client):
    assert client.predict(question="   ", api_name="/ask") == {"question": "   ", "error": "Please type a question."}
    data = client.predict(question="x" * 5000, api_name="/ask")
    assert "limit" in data["error"] and "Traceback" not in data["error"]


def test_only_the_ask_endpoint_is_documented(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert list(endpoints) == ["/ask"]
    assert [p["parameter_name"] for p in endpoints["/ask"]["parameters"]] == ["question", "previous", "sources", "outlets"]


# ---- the page's event handlers, called directly ------------------------------------------------------


@pytest.fixture(scope="module")
def actions(app):
    from qa.ui.app import ChatActions

    return ChatActions(app[0])


def test_a_short_follow_up_in_the_chat_is_asked_with_the_previous_question(actions):
    from qa.ui import render

    _, history, asked, _, _ = actions.respond(TOPIC_QUESTION, [], [])
    box, history, asked, passages, _ = actions.respond(FOLLOW_UP, history, asked)
    assert box == "" and asked == [TOPIC_QUESTION, FOLLOW_UP] and len(history) == 4
    expected = actions.engine.ask(FOLLOW_UP, previous=TOPIC_QUESTION)
    assert "Veliyev" in expected.answer[0].quote
    assert render.esc(expected.answer[0].quote) in history[-1]["content"]
    assert "<mark>" in passages


def test_engine_failures_become_a_short_message_in_the_chat(app, monkeypatch, caplog):
    from qa.ui.app import ChatActions

    actions = ChatActions(app[0])
    def broken(*args, **kwargs):
        raise RuntimeError("index exploded at /secret/path")

    monkeypatch.setattr(actions.engine, "ask", broken)
    _, history, asked, _, _ = actions.respond("Who ordered it?", [], [])
    assert "Something went wrong" in history[-1]["content"]
    assert "exploded" not in history[-1]["content"] and "Traceback" not in history[-1]["content"]
    assert "index exploded" in caplog.text  # the details go to the server log
    assert asked == []


def test_upload_names_never_decide_where_a_file_is_written(actions, tmp_path):
    sources_dir = actions.engine.config.sources_dir
    upload = tmp_path / "upload" / "..%2F..%2Fevil name.txt"
    upload.parent.mkdir()
    upload.write_text("The ferry to Aktau left on 5 May 2022 with 300 passengers aboard.", encoding="utf-8")
    before = set(sources_dir.iterdir())
    status, table, cleared = actions.add_source(str(upload), "Ferry", "Port News", "2022-05-05",
                                                "https://example.org/ferry", progress=lambda *a, **k: None)
    assert "Added" in status and cleared is None and "Ferry" in table
    written = set(sources_dir.iterdir()) - before
    assert len(written) == 2  # the text and its metadata sidecar, both inside the sources folder
    assert all(p.parent == sources_dir and "%" not in p.name and " " not in p.name for p in written)
    assert not list(tmp_path.glob("**/evil*"))[1:]  # nothing besides the upload itself


@pytest.mark.parametrize("content, name, url, message", [
    (b"\x00\x01binary\x00", "blob.txt", "", "binary"),
    (b"text", "script.exe", "", "unsupported file type"),
    (b"A fine sentence about boats.", "boats.txt", "javascript:alert(1)", "http"),
])
def test_unacceptable_uploads_are_refused_with_a_clear_message(actions, tmp_path, content, name, url, message):
    path = tmp_path / name
    path.write_bytes(content)
    before = sorted(p.name for p in actions.engine.config.sources_dir.iterdir())
    status, _, _ = actions.add_source(str(path), "", "", "", url, progress=lambda *a, **k: None)
    assert "Not added" in status and message in status
    assert sorted(p.name for p in actions.engine.config.sources_dir.iterdir()) == before


def test_an_upload_over_the_size_limit_is_refused(app, tmp_path):
    from qa import Engine
    from qa.ui.app import ChatActions

    engine = app[0]
    small = Engine(engine.config.replace(max_source_bytes=1000), engine.embedder, engine.backend, engine.sources())
    path = tmp_path / "big.txt"
    path.write_text("word " * 400, encoding="utf-8")
    status, _, _ = ChatActions(small).add_source(str(path), "", "", "", "", progress=lambda *a, **k: None)
    assert "Not added" in status and "over the limit" in status
    assert not (engine.config.sources_dir / "big.txt").exists()


def test_a_citation_link_opens_its_span_and_bad_links_say_so(actions):
    from qa.ui import render

    source = actions.engine.sources()[0]
    view = actions.open_source(render.open_link(source.source_id, 10, 40))
    assert f'<mark id="qa-focus">{render.esc(source.body[10:40])}</mark>' in view
    assert "no longer available" in actions.open_source(render.open_link("missing", 0, 1))
    assert "not in the source" in actions.open_source(render.open_link(source.source_id, 0, 10 ** 9))
    assert "does not name a source" in actions.open_source("#qa-open/garbage")


def test_auth_accounts_come_from_qa_auth_and_the_auth_file(tmp_path):
    from qa import Config
    from qa.ui.app import read_auth

    assert read_auth(Config(root=tmp_path), None) is None
    accounts = tmp_path / "accounts"
    accounts.write_text("# team\nana:pass:with:colons\n\nbo:secret\n", encoding="utf-8")
    assert read_auth(Config(root=tmp_path, auth="me:pw"), accounts) == [
        ("me", "pw"), ("ana", "pass:with:colons"), ("bo", "secret")]
    with pytest.raises(ValueError):
        read_auth(Config(root=tmp_path, auth="nopassword"), None)
    assert "pw" not in repr(Config(root=tmp_path, auth="me:pw"))


def no_progress(*args, **kwargs) -> None:
    pass


def test_the_evaluation_tab_shows_the_headline_chart_details_and_a_download(app, tmp_path, monkeypatch):
    pytest.importorskip("qa.evaluation")
    import zipfile

    import qa.evaluation
    from PIL import Image

    from qa.evaluation import UIEvaluation
    from qa.ui.evaluation_tab import EvaluationTab

    folder = tmp_path / "20260101-000000"
    folder.mkdir()
    Image.new("RGB", (120, 80), "white").save(folder / "plot.png")
    (folder / "report.json").write_text("{}", encoding="utf-8")
    calls = []

    def fake_evaluate(engine, limit=0, on_answer=None):
        calls.append((engine, limit))
        on_answer(1, 2)
        return UIEvaluation("| configuration | R@5 |\n|---|---|\n| full | 0.9 |", "## all the tables",
                            str(folder / "plot.png"), folder, 2)

    monkeypatch.setattr(qa.evaluation, "evaluate_for_ui", fake_evaluate)
    steps = []
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    headline, image, download, details = EvaluationTab(app[0], downloads).run(
        progress=lambda *args, **kwargs: steps.append(args[0]))
    assert calls == [(app[0], 0)] and "R@5" in headline and details == "## all the tables"
    assert image.size == (120, 80) and (1, 2) in steps
    archive = download["value"]
    assert archive.endswith(".zip") and archive.startswith(str(downloads)) and download["visible"] is True
    assert sorted(zipfile.ZipFile(archive).namelist()) == ["plot.png", "report.json"]


def test_the_real_evaluation_runs_from_the_tab_without_error(app, tmp_path):
    pytest.importorskip("qa.evaluation")
    from qa.ui.app import FAILED
    from qa.ui.evaluation_tab import EvaluationTab

    headline, image, _, _ = EvaluationTab(app[0], tmp_path).run(progress=no_progress)  # no question set here
    assert isinstance(headline, str) and headline.strip() and headline != FAILED
    assert image is None or image.size[0] > 0
