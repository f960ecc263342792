"""The link's errors, under one LinkError (itself a VitrineError); subclasses carry structured
fields."""

from __future__ import annotations

from vitrine.errors import VitrineError


class LinkError(VitrineError):
    """Anything that goes wrong between the host and a board."""


class PortError(LinkError):
    """A port could not be opened or failed while open."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"port {url}: {reason}")
        self.url = url
        self.reason = reason


class LinkDown(LinkError):
    """The board's link is not up, or went down while waiting."""

    def __init__(self, board: str, state: str) -> None:
        super().__init__(f"board {board} is {state}")
        self.board = board
        self.state = state


class CommandTimeout(LinkError):
    """A command got no ACK/NACK after all its retries."""

    def __init__(self, board: str, command: str, attempts: int, timeout_s: float) -> None:
        super().__init__(
            f"board {board}: no answer to {command} after {attempts} attempts "
            f"of {timeout_s * 1000:.0f} ms"
        )
        self.board = board
        self.command = command
        self.attempts = attempts


class CommandRejected(LinkError):
    """The board answered a command with NACK."""

    def __init__(self, board: str, command: str, reason: str, detail: str) -> None:
        text = f"board {board} refused {command}: {reason}"
        super().__init__(f"{text} ({detail})" if detail else text)
        self.board = board
        self.command = command
        self.reason = reason
        self.detail = detail
