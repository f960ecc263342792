"""One board's console over a link that runs: the console's own (vitrine.console.client) or the
daemon's, which the daemon lends to `vitrine console` (vitrine.console.proxy). Command lines go
as CONSOLE_CMD and their answers are gathered part by part with CONSOLE_READ.

One command runs at a time on a board (it keeps only the last answer for CONSOLE_READ), so
every session on the same link shares one lock. A production board that answers NACK busy
("retry after N ms") is asked again after that time, for up to Waits.busy_s. A command that
resets the board (`reboot`) returns once the board is back.

`Console` is what the interactive console, the scripts and the live area need of a session,
wherever its link runs.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Protocol

from vitrine.bus import EventBus, Subscription
from vitrine.console.errors import (
    ConsoleError,
    ConsoleRefused,
    ConsoleTimeout,
    ConsoleUnavailable,
)
from vitrine.link import messages as m
from vitrine.link.board import BoardLink, LinkState
from vitrine.link.errors import CommandRejected, CommandTimeout, LinkDown
from vitrine_fw import wire

MAX_LINE = wire.MAX_PAYLOAD - 1  # bytes of a command line (a length byte goes before it)
_RETRY_AFTER = re.compile(r"retry after (\d+) ms")
_ANSWER_HEAD = 2  # bytes before an answer's text: its status and how many parts it has


@dataclass(frozen=True)
class Waits:
    """How long a console waits, in seconds: for each try of a command's ACK, for a busy
    board to take a command, and for a board to come back after a reset."""

    command_s: float = 1.0
    busy_s: float = 10.0
    reconnect_s: float = 10.0


@dataclass(frozen=True)
class Answer:
    """A board's answer to one command line."""

    line: str  # as sent (with --yes when it was confirmed)
    status: int  # wire.CONSOLE_OK, CONSOLE_FAILED or CONSOLE_CONFIRM
    text: str

    @property
    def status_name(self) -> str:
        return wire.CONSOLE_STATUSES.get(self.status, f"code {self.status}")

    @property
    def succeeded(self) -> bool:
        """The command was carried out (it neither found a fault nor waits for --yes)."""
        return self.status in (wire.CONSOLE_OK, wire.CONSOLE_REBOOTING, wire.CONSOLE_LEAVING)

    @property
    def left_firmware(self) -> bool:
        """The board left its firmware for MicroPython's REPL: no console after this."""
        return self.status == wire.CONSOLE_LEAVING


class LinkView(Protocol):
    """What a console shows of its board's link (a BoardLink, or the daemon's as relayed)."""

    name: str
    hello: m.Hello | None
    state: LinkState

    @property
    def is_up(self) -> bool: ...

    def snapshot(self) -> dict[str, Any]: ...


class Console(Protocol):
    """A console session as the interactive console, scripts and the live area use it."""

    url: str  # the board's port
    bus: EventBus  # its board's messages and link events

    @property
    def link(self) -> LinkView: ...

    @property
    def hello(self) -> m.Hello: ...

    @property
    def role(self) -> str: ...

    @property
    def via(self) -> str | None:
        """None when the console holds the port; else what it reaches the board through."""
        ...

    async def run(
        self, line: str, *, confirm: bool = False, busy_wait_s: float | None = None
    ) -> Answer: ...


def prepare_line(line: str, confirm: bool) -> str:
    """The line as it is sent: stripped, with --yes when confirmed; ConsoleError when it is
    too long for a frame."""
    line = line.strip()
    if confirm and "--yes" not in line.split():
        line += " --yes"
    size = len(line.encode())
    if size > MAX_LINE:
        raise ConsoleError(f"command line is {size} bytes; at most {MAX_LINE} fit a frame")
    return line


