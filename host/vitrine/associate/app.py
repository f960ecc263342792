"""The associate app's HTTP side: the page, sign-in and sign-out, the queue of shoppers'
requests (JSON and a live WebSocket) and the two actions on a request, acknowledge and fulfil.

Every route but the page, its static files and sign-in/out needs a signed-in associate: the
session cookie from the PIN, or `Authorization: Bearer <token>` with a configured token.
Errors are JSON {"error": "...", "code": "...", "field"?: "..."}; a refused request changes
nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import re
from collections.abc import Callable
from importlib import resources
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from vitrine.associate.auth import LOCKED_MESSAGE, AssociateAuth, AuthError
from vitrine.bus import EventBus
from vitrine.engine.errors import ActionError
from vitrine.engine.events import RequestsChanged
from vitrine.web.untrusted import decode_json

COOKIE = "vitrine_associate"
MAX_BODY_BYTES = 4096  # a sign-in or an action is a few dozen bytes
MAX_WS_MESSAGE_BYTES = 4096
REFRESH_S = 30.0  # the socket re-checks the session and resends the queue this often
NAME_CHARS = 40
CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 1009
SIGN_IN_FIRST = (
    "sign in first: POST /associate/login with the store PIN, or send Authorization: Bearer <token>"
)
UNKNOWN_MESSAGE = (
    'unknown message; this socket only sends the queue and answers {"type": "ping"}; '
    "act on a request with POST /associate/api/requests/{id}/acknowledge or /fulfil"
)
STATUS_OF_CODE = {"not_found": 404, "conflict": 409, "bad_message": 422, "not_allowed": 403}
HIDDEN_FIELDS = ("session",)
SLA_RANK = {"escalated": 0, "late": 1, "ok": 2}
_M = TypeVar("_M", bound=BaseModel)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATIC = {
    "associate.js": "text/javascript; charset=utf-8",
    "associate.css": "text/css; charset=utf-8",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class AssociateEngine(Protocol):
    """The associate side of vitrine.engine.Engine. Queue items carry every stored field of
    a request plus "age_s" and "sla" ("ok" | "late" | "escalated")."""

    async def requests(self, open_only: bool = True) -> list[dict[str, Any]]: ...

    async def acknowledge(self, request_id: str, associate: str) -> dict[str, Any]: ...

    async def fulfil(self, request_id: str, associate: str) -> dict[str, Any]: ...


class LoginBody(BaseModel):
    """POST /associate/login: {"pin": "2468"}."""

    model_config = ConfigDict(extra="forbid", strict=True)

    pin: str = Field(min_length=1, max_length=64)


class ActorBody(BaseModel):
    """POST .../acknowledge and .../fulfil: {"name": "Sam"}, the associate doing it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        value = value.strip()
        if not 1 <= len(value) <= NAME_CHARS or not value.isprintable():
            raise ValueError(f"must be 1 to {NAME_CHARS} printable characters")
        return value


