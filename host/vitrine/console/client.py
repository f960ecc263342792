"""A console session with one board on a port this process opens: the link (opened by URL,
handshake, reconnects) and its console (vitrine.console.session: command lines sent as
CONSOLE_CMD, answers gathered with CONSOLE_READ).

    async with ConsoleClient("/dev/ttyACM0") as console:
        answer = await console.run("selftest")
        print(answer.text)

A port the daemon holds is busy here (ports are opened exclusively): `vitrine console` then
reaches the board through the daemon instead (vitrine.console.remote).
"""

from __future__ import annotations

import asyncio

from vitrine.bus import EventBus
from vitrine.console.errors import ConsoleUnavailable, PortBusy
from vitrine.console.holder import busy_message
from vitrine.console.session import MAX_LINE, Answer, BoardConsole, Waits
from vitrine.link import messages as m
from vitrine.link.board import BoardLink, LinkSettings, LinkState
from vitrine.link.errors import PortError
from vitrine.tasks import stop_task
from vitrine_fw import wire

DEFAULT_DAEMON_URL = "http://127.0.0.1:8080"  # where a running daemon's API answers by default

__all__ = ["DEFAULT_DAEMON_URL", "MAX_LINE", "Answer", "ConsoleClient", "Waits"]


class ConsoleClient:
    """The console of the board on one port (a device path, a pty, socket://HOST:PORT, ...)."""

    via: str | None = None  # this console holds the port itself

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
        self.console = BoardConsole(self.link, self.bus, self.waits)
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
        if self._task is None:
            raise ConsoleUnavailable(f"{line.strip()}: not connected to {self.url}")
        return await self.console.run(line, confirm=confirm, busy_wait_s=busy_wait_s)

    async def _port_problem(self, err: PortError) -> ConsoleUnavailable:
        if err.reason.startswith("busy"):
            message = await asyncio.to_thread(busy_message, self.url, self.daemon_url)
            return PortBusy(message)
        return ConsoleUnavailable(str(err))
