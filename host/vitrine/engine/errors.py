"""The errors the engine answers a player intent or an associate action with.

Each carries a code the page can act on, a message a person can read (naming the thing and
what is allowed) and, for a bad field, the field's name. An action that fails changes nothing.
"""

from __future__ import annotations

from typing import Any, Literal

from vitrine.errors import VitrineError

ErrorCode = Literal["bad_message", "not_found", "not_allowed", "conflict"]
ERROR_CODES: tuple[ErrorCode, ...] = ("bad_message", "not_found", "not_allowed", "conflict")


class ActionError(VitrineError):
    """An action that cannot be done: bad_message (malformed or out of range), not_found (an
    unknown product, variant, request or experiment), not_allowed (not in this phase or not
    for this shopper), conflict (it clashes with what is already there)."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"error code {code!r}: must be one of {', '.join(ERROR_CODES)}")
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, Any]:
        """The "error" message the player and the associate app receive."""
        out: dict[str, Any] = {"type": "error", "code": self.code, "error": self.message}
        if self.field is not None:
            out["field"] = self.field
        return out

    def __repr__(self) -> str:
        return f"ActionError({self.code!r}, {self.message!r}, field={self.field!r})"
