# Vitrine wire protocol: framing, header, CRC-32, message table and payload codec.
#
# One module, two runtimes: the boards run it under MicroPython, the host and the simulator
# import the very same file under CPython. The byte-exact specification with hex examples is
# docs/protocol.md; this file is its implementation.
#
# A frame on the wire:
#
#     00 | COBS( version u8 | flags u8 | seq u16 LE | type u8 | payload | crc32 u32 LE ) | 00
#
# - The CRC-32 (IEEE 802.3, as zlib/binascii) covers header and payload.
# - Every frame is sent between two delimiters, so a receiver that was fed garbage
#   resynchronises on the very next frame; empty frames (00 00) are idle fill.
# - Streams are unacknowledged and gap-counted by sequence number. A frame with FLAG_ACK_REQ
#   is a command: the receiver answers with ACK or NACK, a frame with FLAG_IS_ACK whose seq
#   is the seq of the command it answers (replies live outside the sender's own sequence).
#
# Two decoders: `Decoder` takes bytes one at a time into a preallocated buffer and allocates
# nothing in steady state (the boards' receive path); `FrameReader` takes chunks and is the
# host's fast path (it accepts a compiled COBS decoder and zlib's CRC).

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


import binascii
import struct
from array import array

PROTOCOL_VERSION = const(1)  # header byte 0; bumped on any change to framing or header
SCHEMA_REV = const(9)  # bumped whenever the message table below changes

HEADER_LEN = const(5)  # version, flags, seq (2), type
CRC_LEN = const(4)
MAX_PAYLOAD = const(247)  # bytes of payload in one frame
MAX_FRAME = const(256)  # HEADER_LEN + MAX_PAYLOAD + CRC_LEN, before COBS
MAX_ENCODED = const(258)  # MAX_FRAME after COBS: one overhead byte per 254 bytes, rounded up
MAX_WIRE = const(260)  # MAX_ENCODED plus the leading and trailing delimiter

FLAG_ACK_REQ = const(0x01)  # sender wants an ACK/NACK for this frame (a command)
FLAG_IS_ACK = const(0x02)  # this frame is an ACK/NACK; its seq is the acknowledged frame's seq
_FLAGS_KNOWN = const(0x03)  # the other bits are reserved and must be zero

# Decoder results (Decoder.feed / Decoder.push).
NONE = const(0)  # no frame completed yet
FRAME = const(1)  # a valid frame is in the decoder's buffer (fields on the decoder)
ERR_CRC = const(-1)  # CRC mismatch
ERR_COBS = const(-2)  # malformed COBS (a block runs past the end of the frame)
ERR_SHORT = const(-3)  # fewer bytes than a header and a CRC
# ERR_LONG: more than MAX_ENCODED bytes (dropped up to the next delimiter), or more than
# MAX_FRAME once COBS-decoded (258 COBS bytes can decode to 257).
ERR_LONG = const(-4)
ERR_FLAGS = const(-5)  # reserved flag bits set

# ---------------------------------------------------------------------------------------------
# Message types. One byte; each subsystem owns a range so they can grow without colliding.
#   0x00-0x1F link   0x20-0x3F touch   0x40-0x5F proximity   0x60-0x7F beacon
#   0x80-0x9F lighting   0xA0-0xBF console   0xC0-0xDF diagnostics   0xE0-0xFF reserved
# ---------------------------------------------------------------------------------------------
HELLO = const(0x01)  # identity and compatibility; layout frozen across protocol versions
ACK = const(0x02)  # command accepted (and done); payload may carry a result
NACK = const(0x03)  # command refused, with a reason code
HEARTBEAT = const(0x04)  # 1 Hz both ways: uptime and the sender's error counters
LOG = const(0x05)  # a log line from the board
LINK_TIMING = const(0x06)  # the host's heartbeat period and patience, which the board follows

TOUCH_REPORT = const(0x20)  # the contacts on the glass, one frame per scan while touched
TOUCH_HEALTH = const(
    0x21
)  # failed and saturated beams, baseline ready; sent when any of them changes
TOUCH_RAW = const(0x22)  # one scan's raw readings, while the console records a capture

DISTANCE = const(0x40)  # a time-of-flight sensor's reading, raw and filtered (rate-limited)
PRESENCE = const(0x41)  # the board's presence state changed: approach, present, absent
MOTION = const(0x42)  # the PIR's state changed: idle, motion, warming up, stuck
PROX_HEALTH = const(0x43)  # a proximity part's health changed (a sensor failed or recovered)
BEACON_SIGHTINGS = const(0x60)  # loyalty tokens the beacon board heard, with their RSSI
BEACON_STATUS = const(0x61)  # the beacon's counters and temperature, every few seconds

LIGHT_SET = const(0x80)  # fade the LED strips to a colour and brightness
LIGHT_SCENE = const(0x81)  # fade the lights to a colour temperature, brightness and amber
LIGHT_STATE = const(0x82)  # what the strips show now, and why it differs from what was asked

CONSOLE_CMD = const(0xA0)  # a technician's command line; the ACK carries the answer's first part
CONSOLE_READ = const(0xA1)  # a further part of the last console answer

