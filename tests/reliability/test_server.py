"""`qa serve` as its own process: it listens on 127.0.0.1 only, and with QA_AUTH nothing is served
without the login (every API route refuses), while the right login gets answers."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

USER, PASSWORD = "reporter", "correct horse battery"
QUESTION = "Who was dismissed as commander of the Second Army Corps?"


def listening(port: int) -> list[str]:
    """The local addresses with a socket listening on `port` (from /proc/net/tcp and tcp6)."""
    found = []
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            address, state = fields[1], fields[3]
            host, port_hex = address.rsplit(":", 1)
            if state == "0A" and int(port_hex, 16) == port:
                found.append(socket.inet_ntop(socket.AF_INET if name == "tcp" else socket.AF_INET6,
                                              bytes.fromhex(host)[::-1] if name == "tcp" else
                                              b"".join(bytes.fromhex(host[i:i + 8])[::-1] for i in range(0, 32, 8))))
    return found


def outward_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


@pytest.fixture(scope="module")
def server(loadtest, lab):
    with loadtest.Server(lab.base / "sources", lab.base / "index",
                         env={"QA_AUTH": f"{USER}:{PASSWORD}"}) as running:
        yield running


def test_qa_serve_listens_on_loopback_only_by_default(server):
    assert listening(server.port) == ["127.0.0.1"]
    address = outward_address()
    if address is not None:
        with pytest.raises(OSError):
            socket.create_connection((address, server.port), timeout=3).close()


@pytest.mark.parametrize("method, path", [
    ("GET", "config"), ("GET", "gradio_api/info"), ("GET", "gradio_api/file=/etc/passwd"),
    ("POST", "gradio_api/call/ask"), ("POST", "gradio_api/queue/join"), ("POST", "gradio_api/upload"),
    ("POST", "gradio_api/run/ask"), ("POST", "gradio_api/api/ask"),
])
def test_without_the_login_every_route_is_refused(server, method, path):
    response = httpx.request(method, server.url + path, json={"data": [QUESTION, ""], "fn_index": 0})
    assert response.status_code in (401, 403, 404, 405), (response.status_code, response.text[:200])
    assert "Barkhudarov" not in response.text


def test_the_page_without_the_login_is_the_login_form(server):
    page = httpx.get(server.url).text
    assert "Barkhudarov" not in page and "Terter" not in page


def test_a_wrong_password_is_refused_and_the_right_one_gets_answers(server):
    from gradio_client import Client

    with pytest.raises(Exception):
        Client(server.url, verbose=False, analytics_enabled=False)
    with pytest.raises(Exception, match="(?i)login"):
        Client(server.url, auth=(USER, "wrong"), verbose=False, analytics_enabled=False)
    client = Client(server.url, auth=(USER, PASSWORD), verbose=False, analytics_enabled=False)
    data = client.predict(question=QUESTION, api_name="/ask")
    assert "Barkhudarov" in data["answer"][0]["quote"]
    assert PASSWORD not in server.output()  # the password is never logged


def test_qa_serve_throttles_failed_logins(server):
    """500 wrong passwords in half a second were all checked; now a few are, then the address waits."""
    with httpx.Client(timeout=30) as client:
        codes = [client.post(server.url + "login", data={"username": USER, "password": f"wrong-{n}"}).status_code
                 for n in range(30)]
    assert codes[:6] == [400] * 6  # five free failures, and the sixth that starts the wait
    assert 429 in codes and codes.count(400) < 10
