"""One check's result: ok, warn or fail, what was found, and what to do when not ok."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    name: str  # what was checked: "config", "board touch", "clock"
    status: Status
    detail: str  # what was found
    fix: str = ""  # what to do, when not ok

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def exit_code(checks: Iterable[Check]) -> int:
    """0 when nothing failed (warnings allowed), 1 otherwise."""
    return 1 if any(c.status == "fail" for c in checks) else 0