PROBE_START = const(0xC0)  # start/stop the link-test stream
PROBE = const(0xC1)  # link-test stream: timestamp, index, padding
REBOOT = const(0xC2)  # soft-reset the board after delay_ms

RANGES = (
    ("link", 0x00, 0x1F),
    ("touch", 0x20, 0x3F),
    ("proximity", 0x40, 0x5F),
    ("beacon", 0x60, 0x7F),
    ("lighting", 0x80, 0x9F),
    ("console", 0xA0, 0xBF),
    ("diagnostics", 0xC0, 0xDF),
    ("reserved", 0xE0, 0xFF),
)

# Kinds: S stream (unacknowledged, gap-counted), C command (acknowledged, retried,
# idempotent), R reply (ACK/NACK, carries FLAG_IS_ACK), E event (unacknowledged, not periodic).
#
# Field codes: B/H/I u8/u16/u32, b/h/i signed, f float32 (all little-endian),
# s UTF-8 string and y bytes, each with a u8 length prefix.
#
# (type, name, kind, fields)
TABLE = (
    (
        HELLO,
        "HELLO",
        "E",
        "schema_rev:H schema_hash:I role:s fw_version:s build_hash:s uid:s reset_cause:B"
        " capabilities:I",
    ),
    (ACK, "ACK", "R", "acked_type:B result:y"),
    (NACK, "NACK", "R", "acked_type:B reason:B detail:s"),
    (
        HEARTBEAT,
        "HEARTBEAT",
        "S",
        "uptime_ms:I rx_frames:I crc_errors:I framing_errors:I gaps:I unknown_types:I tx_dropped:I",
    ),
    (LOG, "LOG", "E", "level:B subsystem:s text:s"),
    (LINK_TIMING, "LINK_TIMING", "C", "heartbeat_ms:H missed_heartbeats:B"),
    (TOUCH_REPORT, "TOUCH_REPORT", "S", "scan:H t_us:I contacts:y"),
    (
        TOUCH_HEALTH,
        "TOUCH_HEALTH",
        "E",
        "beams:H failed:H saturated:H blinded:B ready:B failed_beams:y",
    ),
    (TOUCH_RAW, "TOUCH_RAW", "S", "scan:H t_us:I count:H first:H rows:y"),
    (
        DISTANCE,
        "DISTANCE",
        "S",
        "t_ms:I sensor:B status:B distance_mm:H filtered_mm:H signal_kcps:H ambient_kcps:H",
    ),
    (PRESENCE, "PRESENCE", "E", "t_ms:I state:B distance_mm:H sensor:B"),
    (MOTION, "MOTION", "E", "t_ms:I state:B"),
    (PROX_HEALTH, "PROX_HEALTH", "E", "part:s state:B errors:H detail:s"),
    (BEACON_SIGHTINGS, "BEACON_SIGHTINGS", "S", "dropped:H sightings:y"),
    (
        BEACON_STATUS,
        "BEACON_STATUS",
        "S",
        "adverts:I heard:I loyalty:I malformed:I dropped:I scan_restarts:H temp_q88:h",
    ),
    (LIGHT_SET, "LIGHT_SET", "C", "r:B g:B b:B w:B brightness:B fade_ms:H"),
    (LIGHT_SCENE, "LIGHT_SCENE", "C", "kelvin:H brightness:B amber:B fade_ms:H"),
    (
        LIGHT_STATE,
        "LIGHT_STATE",
        "E",
        "kelvin:H brightness:B amber:B flags:B current_ma:H budget_ma:H shown:y",
    ),
    (CONSOLE_CMD, "CONSOLE_CMD", "C", "line:s"),
    (CONSOLE_READ, "CONSOLE_READ", "C", "req:H part:B"),
    (PROBE_START, "PROBE_START", "C", "rate_hz:H count:I size:B"),
    (PROBE, "PROBE", "S", "t_us:I index:I pad:y"),
    (REBOOT, "REBOOT", "C", "delay_ms:H"),
)

# NACK reasons.
NACK_UNKNOWN_TYPE = const(1)  # the receiver does not know this message type
NACK_BAD_PAYLOAD = const(2)  # payload does not match the message's fields
NACK_VERSION = const(3)  # protocol version differs (detail says which side to update)
NACK_SCHEMA = const(4)  # message table differs (detail says which side to update)
NACK_BUSY = const(5)  # try again later
NACK_REFUSED = const(6)  # not allowed in this state or on this board
NACK_INTERNAL = const(7)  # the handler failed; detail carries the error
NACK_NOT_READY = const(8)  # no HELLO handshake yet
NACK_REASONS = {
    NACK_UNKNOWN_TYPE: "unknown_type",
    NACK_BAD_PAYLOAD: "bad_payload",
    NACK_VERSION: "version_mismatch",
    NACK_SCHEMA: "schema_mismatch",
    NACK_BUSY: "busy",
    NACK_REFUSED: "refused",
    NACK_INTERNAL: "internal_error",
    NACK_NOT_READY: "not_ready",
}

