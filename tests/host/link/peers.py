"""Boards for link tests, reached over socket:// (no pseudo-terminals at this tier):

- `serve_firmware` (the `firmware_board` fixture, the console tests' boards): the real firmware
  (link, probe, supervisor, the role's subsystems) running in this process on a SimBoard
  whose port is the accepted TCP connection; the hardware seam is the only fake.
- `FakeBoard`: a scripted peer speaking the wire protocol, for behaviour real firmware never
  shows on purpose (silence, unknown types, a boot HELLO at a chosen moment).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import zlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import cobs.cobs

from vitrine.link.board import LinkSettings
from vitrine.sim.board import SimBoard
from vitrine_fw import supervisor, wire

FAST = LinkSettings(
    heartbeat_s=0.1,
    missed_heartbeats=4,
    hello_interval_s=0.05,
    handshake_patience_s=0.3,
    command_timeout_s=0.1,
    command_retries=2,
    reconnect_min_s=0.02,
    reconnect_max_s=0.1,
)


@dataclass
class FirmwareBoards:
    url: str
    boards: list[SimBoard] = field(default_factory=list)
    supervisors: list[Any] = field(default_factory=list)
    exits: list[int] = field(default_factory=list)
    tweak: Callable[[Any], None] | None = None  # called with each Supervisor before it runs

    @property
    def sup(self) -> Any:
        """The supervisor of the latest connection."""
        return self.supervisors[-1]


@contextlib.asynccontextmanager
async def serve_firmware(
    cfg: dict[str, Any], uid: str, prepare: Callable[[SimBoard], None] | None = None
) -> AsyncIterator[FirmwareBoards]:
    """The firmware for cfg behind a TCP port: every accepted connection is a freshly booted
    board (prepare(board) attaches device models before its supervisor is built)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setblocking(False)
    state = FirmwareBoards(url=f"socket://127.0.0.1:{listener.getsockname()[1]}")
    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []

    async def accept() -> None:
        while True:
            conn, _ = await loop.sock_accept(listener)
            board = SimBoard(
                uid=uid,
                reset_cause=wire.RESET_POWER_ON,
                link_socket=conn,  # the firmware reads the connection as its UART
                exit_process=state.exits.append,
            )
            if prepare:
                prepare(board)
            sup = supervisor.build(board, dict(cfg))
            if state.tweak:
                state.tweak(sup)
            state.boards.append(board)
            state.supervisors.append(sup)
            tasks.append(asyncio.create_task(sup.run()))

    acceptor = asyncio.create_task(accept())
    try:
        yield state
    finally:
        for task in [acceptor, *tasks]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        listener.close()
        for board in state.boards:
            if board.port:
                board.port.close()


class FakeBoard:
    """A scripted wire peer on a TCP port. It records what the host sends, answers HELLO
    with an ACK carrying its own HELLO unless told otherwise, and LINK_TIMING with an ACK (or
    a NACK refused when given `timing_refusal`)."""

    def __init__(
        self,
        role: str = "touch",
        answer_hello: bool = True,
        timing_refusal: str | None = None,
        after_hello: tuple[tuple[int, tuple], ...] = (),
    ) -> None:
        self.role = role
        self.after_hello = after_hello  # (type, values) frames written with its ACK to HELLO
        self.answer_hello = answer_hello
        self.timing_refusal = timing_refusal
        self.received: list[tuple[int, int, int, bytes]] = []  # (flags, seq, type, payload)
        self.writers: list[asyncio.StreamWriter] = []
        self.seq = 0
        self.url = ""
        self._server: asyncio.AbstractServer | None = None
        self.connections = 0
        self.connected = asyncio.Event()
        self.reset_cause = wire.RESET_POWER_ON  # what its HELLO says, unless told otherwise

    def hello_payload(self, reset_cause: int | None = None, rev: int | None = None) -> bytes:
        return wire.encode_payload(
            wire.HELLO,
            (
                wire.SCHEMA_REV if rev is None else rev,
                wire.SCHEMA_HASH if rev is None else 0x1234,
                self.role,
                "9.9.9",
                "fakebuild",
                "fa4e",
                self.reset_cause if reset_cause is None else reset_cause,
                wire.CAP_LINK,
            ),
        )

    async def __aenter__(self) -> FakeBoard:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.url = f"socket://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        for w in self.writers:
            w.close()
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        self.connected.set()
        frames = wire.FrameReader(cobs.cobs.decode, zlib.crc32, cobs.cobs.DecodeError)
        while data := await reader.read(4096):
            for _v, flags, seq, typ, payload, _o in frames.feed(data):
                self.received.append((flags, seq, typ, payload))
                if typ == wire.HELLO and flags & wire.FLAG_ACK_REQ and self.answer_hello:
                    ack = (wire.HELLO, self.hello_payload())
                    data = wire.encode_message(wire.ACK, seq, ack, wire.FLAG_IS_ACK)
                    for after, values in self.after_hello:  # in the same write, as a board may
                        data += wire.encode_message(after, self.seq, values)
                        self.seq = (self.seq + 1) & 0xFFFF
                    self.send_raw(data)
                elif typ == wire.LINK_TIMING and self.timing_refusal is not None:
                    refusal = (wire.LINK_TIMING, wire.NACK_REFUSED, self.timing_refusal)
                    self.reply(seq, wire.NACK, refusal)
                elif typ == wire.LINK_TIMING:
                    self.reply(seq, wire.ACK, (wire.LINK_TIMING, b""))

    def send_raw(self, data: bytes) -> None:
        for w in self.writers:
            w.write(data)

    def send(self, typ: int, values: tuple, flags: int = 0) -> None:
        self.send_raw(wire.encode_message(typ, self.seq, values, flags))
        self.seq = (self.seq + 1) & 0xFFFF

    def reply(self, seq: int, typ: int, values: tuple) -> None:
        self.send_raw(wire.encode_message(typ, seq, values, wire.FLAG_IS_ACK))

    def heartbeat(self, uptime_ms: int = 1000) -> None:
        self.send(wire.HEARTBEAT, (uptime_ms, 0, 0, 0, 0, 0, 0))

    def unplug(self) -> None:
        """Close the connections (the host sees its port go; it connects again)."""
        for w in self.writers:
            w.close()
        self.writers.clear()
        self.connected.clear()

    def types_received(self) -> list[int]:
        return [typ for _f, _s, typ, _p in self.received]
