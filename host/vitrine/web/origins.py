"""Which web pages may drive the mirror. A browser says which page a request comes from in its
Origin header (always on a WebSocket and a POST), and modern ones also say how that page
relates to the address asked (Sec-Fetch-Site). A page of another origin, a page on another
port of this machine, or one reached through a DNS name rebound to this machine, is not the
kiosk, however local its browser is.

The kiosk's own origin is what the kiosk unit opens: the daemon's [http] host and port as a
local client reaches them (vitrine.config.HttpConfig.local_url: http://127.0.0.1:8080 by
default, also for a wildcard host). Other names of the mirror (http://localhost:8080, a
reverse proxy's https://mirror-7.store.example) are allowed only when listed in
[http] origins. A client that sends no Origin and no cross-site Sec-Fetch-Site is not a
browser page (the calibration tool, a script); what it may do is for the endpoint to say.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from vitrine.errors import shown

if TYPE_CHECKING:
    from vitrine.config import HttpConfig

log = logging.getLogger("vitrine.web")

ORIGIN_REFUSED = 4403  # WebSocket close code: a page of another origin
LOG_EVERY_S = 60.0  # refusals are logged at most this often (a refused page keeps retrying)
SAME_ORIGIN_SITES = ("same-origin", "none")  # Sec-Fetch-Site values of a page's own requests
_DEFAULT_PORTS = {"http": 80, "https": 443}
_CLOSE_REASON_BYTES = 123


def normal_origin(text: str) -> str | None:
    """`scheme://host[:port]` in the one spelling browsers send (lower case, no default
    port, an IPv6 host in brackets), or None when text is not an http(s) origin (a path, a
    query, user information or "null" make it none)."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), parts.hostname
    if scheme not in _DEFAULT_PORTS or not host or parts.username is not None:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    host = f"[{host}]" if ":" in host else host
    port_part = "" if port is None or port == _DEFAULT_PORTS[scheme] else f":{port}"
    return f"{scheme}://{host}{port_part}"


class Origins:
    """The origins whose pages may drive the mirror."""

    def __init__(self, allowed: Iterable[str] = ()) -> None:
        normal = set()
        for origin in allowed:
            n = normal_origin(origin)
            if n is None:
                raise ValueError(f"not an origin: {origin!r}; e.g. http://127.0.0.1:8080")
            normal.add(n)
        self.allowed = frozenset(normal)

    @classmethod
    def for_daemon(cls, http: HttpConfig, port: int) -> Origins:
        """The kiosk's own origin (the daemon's address as the kiosk opens it, on `port`, the
        port it really listens on) and those listed in [http] origins."""
        return cls([http.local_url(port).rstrip("/"), *http.origins])

    def allows(self, origin: str) -> bool:
        """Whether a page of this Origin header's value may drive the mirror."""
        normal = normal_origin(origin)
        return normal is not None and normal in self.allowed

    def refusal(self, headers: Mapping[str, str], *, same_host: bool = False) -> str | None:
        """Why a request with these headers comes from a page that may not make it, or None
        when it may: no Origin and no cross-site Sec-Fetch-Site (not a browser page), or an
        Origin allowed here. `same_host` also allows a page of the origin the request was
        sent to (its Host header), whatever name that is: for the associate app, which phones
        open under the mirror's name on the store's network."""
        origin = headers.get("origin")
        if origin is not None:
            if self.allows(origin) or (same_host and _names_host(origin, headers.get("host"))):
                return None
            allowed = ", ".join(sorted(self.allowed)) or "none"
            return (
                f"a page from {shown(origin, 80)} may not do this; allowed: {allowed} "
                "(add others to [http] origins)"
            )
        site = headers.get("sec-fetch-site")
        if site is not None and site.strip().lower() not in SAME_ORIGIN_SITES:
            return (
                f"a browser request from another site (Sec-Fetch-Site: {shown(site, 40)}) "
                "without an Origin is refused"
            )
        return None


def close_reason(text: str) -> str:
    """Text cut to fit a WebSocket close frame's reason (at most 123 bytes of UTF-8)."""
    return text.encode()[:_CLOSE_REASON_BYTES].decode(errors="ignore")


class RefusalLog:
    """Logs refused pages as warnings, at most one line a LOG_EVERY_S (with how many were
    refused since the last), so a page that keeps reconnecting does not flood the journal."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last = -LOG_EVERY_S
        self._since = 0

    def refused(self, what: str, refusal: str) -> None:
        self._since += 1
        now = self._clock()
        if now - self._last < LOG_EVERY_S:
            return
        log.warning("%s refused: %s (%d since the last such line)", what, refusal, self._since)
        self._last, self._since = now, 0


def _names_host(origin: str, host: str | None) -> bool:
    # Whether an Origin header names the host (and port) a request was sent to.
    if not host:
        return False
    try:
        return urlsplit(origin).netloc.lower() == host.lower()
    except ValueError:
        return False
