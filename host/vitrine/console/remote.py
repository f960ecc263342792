"""`vitrine console` through the running daemon: a console session on the daemon's console
socket (vitrine.console.proxy), for a board whose port the daemon holds. It offers what a
ConsoleClient offers the interactive console, the scripts and the live area (the Console of
vitrine.console.session): the board's HELLO, its link's state and counters, its messages and
link events on a bus of this process, and run().

What differs from a console on the port itself: the daemon refuses `repl` (mpremote could not
reach the REPL on a port the daemon holds); the link's counters are the daemon's, refreshed
twice a second.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import time
from pathlib import Path
from typing import Any

from vitrine.bus import EventBus
from vitrine.console import relay
from vitrine.console.errors import ConsoleTimeout, ConsoleUnavailable, NotHeld
from vitrine.console.session import Answer, Waits, prepare_line
from vitrine.link import messages as m
from vitrine.link.board import LinkState
from vitrine.tasks import stop_task

_SLACK_S = 30.0  # beyond the daemon's own waits, how long an answer may take before giving up


class RemoteLink:
    """The daemon's link to the board, as relayed: its name, HELLO, state and counters."""

    def __init__(self, name: str, url: str, hello: m.Hello, snapshot: dict[str, Any]) -> None:
        self.name = name
        self.url = url
        self.hello: m.Hello | None = hello
        self._snapshot = snapshot

    @property
    def state(self) -> LinkState:
        try:
            return LinkState(self._snapshot.get("state"))
        except ValueError:
            return LinkState.CLOSED

    @property
    def is_up(self) -> bool:
        return self.state == LinkState.UP

    def snapshot(self) -> dict[str, Any]:
        return self._snapshot

    def update(self, snapshot: dict[str, Any]) -> None:
        self._snapshot = snapshot

    def closed(self) -> None:
        self._snapshot = {**self._snapshot, "state": LinkState.CLOSED.value}