class BoardConsole:
    """Console commands over a running BoardLink whose messages go to `bus` (a bus that may
    carry other boards' too: only this link's resets count)."""

    def __init__(
        self,
        link: BoardLink,
        bus: EventBus,
        waits: Waits | None = None,
        lock: asyncio.Lock | None = None,
    ) -> None:
        self.link = link
        self.bus = bus
        self.waits = waits or Waits()
        self.lock = lock or asyncio.Lock()  # one per board, shared by its sessions

    async def run(
        self, line: str, *, confirm: bool = False, busy_wait_s: float | None = None
    ) -> Answer:
        """Send one command line (with --yes when confirm) and gather the whole answer.

        Raises ConsoleRefused (NACK), ConsoleTimeout, ConsoleUnavailable (the link is down and
        did not come back within waits.reconnect_s) or ConsoleError (a line too long)."""
        line = prepare_line(line, confirm)
        async with self.lock:
            with self.bus.subscribe(m.BoardRebooted, m.BoardLost) as resets:
                ack = await self._command(
                    line, self.waits.busy_s if busy_wait_s is None else busy_wait_s
                )
                if ack.result[:1] == bytes((wire.CONSOLE_REBOOTING,)):
                    await self._await_reset(line, resets)
            result = ack.result
            if len(result) < _ANSWER_HEAD:
                raise ConsoleError(
                    f"{line}: the board's answer is {len(result)} bytes, too short for a "
                    "console answer (status and parts)"
                )
            status, parts = result[0], result[1]
            data = bytearray(result[2:])
            for part in range(1, parts):
                data += await self._read(line, ack.seq, part)
        return Answer(line, status, data.decode(errors="replace"))

    async def _command(self, line: str, busy_wait_s: float) -> m.Ack:
        waited_s = 0.0
        while True:
            await self.wait_up(line)
            try:
                return await self.link.command(
                    wire.CONSOLE_CMD, line, timeout=self.waits.command_s, retries=2
                )
            except CommandRejected as err:
                retry = _RETRY_AFTER.search(err.detail) if err.reason == "busy" else None
                if retry is None or waited_s >= busy_wait_s:
                    raise ConsoleRefused(line, err.reason, err.detail) from err
                delay_s = int(retry[1]) / 1000 + 0.01
                waited_s += delay_s
                await asyncio.sleep(delay_s)
            except CommandTimeout as err:
                raise ConsoleTimeout(f"{line}: {err}") from err
            except LinkDown:
                continue  # wait_up waits for it, or says why not

    async def _await_reset(self, line: str, resets: Subscription) -> None:
        """After a command that resets the board: wait until it has reset and is up again."""
        name = self.link.name
        try:
            await resets.next(
                (m.BoardRebooted, m.BoardLost),  # type: ignore[arg-type]
                self.waits.reconnect_s,
                lambda event: event.board == name,
            )
        except TimeoutError as err:
            raise ConsoleUnavailable(
                f"{line}: the board said it resets, but its link showed no reset within "
                f"{self.waits.reconnect_s:g} s"
            ) from err
        await self.wait_up(line)

    async def _read(self, line: str, req: int, part: int) -> bytes:
        try:
            ack = await self.link.command(
                wire.CONSOLE_READ, req, part, timeout=self.waits.command_s, retries=2
            )
        except CommandRejected as err:
            raise ConsoleRefused(
                line, err.reason, f"part {part} of the answer: {err.detail}"
            ) from err
        except CommandTimeout as err:
            raise ConsoleTimeout(f"{line}: part {part} of the answer: {err}") from err
        except LinkDown as err:
            raise ConsoleUnavailable(
                f"{line}: the link to {self.link.url} went down while reading the answer"
            ) from err
        return ack.result

    async def wait_up(self, line: str) -> None:
        """Return when the link is up; a board that reboots comes back within a few seconds."""
        if self.link.is_up:
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.waits.reconnect_s
        while not self.link.is_up:
            if loop.time() > deadline:
                raise ConsoleUnavailable(
                    f"{line}: the board on {self.link.url} is not answering "
                    f"({self.link.state.value} for {self.waits.reconnect_s:g} s; "
                    f"last problem: {self.link.error or 'none'})"
                )
            await asyncio.sleep(0.05)
