"""The daemon's console socket: `vitrine console PORT` reaches a board whose port the daemon
holds (on a mirror it always does) through the daemon, which sends the console's CONSOLE_CMD
and CONSOLE_READ over its own link to that board and returns the answers, and relays the
board's messages and link events for the interactive console's live area.

Why a Unix socket, and who may use it: vitrine.console.relay. The socket is made mode 0660 in
the daemon's runtime folder; each connection's user (SO_PEERCRED) must be root, the daemon's
own user or a member of the daemon's group, else it is refused and the refusal logged.

The board decides what a command may do, as on its own port: confirmations (`--yes`) and a
production board's rate limit are the board's. The one line refused here is `repl`: it would
leave the board at MicroPython's REPL on a port the daemon keeps holding, where mpremote could
not reach it.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import logging
import os
import pwd
import socket
import stat
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vitrine.bus import EventBus
from vitrine.console import relay
from vitrine.console.errors import ConsoleError, ConsoleRefused, ConsoleUnavailable, NotHeld
from vitrine.console.holder import same_port
from vitrine.console.session import BoardConsole, Waits
from vitrine.errors import VitrineError
from vitrine.link import messages as m
from vitrine.link.board import BoardLink
from vitrine.link.boards import Boards
from vitrine.tasks import stop_task
from vitrine_fw import wire

log = logging.getLogger("vitrine.console")

SNAPSHOT_S = 0.5  # how often a session is sent its link's state and counters
_PEERCRED = struct.Struct("3i")  # struct ucred: pid, uid, gid
_LIMITS_S = {"connect_s": (0.0, 60.0), "command_s": (0.05, 60.0), "busy_wait_s": (0.0, 60.0)}
_WHO_MAY = "only root, the daemon's user and members of its group may"


class ProxyError(VitrineError):
    """The console socket cannot be served (the daemon runs on without it)."""


def allowed_peer(
    uid: int,
    own_uid: int | None = None,
    own_gid: int | None = None,
    user_of: Callable[[int], Any] = pwd.getpwuid,
    group_of: Callable[[int], Any] = grp.getgrgid,
) -> bool:
    """May the user `uid` drive boards' consoles: root, the daemon's own user, or a member of
    the daemon's group (its primary group, or listed in /etc/group)?"""
    own_uid = os.getuid() if own_uid is None else own_uid
    own_gid = os.getgid() if own_gid is None else own_gid
    if uid in (0, own_uid):
        return True
    try:
        user = user_of(uid)
    except KeyError:
        return False  # no such user on this machine
    if user.pw_gid == own_gid:
        return True
    try:
        return user.pw_name in group_of(own_gid).gr_mem
    except KeyError:
        return False


