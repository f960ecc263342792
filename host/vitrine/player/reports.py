"""What the player pages report about themselves, for GET /api/status: the messages they were
sent and did not know, counted per message type. A daemon newer than the page (or a bug on
either side) shows there instead of vanishing in the kiosk's console."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TYPE_CHARS = 64  # a reported message type is at most this long
MAX_COUNT = 10_000  # a page reports at most this many messages of one type at a time
MAX_TYPES = 32  # distinct types counted; further ones are counted together under OTHER
OTHER = "(other)"


class UnknownMessageReport(BaseModel):
    """A page's report, on /player/ws: {"type": "unknown_message", "message_type": "swoosh",
    "count": 3}: `count` messages of that type came and were ignored since its last report."""

    model_config = ConfigDict(extra="forbid", strict=True)

    type: Literal["unknown_message"]
    message_type: str = Field(min_length=1, max_length=MAX_TYPE_CHARS)
    count: int = Field(ge=1, le=MAX_COUNT)


class PlayerReports:
    """The pages' reports since the daemon started, shared by every page's socket."""

    def __init__(self) -> None:
        self._unknown: dict[str, int] = {}

    def unknown_message(self, report: UnknownMessageReport) -> bool:
        """Counts a page's report of messages of a type it does not know; True the first time
        that type is reported. Past MAX_TYPES types, new ones are counted under OTHER."""
        kind = report.message_type
        if kind not in self._unknown and len(self._unknown) >= MAX_TYPES:
            kind = OTHER  # a page reporting junk types cannot grow this without end
        new = kind not in self._unknown
        self._unknown[kind] = self._unknown.get(kind, 0) + report.count
        return new

    def status(self) -> dict[str, Any]:
        """The "player" part of /api/status: {"unknown_messages": {type: count, ...}}, by
        type."""
        return {"unknown_messages": dict(sorted(self._unknown.items()))}
