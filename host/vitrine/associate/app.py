"""The associate app's HTTP side, under /associate: the page (pages.py), sign-in and sign-out
(signin.py), the queue of shoppers' requests as JSON and the two actions on a request,
acknowledge and fulfil (api.py), and the live queue over a WebSocket (live.py).

Every route but the page, its static files and sign-in/out needs a signed-in associate: the
session cookie from the PIN, or `Authorization: Bearer <token>` with a configured token
(gate.py). Errors are JSON {"error": "...", "code": "...", "field"?: "..."}; a refused request
changes nothing.
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


def associate_router(engine: AssociateEngine, bus: EventBus, auth: AssociateAuth) -> APIRouter:
    """The associate app's routes, under /associate: the engine's queue and actions, live
    over the bus's RequestsChanged, behind `auth`."""
    gate = Gate(auth)
    router = APIRouter()
    router.include_router(page_routes(gate))
    router.include_router(signin_routes(auth))
    router.include_router(api_routes(engine, gate))
    router.include_router(live_routes(engine, bus, gate))
    return router
