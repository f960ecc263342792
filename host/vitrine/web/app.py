"""The HTTP application: GET /api/status (JSON) and a plain status page that shows the same,
live. Served by uvicorn inside the daemon's event loop."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from pydantic import BaseModel


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


def create_app(status: Callable[[], dict[str, Any]]) -> FastAPI:
    """The FastAPI app; status() returns the current daemon status as a dict."""
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

    @app.get("/", response_class=HTMLResponse)
    async def status_page() -> str:
        """A plain page showing /api/status, refreshed every second."""
        return page

    return app
