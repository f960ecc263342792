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
    ready: int  # 1: the baseline is taken and touches are found; 0: it is being taken
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
class Distance(BoardMessage):
    """A time-of-flight sensor's reading (a presence board streams them, rate-limited)."""

    TYPE: ClassVar[int] = wire.DISTANCE
    t_ms: int  # the board's ticks_ms when it was read
    sensor: int  # the sensor's index in the board's description ([[tof]])
    status: int  # wire.RANGE_*: the ULD's range status
    distance_mm: int  # the chip's reading, whatever its status
    filtered_mm: int  # the board's median of valid readings; wire.DISTANCE_NONE: no target
    signal_kcps: int
    ambient_kcps: int  # per SPAD

    @property
    def status_name(self) -> str:
        return wire.RANGE_STATUSES.get(self.status, f"code {self.status}")

    @property
    def target_mm(self) -> int | None:
        """The filtered distance of a valid target, or None."""
        return None if self.filtered_mm == wire.DISTANCE_NONE else self.filtered_mm


@dataclass(frozen=True, slots=True, kw_only=True)
class Presence(BoardMessage):
    """The presence board's own verdict changed: approach, present or absent (a leave)."""

    TYPE: ClassVar[int] = wire.PRESENCE
    t_ms: int
    state: int  # wire.PRESENCE_*
    distance_mm: int  # the nearest target's filtered distance (0xFFFF: none)
    sensor: int  # which sensor saw it

    @property
    def state_name(self) -> str:
        return wire.PRESENCE_STATES.get(self.state, f"code {self.state}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Motion(BoardMessage):
    """The PIR's state changed: idle, motion, warming up or stuck."""

    TYPE: ClassVar[int] = wire.MOTION
    t_ms: int
    state: int  # wire.MOTION_*

    @property
    def state_name(self) -> str:
        return wire.MOTION_STATES.get(self.state, f"code {self.state}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProxHealth(BoardMessage):
    """A proximity part (a sensor, the PIR, the I2C bus) is ok, failed or warming up."""

    TYPE: ClassVar[int] = wire.PROX_HEALTH
    part: str  # e.g. "tof centre", "pir"
    state: int  # wire.PART_*
    errors: int  # the part's errors since the board's boot
    detail: str  # what is wrong, for people

    @property
    def state_name(self) -> str:
        return wire.PART_STATES.get(self.state, f"code {self.state}")


@dataclass(frozen=True, slots=True)
class Sighting:
    """One loyalty advertisement the beacon board heard (BEACON_SIGHTINGS)."""

    age_ms: int  # how long before the frame was written it arrived
    rssi_dbm: int
    token: bytes  # 16 bytes: resolvable only with a member's key (vitrine.devices.beacons)


_SIGHTING = struct.Struct("<Hb16s")
assert _SIGHTING.size == wire.SIGHTING_SIZE


def unpack_sightings(raw: bytes) -> tuple[Sighting, ...]:
    """BEACON_SIGHTINGS' sightings field; raises wire.WireError when it is not whole sightings."""
    if len(raw) % wire.SIGHTING_SIZE:
        raise wire.WireError(
            f"BEACON_SIGHTINGS.sightings is {len(raw)} bytes, not a multiple of "
            f"{wire.SIGHTING_SIZE}"
        )
    return tuple(Sighting(*fields) for fields in _SIGHTING.iter_unpack(raw))


def pack_sightings(sightings: list[Sighting] | tuple[Sighting, ...]) -> bytes:
    """The inverse of unpack_sightings."""
    return b"".join(_SIGHTING.pack(s.age_ms, s.rssi_dbm, s.token) for s in sightings)


@dataclass(frozen=True, slots=True, kw_only=True)
class BeaconSightings(BoardMessage):
    TYPE: ClassVar[int] = wire.BEACON_SIGHTINGS
    dropped: int  # sightings the board could not keep since its last frame
    sightings: tuple[Sighting, ...]

    @staticmethod
    def convert(values: dict[str, object]) -> dict[str, object]:
        values["sightings"] = unpack_sightings(values["sightings"])  # type: ignore[arg-type]
        return values

    @staticmethod
    def revert(values: dict[str, object]) -> dict[str, object]:
        values["sightings"] = pack_sightings(values["sightings"])  # type: ignore[arg-type]
        return values


@dataclass(frozen=True, slots=True, kw_only=True)
class BeaconStatus(BoardMessage):
    TYPE: ClassVar[int] = wire.BEACON_STATUS
    adverts: int  # advertisements the beacon sent since boot
    heard: int  # advertisements its scanner heard
    loyalty: int  # ... of which loyalty advertisements under the configured company id
    malformed: int  # ... too long, or a structure running past the end
    dropped: int  # sightings not forwarded (the board's queue was full)
    scan_restarts: int  # times the scanner was found stopped and started again
    temp_q88: int  # the chip's temperature in 1/256 degC; wire.TEMP_NONE without a sensor

    @property
    def temperature_c(self) -> float | None:
        return None if self.temp_q88 == wire.TEMP_NONE else self.temp_q88 / 256


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
class LightScene(BoardMessage):
    TYPE: ClassVar[int] = wire.LIGHT_SCENE
    kelvin: int  # wire.LIGHT_MIN_KELVIN .. LIGHT_MAX_KELVIN, mixed in mireds
    brightness: int  # perceptual, 0..255 (CIE lightness, as LIGHT_SET)
    amber: int  # 0..255 of an amber mix on strips that can show it
    fade_ms: int  # 0 .. wire.LIGHT_MAX_FADE_MS


@dataclass(frozen=True, slots=True, kw_only=True)
class LightState(BoardMessage):
    """What the lights board's strips show now (sent when a fade starts, every 200 ms while it
    runs, when it ends, and when the current budget or the safe scene changes it)."""

    TYPE: ClassVar[int] = wire.LIGHT_STATE
    kelvin: int  # the scene shown (the fade's position while one runs)
    brightness: int
    amber: int
    flags: int  # wire.LIGHT_FADING | LIGHT_LIMITED | LIGHT_SAFE | LIGHT_CLAMPED
    current_ma: int  # what the strips draw now
    budget_ma: int  # what the board allows them
    shown: tuple[tuple[int, int, int], ...]  # per strip: linear r, g, b, 0..255

    @property
    def flag_names(self) -> list[str]:
        return [name for bit, name in sorted(wire.LIGHT_FLAGS.items()) if self.flags & bit]

    @staticmethod
    def convert(values: dict[str, object]) -> dict[str, object]:
        raw = values["shown"]
        assert isinstance(raw, bytes)
        size = wire.LIGHT_SHOWN_SIZE
        if len(raw) % size:
            raise wire.WireError(f"LIGHT_STATE.shown must be whole strips of {size} bytes")
        values["shown"] = tuple(tuple(raw[i : i + size]) for i in range(0, len(raw), size))
        return values

    @staticmethod
    def revert(values: dict[str, object]) -> dict[str, object]:
        shown = values["shown"]
        assert isinstance(shown, tuple)
        values["shown"] = b"".join(bytes(strip) for strip in shown)
        return values


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
        Distance,
        Presence,
        Motion,
        ProxHealth,
        BeaconSightings,
        BeaconStatus,
        LightSet,
        LightScene,
        LightState,
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
