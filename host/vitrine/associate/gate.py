"""Who is asking: the associate session a request carries (the session cookie from the PIN,
or `Authorization: Bearer <token>` with a configured token), and the 401 answer for nobody."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from vitrine.associate.auth import LOCKED_MESSAGE, Associate, AssociateAuth
from vitrine.associate.http import COOKIE, error

SIGN_IN_FIRST = (
    "sign in first: POST /associate/login with the store PIN, or send Authorization: Bearer <token>"
)


class Gate:
    """The door every route but the page, its files and sign-in/out goes through."""

    def __init__(self, auth: AssociateAuth) -> None:
        self.auth = auth

    def session(self, request: Request) -> Associate | None:
        """The signed-in associate behind a request, or None."""
        scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return self.auth.verify(credentials.strip())
        return self.auth.verify(request.cookies.get(COOKIE))

    def unauthorized(self) -> JSONResponse:
        """401: how to sign in (or, with neither a PIN nor a token configured, how to set one)."""
        headers = {"WWW-Authenticate": "Bearer"}
        if self.auth.locked:
            return error(401, "locked", LOCKED_MESSAGE, headers=headers)
        return error(401, "unauthorized", SIGN_IN_FIRST, headers=headers)
