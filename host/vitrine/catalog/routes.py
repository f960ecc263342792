"""The catalogue over HTTP for the player and the associate app: categories, pages of
product cards, a product's detail with stock in this mirror's store and fitting room, and
the product images. Errors are JSON {"error": "..."} with 404 or 422.

The routes are plain functions, which the web framework runs on its worker threads: a
catalogue query never holds up the daemon's event loop (each worker thread reads through a
connection of its own: vitrine.catalog.db.Catalog)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from vitrine.catalog.db import MAX_LIMIT, Catalog
from vitrine.catalog.values import media_type

DEFAULT_LIMIT = 24
MAX_OFFSET = 1_000_000_000
MEDIA_CACHE = "public, max-age=3600"
# An image is only ever shown, never run: no scripts, no loads from an SVG opened directly.
_MEDIA_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def catalog_router(get_catalog: Callable[[], Catalog], store: str, fitting_room: str) -> APIRouter:
    """The routes; get_catalog() gives the catalogue at each request (it may be replaced by
    an import); store and fitting_room ("1", or "" for a shop-floor mirror) say whose stock
    a product's detail shows."""
    router = APIRouter()

    @router.get("/api/catalog/categories")
    def categories() -> list[dict[str, Any]]:
        """Every category in display order, with how many products it holds."""
        return get_catalog().categories()

    @router.get("/api/catalog/products", response_model=None)
    def products(request: Request) -> dict[str, Any] | JSONResponse:
        """A page of product cards, most popular first: ?category=&offset=&limit= (limit
        1..100, default 24)."""
        catalog = get_catalog()
        query = request.query_params
        category = query.get("category") or None
        try:
            offset = _whole(query.get("offset"), "offset", 0, MAX_OFFSET, 0)
            limit = _whole(query.get("limit"), "limit", 1, MAX_LIMIT, DEFAULT_LIMIT)
        except ValueError as err:
            return _error(422, str(err))
        if category is not None and not catalog.has_category(category):
            names = ", ".join(c["name"] for c in catalog.categories()) or "none yet"
            return _error(404, f"no category {category!r}; categories: {names}")
        return catalog.products(category, offset=offset, limit=limit)

    @router.get("/api/catalog/products/{sku}", response_model=None)
    def product(sku: str) -> dict[str, Any] | JSONResponse:
        """A product's card with its description, images, sizes, variants with stock in
        this store ("store") and this fitting room ("room"), and what goes with it."""
        detail = get_catalog().product(sku, store=store, fitting_room=fitting_room or None)
        if detail is None:
            return _error(404, f"no product {sku!r}")
        return detail

    @router.get("/media/{name:path}", response_model=None)
    def media(name: str) -> Response:
        """A product image by its plain file name (.svg .png .jpg .jpeg .webp); 404 for
        anything else."""
        path = get_catalog().media_path(name)
        kind = media_type(name)
        if path is None or kind is None:
            return _error(404, f"no media file {name!r}")
        headers = {"Cache-Control": MEDIA_CACHE, "X-Content-Type-Options": "nosniff"}
        if kind == "image/svg+xml":
            headers["Content-Security-Policy"] = _MEDIA_CSP
        return FileResponse(path, media_type=kind, headers=headers)

    return router


def _whole(text: str | None, name: str, low: int, high: int, default: int) -> int:
    # A whole-number query parameter in low..high; ValueError names the parameter.
    allowed = f"a whole number from {low} to {high}"
    if text is None or text == "":
        return default
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"{name}={text!r}: must be {allowed}")
    value = int(text)
    if not low <= value <= high:
        raise ValueError(f"{name}={value}: out of range, must be {allowed}")
    return value


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
