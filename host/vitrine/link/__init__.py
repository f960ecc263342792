"""The host's end of the board links: ports by URL, handshake, supervision, typed messages."""

from vitrine.link.board import BoardLink, LinkSettings, LinkState
from vitrine.link.errors import (
    CommandRejected,
    CommandTimeout,
    LinkDown,
    LinkError,
    PortError,
)

__all__ = [
    "BoardLink",
    "CommandRejected",
    "CommandTimeout",
    "LinkDown",
    "LinkError",
    "LinkSettings",
    "LinkState",
    "PortError",
]
