"""Typed views of the wire messages, as published on the event bus.

Each class mirrors one entry of the wire module's message table (a test keeps them in step)
and adds where the message came from: the board's name, the frame's sequence number and the
host's receive time. Link state changes (connected, rebooted, lost, refused) are events too.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, fields
from typing import ClassVar

from vitrine_fw import wire


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardMessage:
    """Base of every message received from a board."""

    TYPE: ClassVar[int] = -1
    board: str  # the link's name: the board's role once known
    seq: int  # the frame's sequence number
    rx_ns: int  # time.monotonic_ns() when the host decoded the frame


@dataclass(frozen=True, slots=True, kw_only=True)
class Hello(BoardMessage):
    TYPE: ClassVar[int] = wire.HELLO
    schema_rev: int
    schema_hash: int
    role: str
    fw_version: str
    build_hash: str
    uid: str
    reset_cause: int
    capabilities: int

    @property
    def reset_cause_name(self) -> str:
        return wire.RESET_CAUSES.get(self.reset_cause, f"code {self.reset_cause}")

    @property
    def capability_names(self) -> list[str]:
        return [name for bit, name in sorted(wire.CAPABILITIES.items()) if self.capabilities & bit]


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack(BoardMessage):
    TYPE: ClassVar[int] = wire.ACK
    acked_type: int
    result: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Nack(BoardMessage):
    TYPE: ClassVar[int] = wire.NACK
    acked_type: int
    reason: int
    detail: str

    @property
    def reason_name(self) -> str:
        return wire.NACK_REASONS.get(self.reason, f"code {self.reason}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat(BoardMessage):
    TYPE: ClassVar[int] = wire.HEARTBEAT
    uptime_ms: int
    rx_frames: int
    crc_errors: int
    framing_errors: int
    gaps: int
    unknown_types: int
    tx_dropped: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Log(BoardMessage):
    TYPE: ClassVar[int] = wire.LOG
    level: int
    subsystem: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkTiming(BoardMessage):
    TYPE: ClassVar[int] = wire.LINK_TIMING
    heartbeat_ms: int  # the HEARTBEAT period both sides use
    missed_heartbeats: int  # periods of silence (plus half a period) before a side is gone


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeStart(BoardMessage):
    TYPE: ClassVar[int] = wire.PROBE_START
    rate_hz: int
    count: int
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe(BoardMessage):
    TYPE: ClassVar[int] = wire.PROBE
    t_us: int
    index: int
    pad: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Reboot(BoardMessage):
    TYPE: ClassVar[int] = wire.REBOOT
    delay_ms: int


@dataclass(frozen=True, slots=True)
class Contact:
    """One contact of a TOUCH_REPORT, in frame millimetres (origin top-left of the glass)."""

    id: int
    state: int  # wire.CONTACT_DOWN / CONTACT_MOVE / CONTACT_UP
    x_mm: float
    y_mm: float
    w_mm: float  # its extent along x and y
    h_mm: float
    kind: int = wire.CONTACT_FINGER  # or wire.CONTACT_PALM: never a pointer

    @property
    def state_name(self) -> str:
        return _CONTACT_STATES.get(self.state, f"code {self.state}")

    @property
    def kind_name(self) -> str:
        return CONTACT_KINDS.get(self.kind, f"code {self.kind}")

    @property
    def is_palm(self) -> bool:
        """A palm, a sleeve or anything larger than a finger (or of a kind this host does not
        know): never a pointer."""
        return self.kind != wire.CONTACT_FINGER

    @property
    def diameter_mm(self) -> float:
        """The contact's size as one diameter: the mean of its extents."""
        return (self.w_mm + self.h_mm) / 2


_CONTACT_STATES = {wire.CONTACT_DOWN: "down", wire.CONTACT_MOVE: "move", wire.CONTACT_UP: "up"}
CONTACT_KINDS = {wire.CONTACT_FINGER: "finger", wire.CONTACT_PALM: "palm"}
_CONTACT = struct.Struct("<BBHHBBB")
assert _CONTACT.size == wire.CONTACT_SIZE


def unpack_contacts(raw: bytes) -> tuple[Contact, ...]:
    """TOUCH_REPORT's contacts field; raises wire.WireError when it is not whole contacts."""
    if len(raw) % wire.CONTACT_SIZE:
        raise wire.WireError(
            f"TOUCH_REPORT.contacts is {len(raw)} bytes, not a multiple of {wire.CONTACT_SIZE}"
        )
    return tuple(
        Contact(cid, state, x / 32, y / 32, w / 2, h / 2, kind)
        for cid, state, x, y, w, h, kind in _CONTACT.iter_unpack(raw)
    )


