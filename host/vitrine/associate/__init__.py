"""The associate app: a phone or tablet page for store associates with the live queue of
shoppers' requests from the fitting-room mirrors (another size, another colour, help), where
they acknowledge a request (the mirror shows that someone is on the way) and fulfil it."""

from __future__ import annotations

from vitrine.associate.app import associate_router
from vitrine.associate.auth import Associate, AssociateAuth, AuthError
from vitrine.associate.store import AuthStore
from vitrine.secret_key import load_or_create_secret

__all__ = [
    "Associate",
    "AssociateAuth",
    "AuthError",
    "AuthStore",
    "associate_router",
    "load_or_create_secret",
]
