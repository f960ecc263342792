"""The HTTP application: GET /api/status (JSON), a plain status page at /status that shows the
same, live, the event WebSocket /ws (the touch frame's pointer and gesture events out, the touch
calibration's targets in; docs/touch.md), the browser files the pages share at /static/, and
the routers of the parts that serve pages (the player at /, the associate app, the catalogue).
Served by uvicorn inside the daemon's event loop (vitrine.web.server).

/ws answers programs and the pages of the kiosk's origins only (vitrine.web.origins), takes
calibration targets only from the calibration tool's signed connection
(vitrine.web.calibration_token), and holds each client to a message size and rate."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Annotated, Any, Literal, Self

from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from vitrine.bus import EventBus
from vitrine.devices.touch.events import CalibrationTarget
from vitrine.web.access import ScreenAccess
from vitrine.web.calibration_token import REFUSED_HINT, presented
from vitrine.web.clients import REMOTE_HINT, is_local
from vitrine.web.files import shared_router
from vitrine.web.limits import CLOSE_TRY_LATER, MessageRate, SocketSlots
from vitrine.web.origins import ORIGIN_REFUSED, RefusalLog, close_reason
from vitrine.web.untrusted import decode_json

IGNORED = "this socket only sends events; ignored"  # the answer to any other client message
MAX_MESSAGE_BYTES = 4096  # a longer client message closes the socket, 1009 (a target is < 400)
RATE_PER_S = 20  # client messages per second per socket (a calibration sends a few a minute)
MAX_SOCKETS = 16  # /ws clients at once (the calibration tool, a bench, a touch consumer)
CLOSE_TOO_BIG = 1009


class MissingSubsystems(BaseModel):
    """Subsystems the board's role needs that its firmware does not run (vitrine.board_fit)."""

    subsystems: list[str]
    detail: str  # what is off because of it
    fix: str  # what to do


class ResetStatus(BaseModel):
    """The board's last start the link knows of (vitrine.link.resets)."""

    cause: str  # from its HELLO: power_on, soft (asked for), wdt, hard, ...
    at: float  # when it started, seconds since the epoch
    seen: str  # "while up", "while away" (its link was down) or "before" (this host connected)
    error: bool  # the cause is an error (the watchdog, a crash, a brown-out)
    meaning: str


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
    last_reset: ResetStatus | None = None
    capabilities: list[str]
    board_uptime_s: float | None
    last_rx_s_ago: float | None
    counters: dict[str, int]
    board_counters: dict[str, int] | None
    missing_subsystems: MissingSubsystems | None = None


class LoopStatus(BaseModel):
    """How late the daemon's event loop wakes (vitrine.looplag)."""

    period_ms: float
    samples: int
    max_ms: float
    recent_max_ms: float
    recent_s: float
    histogram_ms: dict[str, int]


class PlayerStatus(BaseModel):
    # messages the player pages were sent and did not know, per message type
    # (vitrine.player.reports; docs/player.md)
    unknown_messages: dict[str, int]


class TouchStatus(BaseModel):
    """The touch frame's health as its board last reported it (TOUCH_HEALTH; docs/touch.md),
    or nothing yet."""

    board: str
    reported: bool  # a TOUCH_HEALTH has come
    ready: bool | None = None  # the board's baseline is taken (touches are found)
    beams: int | None = None
    failed: int | None = None
    saturated: int | None = None
    blinded: list[str] = []  # the axes whose bar is blinded: "x", "y"
    problems: list[str] = []  # e.g. "x bar blinded: its receivers are saturated"


class AssociateStatus(BaseModel):
    # PIN sign-in: "open", or "paused" for paused_for_s after wrong PINs on this mirror
    # (vitrine.associate.pin_budget); wrong_pins: those that count now
    pin_sign_in: Literal["open", "paused"]
    paused_for_s: int
    wrong_pins: int


