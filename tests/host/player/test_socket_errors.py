"""WS /player/ws when things go wrong: a page that goes away (every way uvicorn reports it) ends
its socket without a word in the log, and a bug while serving a page is logged and closes that
socket with 1011 instead of passing for a page that went away.

The first tests run a real uvicorn (the daemon's server, with the WebSocket protocol it picks)
and a client written byte by byte, so that each way of leaving happens as it does in a store."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import os
import socket
import struct
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tests.host.player.conftest import KIOSK
from vitrine.bus import EventBus
from vitrine.devices.touch.events import PointerEvent
from vitrine.engine.events import ViewChanged
from vitrine.player import player_router
from vitrine.player.app import _CLIENT_GONE, CLOSE_INTERNAL_ERROR

PING_S = 0.2  # uvicorn's keepalive ping interval and timeout in these tests
WAIT_S = 10.0


async def _eventually(check: Callable[[], bool], what: str) -> None:
    """Waits until check() is true; fails saying `what` after WAIT_S."""
    deadline = asyncio.get_running_loop().time() + WAIT_S
    while not check():
        assert asyncio.get_running_loop().time() < deadline, what
        await asyncio.sleep(0.005)


class _Uvicorn(uvicorn.Server):
    # The test process owns signal handling.
    @contextlib.contextmanager
    def capture_signals(self) -> Any:
        yield


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """uvicorn serving `app` on 127.0.0.1 in this event loop, as the daemon runs it (its
    default WebSocket protocol), with quick keepalive pings; yields the port."""
    sock = socket.create_server(("127.0.0.1", 0))
    server = _Uvicorn(
        uvicorn.Config(
            app,
            lifespan="off",
            log_level="warning",
            ws_ping_interval=PING_S,
            ws_ping_timeout=PING_S,
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await _eventually(lambda: server.started, "uvicorn did not start")
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        await task
        sock.close()


def frame(opcode: int, payload: bytes = b"") -> bytes:
    """One masked client frame (RFC 6455 section 5.2), payload under 126 bytes."""
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked


class RawClient:
    """A WebSocket client at the byte level, so it can leave in any way a browser or a
    network does."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.drain = asyncio.create_task(self._discard())

    @classmethod
    async def open(cls, port: int, path: str) -> RawClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return cls(reader, writer)

    async def _discard(self) -> None:
        # Reads (and never answers) whatever the server sends, so its sends never block.
        with contextlib.suppress(ConnectionError):
            while await self.reader.read(65536):
                pass

    async def close_frame(self) -> None:
        """Leaves as a browser closing the page does: a close frame (1001, going away)."""
        self.writer.write(frame(0x8, struct.pack("!H", 1001)))
        await self.writer.drain()

    async def reset(self) -> None:
        """Leaves as a dropped network does: the connection reset, no close frame."""
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()

    async def bad_frame(self) -> None:
        """Breaks the protocol (a frame with a reserved opcode): uvicorn closes the socket."""
        self.writer.write(frame(0x3))
        await self.writer.drain()

    async def silent(self) -> None:
        """Stops answering uvicorn's keepalive pings (a phone asleep, a frozen browser): it
        gives up after PING_S and closes the socket itself. A raw client never answers them."""

    async def end(self) -> None:
        self.drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.drain
        self.writer.transport.abort()


LEAVING = ["close_frame", "reset", "bad_frame", "silent"]


# --- what the server raises when the client has gone --------------------------------------------


@pytest.mark.parametrize("leave", LEAVING)
async def test_sending_to_a_page_that_has_gone_raises_only_what_the_player_takes_for_gone(
    leave: str,
) -> None:
    """Pins down what sending raises under the daemon's uvicorn and starlette once the client
    has gone, while a sender keeps sending (as the player's pump does with a stream of
    pointers): every such error is one of _CLIENT_GONE."""
    raised: list[BaseException] = []

    async def endpoint(ws: WebSocket) -> None:
        await ws.accept()
        try:
            while True:
                await ws.send_text("x" * 64)
                await asyncio.sleep(0)
        except Exception as err:
            raised.append(err)

    app = FastAPI(routes=[WebSocketRoute("/ws", endpoint)])
    async with serving(app) as port:
        client = await RawClient.open(port, "/ws")
        await asyncio.sleep(0.05)
        await getattr(client, leave)()
        await _eventually(lambda: bool(raised), "the sender never learned the client had gone")
        await client.end()
    (err,) = raised
    assert isinstance(err, _CLIENT_GONE), repr(err)
    if leave in ("bad_frame", "silent"):
        # uvicorn closed the connection itself and the next send came before it saw it go:
        # a plain RuntimeError, which is why the player takes one from a send for "gone".
        assert type(err) is RuntimeError
        assert "after sending 'websocket.close'" in str(err)
    else:
        assert isinstance(err, WebSocketDisconnect)