# Reset causes carried by HELLO.
# What the ports report for each (vitrine_fw/hal.py): the reset button is a power-on reset on
# both the ESP32-S3 and the RP2040; a reset the firmware asks for is soft on both (bootflag's
# reset flag), whatever machine.reset() itself would report.
RESET_UNKNOWN = const(0)
RESET_POWER_ON = const(1)  # power switched on, the reset button, an ESP32 brown-out
RESET_HARD = const(2)  # ESP32: a reset the firmware did not ask for (a panic, or from the REPL)
RESET_WDT = const(3)  # watchdog (RP2040: also a reset from the REPL, which goes through it)
RESET_DEEPSLEEP = const(4)
RESET_SOFT = const(5)  # asked for by the firmware: REBOOT, the console, vitrine flash, an error
RESET_BROWNOUT = const(6)  # no port reports it today
RESET_CAUSES = {
    RESET_UNKNOWN: "unknown",
    RESET_POWER_ON: "power_on",
    RESET_HARD: "hard",
    RESET_WDT: "wdt",
    RESET_DEEPSLEEP: "deepsleep",
    RESET_SOFT: "soft",
    RESET_BROWNOUT: "brownout",
}

# Capability bits carried by HELLO: which subsystems are running on the board.
CAP_LINK = const(0x01)
CAP_TOUCH = const(0x02)
CAP_PROXIMITY = const(0x04)
CAP_BEACON = const(0x08)
CAP_LIGHTING = const(0x10)
CAP_CONSOLE = const(0x20)
CAP_PROBE = const(0x40)
CAPABILITIES = {
    CAP_LINK: "link",
    CAP_TOUCH: "touch",
    CAP_PROXIMITY: "proximity",
    CAP_BEACON: "beacon",
    CAP_LIGHTING: "lighting",
    CAP_CONSOLE: "console",
    CAP_PROBE: "probe",
}

# TOUCH_REPORT.contacts: CONTACT_SIZE bytes per contact,
#   id u8 | state u8 | x u16 LE | y u16 LE | w u8 | h u8 | kind u8
# x and y in 1/32 mm from the top-left corner of the frame's active area, w and h the
# contact's extent along x and y in 1/2 mm (255: 127.5 mm or more), kind CONTACT_FINGER or
# CONTACT_PALM (a palm, a sleeve or anything larger than a finger: never a pointer).
# A contact is reported CONTACT_DOWN in its first report, CONTACT_MOVE while it stays, and
# CONTACT_UP once, at its last position, when it has lifted. An id is unique among the current
# contacts from down to up. TOUCH_HEALTH.failed_beams: u16 LE beam indices; blinded: a bit per
# axis whose receivers are saturated (1 x, 2 y).
CONTACT_SIZE = const(9)
CONTACT_MOVE = const(0)
CONTACT_DOWN = const(1)
CONTACT_UP = const(2)
CONTACT_FINGER = const(0)
CONTACT_PALM = const(1)
MAX_CONTACTS = const(20)  # per report: 10 touching plus 10 lifting in the same scan

# TOUCH_RAW.rows (protocol.md §8): RAW_ROW bytes per reading,
#   beam u16 LE | dark u16 LE | lit u16 LE | t u16 LE
# the beam's index (the frame's beam order), its receiver's ADC counts read dark and lit, and
# when the lit one was taken in µs after t_us, the scan's first reading. A scan's `count`
# readings come in frames of at most RAW_ROWS, `first` the index of a frame's first row.
RAW_ROW = const(8)
RAW_ROWS = const(29)

# DISTANCE (protocol.md §10): status is the ULD's range status (RANGE_* below), distance_mm the
# chip's reading (whatever its status), filtered_mm the board's filtered distance of a valid
# target (DISTANCE_NONE: no target), signal and ambient in kcps (ambient per SPAD).
RANGE_VALID = const(0)
RANGE_SIGMA_FAIL = const(1)
RANGE_SIGNAL_FAIL = const(2)
RANGE_MIN_CLIPPED = const(3)
RANGE_OUT_OF_BOUNDS = const(4)
RANGE_HARDWARE_FAIL = const(5)
RANGE_NO_WRAP_CHECK = const(6)
RANGE_WRAP_FAIL = const(7)
RANGE_XTALK_FAIL = const(9)
RANGE_SYNC = const(10)
RANGE_MERGED_PULSE = const(11)
RANGE_LACK_OF_SIGNAL = const(12)
RANGE_MIN_RANGE_FAIL = const(13)
RANGE_NONE = const(255)  # no ranging yet, or the sensor failed
RANGE_STATUSES = {
    RANGE_VALID: "valid",
    RANGE_SIGMA_FAIL: "sigma fail",
    RANGE_SIGNAL_FAIL: "signal fail",
    RANGE_MIN_CLIPPED: "valid, min range clipped",
    RANGE_OUT_OF_BOUNDS: "out of bounds",
    RANGE_HARDWARE_FAIL: "hardware fail",
    RANGE_NO_WRAP_CHECK: "valid, no wrap check",
    RANGE_WRAP_FAIL: "wrap-around",
    RANGE_XTALK_FAIL: "crosstalk signal fail",
    RANGE_SYNC: "synchronisation",
    RANGE_MERGED_PULSE: "valid, merged pulse",
    RANGE_LACK_OF_SIGNAL: "target present, lack of signal",
    RANGE_MIN_RANGE_FAIL: "min range fail",
    RANGE_NONE: "no ranging",
}
DISTANCE_NONE = const(0xFFFF)  # filtered_mm when no valid target is in view

