"""The associate app's page and its static files. The page is served in the state it opens
in (the queue when signed in, the sign-in form, or how to set a PIN), with the pause on PIN
sign-in after wrong PINs when there is one; a kiosk tablet opens it once as
/associate/?token=<configured token> to get a session cookie."""

from __future__ import annotations

import html
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from vitrine.associate.auth import paused
from vitrine.associate.gate import Gate
from vitrine.associate.http import error, set_cookie

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


def page_routes(gate: Gate) -> APIRouter:
    """GET /associate/ and /associate/static/{name}."""
    router = APIRouter()
    static = resources.files("vitrine.associate").joinpath("static")
    page = static.joinpath("associate.html").read_text()
    assets = {name: static.joinpath(name).read_bytes() for name in _STATIC}
    auth = gate.auth

    def render_page(state: str, notice: str = "") -> HTMLResponse:
        wait_s = auth.budget.paused_for() if state == "login" and auth.pin_enabled else 0
        if wait_s and not notice:
            notice = paused(wait_s).message
        body = page.replace(
            '<body data-state="login" data-notice="">',
            f'<body data-state="{state}" data-notice="{html.escape(notice)}" '
            f'data-retry-after="{wait_s}">',
        )
        headers = {**_SECURITY_HEADERS, "Cache-Control": "no-store"}
        return HTMLResponse(body, headers=headers)

    @router.get("/associate/", response_class=HTMLResponse, include_in_schema=False)
    async def associate_page(request: Request, token: str | None = None) -> Response:
        """The page: the queue when signed in, else the sign-in form (or, with neither a PIN
        nor a token configured, how to set one). A kiosk tablet opens it once as
        /associate/?token=<configured token> to get a session cookie."""
        if token is not None:
            session_token = await auth.off_loop(auth.issue_for_token, token)
            if session_token is None:
                return render_page(
                    "locked" if auth.locked else "login",
                    "That kiosk link is not valid (any more).",
                )
            response = RedirectResponse("/associate/", status_code=303)
            set_cookie(response, request, session_token, auth.session_s)
            return response
        if gate.session(request) is not None:
            return render_page("app")
        return render_page("locked" if auth.locked else "login")

    @router.get("/associate/static/{name}", include_in_schema=False)
    async def associate_static(name: str) -> Response:
        """The page's script and style sheet."""
        if name not in assets:
            return error(404, "not_found", f"no static file {name!r}")
        return Response(
            assets[name],
            media_type=_STATIC[name],
            headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
        )

    return router