class VisionStatus(BaseModel):
    """The camera's pipeline (vitrine.vision.service): off, starting, running, no_camera,
    no_models, ended, restarting or stopped, with what it says, and its figures."""

    enabled: bool
    source: str | None = None
    state: str
    detail: str = ""
    restarts: int = 0
    events: int = 0
    frames: int | None = None
    fps: float | None = None
    dropped: int | None = None
    stages_ms: dict[str, dict[str, float]] | None = None  # per stage: p50, p99
    counter: dict[str, Any] | None = None  # the people counter's stream


class Status(BaseModel):
    version: str
    uptime_s: float
    host_build: str
    loop: LoopStatus | None = None
    boards: list[BoardStatus]
    player: PlayerStatus
    touch: TouchStatus | None = None
    associate: AssociateStatus | None = None
    # the Presence device's zone, sensors and parts (docs/presence.md), and the lighting's
    # scene and what the strips show (docs/firmware.md)
    presence: dict[str, Any] | None = None
    lighting: dict[str, Any] | None = None
    vision: VisionStatus | None = None


class CalibrationMessage(BaseModel):
    """A /ws client's touch calibration target, for the player to draw."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["calibration"]
    step: int = Field(ge=1, le=16)
    of: int = Field(ge=1, le=16)
    x: float = Field(ge=0, le=20000, allow_inf_nan=False)  # display px
    y: float = Field(ge=0, le=20000, allow_inf_nan=False)
    text: str = Field(max_length=200)

    @model_validator(mode="after")
    def _step_of(self) -> Self:
        if self.step > self.of:
            raise ValueError(f"step {self.step} of {self.of}: allowed at most `of`")
        return self


class CalibrationDone(BaseModel):
    """A /ws client's touch calibration is over: the player hides the targets."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["calibration_done"]


_CLIENT_MESSAGE: TypeAdapter[CalibrationMessage | CalibrationDone] = TypeAdapter(
    Annotated[CalibrationMessage | CalibrationDone, Field(discriminator="type")]
)


