"""What can go wrong at the console, as errors the CLI prints without a traceback."""

from __future__ import annotations

from vitrine.errors import VitrineError


class ConsoleError(VitrineError):
    """Root of the console's errors."""


class ConsoleUnavailable(ConsoleError):
    """No console on that port: it did not open, no board answered, or the link went down."""


class PortBusy(ConsoleUnavailable):
    """Another program (the daemon, mpremote, a second console) holds the port."""


class NotHeld(ConsoleUnavailable):
    """A daemon's console socket answered, but that daemon has no board on that port."""


class ConsoleRefused(ConsoleError):
    """The board answered a command line with NACK (unknown command, bad argument, not on
    this board, rate limit)."""

    def __init__(self, line: str, reason: str, detail: str) -> None:
        super().__init__(f"{line}: {reason}: {detail}" if detail else f"{line}: {reason}")
        self.line = line
        self.reason = reason
        self.detail = detail


class ConsoleTimeout(ConsoleError):
    """The board did not answer a command line in time."""