class _Refused(Exception):
    # A request the router answers with a JSON error (status, code, message, field).
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def associate_router(engine: AssociateEngine, bus: EventBus, auth: AssociateAuth) -> APIRouter:
    """The associate app's routes, under /associate: the engine's queue and actions, live
    over the bus's RequestsChanged, behind `auth`."""
    router = APIRouter()
    static = resources.files("vitrine.associate").joinpath("static")
    page = static.joinpath("associate.html").read_text()
    assets = {name: static.joinpath(name).read_bytes() for name in _STATIC}
    config = auth.config

    async def queue() -> dict[str, Any]:
        items = [present(item) for item in await engine.requests(open_only=True)]
        items.sort(key=lambda i: (SLA_RANK.get(i["sla"], 3), -i["age_s"]))
        sla = {
            "ack_s": config.ack_sla_s,
            "fulfil_s": config.fulfil_sla_s,
            "escalate_s": config.escalate_after_s,
        }
        return {"type": "requests", "items": items, "sla": sla}

    def session_of(request: Request) -> Any:
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return auth.verify(credentials.strip())
        return auth.verify(request.cookies.get(COOKIE))

    def unauthorized() -> JSONResponse:
        if auth.locked:
            return _error(401, "locked", LOCKED_MESSAGE, headers={"WWW-Authenticate": "Bearer"})
        return _error(401, "unauthorized", SIGN_IN_FIRST, headers={"WWW-Authenticate": "Bearer"})

    def render_page(state: str, notice: str = "") -> HTMLResponse:
        body = page.replace(
            '<body data-state="login" data-notice="">',
            f'<body data-state="{state}" data-notice="{html.escape(notice)}">',
        )
        headers = {**_SECURITY_HEADERS, "Cache-Control": "no-store"}
        return HTMLResponse(body, headers=headers)

    @router.get("/associate/", response_class=HTMLResponse, include_in_schema=False)
    async def associate_page(request: Request, token: str | None = None) -> Response:
        """The page: the queue when signed in, else the sign-in form (or, with neither a PIN
        nor a token configured, how to set one). A kiosk tablet opens it once as
        /associate/?token=<configured token> to get a session cookie."""
        if token is not None:
            session_token = auth.issue_for_token(token)
            if session_token is None:
                return render_page(
                    "locked" if auth.locked else "login",
                    "That kiosk link is not valid (any more).",
                )
            response = RedirectResponse("/associate/", status_code=303)
            _set_cookie(response, request, session_token, auth.session_s)
            return response
        if session_of(request) is not None:
            return render_page("app")
        return render_page("locked" if auth.locked else "login")

    @router.get("/associate/static/{name}", include_in_schema=False)
    async def associate_static(name: str) -> Response:
        """The page's script and style sheet."""
        if name not in assets:
            return _error(404, "not_found", f"no static file {name!r}")
        return Response(
            assets[name],
            media_type=_STATIC[name],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    @router.post("/associate/login", status_code=204)
    async def login(request: Request) -> Response:
        """Sign in with {"pin": "..."}: 204 and a session cookie; 401 wrong PIN; 429 with
        Retry-After after 5 wrong PINs in a minute from one address; 403 when locked."""
        try:
            _same_origin(request)
            body = _parse(LoginBody, await _read_json(request))
            client = request.client.host if request.client else "unknown"
            token = auth.check_pin(body.pin, client)
        except _Refused as err:
            return _error(err.status, err.code, err.message, err.field)
        except AuthError as err:
            headers = {"Retry-After": str(err.retry_after_s)} if err.retry_after_s else None
            return _error(err.status, err.code, err.message, headers=headers)
        response = Response(status_code=204)
        _set_cookie(response, request, token, auth.session_s)
        return response

    @router.post("/associate/logout", status_code=204)
    async def logout(request: Request) -> Response:
        """Sign out: the session ends and the cookie is cleared; 403 from another site."""
        try:
            _same_origin(request)
        except _Refused as err:
            return _error(err.status, err.code, err.message, err.field)
        auth.revoke(request.cookies.get(COOKIE))
        response = Response(status_code=204)
        response.delete_cookie(COOKIE, path="/associate", httponly=True, samesite="strict")
        return response

    @router.get("/associate/api/requests")
    async def list_requests(request: Request) -> Response:
        """The open requests, most urgent first: {"type": "requests", "items": [...],
        "sla": {...}}."""
        if session_of(request) is None:
            return unauthorized()
        return JSONResponse(await queue(), headers={"Cache-Control": "no-store"})

    async def act(request: Request, request_id: str, action: str) -> Response:
        if session_of(request) is None:
            return unauthorized()
        try:
            _same_origin(request)
            body = _parse(ActorBody, await _read_json(request))
            if not _REQUEST_ID.match(request_id):
                raise _Refused(404, "not_found", f"no request {request_id[:64]!r}")
            do = engine.acknowledge if action == "acknowledge" else engine.fulfil
            item = await do(request_id, body.name)
        except _Refused as err:
            return _error(err.status, err.code, err.message, err.field)
        except ActionError as err:
            return _error(STATUS_OF_CODE.get(err.code, 400), err.code, err.message, err.field)
        return JSONResponse(present(item), headers={"Cache-Control": "no-store"})

    @router.post("/associate/api/requests/{request_id}/acknowledge")
    async def acknowledge(request: Request, request_id: str) -> Response:
        """Take a request ({"name": "Sam"}): the mirror shows that Sam is on the way."""
        return await act(request, request_id, "acknowledge")

    @router.post("/associate/api/requests/{request_id}/fulfil")
    async def fulfil(request: Request, request_id: str) -> Response:
        """Mark a request done ({"name": "Sam"}): it leaves the queue."""
        return await act(request, request_id, "fulfil")

    @router.websocket("/associate/ws")
    async def queue_socket(ws: WebSocket) -> None:
        """The live queue: {"type": "requests", ...} on connect and on every change;
        {"type": "ping"} is answered {"type": "pong"}; anything else with an error. Needs
        the session cookie (or ?token=); closes with 4401 without it."""
        await ws.accept()
        origin = ws.headers.get("origin")
        if origin and not _origin_matches(origin, ws.headers.get("host", "")):
            await ws.close(CLOSE_FORBIDDEN, "cross-origin socket refused")
            return
        candidates = (ws.cookies.get(COOKIE), ws.query_params.get("token"))
        token = next((t for t in candidates if auth.verify(t) is not None), None)
        if token is None:
            await ws.close(CLOSE_UNAUTHORIZED, "sign in first")
            return
        await _serve_queue(ws, bus, queue, lambda: auth.verify(token) is not None)

    return router


async def _serve_queue(
    ws: WebSocket,
    bus: EventBus,
    queue: Callable[[], dict[str, Any]],
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


def present(item: dict[str, Any]) -> dict[str, Any]:
    """A request as the associate app shows it: the engine's queue item (every stored field,
    "age_s" and "sla") without the shopper's session id, which associates have no use for."""
    return {key: value for key, value in item.items() if key not in HIDDEN_FIELDS}


async def _read_json(request: Request) -> Any:
    # The body as JSON, refusing anything over MAX_BODY_BYTES before reading it all.
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise _Refused(415, "bad_message", "send the body as JSON (Content-Type: application/json)")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise _Refused(413, "too_large", f"the body is limited to {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise _Refused(413, "too_large", f"the body is limited to {MAX_BODY_BYTES} bytes")
    try:
        return decode_json(body)
    except ValueError:
        raise _Refused(400, "bad_message", "the body is not valid JSON") from None


def _parse(model: type[_M], data: Any) -> _M:
    if not isinstance(data, dict):
        raise _Refused(422, "bad_message", "the body must be a JSON object")
    try:
        return model.model_validate(data)
    except ValidationError as err:
        problem = err.errors()[0]
        field = ".".join(str(p) for p in problem["loc"]) or None
        if problem["type"] == "extra_forbidden":
            allowed = ", ".join(model.model_fields)
            message = f"{field}: unknown field; allowed: {allowed}"
        elif problem["type"] == "missing":
            message = f"{field}: required"
        else:
            message = f"{field}: {problem['msg'].removeprefix('Value error, ')}"
        raise _Refused(422, "bad_message", message, field) from None


def _same_origin(request: Request) -> None:
    # Defence in depth beside SameSite=Strict: a browser's cross-site POST is refused.
    origin = request.headers.get("origin")
    if origin and not _origin_matches(origin, request.headers.get("host", "")):
        raise _Refused(403, "cross_origin", "requests from another site are refused")


def _origin_matches(origin: str, host: str) -> bool:
    try:
        return urlsplit(origin).netloc.lower() == host.lower()
    except ValueError:
        return False


def _set_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        path="/associate",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _error(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error": message, "code": code}
    if field:
        body["field"] = field
    headers = {"Cache-Control": "no-store", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)
