"""Fetching a web address: http(s) only, with a timeout, a size cap and a content-type check."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .addresses import Resolver, refuse_internal, resolve
from .errors import SourceError
from .fields import collected_now

HTML_TYPES = ("text/html", "application/xhtml+xml")
PDF_TYPES = ("application/pdf",)
MAX_REDIRECTS = 5
USER_AGENT = "qa-news/0.1 (adds one article at a user's request)"


@dataclass(frozen=True)
class Fetched:
    url: str  # the address the content came from, after redirects
    data: bytes
    kind: str  # "html" or "pdf"
    fetched_at: str  # UTC, ISO time to the second


def is_web_address(text: str) -> bool:
    return text.strip().lower().startswith(("http://", "https://"))


def check_address(url: str) -> str:
    """The address stripped, when it is http(s) with a host; else SourceError."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise SourceError(f"“{url[:80]}” is not a web address: only http:// and https:// addresses are fetched")
    return url


def fetch(url: str, timeout_s: float, max_bytes: int, allow_private: bool = False,
          resolver: Resolver = resolve, max_pdf_bytes: int | None = None) -> Fetched:
    """GET the address, following at most MAX_REDIRECTS redirects, each to http(s) only; the body is read
    to at most `max_bytes` (`max_pdf_bytes` for a PDF; +1 to know it is over). Every failure is one
    SourceError line for the user.

    Unless `allow_private`, an address (and every redirect's target) whose host resolves to a loopback,
    private, link-local, multicast or reserved address is refused: a shared server must not fetch its
    own network for whoever is logged in."""
    import httpx

    url = check_address(url)
    if not allow_private:
        refuse_internal(url, resolver)
    try:
        with httpx.Client(timeout=timeout_s, follow_redirects=False, headers={"User-Agent": USER_AGENT}) as client:
            for _ in range(MAX_REDIRECTS + 1):
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        previous, target = url, urljoin(url, response.headers.get("location", ""))
                        try:
                            url = check_address(target)
                        except SourceError:
                            raise SourceError(f"{url}: redirects to “{target[:80]}”, which is not an http(s) "
                                              "address; not followed") from None
                        if not allow_private:
                            refuse_internal(url, resolver, redirected_from=previous)
                        continue
                    return _read(response, url, max_bytes, max_pdf_bytes)
    except httpx.TimeoutException:
        raise SourceError(f"{url}: no answer within {timeout_s:g} s (timed out)") from None
    except httpx.HTTPError as exc:
        raise SourceError(f"{url}: cannot be fetched ({type(exc).__name__}: {exc})") from None
    raise SourceError(f"{url}: more than {MAX_REDIRECTS} redirects; not followed")


def _read(response, url: str, max_bytes: int, max_pdf_bytes: int | None = None) -> Fetched:
    if response.status_code != 200:
        phrase = response.reason_phrase or "error"
        raise SourceError(f"{url}: the server answered {response.status_code} {phrase}")
    kind_header = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind_header in HTML_TYPES:
        kind = "html"
    elif kind_header in PDF_TYPES:
        kind = "pdf"
    else:
        raise SourceError(f"{url}: the address serves {kind_header or 'an unnamed type'}, not a web page "
                          "(text/html) or a PDF")
    if kind == "pdf" and max_pdf_bytes is not None:
        max_bytes = max_pdf_bytes
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise SourceError(f"{url}: {int(declared):,} bytes is over the limit of {max_bytes:,} bytes")
    chunks, total = [], 0
    for chunk in response.iter_bytes():
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            raise SourceError(f"{url}: more than {max_bytes:,} bytes, the limit; not added")
    return Fetched(str(response.url), b"".join(chunks), kind, collected_now(with_time=True))
