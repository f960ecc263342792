"""The engine's memory of the live session and of the fitting room's light, each one typed
snapshot: what a refused action puts back as it was, what a new session starts afresh, and
what the snapshot saved for a restart is made of (vitrine.engine.snapshot)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from vitrine.engine.experiments import VariantConfig


@dataclass
class InteractionWrites:
    """How the session's interactions are being written: the last row (a run of the same
    interaction is counted on it) and the write budget (a token bucket, refilled with time)."""

    row: int | None = None  # the last interaction row written
    key: tuple[str, str, str | None] | None = None  # its (kind, screen, detail)
    at: float = 0.0  # wall clock of its last occurrence
    tokens: float | None = None  # rows the session may still add now (None: a full bucket)
    tokens_at: float = 0.0  # wall clock the tokens were counted at


@dataclass
class LiveSession:
    """What the engine keeps of the session on the glass, besides its state machine."""

    consent: bool = False  # the shopper accepted the loyalty consent in this session
    member: str | None = None  # the loyalty id signed in
    member_view: dict[str, Any] | None = None  # their wishlist and purchases, as shown
    last_size: str | None = None  # the size last asked for (recommendations prefer it)
    assigned: dict[str, VariantConfig] = field(default_factory=dict)  # experiment -> variant
    exposed: set[str] = field(default_factory=set)  # experiments whose screen was shown
    converted: set[str] = field(default_factory=set)  # experiments whose outcome was reached
    writes: InteractionWrites = field(default_factory=InteractionWrites)


@dataclass
class LightingState:
    """The scene asked for and what the lights facade said of it."""

    scene: str
    status: str = "pending"  # pending | applied | no_device | failed
    detail: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    sent_at: float | None = None  # monotonic time the command was last published
    resends: int = 0

    def ask(self, scene: str) -> None:
        """A new command for scene (a fresh request id)."""
        self.scene = scene
        self.request_id = uuid.uuid4().hex
        self.resends = 0
        self.pending()

    def pending(self) -> None:
        """The command is (re)sent: no answer yet."""
        self.status = "pending"
        self.detail = None
