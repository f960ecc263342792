"""The daemon's HTTP server: uvicorn, with limits set from [http].

- At most `max_connections` connections at once (uvicorn's limit_concurrency): a request
  beyond it is answered 503, and so (here) is a WebSocket upgrade, which uvicorn lets through.
- At most `max_connections_per_client` of them from one address (here; uvicorn has no such
  limit), so one client on the store's network cannot take every place and lock out the
  kiosk and the associates: its requests and sockets beyond it are answered 503. A trusted
  proxy's connections are not counted per address (it speaks for many clients).
- A request must arrive whole, head and body, within `request_timeout_s` of the connection
  being ready for it (opened, or done with the previous request). uvicorn 0.54 has no such
  timeout: a client sending a header a byte at a time, or never finishing it, held its
  connection (and a place under the connection limit) for as long as it liked.
- An idle kept-alive connection is closed after `keep_alive_s` (uvicorn's timeout_keep_alive).
- A request head is at most MAX_HEAD_BYTES (h11's limit on an incomplete event: 400 beyond),
  a WebSocket message at most MAX_WS_MESSAGE_BYTES at the protocol level (1009 beyond); each
  socket has a smaller limit of its own.

uvicorn is kept (rather than a server with these timeouts of its own) because the daemon runs
it inside its own event loop as an asyncio task; the request timeout is a small subclass of
its h11 protocol, whose hooks (connection_made, handle_events, on_response_complete) are the
places uvicorn's own keep-alive timer uses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.protocols.http.flow_control import service_unavailable
from uvicorn.protocols.http.h11_impl import H11Protocol

from vitrine.logs import RepeatLimit

if TYPE_CHECKING:
    from vitrine.config import HttpConfig

MAX_HEAD_BYTES = 16 * 1024  # a request line and headers (a cookie and a token fit many times)
MAX_WS_MESSAGE_BYTES = 64 * 1024  # the largest socket's own limit is 16 KiB (the player's)
_WAITING = (h11.IDLE, h11.SEND_BODY)  # their states while a request has yet to arrive whole
log_refused = logging.getLogger("vitrine.web.server")


class LimitedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request to arrive whole, and its
    connection limit applied to WebSocket upgrades too."""

    config: ServerConfig

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._upgraded = False  # handed to the WebSocket protocol: no deadline any more
        super().connection_made(transport)
        self._over_client_limit = self._client_connections() > self.config.per_client
        if self._over_client_limit:  # every request on it is answered 503 (and closes it)
            self.app = service_unavailable
            log_refused.warning(
                "%s has %d connections open (limit [http] max_connections_per_client = %d): "
                "its requests beyond the limit are answered 503",
                self.client[0] if self.client else "a client",
                self._client_connections(),
                self.config.per_client,
            )
        self._expect_request()

    def _client_connections(self) -> int:
        # Connections open from this one's address (HTTP and upgraded WebSocket ones, this
        # one among them); 0 for an address not counted (a trusted proxy's, or unknown).
        address = self.client[0] if self.client else None
        if address is None or self.config.is_trusted_proxy(address):
            return 0
        return sum(
            1 for c in self.connections if (getattr(c, "client", None) or (None,))[0] == address
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self._no_deadline()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._upgraded:
            return
        if self.conn.their_state in _WAITING:
            self._expect_request()  # keeps a deadline already running
        else:
            self._no_deadline()  # the request is here whole (or the connection is over)

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._no_deadline()
        self._upgraded = True
        limit = self.limit_concurrency
        if limit is not None and len(self.connections) >= limit:
            self.logger.warning("Exceeded concurrency limit: WebSocket upgrade refused.")
            self._refuse(503, b"Service Unavailable: too many connections")
            return
        if self._over_client_limit:
            self._refuse(503, b"Service Unavailable: too many connections from this address")
            return
        super().handle_websocket_upgrade(event)

    def _expect_request(self) -> None:
        # A request is awaited: it must be here whole by the deadline.
        if self._deadline is None and not self._upgraded and not self.transport.is_closing():
            timeout_s = self.config.request_timeout_s
            self._deadline = self.loop.call_later(timeout_s, self._too_slow)

    def _no_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        # The request did not arrive in time: the connection is closed (a client that sent
        # no whole request head cannot be answered in HTTP).
        self._deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def _refuse(self, status: int, text: bytes) -> None:
        headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")]
        for event in (
            h11.Response(status_code=status, headers=headers),
            h11.Data(data=text),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration, plus the request timeout the protocol reads."""

    def __init__(
        self,
        app: Any,
        *,
        request_timeout_s: float,
        per_client: int,
        trusted_proxies: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.request_timeout_s = request_timeout_s
        self.per_client = per_client
        self._proxies = [ipaddress.ip_network(p, strict=False) for p in trusted_proxies]

    def is_trusted_proxy(self, address: str) -> bool:
        """Whether a peer address is one of the [http] trusted_proxies."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._proxies if net.version == ip.version)


def server_config(app: Any, http: HttpConfig, **kwargs: Any) -> ServerConfig:
    """The daemon's server for `app`, with the limits of its [http] section; kwargs are
    uvicorn's other settings (logging, lifespan)."""
    config = ServerConfig(
        app,
        request_timeout_s=http.request_timeout_s,
        per_client=http.max_connections_per_client,
        trusted_proxies=http.trusted_proxies,
        http=LimitedH11,
        limit_concurrency=http.max_connections,
        timeout_keep_alive=http.keep_alive_s,  # type: ignore[arg-type]  # uvicorn takes float
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
        ws_max_size=MAX_WS_MESSAGE_BYTES,
        proxy_headers=bool(http.trusted_proxies),  # believed from the proxies listed only
        forwarded_allow_ips=list(http.trusted_proxies),
        **kwargs,
    )
    # uvicorn logs a warning for every request over the connection limit: once per 10 s here
    for server_log in (logging.getLogger("uvicorn.error"), log_refused):
        if not any(isinstance(f, RepeatLimit) for f in server_log.filters):
            server_log.addFilter(RepeatLimit())
    return config