# PRESENCE.state and MOTION.state (protocol.md §10).
PRESENCE_ABSENT = const(0)  # nobody nearer than the board's approach distance (a leave)
PRESENCE_APPROACH = const(1)  # someone came nearer than the approach distance
PRESENCE_PRESENT = const(2)  # ... and stayed there for the board's dwell time
PRESENCE_STATES = {
    PRESENCE_ABSENT: "absent",
    PRESENCE_APPROACH: "approach",
    PRESENCE_PRESENT: "present",
}
MOTION_IDLE = const(0)
MOTION_DETECTED = const(1)
MOTION_WARMING = const(2)  # the PIR's first minute after power-on: its output means nothing
MOTION_STUCK = const(3)  # the output has been high far longer than any motion: a fault
MOTION_STATES = {
    MOTION_IDLE: "idle",
    MOTION_DETECTED: "motion",
    MOTION_WARMING: "warming up",
    MOTION_STUCK: "stuck",
}
# PROX_HEALTH.state
PART_OK = const(0)
PART_FAILED = const(1)
PART_WARMING = const(2)
PART_STATES = {PART_OK: "ok", PART_FAILED: "failed", PART_WARMING: "warming up"}

# BEACON_SIGHTINGS (protocol.md §14): SIGHTING_SIZE bytes per loyalty advertisement heard,
#   age_ms u16 LE | rssi i8 | token (16 bytes)
# age_ms: how long before the frame was written the advertisement arrived (at most 65535);
# rssi in dBm. At most MAX_SIGHTINGS a frame; `dropped` counts those the board could not keep
# since its last frame. BEACON_STATUS.temp_q88 is the chip's temperature in 1/256 degC,
# TEMP_NONE without a sensor.
SIGHTING_SIZE = const(19)
MAX_SIGHTINGS = const(12)
TEMP_NONE = const(-32768)

# LIGHT_SET (protocol.md §11): every pixel of the board's strips fades from what it shows to
# (r, g, b, w) scaled by brightness / 255, over fade_ms (0: at once), at most LIGHT_MAX_FADE_MS.
LIGHT_MAX_FADE_MS = const(10000)
# LIGHT_SCENE: a colour temperature (mixed in mireds), a perceptual brightness and an amber mix.
LIGHT_MIN_KELVIN = const(1000)
LIGHT_MAX_KELVIN = const(20000)
# LIGHT_STATE.flags
LIGHT_FADING = const(0x01)  # a fade is running
LIGHT_LIMITED = const(0x02)  # the current budget dims the light below what was asked
LIGHT_SAFE = const(0x04)  # the host link has been lost: the board shows its safe scene
LIGHT_CLAMPED = const(0x08)  # a strip cannot make the colour (shows the nearest it can)
LIGHT_FLAGS = {
    LIGHT_FADING: "fading",
    LIGHT_LIMITED: "limited",
    LIGHT_SAFE: "safe",
    LIGHT_CLAMPED: "clamped",
}
# LIGHT_STATE.shown: per strip, r g b: the light it gives in linear sRGB primaries, 0..255
# (255: that primary at the strip's full white)
LIGHT_SHOWN_SIZE = const(3)

# The console (protocol.md §9). CONSOLE_CMD's ACK result is
#   status u8 | parts u8 | the answer's first part
# and CONSOLE_READ(req, part)'s ACK result is part `part` (1 .. parts - 1) of the answer to the
# CONSOLE_CMD whose seq is `req`. Parts are at most CONSOLE_PART bytes of the answer's UTF-8
# text, cut anywhere (the host joins the bytes before decoding them).
CONSOLE_OK = const(0)  # the command ran; the text is its answer
CONSOLE_FAILED = const(1)  # the command ran and found a fault (e.g. a selftest FAIL)
CONSOLE_CONFIRM = const(2)  # nothing done: the text says what would happen; resend with --yes
CONSOLE_REBOOTING = const(3)  # done: the board resets now and its link comes back (reboot)
CONSOLE_LEAVING = const(4)  # done: the board leaves the firmware for the REPL; no link after it
CONSOLE_STATUSES = {
    CONSOLE_OK: "ok",
    CONSOLE_FAILED: "failed",
    CONSOLE_CONFIRM: "confirm",
    CONSOLE_REBOOTING: "rebooting",
    CONSOLE_LEAVING: "leaving",
}
CONSOLE_PART = const(240)  # answer bytes per part (an ACK's result holds at most 245)
CONSOLE_MAX_PARTS = const(40)  # parts of one answer at most (9600 bytes)

# LINK_TIMING (protocol.md §7): the HEARTBEAT period both sides use, and how many periods of
# silence (plus half a period) make a side declare the other gone. The host sends its own
# values right after the handshake, so both sides agree by construction; a board refuses
# values outside these ranges (its config.json takes the same ranges).
HEARTBEAT_MIN_MS = const(100)
HEARTBEAT_MAX_MS = const(5000)
MISSED_MIN = const(2)
MISSED_MAX = const(20)