class RemoteConsole:
    """The console of a board the daemon holds, through its console socket."""

    def __init__(self, socket_path: Path, board: str, waits: Waits | None = None) -> None:
        self.socket_path = socket_path
        self.url = board  # as the person named it; the daemon's port once open
        self.waits = waits or Waits()
        self.bus = EventBus()
        self._link: RemoteLink | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._pump: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    @property
    def via(self) -> str:
        return f"the daemon's console socket {self.socket_path}"

    @property
    def link(self) -> RemoteLink:
        assert self._link is not None, "connect() first"
        return self._link

    @property
    def hello(self) -> m.Hello:
        assert self.link.hello is not None
        return self.link.hello

    @property
    def role(self) -> str:
        return self.hello.role

    async def connect(self, timeout_s: float = 5.0) -> m.Hello:
        """Open the socket and the board on it; raises NotHeld when that daemon has no board
        on this port, ConsoleUnavailable saying why for anything else."""
        try:
            self._reader, self._writer = await asyncio.open_unix_connection(
                str(self.socket_path), limit=relay.MAX_LINE_BYTES
            )
        except PermissionError as err:
            raise ConsoleUnavailable(
                f"{self.socket_path}: permission denied: the daemon's console is for root, its "
                "user and the members of its group (usermod -aG GROUP USER; GROUP owns "
                f"{self.socket_path.parent}); or use sudo"
            ) from err
        except OSError as err:
            raise NotHeld(f"{self.socket_path}: no daemon answers ({err.strerror})") from err
        try:
            self._writer.write(
                relay.encode(
                    {
                        "op": "open",
                        "board": self.url,
                        "connect_s": timeout_s,
                        "command_s": self.waits.command_s,
                    }
                )
            )
            async with asyncio.timeout(timeout_s + _SLACK_S):
                first = relay.decode(await self._reader.readline())
            if "error" in first:
                raise relay.error_from(first["error"])
            opened = first["opened"]
            self.url = opened["port"]
            hello = relay.hello_from(opened["name"], opened["hello"], time.monotonic_ns())
            self._link = RemoteLink(opened["name"], opened["port"], hello, opened["link"])
        except (ValueError, KeyError, TypeError, TimeoutError, ConnectionError) as err:
            await self.close()
            raise ConsoleUnavailable(
                f"{self.socket_path}: the daemon did not open {self.url}: {err!r}"
            ) from err
        except BaseException:
            await self.close()
            raise
        self._pump = asyncio.create_task(self._take_in())
        return hello

    async def close(self) -> None:
        if self._pump is not None:
            await stop_task(self._pump)
            self._pump = None
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            self._writer = None
        self._fail_pending()

    async def run(
        self, line: str, *, confirm: bool = False, busy_wait_s: float | None = None
    ) -> Answer:
        """One command line through the daemon; raises as ConsoleClient.run does."""
        line = prepare_line(line, confirm)  # a line too long fails here, as on the port
        writer = self._writer
        if writer is None or self._pump is None or self._pump.done():
            raise ConsoleUnavailable(f"{line}: the daemon's console socket is closed")
        rid = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        request = {"op": "run", "id": rid, "line": line, "confirm": False}
        request["busy_wait_s"] = busy_wait_s
        waits = self.waits
        limit_s = waits.busy_s + waits.reconnect_s + 3 * waits.command_s + _SLACK_S
        try:
            writer.write(relay.encode(request))
            async with asyncio.timeout(limit_s):
                reply = await future
        except TimeoutError as err:
            raise ConsoleTimeout(f"{line}: no answer through the daemon in {limit_s:g} s") from err
        finally:
            self._pending.pop(rid, None)
        if "error" in reply:
            raise relay.error_from(reply["error"])
        answer = reply["answer"]
        return Answer(str(answer["line"]), int(answer["status"]), str(answer["text"]))

    async def _take_in(self) -> None:
        # Answers to their requests; events onto this process's bus, as a link would publish.
        assert self._reader is not None
        try:
            while line := await self._reader.readline():
                try:
                    self._take(relay.decode(line))
                except (ValueError, KeyError, TypeError):
                    continue  # a line this version does not read: skipped
        except ConnectionError:
            pass
        finally:
            self.link.closed()
            self._fail_pending()

    def _take(self, message: dict[str, Any]) -> None:
        rid = message.get("id")
        if rid is not None:
            future = self._pending.get(rid)
            if future is not None and not future.done():
                future.set_result(message)
            return
        event = message.get("event")
        link = self.link
        now_ns = time.monotonic_ns()
        if event == "link":
            link.update(message["link"])
        elif event == "message":
            payload = base64.b64decode(message["payload"])
            seq, typ = int(message["seq"]), int(message["type"])
            self.bus.publish(m.from_payload(link.name, seq, typ, payload, now_ns))
        elif event in ("connected", "rebooted"):
            hello = relay.hello_from(link.name, message["hello"], now_ns)
            link.hello = hello
            kind = m.BoardConnected if event == "connected" else m.BoardRebooted
            self.bus.publish(kind(board=link.name, port=link.url, hello=hello))
        elif event == "lost":
            self.bus.publish(m.BoardLost(board=link.name, port=link.url, reason=message["reason"]))
        elif event == "refused":
            self.bus.publish(
                m.BoardRefused(board=link.name, port=link.url, message=message["message"])
            )

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(
                    ConsoleUnavailable("the daemon closed its console socket (did it stop?)")
                )


async def through_daemon(
    board: str, sockets: list[Path], waits: Waits, connect_s: float
) -> tuple[RemoteConsole | None, list[str]]:
    """The console of `board` (a port, or a board's name) through the first daemon whose
    console socket has it, or None and why each socket could not serve it."""
    problems: list[str] = []
    for path in sockets:
        if not might_be_there(path):
            continue
        remote = RemoteConsole(path, board, waits)
        try:
            await remote.connect(connect_s)
        except NotHeld as err:
            problems.append(str(err))
            continue
        return remote, problems
    return None, problems


def might_be_there(path: Path) -> bool:
    """Is there a socket at path, or one this user may not even look at (a folder closed to
    it: connecting says so, naming who may)?"""
    try:
        path.stat()
    except PermissionError:
        return True
    except OSError:
        return False
    return True