def create_app(
    status: Callable[[], dict[str, Any]],
    bus: EventBus | None = None,
    live: tuple[type, ...] = (),
    routers: Sequence[APIRouter] = (),
    *,
    access: ScreenAccess | None = None,
) -> FastAPI:
    """The FastAPI app; status() returns the current daemon status as a dict; events of the
    `live` types published on `bus` go to every /ws client as JSON (their to_json()); the
    routers are included as they are. /ws answers programs and pages of the origins `access`
    names (none when not given). Calibration targets are taken only from clients whose
    handshake carries a token signed with its calibration key (none when not given), on this
    machine unless it allows remote control."""
    access = access or ScreenAccess()
    slots = SocketSlots(MAX_SOCKETS)
    refusals = RefusalLog()
    app = FastAPI(
        title="Vitrine daemon",
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    page = resources.files("vitrine.web").joinpath("static/status.html").read_text()

    @app.get("/api/status", response_model=Status)
    async def get_status() -> dict[str, Any]:
        """Each board's role, firmware, link state and counters; what the player pages
        reported."""
        return status()

    @app.get("/status", response_class=HTMLResponse)
    async def status_page() -> str:
        """A plain page showing /api/status, refreshed every second."""
        return page

    @app.websocket("/ws")
    async def events(ws: WebSocket) -> None:
        """Live events, one JSON text message each. The only messages a client may send are
        touch calibration targets ({"type": "calibration", ...}) and their end
        ({"type": "calibration_done"}), published on the bus for the player to draw;
        anything else is answered with an error message and otherwise ignored. A client that
        goes away while its target is shown ends its calibration. A message over
        MAX_MESSAGE_BYTES closes the socket (1009); beyond RATE_PER_S a second, messages are
        dropped (the client is told once a second)."""
        refusal = access.origins.refusal(ws.headers)
        if refusal is not None:
            refusals.refused("event socket /ws", refusal)
            await ws.close(code=ORIGIN_REFUSED, reason=close_reason(refusal))
            return
        with slots.take() as slot:
            if not slot:
                await ws.close(code=CLOSE_TRY_LATER, reason=slots.full_reason("/ws"))
                return
            await ws.accept()
            if bus is None or not live:
                await ws.close()
                return
            local = access.remote_control or is_local(ws.client.host if ws.client else None)
            signed = presented(access.calibration_key, ws.headers)
            no_targets = REMOTE_HINT if not local else None if signed else REFUSED_HINT
            await _serve_events(ws, bus, live, _Calibration(bus, no_targets))

    app.include_router(shared_router())
    for router in routers:
        app.include_router(router)
    return app


async def _serve_events(
    ws: WebSocket, bus: EventBus, live: tuple[type, ...], calibration: _Calibration
) -> None:
    # The bus's live events to the client, while a second task reads what it sends.
    with bus.subscribe(*live) as sub:
        listener = asyncio.create_task(_listen(ws, calibration))
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
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
                await listener
            calibration.end()


class _Calibration:
    """One /ws client's calibration targets onto the bus; remembers whether one of them is
    shown, so that the client's going away can hide it."""

    def __init__(self, bus: EventBus, refusal: str | None = None) -> None:
        self.bus = bus
        # Why this client may not show targets (another machine, or not the calibration
        # tool's signed connection), or None when it may.
        self.refusal = refusal
        self.showing = False

    def take(self, text: str | None) -> dict[str, Any] | None:
        """A client message: published when it is a calibration message (nothing to answer),
        otherwise the error to answer it with."""
        message = _calibration_message(text)
        if message is None:
            return _error(IGNORED)
        if self.refusal is not None:
            return _error(f"{message['type']} message refused: {self.refusal}")
        try:
            parsed = _CLIENT_MESSAGE.validate_python(message)
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(part) for part in first["loc"][1:])
            return _error(
                f"{message['type']} message refused: {where or 'message'}: {first['msg']}"
            )
        if isinstance(parsed, CalibrationDone):
            self.showing = False
            self.bus.publish(CalibrationTarget.over())
            return None
        self.showing = True
        self.bus.publish(
            CalibrationTarget(
                step=parsed.step, of=parsed.of, x=parsed.x, y=parsed.y, text=parsed.text
            )
        )
        return None

    def end(self) -> None:
        """The client went away: a target it left shown is hidden."""
        if self.showing:
            self.showing = False
            self.bus.publish(CalibrationTarget.over())


def _error(text: str) -> dict[str, Any]:
    return {"type": "error", "error": text}


def _calibration_message(text: str | None) -> dict[str, Any] | None:
    # A client's text as a calibration message (a JSON object of one of their types, not
    # checked further), or None for anything else.
    if text is None:
        return None
    try:
        message = decode_json(text)
    except ValueError:
        return None
    if isinstance(message, dict) and message.get("type") in ("calibration", "calibration_done"):
        return message
    return None


async def _listen(ws: WebSocket, calibration: _Calibration) -> None:
    # Reads until the client disconnects; only calibration messages are taken. A message
    # over MAX_MESSAGE_BYTES closes the socket; beyond RATE_PER_S, messages are dropped.
    rate = MessageRate(RATE_PER_S)
    while True:
        message = await ws.receive()
        if message["type"] == "websocket.disconnect":
            return
        text, data = message.get("text"), message.get("bytes")
        if _size(text, data) > MAX_MESSAGE_BYTES:
            await ws.close(CLOSE_TOO_BIG, f"messages are limited to {MAX_MESSAGE_BYTES} bytes")
            return
        if rate.admit():
            answer = calibration.take(text)
        elif rate.tell():  # a flooding client hears of it once a second
            answer = rate.notice()
        else:
            continue
        if answer is not None:
            await ws.send_text(json.dumps(answer))


def _size(text: str | None, data: bytes | None) -> int:
    # A message's size in bytes (a text's UTF-8 length, counted only when it may be too long).
    if text is None:
        return len(data or b"")
    if len(text) * 4 <= MAX_MESSAGE_BYTES:
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))
