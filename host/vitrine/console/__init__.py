"""The technicians' console: one board's diagnostic commands over its link (CONSOLE_CMD and
CONSOLE_READ, docs/protocol.md §9), as an interactive terminal UI or a scripted `--exec`.
See docs/console.md."""

from vitrine.console.client import Answer, ConsoleClient, Waits
from vitrine.console.errors import (
    ConsoleError,
    ConsoleRefused,
    ConsoleTimeout,
    ConsoleUnavailable,
    PortBusy,
)

__all__ = [
    "Answer",
    "ConsoleClient",
    "ConsoleError",
    "ConsoleRefused",
    "ConsoleTimeout",
    "ConsoleUnavailable",
    "PortBusy",
    "Waits",
]