# Log levels carried by LOG.
LOG_DEBUG = const(10)
LOG_INFO = const(20)
LOG_WARNING = const(30)
LOG_ERROR = const(40)


class WireError(ValueError):
    """A message does not match the table: unknown type, bad field value or payload length."""


# --- message table, parsed once at import -------------------------------------------------

_STRUCT_CODES = "BHIbhif"
_BY_TYPE = {}  # type -> (name, kind, ((field, code), ...))
_BY_NAME = {}  # name -> type


def _parse_table():
    for typ, name, kind, spec in TABLE:
        fields = []
        for item in spec.split():
            fname, code = item.split(":")
            if code not in _STRUCT_CODES and code not in "sy":
                raise WireError("field code " + code + " of " + name)
            fields.append((fname, code))
        _BY_TYPE[typ] = (name, kind, tuple(fields))
        _BY_NAME[name] = typ


_parse_table()


def schema_text():
    """The canonical text of the message table that SCHEMA_HASH is computed over."""
    lines = []
    for typ, name, kind, spec in sorted(TABLE):
        lines.append("%02x %s %s %s" % (typ, name, kind, spec))
    return "\n".join(lines)


SCHEMA_HASH = binascii.crc32(schema_text().encode())


def message_name(typ):
    """Name of a message type, or None when the type is not in the table."""
    entry = _BY_TYPE.get(typ)
    return entry[0] if entry else None


