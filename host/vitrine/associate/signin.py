"""Signing in with the store PIN, and signing out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from vitrine.associate.auth import AssociateAuth, AuthError
from vitrine.associate.http import (
    ASSOCIATE_COOKIE,
    Refused,
    SessionCookie,
    error,
    parse,
    read_json,
    same_origin,
)
from vitrine.web.origins import Origins


class LoginBody(BaseModel):
    """POST /associate/login: {"pin": "246810"}."""

    model_config = ConfigDict(extra="forbid", strict=True)

    pin: str = Field(min_length=1, max_length=64)


def signin_routes(
    auth: AssociateAuth, origins: Origins, cookie: SessionCookie = ASSOCIATE_COOKIE
) -> APIRouter:
    """POST <cookie.path>/login and /logout (the associate app's, or the manager's dashboard's
    with its own cookie); pages of other origins than the mirror's own and `origins` are
    refused."""
    router = APIRouter()

    @router.post(f"{cookie.path}/login", status_code=204)
    async def login(request: Request) -> Response:
        """Sign in with {"pin": "..."}: 204 and a session cookie; 401 wrong PIN; 429 with
        Retry-After while PIN sign-in is paused after wrong PINs on this mirror; 403 when
        locked."""
        try:
            same_origin(request, origins)
            body = parse(LoginBody, await read_json(request))
            client = request.client.host if request.client else "unknown"
            token = await auth.off_loop(auth.check_pin, body.pin, client)
        except Refused as err:
            return err.response()
        except AuthError as err:
            headers = {"Retry-After": str(err.retry_after_s)} if err.retry_after_s else None
            return error(err.status, err.code, err.message, headers=headers)
        response = Response(status_code=204)
        cookie.set(response, request, token, auth.session_s)
        return response

    @router.post(f"{cookie.path}/logout", status_code=204)
    async def logout(request: Request) -> Response:
        """Sign out: the session ends and the cookie is cleared; 403 from another site."""
        try:
            same_origin(request, origins)
        except Refused as err:
            return err.response()
        await auth.off_loop(auth.revoke, request.cookies.get(cookie.name))
        response = Response(status_code=204)
        cookie.clear(response)
        return response

    return router
