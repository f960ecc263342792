"""The engine's own events on the bus: what the player and the associate app redraw on."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewChanged:
    """The player's view model changed (Engine.view() has the new one)."""

    rev: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestsChanged:
    """The associates' queue changed (Engine.requests() has the new one)."""

    rev: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Enrolled:
    """A shopper who accepted the loyalty consent enrolled as this member (vision makes their
    face template from it when recognition is on)."""

    loyalty_id: str