def message_type(name):
    """Type number of a message name; raises WireError when unknown."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise WireError("unknown message type " + repr(name))


def message_kind(typ):
    """'S', 'C', 'R' or 'E' for a known type, None otherwise."""
    entry = _BY_TYPE.get(typ)
    return entry[1] if entry else None


def message_fields(typ):
    """Tuple of (field name, code) of a known type; raises WireError when unknown."""
    entry = _BY_TYPE.get(typ)
    if entry is None:
        raise WireError("unknown message type 0x%02x" % typ)
    return entry[2]


def subsystem_of(typ):
    """Name of the subsystem range a message type falls in."""
    for name, lo, hi in RANGES:
        if lo <= typ <= hi:
            return name
    raise WireError("message type %r out of range 0..255" % (typ,))


# --- payload codec -------------------------------------------------------------------------


def encode_payload(typ, values):
    """Pack a tuple of field values (in table order) into payload bytes."""
    fields = message_fields(typ)
    if len(values) != len(fields):
        raise WireError(
            "%s takes %d fields, got %d" % (message_name(typ), len(fields), len(values))
        )
    out = bytearray()
    for (fname, code), value in zip(fields, values):
        if code in "sy":
            if code == "s":
                if not isinstance(value, str):
                    raise WireError("%s.%s must be a string" % (message_name(typ), fname))
                try:
                    raw = value.encode()
                except UnicodeError:
                    # CPython refuses a lone surrogate ("\ud800", which JSON can carry);
                    # MicroPython encodes one without complaint, so only CPython gets here.
                    raise WireError(
                        "%s.%s=%r is not valid Unicode text: only characters that UTF-8 can"
                        " encode are allowed (no lone surrogates)"
                        % (message_name(typ), fname, value)
                    )
            else:
                if not isinstance(value, (bytes, bytearray, memoryview)):
                    raise WireError("%s.%s must be bytes" % (message_name(typ), fname))
                raw = bytes(value)
            if len(raw) > 255:
                raise WireError(
                    "%s.%s is %d bytes, at most 255" % (message_name(typ), fname, len(raw))
                )
            out.append(len(raw))
            out.extend(raw)
        else:
            out.extend(struct.pack("<" + code, _checked(typ, fname, code, value)))
    if len(out) > MAX_PAYLOAD:
        raise WireError(
            "%s payload is %d bytes, at most %d" % (message_name(typ), len(out), MAX_PAYLOAD)
        )
    return bytes(out)


_INT_RANGES = {
    "B": (0, 0xFF),
    "H": (0, 0xFFFF),
    "I": (0, 0xFFFFFFFF),
    "b": (-0x80, 0x7F),
    "h": (-0x8000, 0x7FFF),
    "i": (-0x80000000, 0x7FFFFFFF),
}


def _checked(typ, fname, code, value):
    # MicroPython's struct.pack silently truncates out-of-range integers; check explicitly so
    # both runtimes refuse the same values.
    if code == "f":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise WireError("%s.%s=%r must be a number" % (message_name(typ), fname, value))
    lo, hi = _INT_RANGES[code]
    if isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi:
        return value
    raise WireError(
        "%s.%s=%r must be an integer in %d..%d" % (message_name(typ), fname, value, lo, hi)
    )


def decode_payload(typ, buf, start=0, end=None):
    """Unpack payload bytes buf[start:end] into a tuple of field values (in table order).

    Raises WireError when the bytes do not match the fields exactly (too short, too long,
    a string that is not UTF-8)."""
    if end is None:
        end = len(buf)
    fields = message_fields(typ)
    values = []
    pos = start
    for fname, code in fields:
        if code in "sy":
            if pos >= end:
                raise WireError("%s.%s: payload ends early" % (message_name(typ), fname))
            n = buf[pos]
            pos += 1
            if pos + n > end:
                raise WireError("%s.%s: payload ends early" % (message_name(typ), fname))
            raw = bytes(buf[pos : pos + n])
            pos += n
            if code == "s":
                try:
                    values.append(raw.decode())
                except UnicodeError:
                    raise WireError("%s.%s is not UTF-8" % (message_name(typ), fname))
            else:
                values.append(raw)
        else:
            size = struct.calcsize(code)
            if pos + size > end:
                raise WireError("%s.%s: payload ends early" % (message_name(typ), fname))
            values.append(struct.unpack_from("<" + code, buf, pos)[0])
            pos += size
    if pos != end:
        raise WireError(
            "%s: %d unexpected bytes after the last field" % (message_name(typ), end - pos)
        )
    return tuple(values)


# --- CRC-32 without big integers ------------------------------------------------------------
# binascii.crc32 returns a 32-bit value, which MicroPython boxes as a heap-allocated long
# integer whenever it is >= 2**30. The allocation-free paths therefore run the table-driven
# CRC in two 16-bit halves (every intermediate value is a small int) and never materialise
# the full 32-bit value.

_CRC_LO = array("H", bytes(512))  # low 16 bits of the reflected CRC-32 table
_CRC_HI = array("H", bytes(512))  # high 16 bits


def _make_crc_tables():
    for i in range(256):
        lo = i
        hi = 0
        for _ in range(8):
            if lo & 1:
                lo = ((lo >> 1) | ((hi & 1) << 15)) ^ 0x8320  # 0xEDB88320 low half
                hi = (hi >> 1) ^ 0xEDB8  # high half
            else:
                lo = (lo >> 1) | ((hi & 1) << 15)
                hi >>= 1
        _CRC_LO[i] = lo
        _CRC_HI[i] = hi


_make_crc_tables()


def _crc_halves(buf, start, end):
    # Returns the final CRC's low half and leaves the high half in _crc_hi_out[0]; two
    # results without a tuple, so nothing is allocated.
    lo = 0xFFFF
    hi = 0xFFFF
    tlo = _CRC_LO
    thi = _CRC_HI
    i = start
    while i < end:
        idx = (lo ^ buf[i]) & 0xFF
        lo = ((lo >> 8) | ((hi & 0xFF) << 8)) ^ tlo[idx]
        hi = (hi >> 8) ^ thi[idx]
        i += 1
    _crc_hi_out[0] = hi ^ 0xFFFF
    return lo ^ 0xFFFF


_crc_hi_out = array("H", (0,))


def crc_write(buf, start, end):
    """Write the CRC-32 of buf[start:end] little-endian at buf[end:end+4]. Allocates nothing."""
    lo = _crc_halves(buf, start, end)
    hi = _crc_hi_out[0]
    buf[end] = lo & 0xFF
    buf[end + 1] = lo >> 8
    buf[end + 2] = hi & 0xFF
    buf[end + 3] = hi >> 8


def crc_check(buf, start, end):
    """True when buf[end:end+4] holds the CRC-32 of buf[start:end]. Allocates nothing."""
    lo = _crc_halves(buf, start, end)
    hi = _crc_hi_out[0]
    return (
        buf[end] == lo & 0xFF
        and buf[end + 1] == lo >> 8
        and buf[end + 2] == hi & 0xFF
        and buf[end + 3] == hi >> 8
    )


# --- COBS -----------------------------------------------------------------------------------


def cobs_encode_into(src, start, n, dst, pos):
    """COBS-encode src[start:start+n] into dst from pos on; returns the end position in dst.

    dst needs room for n + n // 254 + 1 bytes; src and dst may be the same buffer when the
    source lies beyond the encoder's reach. Allocates nothing. The output never contains
    0x00 and is the canonical encoding (no empty block after a final 0xFF block)."""
    code_pos = pos
    pos += 1
    code = 1
    i = start
    stop = start + n
    while i < stop:
        b = src[i]
        i += 1
        if b == 0:
            dst[code_pos] = code
            code_pos = pos
            pos += 1
            code = 1
        else:
            dst[pos] = b
            pos += 1
            code += 1
            if code == 0xFF and i < stop:
                dst[code_pos] = code
                code_pos = pos
                pos += 1
                code = 1
    dst[code_pos] = code
    return pos


def cobs_decode_inplace(buf, n):
    """Decode the COBS bytes buf[0:n] in place; returns the decoded length, or -1 if malformed.

    Decoding in place is safe because the write index never passes the read index.
    Allocates nothing."""
    r = 0
    w = 0
    while r < n:
        code = buf[r]
        if code == 0:
            return -1
        r += 1
        end = r + code - 1
        if end > n:
            return -1
        while r < end:
            buf[w] = buf[r]
            w += 1
            r += 1
        if code != 0xFF and r < n:
            buf[w] = 0
            w += 1
    return w


def cobs_encode(data):
    """COBS-encode bytes (no delimiters)."""
    out = bytearray(len(data) + len(data) // 254 + 1)
    end = cobs_encode_into(data, 0, len(data), out, 0)
    return bytes(out[:end])


def cobs_decode_bytes(data):
    """COBS-decode bytes (no delimiters); raises WireError when malformed."""
    buf = bytearray(data)
    n = cobs_decode_inplace(buf, len(buf))
    if n < 0:
        raise WireError("malformed COBS data")
    return bytes(buf[:n])


# --- frames ---------------------------------------------------------------------------------


def encode_frame_into(out, typ, seq, flags, payload, n, version=PROTOCOL_VERSION):
    """Build a complete wire frame (both delimiters) for payload[0:n] into out.

    out must hold MAX_WIRE + MAX_FRAME bytes: its tail is scratch space for the raw frame.
    version is the header's protocol version (another one only to reproduce or test a
    frame of another build). Returns the number of wire bytes at out[0:]. Allocates
    nothing."""
    raw = MAX_WIRE  # the raw (pre-COBS) frame is assembled after the wire area
    out[raw] = version
    out[raw + 1] = flags
    out[raw + 2] = seq & 0xFF
    out[raw + 3] = (seq >> 8) & 0xFF
    out[raw + 4] = typ
    i = 0
    while i < n:
        out[raw + HEADER_LEN + i] = payload[i]
        i += 1
    end = raw + HEADER_LEN + n
    crc_write(out, raw, end)
    # COBS-encode the raw frame from out[raw:] into out[1:]; the encoder never writes past
    # out[MAX_ENCODED], so source and destination do not overlap.
    out[0] = 0
    end = cobs_encode_into(out, raw, HEADER_LEN + n + CRC_LEN, out, 1)
    out[end] = 0
    return end + 1


def encode_frame(typ, seq, flags, payload=b"", version=PROTOCOL_VERSION):
    """Build a complete wire frame (both delimiters) as bytes.

    version: the header's protocol version; another than this module's only to reproduce a
    frame of another build byte for byte (vitrine wire encode) or to test a receiver."""
    if not 0 <= version <= 0xFF:
        raise WireError("protocol version %r out of range 0..255" % (version,))
    if len(payload) > MAX_PAYLOAD:
        raise WireError("payload is %d bytes, at most %d" % (len(payload), MAX_PAYLOAD))
    if flags & ~_FLAGS_KNOWN:
        raise WireError("flags 0x%02x: only bits 0x%02x are defined" % (flags, _FLAGS_KNOWN))
    if not 0 <= typ <= 0xFF:
        raise WireError("message type %r out of range 0..255" % (typ,))
    out = bytearray(MAX_WIRE + MAX_FRAME)
    n = encode_frame_into(out, typ, seq & 0xFFFF, flags, payload, len(payload), version)
    return bytes(out[:n])


def encode_message(typ, seq, values, flags=0):
    """Build a complete wire frame for a message from its field values."""
    return encode_frame(typ, seq, flags, encode_payload(typ, values))


class Decoder:
    """Byte-at-a-time frame decoder into a preallocated buffer; allocates nothing.

    Feed it bytes; when feed() returns FRAME the frame's fields are on the decoder
    (version, flags, seq, type) and its payload is buf[HEADER_LEN:HEADER_LEN + length].
    Corrupt frames are counted, never delivered, and the decoder resynchronises at the next
    delimiter. A frame that outgrows MAX_ENCODED is counted as a framing error the moment it
    does, so a stream that ends (or stalls) inside it still shows the error."""

    def __init__(self):
        self.buf = bytearray(MAX_ENCODED)
        self.n = 0  # bytes gathered since the last delimiter
        self.dropping = False  # a frame grew past MAX_ENCODED (counted): discard to the delimiter
        self.result = NONE  # outcome of the last completed frame
        # The last good frame.
        self.version = 0
        self.flags = 0
        self.seq = 0
        self.type = 0
        self.length = 0  # payload bytes
        # Counters.
        self.frames = 0  # good frames delivered
        self.crc_errors = 0
        self.framing_errors = 0  # malformed COBS, runts, frames too long, reserved flags
        self.bytes_skipped = 0  # bytes of frames that were not delivered

    def feed(self, data, start, end):
        """Consume data[start:end] up to and including the first frame delimiter.

        Returns the index after the last consumed byte; self.result is FRAME when a good
        frame ended there, NONE when the data ran out (or at idle fill), or a negative ERR_*
        code when a corrupt frame ended there."""
        buf = self.buf
        cap = MAX_ENCODED
        n = self.n
        i = start
        self.result = NONE
        while i < end:
            b = data[i]
            i += 1
            if b == 0:
                self.n = n
                self._finish()
                self.n = 0
                return i
            if n < cap:
                buf[n] = b
                n += 1
            else:
                if not self.dropping:
                    self.dropping = True
                    self.framing_errors += 1
                    self.bytes_skipped += n
                self.bytes_skipped += 1
        self.n = n
        return i

    def _finish(self):
        n = self.n
        if self.dropping:  # counted when it started
            self.dropping = False
            self.result = ERR_LONG
            return
        if n == 0:  # idle fill between delimiters
            self.result = NONE
            return
        buf = self.buf
        m = cobs_decode_inplace(buf, n)
        if m < 0:
            self._bad(ERR_COBS, n)
            return
        if m > MAX_FRAME:  # 258 COBS bytes can decode to 257: a payload over MAX_PAYLOAD
            self._bad(ERR_LONG, n)
            return
        if m < HEADER_LEN + CRC_LEN:
            self._bad(ERR_SHORT, n)
            return
        if not crc_check(buf, 0, m - CRC_LEN):
            self.crc_errors += 1
            self.bytes_skipped += n
            self.result = ERR_CRC
            return
        if buf[1] & ~_FLAGS_KNOWN:
            self._bad(ERR_FLAGS, n)
            return
        self.version = buf[0]
        self.flags = buf[1]
        self.seq = buf[2] | (buf[3] << 8)
        self.type = buf[4]
        self.length = m - HEADER_LEN - CRC_LEN
        self.frames += 1
        self.result = FRAME

    def _bad(self, code, n):
        self.framing_errors += 1
        self.bytes_skipped += n
        self.result = code

    def payload(self):
        """The last frame's payload as a new bytes object (allocates; not for hot paths)."""
        return bytes(self.buf[HEADER_LEN : HEADER_LEN + self.length])


