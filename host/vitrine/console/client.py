"""A console session with one board: the link (opened by URL, handshake, reconnects), command
lines sent as CONSOLE_CMD, and their answers gathered part by part with CONSOLE_READ.

    async with ConsoleClient("/dev/ttyACM0") as console:
        answer = await console.run("selftest")
        print(answer.text)

One command runs at a time (the board keeps only the last answer for CONSOLE_READ). A
production board that answers NACK busy ("retry after N ms") is asked again after that
time, for up to Waits.busy_s.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from vitrine.bus import EventBus, Subscription
from vitrine.console.errors import (
    ConsoleError,
    ConsoleRefused,
    ConsoleTimeout,
    ConsoleUnavailable,
    PortBusy,
)
from vitrine.console.holder import busy_message
from vitrine.link import messages as m
from vitrine.link.board import BoardLink, LinkSettings, LinkState
from vitrine.link.errors import CommandRejected, CommandTimeout, LinkDown, PortError
from vitrine.tasks import stop_task
from vitrine_fw import wire

DEFAULT_DAEMON_URL = "http://127.0.0.1:8080"  # where a running daemon's API answers by default
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


class ConsoleClient:
    """The console of the board on one port (a device path, a pty, socket://HOST:PORT, ...)."""

    def __init__(
        self,
        url: str,
        *,
        bus: EventBus | None = None,
        settings: LinkSettings | None = None,
        waits: Waits | None = None,
        daemon_url: str = DEFAULT_DAEMON_URL,
    ) -> None:
        self.url = url
        self.bus = bus or EventBus()
        self.link = BoardLink(url, self.bus, settings or LinkSettings())
        self.waits = waits or Waits()
        self.daemon_url = daemon_url
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ConsoleClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def hello(self) -> m.Hello:
        """What the board said about itself in the handshake."""
        assert self.link.hello is not None, "connect() first"
        return self.link.hello

    @property
    def role(self) -> str:
        return self.hello.role

    async def connect(self, timeout_s: float = 5.0) -> m.Hello:
        """Open the port and shake hands; raises PortBusy or ConsoleUnavailable saying why."""
        self._task = asyncio.create_task(self.link.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        link = self.link
        try:
            while not link.is_up:
                if link.port_error is not None:
                    raise await self._port_problem(link.port_error)
                if link.state == LinkState.REFUSED:
                    raise ConsoleUnavailable(f"{self.url}: {link.error}")
                if loop.time() > deadline:
                    problem = link.error or "no answer to the handshake"
                    raise ConsoleUnavailable(
                        f"{self.url}: no board came up within {timeout_s:g} s ({problem}); "
                        "a board at MicroPython's REPL (after the console's repl, or without "
                        "firmware) does not answer: reset it to start its firmware"
                    )
                await asyncio.sleep(0.02)
            hello = self.hello
            if not hello.capabilities & wire.CAP_CONSOLE:
                raise ConsoleUnavailable(
                    f"the {hello.role} board on {self.url} (firmware {hello.fw_version}) runs "
                    f"no console: update its firmware: vitrine flash --role {hello.role}"
                )
        except BaseException:
            await self.close()
            raise
        return hello

    async def close(self) -> None:
        """Close the link and its port."""
        await self.link.close()
        if self._task is not None:
            await stop_task(self._task)
            self._task = None

    async def run(
        self, line: str, *, confirm: bool = False, busy_wait_s: float | None = None
    ) -> Answer:
        """Send one command line (with --yes when confirm) and gather the whole answer.

        Raises ConsoleRefused (NACK), ConsoleTimeout, ConsoleUnavailable (the link is down and
        did not come back within waits.reconnect_s) or ConsoleError (a line too long)."""
        line = line.strip()
        if confirm and "--yes" not in line.split():
            line += " --yes"
        size = len(line.encode())
        if size > MAX_LINE:
            raise ConsoleError(f"command line is {size} bytes; at most {MAX_LINE} fit a frame")
        async with self._lock:
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

    # --- the pieces of run() ------------------------------------------------------------------

    async def _command(self, line: str, busy_wait_s: float) -> m.Ack:
        waited_s = 0.0
        while True:
            await self._wait_up(line)
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
                continue  # _wait_up waits for it, or says why not

    async def _await_reset(self, line: str, resets: Subscription) -> None:
        """After a command that resets the board: wait until it has reset and is up again."""
        try:
            await resets.get(self.waits.reconnect_s)
        except TimeoutError as err:
            raise ConsoleUnavailable(
                f"{line}: the board said it resets, but its link showed no reset within "
                f"{self.waits.reconnect_s:g} s"
            ) from err
        await self._wait_up(line)

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
                f"{line}: the link to {self.url} went down while reading the answer"
            ) from err
        return ack.result

    async def _wait_up(self, line: str) -> None:
        """Return when the link is up; a board that reboots comes back within a few seconds."""
        if self.link.is_up:
            return
        if self._task is None:
            raise ConsoleUnavailable(f"{line}: not connected to {self.url}")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.waits.reconnect_s
        while not self.link.is_up:
            if loop.time() > deadline:
                raise ConsoleUnavailable(
                    f"{line}: the board on {self.url} is not answering "
                    f"({self.link.state.value} for {self.waits.reconnect_s:g} s; "
                    f"last problem: {self.link.error or 'none'})"
                )
            await asyncio.sleep(0.05)

    async def _port_problem(self, err: PortError) -> ConsoleUnavailable:
        if err.reason.startswith("busy"):
            message = await asyncio.to_thread(busy_message, self.url, self.daemon_url)
            return PortBusy(message)
        return ConsoleUnavailable(str(err))