def peer_uid(sock: socket.socket) -> int:
    """The user id of the process on the other end of a Unix socket (SO_PEERCRED)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    return _PEERCRED.unpack(creds)[1]


def refused_line(line: str) -> ConsoleRefused | None:
    """Why a line is not sent through the daemon, or None. Only `repl` (module docstring)."""
    words = [w for w in line.split() if w != "--yes"]
    if words[:1] != ["repl"]:
        return None
    return ConsoleRefused(
        line.strip(),
        "refused",
        "not through the daemon: the board would sit at MicroPython's REPL on a port the "
        "daemon holds, where mpremote cannot reach it; stop the daemon (systemctl stop "
        "vitrine), then run the console on the port itself: vitrine console PORT -e 'repl --yes'",
    )


class ConsoleProxy:
    """Serves the console socket at `path` for the boards of `boards`."""

    def __init__(self, boards: Boards, bus: EventBus, path: Path | None = None) -> None:
        self.boards = boards
        self.bus = bus
        self.path = path or relay.daemon_socket()
        self._locks: dict[int, asyncio.Lock] = {}  # one per link (id), shared by its sessions
        self.sessions = 0  # open now
        self.refused_peers = 0

    async def run(self) -> None:
        """Serve until cancelled, then remove the socket. When it cannot be served, say why in
        the log and wait: the daemon runs on without it."""
        try:
            server = await self._listen()
        except ProxyError as err:
            log.warning("no console through the daemon: %s", err)
            await asyncio.Event().wait()
            return
        log.info("console socket: %s", self.path)
        try:
            async with server:
                await server.serve_forever()
        finally:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    async def _listen(self) -> asyncio.Server:
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            info = folder.stat()
        except OSError as err:
            raise ProxyError(f"cannot use the folder {folder}: {err.strerror}") from err
        if info.st_uid not in (0, os.getuid()) or stat.S_IMODE(info.st_mode) & 0o002:
            raise ProxyError(
                f"{folder} belongs to another user, or anyone may write in it: a console "
                "socket there could be anyone's"
            )
        if self.path.exists() or self.path.is_symlink():
            if await _answers(self.path):
                raise ProxyError(f"another daemon serves its console at {self.path}")
            self.path.unlink()  # left by a daemon that did not stop cleanly
        try:
            server = await asyncio.start_unix_server(
                self._serve, path=str(self.path), limit=relay.MAX_LINE_BYTES
            )
            os.chmod(self.path, 0o660)  # the daemon's user and group; nobody else
        except OSError as err:
            raise ProxyError(f"cannot serve {self.path}: {err.strerror}") from err
        return server

    def find(self, board: str) -> BoardLink | None:
        """The link of the board on this port (or of this name)."""
        links = list(self.boards.links.values())
        return next((link for link in links if same_port(link.url, board)), None) or next(
            (link for link in links if link.name == board), None
        )

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(self, reader, writer)
        self.sessions += 1
        try:
            await session.run()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the console went away
        finally:
            self.sessions -= 1
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    def lock_for(self, link: BoardLink) -> asyncio.Lock:
        return self._locks.setdefault(id(link), asyncio.Lock())


async def _answers(path: Path) -> bool:
    """Does something listen on the Unix socket at path?"""
    try:
        _reader, writer = await asyncio.open_unix_connection(str(path))
    except OSError:
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


class _Session:
    """One `vitrine console` on the socket: its board, its requests, its events."""

    def __init__(
        self, proxy: ConsoleProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.proxy = proxy
        self.reader = reader
        self.writer = writer
        self._write_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def send(self, message: dict[str, Any]) -> None:
        async with self._write_lock:
            self.writer.write(relay.encode(message))
            await self.writer.drain()

    async def run(self) -> None:
        uid = peer_uid(self.writer.get_extra_info("socket"))
        if not allowed_peer(uid):
            self.proxy.refused_peers += 1
            log.warning("console socket: refused user %d: %s", uid, _WHO_MAY)
            refusal = ConsoleUnavailable(
                f"{self.proxy.path}: this user (uid {uid}) may not use the daemon's console: "
                f"{_WHO_MAY}"
            )
            await self.send({"error": relay.error_json(refusal)})
            return
        opened = await self._open()
        if opened is None:
            return
        link, console = opened
        log.info("console: user %d on the %s board (%s)", uid, link.name, link.url)
        events = asyncio.create_task(self._relay(link))
        try:
            while line := await self.reader.readline():
                request = relay.decode(line)
                if request.get("op") != "run":
                    raise ValueError(f"unknown request {request.get('op')!r}")
                task = asyncio.create_task(self._run(console, request))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except ValueError as err:
            log.warning("console socket: %s; closing the session", err)
        finally:
            for task in [events, *self._tasks]:
                await stop_task(task)

    async def _open(self) -> tuple[BoardLink, BoardConsole] | None:
        try:
            request = relay.decode(await self.reader.readline())
            if request.get("op") != "open" or not isinstance(request.get("board"), str):
                raise ConsoleError(f"the first request must open a board, got {request!r}")
            connect_s, command_s = (
                _seconds(request, "connect_s", 5.0),
                _seconds(request, "command_s", 1.0),
            )
            link = self.proxy.find(request["board"])
            if link is None:
                raise _not_held(request["board"], self.proxy.boards)
            await _wait_up(link, connect_s)
            hello = link.hello
            assert hello is not None
            if not hello.capabilities & wire.CAP_CONSOLE:
                raise ConsoleUnavailable(
                    f"the {hello.role} board on {link.url} (firmware {hello.fw_version}) runs "
                    f"no console: update its firmware: vitrine flash --role {hello.role}"
                )
        except ValueError as err:
            await self.send({"error": relay.error_json(ConsoleError(f"bad request: {err}"))})
            return None
        except ConsoleError as err:
            await self.send({"error": relay.error_json(err)})
            return None
        await self.send(
            {
                "opened": {
                    "name": link.name,
                    "port": link.url,
                    "hello": relay.hello_b64(hello),
                    "link": link.snapshot(),
                }
            }
        )
        waits = Waits(command_s=command_s)
        return link, BoardConsole(link, self.proxy.bus, waits, self.proxy.lock_for(link))

    async def _run(self, console: BoardConsole, request: dict[str, Any]) -> None:
        rid = request.get("id")
        line = str(request.get("line", ""))
        try:
            refusal = refused_line(line)
            if refusal is not None:
                raise refusal
            busy_wait_s = None
            if request.get("busy_wait_s") is not None:
                busy_wait_s = _seconds(request, "busy_wait_s", 0.0)
            answer = await console.run(
                line, confirm=bool(request.get("confirm")), busy_wait_s=busy_wait_s
            )
        except ValueError as err:
            await self.send({"id": rid, "error": relay.error_json(ConsoleError(f"{line}: {err}"))})
            return
        except ConsoleError as err:
            await self.send({"id": rid, "error": relay.error_json(err)})
            return
        except Exception as err:  # a bug: the session says so, the daemon serves on
            log.exception("console: %s on the %s board failed", line, console.link.name)
            await self.send({"id": rid, "error": relay.error_json(ConsoleError(f"{line}: {err}"))})
            return
        await self.send(
            {
                "id": rid,
                "answer": {"line": answer.line, "status": answer.status, "text": answer.text},
            }
        )

    async def _relay(self, link: BoardLink) -> None:
        # This board's messages and link events as they come, and its link's state twice a
        # second. A console that reads too slowly loses the oldest (the bus drops them).
        bus = self.proxy.bus
        kinds = (*relay.RELAYED, m.BoardConnected, m.BoardRebooted, m.BoardLost, m.BoardRefused)
        with bus.subscribe(*kinds) as sub:
            loop = asyncio.get_running_loop()
            next_snapshot = loop.time()
            while True:
                if loop.time() >= next_snapshot:
                    await self.send({"event": "link", "link": link.snapshot()})
                    next_snapshot = loop.time() + SNAPSHOT_S
                try:
                    event = await sub.get(max(0.0, next_snapshot - loop.time()))
                except TimeoutError:
                    continue
                if event.board != link.name:
                    continue
                if isinstance(event, m.LinkEvent):
                    await self.send(relay.link_event(event))
                else:
                    await self.send(relay.message_event(event))


def _seconds(request: dict[str, Any], key: str, default: float) -> float:
    value = request.get(key, default)
    lo, hi = _LIMITS_S[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ValueError(f"{key}={value!r}: allowed {lo:g}..{hi:g} seconds")
    return float(value)


def _not_held(board: str, boards: Boards) -> NotHeld:
    held = ", ".join(f"{link.name} ({link.url})" for link in boards.links.values()) or "none"
    return NotHeld(f"the daemon has no board on {board}; its boards: {held}")


async def _wait_up(link: BoardLink, timeout_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not link.is_up:
        if loop.time() >= deadline:
            raise ConsoleUnavailable(
                f"the {link.name} board on {link.url} is {link.state.value} on the daemon's "
                f"link (last problem: {link.error or 'none'})"
            )
        await asyncio.sleep(0.05)
