"""The player's routes: GET / (the page), GET /player/static/{name} (its scripts and styles)
and WS /player/ws (the view model and the touch frame's events down, the page's actions up).

The page is server-authoritative: it draws whatever the last "state" message says, and asks
the engine for every screen change. Protocol: docs/player.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from importlib import resources
from typing import Any, Protocol

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from vitrine.bus import EventBus, Subscription
from vitrine.engine.actions import parse_action
from vitrine.engine.errors import ActionError
from vitrine.engine.events import ViewChanged
from vitrine.errors import shown
from vitrine.player.reports import PlayerReports, UnknownMessageReport
from vitrine.tasks import stop_task
from vitrine.web.access import ScreenAccess
from vitrine.web.clients import REMOTE_HINT, REMOTE_REFUSED, is_local
from vitrine.web.files import static_file
from vitrine.web.limits import CLOSE_TRY_LATER, MessageRate, SocketSlots
from vitrine.web.origins import ORIGIN_REFUSED, RefusalLog, close_reason
from vitrine.web.untrusted import decode_json

log = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 16 * 1024  # a page message larger than this closes the socket (1009)
RATE_PER_S = 50  # page messages per second per socket; the excess is dropped
MAX_SOCKETS = 32  # pages connected at once (the kiosk has one; reloads leave some a while)
SEND_TIMEOUT_S = 5.0  # a client that takes longer to take one message is dropped
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011  # the daemon failed serving this page (logged); the page reconnects

# What sending on (or closing) a socket raises once its client has gone, with uvicorn's
# sans-I/O WebSocket protocol (what uvicorn picks with `websockets` installed) under starlette:
# - WebSocketDisconnect: the connection is lost (uvicorn raises ClientDisconnected, an
#   OSError, and starlette's WebSocket.send turns it into WebSocketDisconnect(1006));
# - RuntimeError: uvicorn has closed the connection itself, because the client missed its
#   keepalive pings or broke the protocol, and has not yet seen it go ("Unexpected ASGI
#   message 'websocket.send', after sending 'websocket.close'"); also starlette's
#   WebSocketDisconnected (a RuntimeError) after a close was sent.
# tests/host/player/test_socket_errors.py provokes each against a real uvicorn. They are
# caught around the send and close calls only: raised anywhere else they are bugs, logged.
_CLIENT_GONE = (WebSocketDisconnect, RuntimeError)


class PlayerEngine(Protocol):
    """What the player needs of the engine."""

    def view(self) -> dict[str, Any]: ...

    async def act(self, action: Any) -> dict[str, Any]: ...


def player_router(
    engine: PlayerEngine,
    bus: EventBus,
    touch_types: tuple[type, ...],
    *,
    reports: PlayerReports | None = None,
    access: ScreenAccess | None = None,
    greet: Callable[[], list[dict[str, Any]]] | None = None,
) -> APIRouter:
    """The player's routes. `engine` gives the view model and carries out actions; the
    engine's ViewChanged events on `bus` send a fresh "state" to every page, and events of
    the `touch_types` (the touch frame's pointers and gestures, the light the strips show) go
    to every page as their to_json(); `greet` gives what a page is sent after its first state
    (the light shown now). The pages' reports (messages they did not know) are counted in
    `reports`, for /api/status. The socket answers browsers on this machine (the kiosk) only,
    unless `access` allows remote control: a shopper's session is not for other machines on
    the store network to drive; and of browser pages, only those of its origins (the kiosk's
    own origin and [http] origins; none when not given), whatever machine they run on."""
    router = APIRouter()
    reports = reports if reports is not None else PlayerReports()
    access = access or ScreenAccess()
    slots = SocketSlots(MAX_SOCKETS)
    refusals = RefusalLog()
    static = resources.files("vitrine.player").joinpath("static")

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request) -> Response:
        """The player page."""
        return static_file(static, "index.html", request, what="player")

    @router.get("/player/static/{name}", include_in_schema=False)
    async def player_file(name: str, request: Request) -> Response:
        """One of the page's own files (scripts, styles, icons)."""
        return static_file(static, name, request, what="player")

    @router.websocket("/player/ws")
    async def socket(ws: WebSocket) -> None:
        """One page: "state" on connect and on every change, touch events as they come;
        the page's actions go to the engine (errors come back on the same socket)."""
        if not access.remote_control and not is_local(ws.client.host if ws.client else None):
            await ws.close(code=REMOTE_REFUSED, reason=REMOTE_HINT[:120])
            return
        refusal = access.origins.refusal(ws.headers)
        if refusal is not None:
            refusals.refused("player socket", refusal)
            await ws.close(code=ORIGIN_REFUSED, reason=close_reason(refusal))
            return
        with slots.take() as slot:
            if not slot:
                await ws.close(code=CLOSE_TRY_LATER, reason=slots.full_reason("player"))
                return
            await ws.accept()
            await _PlayerSocket(ws, engine, bus, touch_types, reports, greet).run()

    return router


class _Gone(Exception):
    """The client went away or stopped taking messages."""


class _PlayerSocket:
    """One connected page: a pump from the bus to the page and a reader of the page's
    messages, sharing one send lock."""

    def __init__(
        self,
        ws: WebSocket,
        engine: PlayerEngine,
        bus: EventBus,
        touch_types: tuple[type, ...],
        reports: PlayerReports,
        greet: Callable[[], list[dict[str, Any]]] | None = None,
    ) -> None:
        self.ws = ws
        self.greet = greet
        self.engine = engine
        self.reports = reports
        self.bus = bus
        self.touch_types = touch_types
        self._send_lock = asyncio.Lock()
        self._last_rev: Any = None
        self.rate = MessageRate(RATE_PER_S)

    async def run(self) -> None:
        # Subscribe before the first state, so no change between the two is missed.
        with self.bus.subscribe(ViewChanged, *self.touch_types) as sub:
            tasks: list[asyncio.Task[None]] = []
            failed = False
            try:
                await self._send_state(force=True)
                for message in self.greet() if self.greet is not None else []:
                    await self._send(message)
                tasks = [asyncio.create_task(self._pump(sub)), asyncio.create_task(self._read())]
                # Both run until the page goes (_Gone); the first to end stops the other.
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            except _Gone:
                pass  # the page went away, or was sent away: nothing to tell
            except Exception as err:
                _log_failure(err)
                failed = True
            finally:
                for task in tasks:
                    task.cancel()
                ended_well = [await _ended_well(task) for task in tasks]
                failed = failed or not all(ended_well)
                await self._close(CLOSE_INTERNAL_ERROR if failed else 1000)

    async def _close(self, code: int) -> None:
        # Closing a socket whose client has gone (or that is closed already) has nothing to do.
        with contextlib.suppress(*_CLIENT_GONE):
            await self.ws.close(code=code)

    async def _send(self, message: dict[str, Any]) -> None:
        text = json.dumps(message, separators=(",", ":"))
        async with self._send_lock:
            try:
                async with asyncio.timeout(SEND_TIMEOUT_S):
                    await self.ws.send_text(text)
            except TimeoutError as err:
                raise _Gone(f"the page took no message for {SEND_TIMEOUT_S} s") from err
            except _CLIENT_GONE as err:
                raise _Gone("the page went away") from err

    async def _send_state(self, *, force: bool = False) -> None:
        view = self.engine.view()
        rev = view.get("rev")
        if not force and rev is not None and rev == self._last_rev:
            return  # this page has that view already
        self._last_rev = rev
        await self._send({**view, "type": "state"})

    async def _pump(self, sub: Subscription) -> None:
        # Events in publish order; several ViewChanged waiting together make one "state".
        while True:
            events = [await sub.get(), *sub.drain()]
            last_view = max(
                (i for i, event in enumerate(events) if isinstance(event, ViewChanged)),
                default=-1,
            )
            for i, event in enumerate(events):
                if isinstance(event, ViewChanged):
                    if i == last_view:
                        await self._send_state()
                else:
                    await self._send(event.to_json())

    async def _read(self) -> None:
        while True:
            message = await self.ws.receive()
            if message["type"] == "websocket.disconnect":
                raise _Gone("the page closed the socket")
            text = message.get("text")
            data = message.get("bytes")
            size = len(data) if text is None and data is not None else _utf8_size(text or "")
            if size > MAX_MESSAGE_BYTES:
                with contextlib.suppress(*_CLIENT_GONE):
                    await self.ws.close(
                        code=CLOSE_TOO_BIG,
                        reason=f"message over {MAX_MESSAGE_BYTES} bytes",
                    )
                raise _Gone("sent away: a message too big")
            if self.rate.admit():
                await self._handle(text)
            elif self.rate.tell():  # a flooding page hears of it once a second
                await self._send(self.rate.notice())

    async def _handle(self, text: str | None) -> None:
        if text is None:
            await self._send(_bad_message("messages are JSON text, not binary"))
            return
        try:
            data = decode_json(text)
        except ValueError:
            await self._send(_bad_message('not JSON; send an object like {"type": "hello"}'))
            return
        if not isinstance(data, dict):
            await self._send(_bad_message('not a JSON object; send one like {"type": "hello"}'))
            return
        kind = data.get("type")
        if kind == "hello":
            await self._send_state(force=True)
            return
        if kind == "ping":
            await self._send({"type": "pong"})
            return
        if kind == "unknown_message":
            await self._unknown_message(data)
            return
        try:
            await self.engine.act(parse_action(data))
        except ActionError as err:
            await self._send(_error_json(err))
        except _Gone:
            raise
        except Exception:
            log.exception("player: action %r failed", kind)
            await self._send(
                {"type": "error", "code": "internal", "error": f"the {kind!r} action failed"}
            )

    async def _unknown_message(self, data: dict[str, Any]) -> None:
        # The page was sent messages of a type it does not know (and wrote so to its console).
        try:
            report = UnknownMessageReport.model_validate(data)
        except ValidationError as err:
            await self._send(_refused("unknown_message", err))
            return
        if self.reports.unknown_message(report):
            log.warning(
                "player page: messages of a type it does not know: %r (counted in /api/status)",
                report.message_type,
            )


async def _ended_well(task: asyncio.Task[None]) -> bool:
    """Waits for a stopped pump or reader: True when it was stopped or its page went away,
    False when a bug ended it (logged)."""
    try:
        await stop_task(task)
    except _Gone:
        pass
    except Exception as err:
        _log_failure(err)
        return False
    return True


def _log_failure(err: Exception) -> None:
    log.error("player socket failed: %r", err, exc_info=err)


def _utf8_size(text: str) -> int:
    # A character is at most 4 bytes: text that short is under the cap without encoding it.
    if len(text) * 4 <= MAX_MESSAGE_BYTES:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def _bad_message(error: str) -> dict[str, Any]:
    return {"type": "error", "code": "bad_message", "error": error}


def _refused(kind: str, err: ValidationError) -> dict[str, Any]:
    # The first problem, naming the field, the value given and what is allowed.
    first = err.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    if first["type"] == "missing":
        problem = f"{field} is missing"
    elif first["type"] == "extra_forbidden":
        problem = f"{field} is not a field of {kind}"
    else:
        problem = f"{field} = {shown(first['input'], 80)}: {first['msg']}"
    return {
        "type": "error",
        "code": "bad_message",
        "error": f"{kind} refused: {problem}",
        "field": field,
    }


def _error_json(err: ActionError) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "error", "code": err.code, "error": err.message}
    if err.field is not None:
        out["field"] = err.field
    return out
