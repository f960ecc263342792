"""The pages' own files, served from the package: static_file() answers one file of a static
folder (a plain name of a known type, with an ETag), and shared_router() serves GET
/static/{name}, the browser files the pages share (the reconnecting socket the player and the
associate app both import, the status page's script and style sheet)."""

from __future__ import annotations

import hashlib
from importlib import resources
from importlib.abc import Traversable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
SHARED_TYPES = (".js", ".css")  # what /static/ serves of vitrine/web/static


def static_file(
    folder: Traversable, name: str, request: Request, *, what: str, types: tuple[str, ...] = ()
) -> Response:
    """`name` from `folder`: only a plain file name (no paths, no dot files) of one of the
    CONTENT_TYPES (or of `types`, when given); 404 naming `what` folder otherwise. Sent with
    `Cache-Control: no-cache` and an ETag, so a browser asks again each time and an unchanged
    file costs a 304."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    allowed = types or tuple(CONTENT_TYPES)
    if "/" in name or "\\" in name or name.startswith(".") or suffix not in allowed:
        return JSONResponse({"error": f"no {what} file {name!r}"}, status_code=404)
    entry = folder.joinpath(name)
    if not entry.is_file():
        return JSONResponse({"error": f"no {what} file {name!r}"}, status_code=404)
    body = entry.read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"Cache-Control": "no-cache", "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=CONTENT_TYPES[suffix], headers=headers)


def shared_router() -> APIRouter:
    """GET /static/{name}: the scripts and style sheets of vitrine/web/static, which more than
    one page uses (one file at one URL, so both pages run the same code)."""
    router = APIRouter()
    folder = resources.files("vitrine.web").joinpath("static")

    @router.get("/static/{name}", include_in_schema=False)
    async def shared_file(name: str, request: Request) -> Response:
        """A script or style sheet the pages share."""
        return static_file(folder, name, request, what="shared", types=SHARED_TYPES)

    return router
