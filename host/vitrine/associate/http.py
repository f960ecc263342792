"""What every associate route shares: reading a JSON body (size-limited, then checked against a
pydantic model), the origin check, the session cookie, and the JSON error answer
{"error": "...", "code": "...", "field"?: "..."}. A check that fails raises Refused, which a
route answers with error()."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError

from vitrine.errors import VitrineError
from vitrine.web.origins import Origins
from vitrine.web.untrusted import decode_json

COOKIE = "vitrine_associate"
MAX_BODY_BYTES = 4096  # a sign-in or an action is a few dozen bytes
_M = TypeVar("_M", bound=BaseModel)


class Refused(VitrineError):
    """A request answered with a JSON error: its HTTP status, a stable code, the message and,
    for a bad field, its name."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field

    def response(self) -> JSONResponse:
        """The JSON error this refusal is answered with."""
        return error(self.status, self.code, self.message, self.field)


async def read_json(request: Request) -> Any:
    """The body as JSON, refusing anything over MAX_BODY_BYTES before reading it all."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise Refused(415, "bad_message", "send the body as JSON (Content-Type: application/json)")
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
        raise Refused(413, "too_large", f"the body is limited to {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise Refused(413, "too_large", f"the body is limited to {MAX_BODY_BYTES} bytes")
    try:
        return decode_json(body)
    except ValueError:
        raise Refused(400, "bad_message", "the body is not valid JSON") from None


def parse(model: type[_M], data: Any) -> _M:
    """data checked against model; Refused (422) names the first bad field and what is wrong."""
    if not isinstance(data, dict):
        raise Refused(422, "bad_message", "the body must be a JSON object")
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
        raise Refused(422, "bad_message", message, field) from None


def same_origin(request: Request, origins: Origins) -> None:
    """Refuse (403) a request a page of another site made: its Origin is neither the address
    it was sent to nor one of `origins`, or, without an Origin, its Sec-Fetch-Site says it is
    cross-site. Defence in depth beside SameSite=Strict (vitrine.web.origins)."""
    refusal = origins.refusal(request.headers, same_host=True)
    if refusal is not None:
        raise Refused(403, "cross_origin", f"requests from another site are refused: {refusal}")


@dataclass(frozen=True)
class SessionCookie:
    """A signed-in session's cookie: its name, and the path of the app it is for (the
    associate app's, the manager's dashboard's), where its sign-in routes live too."""

    name: str
    path: str

    def set(self, response: Response, request: Request, token: str, max_age: int) -> None:
        """Give the client its session cookie (max_age in seconds)."""
        response.set_cookie(
            self.name,
            token,
            max_age=max_age,
            path=self.path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(self.name, path=self.path, httponly=True, samesite="strict")


ASSOCIATE_COOKIE = SessionCookie(COOKIE, "/associate")


def set_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    """Give the client its associate session cookie (max_age in seconds)."""
    ASSOCIATE_COOKIE.set(response, request, token, max_age)


def error(
    status: int,
    code: str,
    message: str,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON error answer, never cached."""
    body: dict[str, Any] = {"error": message, "code": code}
    if field:
        body["field"] = field
    headers = {"Cache-Control": "no-store", **(headers or {})}
    return JSONResponse(body, status_code=status, headers=headers)
