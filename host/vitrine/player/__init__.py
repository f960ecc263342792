"""The content player: the page the kiosk browser shows behind the mirror glass, and its
WebSocket, over which the engine's view model comes down and the shopper's intents go up."""

from __future__ import annotations

from vitrine.player.app import player_router

__all__ = ["player_router"]
