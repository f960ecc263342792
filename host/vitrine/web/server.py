"""The daemon's HTTP server: uvicorn, with limits set from [http].

- At most `max_connections` connections at once (uvicorn's limit_concurrency): a request
  beyond it is answered 503, and so (here) is a WebSocket upgrade, which uvicorn lets through.
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
import logging
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from vitrine.logs import RepeatLimit

if TYPE_CHECKING:
    from vitrine.config import HttpConfig

MAX_HEAD_BYTES = 16 * 1024  # a request line and headers (a cookie and a token fit many times)
MAX_WS_MESSAGE_BYTES = 64 * 1024  # the largest socket's own limit is 16 KiB (the player's)
_WAITING = (h11.IDLE, h11.SEND_BODY)  # their states while a request has yet to arrive whole


class LimitedH11(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request to arrive whole, and its
    connection limit applied to WebSocket upgrades too."""

    config: ServerConfig

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._deadline: asyncio.TimerHandle | None = None
        self._upgraded = False  # handed to the WebSocket protocol: no deadline any more
        super().connection_made(transport)
        self._expect_request()

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

    def __init__(self, app: Any, *, request_timeout_s: float, **kwargs: Any) -> None:
        super().__init__(app, **kwargs)
        self.request_timeout_s = request_timeout_s


def server_config(app: Any, http: HttpConfig, **kwargs: Any) -> ServerConfig:
    """The daemon's server for `app`, with the limits of its [http] section; kwargs are
    uvicorn's other settings (logging, lifespan)."""
    config = ServerConfig(
        app,
        request_timeout_s=http.request_timeout_s,
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
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, RepeatLimit) for f in server_log.filters):
        server_log.addFilter(RepeatLimit())
    return config
