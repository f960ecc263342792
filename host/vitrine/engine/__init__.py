"""The experience engine: sessions, screens, recommendations and experiments."""

from vitrine.engine.actions import Action, parse_action
from vitrine.engine.config import (
    AssociateConfig,
    AttractConfig,
    AttractSlot,
    EngineConfig,
    SessionConfig,
    StoreConfig,
)
from vitrine.engine.engine import CONSENT_VERSION, Engine
from vitrine.engine.errors import ActionError
from vitrine.engine.events import RequestsChanged, ViewChanged
from vitrine.engine.store import EventStore

__all__ = [
    "CONSENT_VERSION",
    "Action",
    "ActionError",
    "AssociateConfig",
    "AttractConfig",
    "AttractSlot",
    "Engine",
    "EngineConfig",
    "EventStore",
    "RequestsChanged",
    "SessionConfig",
    "StoreConfig",
    "ViewChanged",
    "parse_action",
]
