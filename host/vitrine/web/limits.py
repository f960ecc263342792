"""What one WebSocket client may send, and how many may be connected: a rate of messages (a
token bucket: the excess is dropped, and the client told at most once a second) and a number
of sockets open at once per endpoint (beyond it, a new one is refused before it opens)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

CLOSE_TRY_LATER = 1013  # WebSocket close code: the server is full, try again later
TELL_EVERY_S = 1.0  # a client over its rate hears about it at most this often


class MessageRate:
    """A token bucket: `per_s` messages a second, in bursts of up to `per_s`."""

    def __init__(self, per_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_s = per_s
        self._clock = clock
        self._tokens = float(per_s)
        self._refilled = clock()
        self._told = -TELL_EVERY_S * 10
        self.dropped = 0  # messages refused so far

    def admit(self) -> bool:
        """Whether a message that just came may be handled (False: drop it)."""
        now = self._clock()
        self._tokens = min(float(self.per_s), self._tokens + (now - self._refilled) * self.per_s)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.dropped += 1
        return False

    def tell(self) -> bool:
        """Whether to tell the client it is over its rate now (once a TELL_EVERY_S)."""
        now = self._clock()
        if now - self._told < TELL_EVERY_S:
            return False
        self._told = now
        return True

    def notice(self) -> dict[str, object]:
        """The error message that tells a client so."""
        return {
            "type": "error",
            "code": "rate_limited",
            "error": f"more than {self.per_s:g} messages a second: {self.dropped} dropped so far",
        }


class SocketSlots:
    """At most `limit` sockets of one endpoint open at once."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    @contextlib.contextmanager
    def take(self) -> Iterator[bool]:
        """A slot for one socket while inside (True), or False when all are taken."""
        if self.open >= self.limit:
            yield False
            return
        self.open += 1
        try:
            yield True
        finally:
            self.open -= 1

    def full_reason(self, what: str) -> str:
        """The close reason for a socket refused for want of a slot."""
        return f"{what}: {self.limit} sockets open, the most allowed; try again later"