# --- the player's socket ------------------------------------------------------------------


class FakeEngine:
    """What the player needs of the engine (PlayerEngine); view() can be made to fail."""

    def __init__(self) -> None:
        self.rev = 1
        self.fail_with: BaseException | None = None

    def view(self) -> dict[str, Any]:
        if self.fail_with is not None:
            raise self.fail_with
        return {"rev": self.rev, "screen": {"name": "attract"}}

    async def act(self, action: Any) -> dict[str, Any]:
        return self.view()


def pointer(n: int) -> PointerEvent:
    return PointerEvent(
        kind="move",
        id=1,
        x=float(n % 1000),
        y=200.0,
        x_mm=40.0,
        y_mm=50.0,
        diameter_mm=9.0,
        board="touch",
        t_ns=n,
        scan=n,
    )


async def _flood(bus: EventBus) -> None:
    # The touch frame at full tilt: a pointer on every turn of the loop.
    n = 0
    while True:
        bus.publish(pointer(n))
        n += 1
        await asyncio.sleep(0)


def _errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("leave", LEAVING)
async def test_a_page_that_leaves_mid_stream_is_let_go_without_a_word(
    leave: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = EventBus()
    app = FastAPI()
    app.include_router(player_router(FakeEngine(), bus, (PointerEvent,)))
    caplog.set_level(logging.WARNING)
    async with serving(app) as port:
        client = await RawClient.open(port, "/player/ws")
        await _eventually(lambda: bool(bus._subs), "the page never subscribed")
        flood = asyncio.create_task(_flood(bus))
        try:
            await asyncio.sleep(0.05)
            await getattr(client, leave)()
            await _eventually(lambda: not bus._subs, "the socket outlived its page")
        finally:
            flood.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flood
            await client.end()
    assert _errors(caplog) == []


def _app(engine: FakeEngine, bus: EventBus, touch_types: tuple[type, ...]) -> FastAPI:
    app = FastAPI()
    app.include_router(player_router(engine, bus, touch_types))
    return app


def _publish_soon(client: TestClient, bus: EventBus, event: object) -> None:
    async def go() -> None:
        await _eventually(lambda: bool(bus._subs), "the page never subscribed")
        bus.publish(event)

    client.portal.call(go)


@pytest.mark.parametrize(
    "bug",
    [RuntimeError("view model bug"), OSError(5, "Input/output error"), KeyError("rev")],
    ids=["RuntimeError", "OSError", "KeyError"],
)
def test_a_bug_while_serving_a_page_is_logged_and_closes_with_1011(
    bug: BaseException, caplog: pytest.LogCaptureFixture
) -> None:
    """RuntimeError and OSError were taken for a page that went away, and vanished."""
    engine = FakeEngine()
    bus = EventBus()
    caplog.set_level(logging.WARNING)
    with (
        TestClient(_app(engine, bus, (PointerEvent,)), client=KIOSK) as client,
        client.websocket_connect("/player/ws") as ws,
    ):
        assert ws.receive_json()["type"] == "state"
        engine.fail_with = bug
        engine.rev = 2
        _publish_soon(client, bus, ViewChanged(rev=2))
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == CLOSE_INTERNAL_ERROR
    failed = [r for r in caplog.records if r.getMessage().startswith("player socket failed")]
    assert len(failed) == 1, _errors(caplog)
    assert failed[0].levelno == logging.ERROR
    assert failed[0].exc_info is not None and failed[0].exc_info[1] is bug


class BrokenEvent:
    """A touch event whose JSON form has a bug."""

    def to_json(self) -> dict[str, Any]:
        raise RuntimeError("to_json bug")


def test_a_bug_in_a_forwarded_event_is_logged_and_closes_with_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    caplog.set_level(logging.WARNING)
    with (
        TestClient(_app(FakeEngine(), bus, (BrokenEvent,)), client=KIOSK) as client,
        client.websocket_connect("/player/ws") as ws,
    ):
        assert ws.receive_json()["type"] == "state"
        _publish_soon(client, bus, BrokenEvent())
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == CLOSE_INTERNAL_ERROR
    assert any("to_json bug" in message for message in _errors(caplog)), _errors(caplog)


def test_a_bug_in_the_first_state_is_logged_and_closes_with_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine = FakeEngine()
    engine.fail_with = RuntimeError("first view bug")
    caplog.set_level(logging.WARNING)
    with (
        TestClient(_app(engine, EventBus(), ()), client=KIOSK) as client,
        client.websocket_connect("/player/ws") as ws,
        pytest.raises(WebSocketDisconnect) as closed,
    ):
        ws.receive_json()
    assert closed.value.code == CLOSE_INTERNAL_ERROR
    assert any("first view bug" in message for message in _errors(caplog)), _errors(caplog)
