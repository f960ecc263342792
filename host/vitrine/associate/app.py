"""The associate app's HTTP side, under /associate: the page (pages.py), sign-in and sign-out
(signin.py), the queue of shoppers' requests as JSON and the two actions on a request,
acknowledge and fulfil (api.py), and the live queue over a WebSocket (live.py).

Every route but the page, its static files and sign-in/out needs a signed-in associate: the
session cookie from the PIN, or `Authorization: Bearer <token>` with a configured token
(gate.py); a page of another site may not act (http.py). Errors are JSON
{"error": "...", "code": "...", "field"?: "..."}; a refused request changes nothing.
"""

from __future__ import annotations

from fastapi import APIRouter

from vitrine.associate.api import AssociateEngine, api_routes
from vitrine.associate.auth import AssociateAuth
from vitrine.associate.gate import Gate
from vitrine.associate.live import live_routes
from vitrine.associate.pages import page_routes
from vitrine.associate.signin import signin_routes
from vitrine.bus import EventBus
from vitrine.web.origins import Origins


def associate_router(
    engine: AssociateEngine, bus: EventBus, auth: AssociateAuth, origins: Origins | None = None
) -> APIRouter:
    """The associate app's routes, under /associate: the engine's queue and actions, live
    over the bus's RequestsChanged, behind `auth`. Its actions and socket answer pages of the
    address a phone reached it by and of `origins` ([http] origins: a reverse proxy's name)."""
    origins = origins or Origins()
    gate = Gate(auth)
    router = APIRouter()
    router.include_router(page_routes(gate))
    router.include_router(signin_routes(auth, origins))
    router.include_router(api_routes(engine, gate, origins))
    router.include_router(live_routes(engine, bus, gate, origins))
    return router
