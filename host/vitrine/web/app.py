"""The HTTP application: GET /api/status (JSON), a plain status page at /status that shows the
same, live, the event WebSocket /ws (the touch frame's pointer and gesture events; docs/touch.md),
and the routers of the parts that serve pages (the player at /, the associate app, the
catalogue). Served by uvicorn inside the daemon's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from vitrine.bus import EventBus


class BoardStatus(BaseModel):
    name: str
    role: str | None
    port: str
    state: str
    state_for_s: float
    last_error: str | None
    last_error_at: float | None
    firmware_version: str | None
    build_hash: str | None
    schema_rev: int | None
    schema_hash: str | None
    uid: str | None
    reset_cause: str | None
    capabilities: list[str]
    board_uptime_s: float | None
    last_rx_s_ago: float | None
    counters: dict[str, int]
    board_counters: dict[str, int] | None


class Status(BaseModel):
    version: str
    uptime_s: float
    host_build: str
    boards: list[BoardStatus]


def create_app(
    status: Callable[[], dict[str, Any]],
    bus: EventBus | None = None,
    live: tuple[type, ...] = (),
    routers: Sequence[APIRouter] = (),
) -> FastAPI:
    """The FastAPI app; status() returns the current daemon status as a dict; events of the
    `live` types published on `bus` go to every /ws client as JSON (their to_json()); the
    routers are included as they are."""
    app = FastAPI(
        title="Vitrine daemon",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    page = resources.files("vitrine.web").joinpath("static/status.html").read_text()

    @app.get("/api/status", response_model=Status)
    async def get_status() -> dict[str, Any]:
        """Each board's role, firmware, link state and counters."""
        return status()

    @app.get("/status", response_class=HTMLResponse)
    async def status_page() -> str:
        """A plain page showing /api/status, refreshed every second."""
        return page

    @app.websocket("/ws")
    async def events(ws: WebSocket) -> None:
        """Live events, one JSON text message each. Clients only listen: anything they send
        is answered with an error message and otherwise ignored."""
        await ws.accept()
        if bus is None or not live:
            await ws.close()
            return
        with bus.subscribe(*live) as sub:
            listener = asyncio.create_task(_listen(ws))
            try:
                while not listener.done():
                    getter = asyncio.ensure_future(sub.get())
                    await asyncio.wait({getter, listener}, return_when=asyncio.FIRST_COMPLETED)
                    if not getter.done():
                        getter.cancel()
                        break
                    await ws.send_text(json.dumps(getter.result().to_json()))
            except (WebSocketDisconnect, RuntimeError):
                pass  # the client went away mid-send
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                    await listener

    for router in routers:
        app.include_router(router)
    return app


async def _listen(ws: WebSocket) -> None:
    # Reads until the client disconnects; a client message is never an instruction here.
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        await ws.send_text(
            json.dumps({"type": "error", "error": "this socket only sends events; ignored"})
        )