class FrameReader:
    """Chunk-oriented frame decoder for hosts: feed(chunk) returns the frames it completed.

    Each frame is a tuple (version, flags, seq, type, payload bytes, offset of the frame in
    the stream). cobs_decode, its exception type and crc may be replaced by compiled
    equivalents (the host passes cobs.cobs.decode, cobs.cobs.DecodeError and zlib.crc32);
    the defaults are this module's own, so it also runs on MicroPython."""

    def __init__(self, cobs_decode=None, crc=None, decode_error=WireError):
        self._cobs_decode = cobs_decode or cobs_decode_bytes
        self._crc = crc or binascii.crc32
        self._decode_error = decode_error
        self._tail = b""
        self._dropping = False  # inside a frame past MAX_ENCODED (counted): skip to the delimiter
        self.frames = 0
        self.crc_errors = 0
        self.framing_errors = 0
        self.bytes_skipped = 0
        self.errors = []  # (offset, ERR_* code) of recent errors, when track_errors is set
        self.track_errors = False
        self.offset = 0  # bytes fed so far

    def feed(self, data):
        """Consume a chunk of wire bytes; returns the list of good frames it completed."""
        frames = []
        base = self.offset - len(self._tail)
        self.offset += len(data)
        if self._tail:
            data = self._tail + data
        parts = data.split(b"\x00")
        tail = parts.pop()
        pos = base
        unpack = struct.unpack_from
        crc = self._crc
        for part in parts:
            size = len(part)
            start = pos
            pos += size + 1
            if self._dropping:  # the end of a frame counted as too long when it began
                self._dropping = False
                self.bytes_skipped += size
                continue
            if not size:
                continue
            if size > MAX_ENCODED:
                self.framing_errors += 1
                self.bytes_skipped += size
                self._note(start, ERR_LONG)
                continue
            try:
                raw = self._cobs_decode(part)
            except self._decode_error:
                self.framing_errors += 1
                self.bytes_skipped += size
                self._note(start, ERR_COBS)
                continue
            m = len(raw)
            if m > MAX_FRAME:  # 258 COBS bytes can decode to 257: a payload over MAX_PAYLOAD
                self.framing_errors += 1
                self.bytes_skipped += size
                self._note(start, ERR_LONG)
                continue
            if m < HEADER_LEN + CRC_LEN:
                self.framing_errors += 1
                self.bytes_skipped += size
                self._note(start, ERR_SHORT)
                continue
            if crc(raw[: m - CRC_LEN]) & 0xFFFFFFFF != unpack("<I", raw, m - CRC_LEN)[0]:
                self.crc_errors += 1
                self.bytes_skipped += size
                self._note(start, ERR_CRC)
                continue
            version, flags, seq, typ = unpack("<BBHB", raw)
            if flags & ~_FLAGS_KNOWN:
                self.framing_errors += 1
                self.bytes_skipped += size
                self._note(start, ERR_FLAGS)
                continue
            self.frames += 1
            frames.append((version, flags, seq, typ, raw[HEADER_LEN : m - CRC_LEN], start))
        if self._dropping or len(tail) > MAX_ENCODED:
            # A frame that can no longer be valid: count it once, now (so a stream that ends
            # inside it still shows the error), and skip its bytes as they come until the
            # next delimiter; never buffer more than MAX_ENCODED bytes.
            if not self._dropping:
                self._dropping = True
                self.framing_errors += 1
                self._note(pos, ERR_LONG)  # pos: where the tail, this frame, began
            self.bytes_skipped += len(tail)
            tail = b""
        self._tail = tail
        return frames

    def _note(self, offset, code):
        if self.track_errors:
            self.errors.append((offset, code))

    @property
    def pending(self):
        """Bytes held since the last delimiter (an incomplete frame)."""
        return len(self._tail)
