"""Which hosts a fetch may reach: a web address whose host resolves to an internal address is refused (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from .errors import SourceError

ALLOW_SETTING = "QA_FETCH_PRIVATE_ADDRESSES=1"

Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every IP address the host name resolves to (as getaddrinfo gives them, for TCP)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def is_internal(address: str) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, or otherwise not a public address.

    An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is no part of the address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved
            or ip.is_unspecified or not ip.is_global)


def internal_address(url: str, resolver: Resolver = resolve) -> str | None:
    """The first internal address the host of `url` resolves to, or None when all of them are public.

    Every address is checked: a name that resolves to a public and a private address could be reached
    on either. SourceError when the host cannot be resolved."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise SourceError(f"{url}: the host {host[:80]} cannot be found ({reason})") from None
    if not addresses:
        raise SourceError(f"{url}: the host {host[:80]} cannot be found")
    return next((a for a in addresses if is_internal(a)), None)


def refuse_internal(url: str, resolver: Resolver = resolve, redirected_from: str = "") -> None:
    """SourceError (one line) when the host of `url` resolves to an internal address."""
    found = internal_address(url, resolver)
    if found is None:
        return
    what = f"a private or internal address ({found}); not fetched (the server allows it with {ALLOW_SETTING})"
    if redirected_from:
        raise SourceError(f"{redirected_from}: redirects to “{url[:80]}”, {what}")
    raise SourceError(f"{url[:200]}: {urlsplit(url).hostname} is {what}")
