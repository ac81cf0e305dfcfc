"""What one client may send the page: one file per upload, a budget of uploads per minute, no hidden file
names, a growing wait after failed logins; the upload folder emptied at start-up; short error echoes."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest

USER, PASSWORD = "reporter", "correct horse battery"
FREE_FAILURES = 3
DELAY_S = 5.0  # the first wait: long enough that the attempts below all fall inside it on a busy machine
UPLOADS_PER_MINUTE = 4
QUESTION = "Who was dismissed as commander of the Second Army Corps?"


@pytest.fixture(scope="module")
def page(lab, loadtest, embedder, tmp_path_factory):
    """The app with a login and small limits, in this process, over a copy of the indexed seed project;
    the upload folder holds what a stopped server left behind before it starts."""
    from qa import Config, Engine
    from qa.ui.app import build_app, launch

    root = tmp_path_factory.mktemp("limits") / "project"
    shutil.copytree(lab.base, root)
    stale = root / "data" / "gradio" / "0123abcd"
    stale.mkdir(parents=True)
    (stale / "left-by-a-killed-server.txt").write_text("an upload nobody added", encoding="utf-8")
    (root / "data" / "gradio" / "loose.txt").write_text("another", encoding="utf-8")
    config = Config(root=root, port=loadtest.free_port(), uploads_per_minute=UPLOADS_PER_MINUTE,
                    login_free_failures=FREE_FAILURES, login_delay_s=DELAY_S, login_max_delay_s=8 * DELAY_S)
    engine = Engine.load(config, embedder=embedder)
    demo = build_app(engine)
    url = launch(demo, config, auth=[(USER, PASSWORD)])
    yield engine, url, root
    demo.close()


def login(url: str, password: str, address: str = "127.0.0.1") -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=30) as client:
        return client.post(url + "login", data={"username": USER, "password": password})


@pytest.fixture()
def session(page):
    """A client logged in to the page."""
    with httpx.Client(timeout=60) as client:
        assert client.post(page[1] + "login", data={"username": USER, "password": PASSWORD}).status_code == 200
        yield client


def upload(client: httpx.Client, url: str, files: list[tuple[str, bytes]]) -> httpx.Response:
    return client.post(url + "gradio_api/upload", files=[("files", (name, data, "text/plain")) for name, data in files])


def test_the_upload_folder_is_emptied_when_the_server_starts(page):
    _, _, root = page
    assert list((root / "data" / "gradio").iterdir()) == []


def test_uploads_are_one_file_each_with_no_hidden_name_and_a_budget_per_minute(page, session):
    _, url, root = page
    client = session
    several = upload(client, url, [(f"part{n}.txt", b"A sentence about ferries.") for n in range(50)])
    assert several.status_code == 400 and "One file per upload" in several.text
    hidden = upload(client, url, [(".hidden.txt", b"A sentence about ferries.")])
    assert hidden.status_code == 400 and "starting with “.”" in hidden.text and ".hidden.txt" in hidden.text
    stored = [p for p in (root / "data" / "gradio").rglob("*") if p.is_file()]
    assert stored == []  # refused requests store nothing
    accepted = [upload(client, url, [(f"ok{n}.txt", b"A sentence about ferries.")])
                for n in range(UPLOADS_PER_MINUTE)]
    assert [r.status_code for r in accepted] == [200] * UPLOADS_PER_MINUTE
    over = upload(client, url, [("one-more.txt", b"A sentence about ferries.")])
    assert over.status_code == 429 and "Too many uploads" in over.text
    assert 1 <= int(over.headers["retry-after"]) <= 60


def test_failed_logins_wait_longer_and_longer_per_address(page):
    _, url, _ = page
    address = "127.0.0.5"  # not the address the other tests log in from: its wait outlasts this test
    started = time.monotonic()
    codes = [login(url, f"wrong-{n}", address).status_code for n in range(20)]
    assert time.monotonic() - started < DELAY_S, "too slow to test the wait: every attempt must fall inside it"
    # the free failures and the one that starts the wait are checked; every other attempt is turned away
    assert codes[:FREE_FAILURES + 1] == [400] * (FREE_FAILURES + 1) and set(codes[FREE_FAILURES + 1:]) == {429}
    refused = login(url, PASSWORD, address)
    assert refused.status_code == 429 and "try again in" in refused.json()["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= DELAY_S
    assert login(url, PASSWORD, address="127.0.0.2").status_code == 200  # another address is not held back
    time.sleep(int(refused.headers["retry-after"]) + 0.3)
    assert login(url, "wrong again", address).status_code == 400  # checked again once the wait is over...
    doubled = login(url, PASSWORD, address)
    assert doubled.status_code == 429 and int(doubled.headers["retry-after"]) > DELAY_S  # ...and it doubled


def test_a_good_login_clears_the_failures_of_its_address(page):
    _, url, _ = page
    address = "127.0.0.4"
    assert [login(url, "wrong", address).status_code for _ in range(FREE_FAILURES)] == [400] * FREE_FAILURES
    assert login(url, PASSWORD, address).status_code == 200
    assert [login(url, "wrong", address).status_code for _ in range(FREE_FAILURES)] == [400] * FREE_FAILURES


def test_parallel_wrong_passwords_from_one_address_are_checked_one_at_a_time(page):
    from concurrent.futures import ThreadPoolExecutor

    _, url, _ = page
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda n: login(url, f"guess-{n}", address="127.0.0.3").status_code, range(200)))
    elapsed = time.monotonic() - started
    # one check per wait that ended during the run (5 s, then 10 s more, ...) on top of the free ones
    ended, total = 0, DELAY_S
    while total < elapsed:
        ended, total = ended + 1, total + DELAY_S * 2 ** (ended + 1)
    assert set(codes) == {400, 429}
    assert codes.count(400) <= FREE_FAILURES + 1 + ended, (elapsed, codes.count(400))


def test_an_error_object_echoes_at_most_200_characters_of_the_question(page):
    from gradio_client import Client

    _, url, _ = page
    client = Client(url, auth=(USER, PASSWORD), verbose=False, analytics_enabled=False)
    data = client.predict(question="x" * 50_000, api_name="/ask")
    assert "limit" in data["error"]
    assert len(data["question"]) < 240 and data["question"].startswith("x" * 200) and "50,000" in data["question"]
    assert client.predict(question="   ", api_name="/ask") == {"question": "   ", "error": "Please type a question."}


def test_an_added_upload_is_removed_from_the_upload_folder(page, tmp_path):
    from qa.ui.app import ChatActions, upload_folder

    engine, _, _ = page
    incoming = upload_folder(engine.config) / "f00d"
    incoming.mkdir(parents=True)
    path = incoming / "ferry.txt"
    path.write_text("The ferry to Aktau left on 5 May 2022 with 300 passengers aboard.", encoding="utf-8")
    status, _, _ = ChatActions(engine).add_source(str(path), "", "", "", "", progress=lambda *a, **k: None)
    assert "Added" in status and not path.exists()
