"""Limits on what one client may send the page: files per upload, uploads per minute, failed logins."""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath

from ..config import Config

Scope = dict
Message = dict
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

WINDOW_S = 60.0  # uploads are counted over the last minute
FORGET_S = 900.0  # failed logins older than this are forgotten
MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the one file
MAX_CLIENTS = 10_000  # entries kept before old ones are dropped
FILENAME = re.compile(rb'filename\*?=(?:"([^"]*)"|([^;\r\n]*))', re.IGNORECASE)


@dataclass
class _Logins:
    failures: int = 0
    last: float = 0.0
    blocked_until: float = 0.0
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)  # one attempt at a time per client


class RequestGuard:
    """ASGI middleware in front of Gradio's routes, keyed by the client's address.

    Gradio takes up to 1,000 files in one upload request and lets a client try passwords as fast as it
    can send them: 50 files of 4.9 MB were stored in one second, 500 wrong passwords were checked in half
    a second. Here a multipart request (every upload route) carries one file at most, within the size
    limit, and an address may upload `uploads_per_minute` files and `upload_bytes_per_minute` bytes a
    minute; a file name starting with "." is refused with a message of ours (Gradio would store it and
    then refuse to hand it to the page with a generic error). After `login_free_failures` failed logins
    an address waits `login_delay_s`, doubling per further failure up to `login_max_delay_s`, before it may
    try again; attempts from one address are checked one at a time, so parallel requests gain nothing.
    Behind a reverse proxy every client has the proxy's address: the limits are then shared.
    """

    def __init__(self, app, max_file_bytes: int, uploads_per_minute: int, upload_bytes_per_minute: int,
                 login_free_failures: int, login_delay_s: float, login_max_delay_s: float,
                 clock: Callable[[], float] = time.monotonic, max_text_bytes: int | None = None) -> None:
        self.app = app
        self.max_file_bytes = max_file_bytes
        self.max_text_bytes = max_text_bytes  # a smaller limit for files that are not PDFs, named in the refusal
        self.uploads_per_minute = uploads_per_minute
        self.upload_bytes_per_minute = upload_bytes_per_minute
        self.login_free_failures = login_free_failures
        self.login_delay_s = login_delay_s
        self.login_max_delay_s = login_max_delay_s
        self.clock = clock
        self._uploads: dict[str, deque[tuple[float, int]]] = {}
        self._logins: dict[str, _Logins] = {}

    @classmethod
    def settings(cls, config: Config) -> dict:
        """The constructor's limits from the configuration (a file: the larger of a PDF's and another's limit;
        the Sources tab checks the limit of its type)."""
        return dict(max_file_bytes=max(config.max_source_bytes, config.max_pdf_bytes),
                    max_text_bytes=min(config.max_source_bytes, config.max_pdf_bytes),
                    uploads_per_minute=config.uploads_per_minute,
                    upload_bytes_per_minute=config.upload_bytes_per_minute,
                    login_free_failures=config.login_free_failures, login_delay_s=config.login_delay_s,
                    login_max_delay_s=config.login_max_delay_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST":
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        content_type = _header(scope, b"content-type")
        if content_type.lower().startswith(b"multipart/form-data"):
            return await self._upload(scope, receive, send, client, content_type)
        if scope.get("path", "").rstrip("/").endswith("/login"):
            return await self._login(scope, receive, send, client)
        return await self.app(scope, receive, send)

    # ---- uploads -----------------------------------------------------------------------------------

    async def _upload(self, scope: Scope, receive: Receive, send: Send, client: str, content_type: bytes) -> None:
        now = self.clock()
        recent = self._recent_uploads(client, now)
        if len(recent) >= self.uploads_per_minute or sum(size for _, size in recent) >= self.upload_bytes_per_minute:
            wait = max(1, math.ceil(recent[0][0] + WINDOW_S - now))
            return await _respond(send, 429, f"Too many uploads from this address: at most {self.uploads_per_minute} "
                                  f"files and {self.upload_bytes_per_minute / 1e6:g} MB a minute. Try again in "
                                  f"{wait} s.", retry_after=wait)
        limit = self.max_file_bytes + MULTIPART_OVERHEAD
        too_big = (f"The file is over the limit of {self.max_file_bytes / 1e6:g} MB "
                   f"({self.max_file_bytes:,} bytes).")
        if self.max_text_bytes is not None and self.max_text_bytes < self.max_file_bytes:
            too_big = (f"The file is over the limit of {self.max_file_bytes / 1e6:g} MB ({self.max_file_bytes:,} "
                       f"bytes) for a PDF, and of {self.max_text_bytes / 1e6:g} MB for another file.")
        declared = _header(scope, b"content-length")
        if declared.isdigit() and int(declared) > limit:
            return await _respond(send, 413, too_big)
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > limit:
                return await _respond(send, 413, too_big)
            if not message.get("more_body", False):
                break
        names = file_names(bytes(body), content_type)
        if len(names) > 1:
            return await _respond(send, 400, f"One file per upload ({len(names)} were sent).")
        hidden = [name for name in names if _base_name(name).startswith(".")]
        if hidden:
            return await _respond(send, 400, f"“{_base_name(hidden[0])[:80]}”: a file name starting with “.” is "
                                  "not accepted. Rename the file without the leading dot and upload it again.")
        recent.append((now, len(body)))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _recent_uploads(self, client: str, now: float) -> deque[tuple[float, int]]:
        if len(self._uploads) > MAX_CLIENTS:
            self._uploads = {c: q for c, q in self._uploads.items() if q and now - q[-1][0] < WINDOW_S}
        recent = self._uploads.setdefault(client, deque())
        while recent and now - recent[0][0] >= WINDOW_S:
            recent.popleft()
        return recent

    # ---- logins ------------------------------------------------------------------------------------

    async def _login(self, scope: Scope, receive: Receive, send: Send, client: str) -> None:
        if len(self._logins) > MAX_CLIENTS:
            now = self.clock()
            self._logins = {c: r for c, r in self._logins.items() if now - r.last < FORGET_S or r.turn.locked()}
        record = self._logins.setdefault(client, _Logins())
        async with record.turn:
            now = self.clock()
            if record.blocked_until > now:
                wait = max(1, math.ceil(record.blocked_until - now))
                return await _respond(send, 429, f"Too many failed logins from this address; try again in {wait} s.",
                                      retry_after=wait, as_json=True)
            status: dict[str, int] = {}

            async def watch(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                await send(message)

            await self.app(scope, receive, watch)
            self._record_login(record, status.get("code"))

    def _record_login(self, record: _Logins, code: int | None) -> None:
        now = self.clock()
        if code is not None and 200 <= code < 300:
            record.failures, record.blocked_until = 0, 0.0
            return
        if code not in (400, 401, 403):
            return  # not an answer about the password
        if now - record.last > FORGET_S:
            record.failures = 0
        record.failures += 1
        record.last = now
        over = record.failures - self.login_free_failures
        if over > 0:
            record.blocked_until = now + min(self.login_delay_s * 2 ** (over - 1), self.login_max_delay_s)


def file_names(body: bytes, content_type: bytes) -> list[str]:
    """The file name of every file part of a multipart body (parts without one are form fields)."""
    found = re.search(rb'boundary="?([^";]+)"?', content_type)
    if not found:
        return []
    names = []
    for part in body.split(b"--" + found.group(1).strip()):
        headers = part[:part.find(b"\r\n\r\n")] if b"\r\n\r\n" in part else b""
        for line in headers.split(b"\r\n"):
            if line.lower().startswith(b"content-disposition:"):
                match = FILENAME.search(line)
                if match:
                    raw = match.group(1) if match.group(1) is not None else match.group(2)
                    names.append(raw.decode("utf-8", "replace").strip())
    return names


def _base_name(name: str) -> str:
    """The name without any folder part, as Gradio keeps it (a browser may send a path)."""
    return PureWindowsPath(PurePosixPath(name.strip()).name).name.strip()


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return value
    return b""


async def _respond(send: Send, status: int, message: str, retry_after: int | None = None,
                   as_json: bool = False) -> None:
    """One short answer: plain text for an upload (the page shows it as "HTTP 400: <text>"), JSON for a login."""
    body = json.dumps({"detail": message}).encode() if as_json else message.encode()
    headers = [(b"content-type", b"application/json" if as_json else b"text/plain; charset=utf-8"),
               (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
