"""The live queue over a WebSocket, /associate/ws: {"type": "requests", ...} on connect, on
every change (the bus's RequestsChanged, bursts coalesced) and every REFRESH_S; {"type": "ping"}
is answered {"type": "pong"} and anything else with an error. It needs the session cookie (or
?token=) and closes with 4401 without it, or once the session has ended."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from vitrine.associate.api import AssociateEngine, queue_message
from vitrine.associate.gate import Gate
from vitrine.associate.http import COOKIE
from vitrine.bus import EventBus
from vitrine.engine.events import RequestsChanged
from vitrine.web.origins import Origins
from vitrine.web.untrusted import decode_json

MAX_WS_MESSAGE_BYTES = 4096
REFRESH_S = 30.0  # the socket re-checks the session and resends the queue this often
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 1009
UNKNOWN_MESSAGE = (
    'unknown message; this socket only sends the queue and answers {"type": "ping"}; '
    "act on a request with POST /associate/api/requests/{id}/acknowledge or /fulfil"
)


def live_routes(engine: AssociateEngine, bus: EventBus, gate: Gate, origins: Origins) -> APIRouter:
    """WS /associate/ws; pages of other origins than the mirror's own and `origins` are
    refused (4403)."""
    router = APIRouter()
    auth = gate.auth

    @router.websocket("/associate/ws")
    async def queue_socket(ws: WebSocket) -> None:
        """The live queue: {"type": "requests", ...} on connect and on every change;
        {"type": "ping"} is answered {"type": "pong"}; anything else with an error. Needs
        the session cookie (or ?token=); closes with 4401 without it."""
        await ws.accept()
        if origins.refusal(ws.headers, same_host=True) is not None:
            await ws.close(CLOSE_FORBIDDEN, "cross-origin socket refused")
            return
        candidates = (ws.cookies.get(COOKIE), ws.query_params.get("token"))
        token = next((t for t in candidates if auth.verify(t) is not None), None)
        if token is None:
            await ws.close(CLOSE_UNAUTHORIZED, "sign in first")
            return
        await _serve_queue(
            ws,
            bus,
            lambda: queue_message(engine, auth.config),
            lambda: auth.verify(token) is not None,
        )

    return router


async def _serve_queue(
    ws: WebSocket,
    bus: EventBus,
    queue: Callable[[], Awaitable[dict[str, Any]]],
    still_signed_in: Callable[[], bool],
) -> None:
    # Sends the queue now, on each RequestsChanged (bursts coalesced) and every REFRESH_S;
    # a second task answers what the client sends. Ends when either side goes away.
    lock = asyncio.Lock()

    async def send(message: dict[str, Any]) -> None:
        async with lock:
            await ws.send_text(json.dumps(message, separators=(",", ":")))

    with bus.subscribe(RequestsChanged) as sub:
        listener = asyncio.create_task(_listen(ws, send))
        try:
            await send(await queue())
            while not listener.done():
                getter = asyncio.ensure_future(sub.get())
                done, _ = await asyncio.wait(
                    {getter, listener}, timeout=REFRESH_S, return_when=asyncio.FIRST_COMPLETED
                )
                if getter not in done:
                    getter.cancel()
                    if listener in done:
                        break
                sub.drain()
                if not still_signed_in():
                    async with lock:
                        await ws.close(CLOSE_UNAUTHORIZED, "session ended")
                    break
                await send(await queue())
        except (WebSocketDisconnect, RuntimeError):
            pass  # the client went away mid-send
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await listener


async def _listen(ws: WebSocket, send: Callable[[dict[str, Any]], Any]) -> None:
    # Answers the client until it disconnects. Only {"type": "ping"} means anything.
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        data = message.get("bytes")
        size = len(text.encode()) if text is not None else len(data or b"")
        if size > MAX_WS_MESSAGE_BYTES:
            await ws.close(CLOSE_TOO_BIG, f"messages are limited to {MAX_WS_MESSAGE_BYTES} bytes")
            return
        if text is None:
            await send(_ws_error("send JSON text messages, not binary"))
            continue
        try:
            decoded = decode_json(text)
        except ValueError:
            await send(_ws_error('not JSON; allowed: {"type": "ping"}'))
            continue
        if isinstance(decoded, dict) and decoded == {"type": "ping"}:
            await send({"type": "pong"})
        else:
            await send(_ws_error(UNKNOWN_MESSAGE))


def _ws_error(message: str) -> dict[str, Any]:
    return {"type": "error", "code": "bad_message", "error": message}
