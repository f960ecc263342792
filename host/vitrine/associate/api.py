"""The queue of shoppers' requests as associates see it, and the two actions on a request:
acknowledge (the mirror shows that someone is on the way) and fulfil (it leaves the queue)."""

from __future__ import annotations

import re
from typing import Any, Protocol

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, field_validator

from vitrine.associate.gate import Gate
from vitrine.associate.http import Refused, error, parse, read_json, same_origin
from vitrine.engine.errors import ActionError
from vitrine.web.origins import Origins

NAME_CHARS = 40
STATUS_OF_CODE = {"not_found": 404, "conflict": 409, "bad_message": 422, "not_allowed": 403}
HIDDEN_FIELDS = ("session",)
SLA_RANK = {"escalated": 0, "late": 1, "ok": 2}
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class AssociateEngine(Protocol):
    """The associate side of vitrine.engine.Engine. Queue items carry every stored field of
    a request plus "age_s" and "sla" ("ok" | "late" | "escalated")."""

    async def requests(self, open_only: bool = True) -> list[dict[str, Any]]: ...

    async def acknowledge(self, request_id: str, associate: str) -> dict[str, Any]: ...

    async def fulfil(self, request_id: str, associate: str) -> dict[str, Any]: ...


class ServiceLevels(Protocol):
    """The [associate] service levels the queue carries, in seconds."""

    @property
    def ack_sla_s(self) -> float: ...

    @property
    def fulfil_sla_s(self) -> float: ...

    @property
    def escalate_after_s(self) -> float: ...


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


def present(item: dict[str, Any]) -> dict[str, Any]:
    """A request as the associate app shows it: the engine's queue item (every stored field,
    "age_s" and "sla") without the shopper's session id, which associates have no use for."""
    return {key: value for key, value in item.items() if key not in HIDDEN_FIELDS}


async def queue_message(engine: AssociateEngine, levels: ServiceLevels) -> dict[str, Any]:
    """{"type": "requests", "items": [...], "sla": {...}}: the open requests, most urgent
    first (escalated, late, then ok; the oldest first within each)."""
    items = [present(item) for item in await engine.requests(open_only=True)]
    items.sort(key=lambda i: (SLA_RANK.get(i["sla"], len(SLA_RANK)), -i["age_s"]))
    sla = {
        "ack_s": levels.ack_sla_s,
        "fulfil_s": levels.fulfil_sla_s,
        "escalate_s": levels.escalate_after_s,
    }
    return {"type": "requests", "items": items, "sla": sla}


def api_routes(engine: AssociateEngine, gate: Gate, origins: Origins) -> APIRouter:
    """GET /associate/api/requests, POST .../{id}/acknowledge and .../{id}/fulfil."""
    router = APIRouter()
    levels: ServiceLevels = gate.auth.config

    @router.get("/associate/api/requests")
    async def list_requests(request: Request) -> Response:
        """The open requests, most urgent first: {"type": "requests", "items": [...],
        "sla": {...}}."""
        if gate.session(request) is None:
            return gate.unauthorized()
        return JSONResponse(
            await queue_message(engine, levels), headers={"Cache-Control": "no-store"}
        )

    async def act(request: Request, request_id: str, action: str) -> Response:
        if gate.session(request) is None:
            return gate.unauthorized()
        try:
            same_origin(request, origins)
            body = parse(ActorBody, await read_json(request))
            if not _REQUEST_ID.match(request_id):
                raise Refused(404, "not_found", f"no request {request_id[:64]!r}")
            do = engine.acknowledge if action == "acknowledge" else engine.fulfil
            item = await do(request_id, body.name)
        except Refused as err:
            return err.response()
        except ActionError as err:
            return error(STATUS_OF_CODE.get(err.code, 400), err.code, err.message, err.field)
        return JSONResponse(present(item), headers={"Cache-Control": "no-store"})

    @router.post("/associate/api/requests/{request_id}/acknowledge")
    async def acknowledge(request: Request, request_id: str) -> Response:
        """Take a request ({"name": "Sam"}): the mirror shows that Sam is on the way."""
        return await act(request, request_id, "acknowledge")

    @router.post("/associate/api/requests/{request_id}/fulfil")
    async def fulfil(request: Request, request_id: str) -> Response:
        """Mark a request done ({"name": "Sam"}): it leaves the queue."""
        return await act(request, request_id, "fulfil")

    return router