def pack_contacts(contacts: list[Contact] | tuple[Contact, ...]) -> bytes:
    """The inverse of unpack_contacts (positions rounded to the wire's 1/32 mm, sizes to its
    1/2 mm, at most 127.5 mm)."""
    return b"".join(
        _CONTACT.pack(
            c.id,
            c.state,
            round(c.x_mm * 32),
            round(c.y_mm * 32),
            min(255, round(c.w_mm * 2)),
            min(255, round(c.h_mm * 2)),
            c.kind,
        )
        for c in contacts
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class TouchReport(BoardMessage):
    TYPE: ClassVar[int] = wire.TOUCH_REPORT
    scan: int  # the board's scan counter (wraps at 65536)
    t_us: int  # the board's ticks_us when the scan ended
    contacts: tuple[Contact, ...]

    @staticmethod
    def convert(values: dict[str, object]) -> dict[str, object]:
        values["contacts"] = unpack_contacts(values["contacts"])  # type: ignore[arg-type]
        return values

    @staticmethod
    def revert(values: dict[str, object]) -> dict[str, object]:
        values["contacts"] = pack_contacts(values["contacts"])  # type: ignore[arg-type]
        return values


@dataclass(frozen=True, slots=True, kw_only=True)
class TouchHealth(BoardMessage):
    TYPE: ClassVar[int] = wire.TOUCH_HEALTH
    beams: int
    failed: int
    saturated: int
    blinded: int  # a bit per axis whose receivers are saturated: 1 x, 2 y
    failed_beams: tuple[int, ...]

    @property
    def blinded_axes(self) -> tuple[str, ...]:
        """The blinded axes' names ("x", "y")."""
        return tuple(a for i, a in enumerate("xy") if self.blinded & (1 << i))

    @staticmethod
    def convert(values: dict[str, object]) -> dict[str, object]:
        raw = values["failed_beams"]
        assert isinstance(raw, bytes)
        if len(raw) % 2:
            raise wire.WireError("TOUCH_HEALTH.failed_beams must be whole u16 values")
        values["failed_beams"] = tuple(v for (v,) in struct.iter_unpack("<H", raw))
        return values

    @staticmethod
    def revert(values: dict[str, object]) -> dict[str, object]:
        beams = values["failed_beams"]
        assert isinstance(beams, tuple)
        values["failed_beams"] = struct.pack(f"<{len(beams)}H", *beams)
        return values


@dataclass(frozen=True, slots=True, kw_only=True)
class TouchRaw(BoardMessage):
    """Part of one scan's raw readings (a capture being recorded: protocol.md §8)."""

    TYPE: ClassVar[int] = wire.TOUCH_RAW
    scan: int  # the recording's scan counter (wraps at 65536)
    t_us: int  # the board's ticks_us at the scan's first reading
    count: int  # the scan's readings in all
    first: int  # the index of this frame's first row
    rows: tuple[tuple[int, int, int, int], ...]  # (beam, dark, lit, t after t_us in µs)

    @staticmethod
    def convert(values: dict[str, object]) -> dict[str, object]:
        raw = values["rows"]
        assert isinstance(raw, bytes)
        if len(raw) % wire.RAW_ROW:
            raise wire.WireError(
                f"TOUCH_RAW.rows is {len(raw)} bytes, not a multiple of {wire.RAW_ROW}"
            )
        values["rows"] = tuple(struct.iter_unpack("<HHHH", raw))
        return values

    @staticmethod
    def revert(values: dict[str, object]) -> dict[str, object]:
        rows = values["rows"]
        assert isinstance(rows, tuple)
        values["rows"] = b"".join(struct.pack("<HHHH", *row) for row in rows)
        return values


@dataclass(frozen=True, slots=True, kw_only=True)
class LightSet(BoardMessage):
    TYPE: ClassVar[int] = wire.LIGHT_SET
    r: int
    g: int
    b: int
    w: int  # the strips' white LEDs (a strip without them adds it to r, g and b)
    brightness: int  # every channel is scaled by brightness / 255
    fade_ms: int  # 0 .. wire.LIGHT_MAX_FADE_MS


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleCmd(BoardMessage):
    TYPE: ClassVar[int] = wire.CONSOLE_CMD
    line: str  # a console command line, e.g. "selftest" or "reboot --yes"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConsoleRead(BoardMessage):
    TYPE: ClassVar[int] = wire.CONSOLE_READ
    req: int  # the seq of the CONSOLE_CMD whose answer is read
    part: int  # 1 .. parts - 1 (part 0 came in the CONSOLE_CMD's ACK)


MESSAGE_CLASSES: dict[int, type[BoardMessage]] = {
    cls.TYPE: cls
    for cls in (
        Hello,
        Ack,
        Nack,
        Heartbeat,
        Log,
        LinkTiming,
        TouchReport,
        TouchHealth,
        TouchRaw,
        LightSet,
        ConsoleCmd,
        ConsoleRead,
        ProbeStart,
        Probe,
        Reboot,
    )
}
_FIELD_NAMES: dict[int, tuple[str, ...]] = {
    typ: tuple(f.name for f in fields(cls))[3:] for typ, cls in MESSAGE_CLASSES.items()
}


def from_payload(board: str, seq: int, typ: int, payload: bytes, rx_ns: int) -> BoardMessage:
    """Decode a frame's payload into its typed message; raises wire.WireError when the payload
    does not match the table, KeyError when the type has no typed view."""
    cls = MESSAGE_CLASSES[typ]
    values = dict(zip(_FIELD_NAMES[typ], wire.decode_payload(typ, payload), strict=True))
    convert = getattr(cls, "convert", None)
    if convert is not None:
        values = convert(values)
    return cls(board=board, seq=seq, rx_ns=rx_ns, **values)


def wire_values(msg: BoardMessage) -> tuple[object, ...]:
    """The message's field values as the wire table has them (the inverse of from_payload)."""
    values = {name: getattr(msg, name) for name in _FIELD_NAMES[msg.TYPE]}
    revert = getattr(msg, "revert", None)
    if revert is not None:
        values = revert(values)
    return tuple(values.values())


# --- link state events ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkEvent:
    """Base of the link's state changes."""

    board: str
    port: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardConnected(LinkEvent):
    """The handshake succeeded; hello is what the board said about itself."""

    hello: Hello


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardRebooted(LinkEvent):
    """The board announced a reset (a HELLO of its own) while the link was up."""

    hello: Hello


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardLost(LinkEvent):
    """The link went down: port closed, unplugged, or heartbeats missed."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardRefused(LinkEvent):
    """The board is incompatible with this host; message says which side to update."""

    message: str
