"""A board's resets as the host learns of them: what each reset cause means, which ones are
errors, and whether a board that was away for a while restarted meanwhile.

The cause comes from the board's HELLO (wire.RESET_*). A reset the firmware asked for (the
REBOOT command, the console's `reboot`, `vitrine flash`) is `soft` on every port, because the
firmware leaves a flag for its next boot (vitrine_fw/bootflag.py): without it an RP2040 would
report `wdt` and an ESP32 `hard`. So `wdt` (the watchdog: the firmware hung), `brownout` and
`hard` (an ESP32 reset the firmware did not ask for: a crash) are errors the status shows;
`soft`, `power_on` (switched on, the reset button) and the rest are not.

When does the host learn of a reset? A board sends a HELLO of its own at boot, which the host
sees while the link is up on a UART. A board on native USB drops off the bus while it resets,
so the host sees its port go and come back and shakes hands again: the HELLO in that handshake
looks like any other. Its first HEARTBEAT then tells: an uptime shorter than the time since the
host last heard the board means it started meanwhile (restarted_while_away).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from vitrine_fw import wire
from vitrine_fw.console.commands import CAUSE_MEANING

# Causes that are errors: something went wrong on the board (see the module docstring).
ERROR_CAUSES = frozenset(("wdt", "brownout", "hard"))
UPTIME_WRAP_MS = 1 << 32  # HEARTBEAT's uptime_ms is a u32: it wraps every 49.7 days
WRAP_SLACK_MS = 500  # how far apart "wrapped" and "restarted" uptimes must be to tell them

Seen = Literal["while up", "while away", "before"]


_CODES = {name: code for code, name in wire.RESET_CAUSES.items()}


def meaning(cause: str) -> str:
    """What a reset cause (a wire.RESET_CAUSES name) means, as the board's console says it."""
    code = _CODES.get(cause)
    return CAUSE_MEANING.get(code, "a cause this host does not know")


@dataclass(frozen=True)
class BoardReset:
    """One start of a board, as the host learned of it."""

    cause: str  # wire.RESET_CAUSES name, from the HELLO
    at: float  # when the board started, in seconds since the epoch (from its uptime)
    # how the host learned of it: a boot HELLO while the link was up; a shorter uptime after
    # the link was away; or the board had started before this host first heard it
    seen: Seen

    @property
    def error(self) -> bool:
        return self.cause in ERROR_CAUSES

    @property
    def text(self) -> str:
        """The reset for a person: its cause and what that means."""
        return f"the board reset (cause {self.cause}: {meaning(self.cause)})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "at": round(self.at, 3),
            "seen": self.seen,
            "error": self.error,
            "meaning": meaning(self.cause),
        }


def restarted_while_away(
    last_heard_s: float, last_uptime_ms: int | None, now_s: float, uptime_ms: int
) -> bool:
    """Did a board restart since the host last knew it alive, at last_heard_s (host monotonic
    seconds; its HEARTBEAT then said last_uptime_ms, None when it had sent none), given the
    HEARTBEAT heard now, saying uptime_ms?

    It did when it has been up for less time than has passed since (it started after that),
    unless its uptime only wrapped meanwhile. The one way to be wrong is a host whose event
    loop stalled, before taking in the new heartbeat, for longer than the board had been up
    before: it looks away longer than it was."""
    away_ms = (now_s - last_heard_s) * 1000
    if uptime_ms >= away_ms:
        return False  # it has been running since before the host last heard it
    if last_uptime_ms is None or last_uptime_ms + away_ms < UPTIME_WRAP_MS:
        return True  # its uptime cannot have wrapped meanwhile
    expected_ms = (last_uptime_ms + away_ms) % UPTIME_WRAP_MS  # had it kept running
    return abs(expected_ms - uptime_ms) > WRAP_SLACK_MS
