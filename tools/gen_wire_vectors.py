"""Write tests/vectors/wire.json: golden wire-protocol vectors for both runtimes.

    .venv/bin/python tools/gen_wire_vectors.py [--check]

The wire bytes are built here INDEPENDENTLY of wire.py's framing code (struct for the header,
zlib.crc32 for the CRC, the `cobs` package for COBS, and the two delimiters added by hand), so
the vectors check wire.py instead of restating it. Payloads come from wire.encode_payload, except
for a few that are packed by hand with struct here and checked against it. The decode cases'
expected counters are worked out by hand from the protocol rules, never by running a decoder.

--check regenerates in memory and exits 1 when the committed file differs.
"""

import argparse
import json
import struct
import sys
import zlib
from pathlib import Path

import cobs.cobs

from vitrine_fw import wire

OUT = Path(__file__).resolve().parent.parent / "tests" / "vectors" / "wire.json"

VERSION = 1  # the protocol version these vectors describe; wire.PROTOCOL_VERSION must match


def frame_bytes(typ, seq, flags, payload, version=VERSION):
    """Wire bytes of one frame: 00 | COBS(header | payload | crc32 LE) | 00."""
    raw = struct.pack("<BBHB", version, flags, seq, typ) + payload
    raw += struct.pack("<I", zlib.crc32(raw))
    return b"\x00" + cobs.cobs.encode(raw) + b"\x00"


def body(frame):
    """The COBS bytes of a frame from frame_bytes (without its two delimiters)."""
    assert frame[0] == 0 and frame[-1] == 0 and 0 not in frame[1:-1]
    return frame[1:-1]


# --- hand-packed payloads (independent of wire.encode_payload) --------------------------------


def _str(text):
    raw = text.encode("utf-8")
    return struct.pack("<B", len(raw)) + raw


def _bytes(raw):
    return struct.pack("<B", len(raw)) + raw


def hand_packed(typ, f):
    """Payload bytes for a message packed field by field with struct, from the table's codes."""
    if typ == wire.HEARTBEAT:
        return struct.pack(
            "<7I",
            f["uptime_ms"],
            f["rx_frames"],
            f["crc_errors"],
            f["framing_errors"],
            f["gaps"],
            f["unknown_types"],
            f["tx_dropped"],
        )
    if typ == wire.NACK:
        return struct.pack("<BB", f["acked_type"], f["reason"]) + _str(f["detail"])
    if typ == wire.HELLO:
        return (
            struct.pack("<HI", f["schema_rev"], f["schema_hash"])
            + _str(f["role"])
            + _str(f["fw_version"])
            + _str(f["build_hash"])
            + _str(f["uid"])
            + struct.pack("<BI", f["reset_cause"], f["capabilities"])
        )
    if typ == wire.PROBE:
        return struct.pack("<II", f["t_us"], f["index"]) + _bytes(bytes.fromhex(f["pad"]))
    if typ == wire.TOUCH_REPORT:
        return struct.pack("<HI", f["scan"], f["t_us"]) + _bytes(bytes.fromhex(f["contacts"]))
    if typ == wire.BEACON_SIGHTINGS:
        return struct.pack("<H", f["dropped"]) + _bytes(bytes.fromhex(f["sightings"]))
    if typ == wire.BEACON_STATUS:
        return struct.pack(
            "<5IHh",
            f["adverts"],
            f["heard"],
            f["loyalty"],
            f["malformed"],
            f["dropped"],
            f["scan_restarts"],
            f["temp_q88"],
        )
    if typ == wire.LIGHT_SET:
        return struct.pack("<5BH", f["r"], f["g"], f["b"], f["w"], f["brightness"], f["fade_ms"])
    if typ == wire.CONSOLE_CMD:
        return _str(f["line"])
    if typ == wire.CONSOLE_READ:
        return struct.pack("<HB", f["req"], f["part"])
    if typ == wire.LINK_TIMING:
        return struct.pack("<HB", f["heartbeat_ms"], f["missed_heartbeats"])
    return _sense_packed(typ, f)


def _sense_packed(typ, f):
    """hand_packed's proximity and lighting messages (revision 6)."""
    if typ == wire.DISTANCE:
        return struct.pack(
            "<IBBHHHH",
            f["t_ms"],
            f["sensor"],
            f["status"],
            f["distance_mm"],
            f["filtered_mm"],
            f["signal_kcps"],
            f["ambient_kcps"],
        )
    if typ == wire.PRESENCE:
        return struct.pack("<IBHB", f["t_ms"], f["state"], f["distance_mm"], f["sensor"])
    if typ == wire.MOTION:
        return struct.pack("<IB", f["t_ms"], f["state"])
    if typ == wire.PROX_HEALTH:
        return _str(f["part"]) + struct.pack("<BH", f["state"], f["errors"]) + _str(f["detail"])
    if typ == wire.LIGHT_SCENE:
        return struct.pack("<HBBH", f["kelvin"], f["brightness"], f["amber"], f["fade_ms"])
    if typ == wire.LIGHT_STATE:
        return struct.pack(
            "<HBBBHH",
            f["kelvin"],
            f["brightness"],
            f["amber"],
            f["flags"],
            f["current_ma"],
            f["budget_ma"],
        ) + _bytes(bytes.fromhex(f["shown"]))
    raise KeyError(typ)


# --- vectors -------------------------------------------------------------------------------

HELLO_UID = "e6614103e7452d2f"

# (name, type, seq, flags, fields[, True when the payload is also packed by hand with struct])
# Fields of code "y" are hex strings, here and in the JSON.
MESSAGES = [
    (
        "hello_boot",
        wire.HELLO,
        0,
        0,
        {
            "schema_rev": 1,
            "schema_hash": 0x8F3A61C2,
            "role": "touch",
            "fw_version": "0.1.0",
            "build_hash": "a1b2c3d",
            "uid": HELLO_UID,
            "reset_cause": wire.RESET_WDT,
            "capabilities": wire.CAP_LINK | wire.CAP_TOUCH | wire.CAP_PROBE,
        },
        True,
    ),
    (
        "hello_utf8_extremes",
        wire.HELLO,
        0x1234,
        wire.FLAG_ACK_REQ,
        {
            "schema_rev": 0xFFFF,
            "schema_hash": 0xFFFFFFFF,
            "role": "présence ☃ 鏡",
            "fw_version": "",
            "build_hash": "0" * 64,
            "uid": "ü" * 20,
            "reset_cause": 0xFF,
            "capabilities": 0,
        },
        True,
    ),
    ("ack_empty", wire.ACK, 7, wire.FLAG_IS_ACK, {"acked_type": wire.PROBE_START, "result": ""}),
    (
        # 1 + 1 + 245 = MAX_PAYLOAD: the longest result an ACK can carry.
        "ack_max_result",
        wire.ACK,
        0x8000,
        wire.FLAG_IS_ACK,
        {"acked_type": wire.HELLO, "result": bytes(range(245)).hex()},
    ),
    (
        "nack_schema_utf8",
        wire.NACK,
        42,
        wire.FLAG_IS_ACK,
        {
            "acked_type": wire.HELLO,
            "reason": wire.NACK_SCHEMA,
            "detail": "board schema rev 1, host rev 2: update the board firmware — «vitrine flash»",
        },
        True,
    ),
    (
        "nack_unknown_type",
        wire.NACK,
        0xFFFE,
        wire.FLAG_IS_ACK,
        {"acked_type": 0xE7, "reason": wire.NACK_UNKNOWN_TYPE, "detail": ""},
        True,
    ),
    (
        "heartbeat_zeros",
        wire.HEARTBEAT,
        1,
        0,
        {
            "uptime_ms": 0,
            "rx_frames": 0,
            "crc_errors": 0,
            "framing_errors": 0,
            "gaps": 0,
            "unknown_types": 0,
            "tx_dropped": 0,
        },
        True,
    ),
    (
        "heartbeat_max",
        wire.HEARTBEAT,
        0xFFFF,
        0,
        {
            "uptime_ms": 0xFFFFFFFF,
            "rx_frames": 0xFFFFFFFF,
            "crc_errors": 0x80000000,
            "framing_errors": 0x7FFFFFFF,
            "gaps": 0x40000000,
            "unknown_types": 0x3FFFFFFF,
            "tx_dropped": 1,
        },
        True,
    ),
    (
        "log_utf8",
        wire.LOG,
        300,
        0,
        {"level": wire.LOG_WARNING, "subsystem": "touch", "text": "beam 17 blocked 2.5 s — ok?"},
    ),
    (
        # 1 + (1 + 10) + (1 + 234) = MAX_PAYLOAD.
        "log_max_text",
        wire.LOG,
        301,
        0,
        {"level": wire.LOG_ERROR, "subsystem": "supervisor", "text": "x" * 234},
    ),
    (
        "probe_start_max",
        wire.PROBE_START,
        0x00FF,
        wire.FLAG_ACK_REQ,
        {"rate_hz": 0xFFFF, "count": 0xFFFFFFFF, "size": wire.MAX_PAYLOAD},
    ),
    (
        "probe_start_stop",
        wire.PROBE_START,
        0x0100,
        wire.FLAG_ACK_REQ,
        {"rate_hz": 0, "count": 0, "size": 9},
    ),
    ("probe_min", wire.PROBE, 2, 0, {"t_us": 0, "index": 0, "pad": ""}, True),
    (
        # 4 + 4 + 1 + 238 = MAX_PAYLOAD.
        "probe_max_pad",
        wire.PROBE,
        3,
        0,
        {"t_us": 0x3FFFFFFF, "index": 0xFFFFFFFF, "pad": ("a5" * 238)},
        True,
    ),
    (
        # Two contacts, 9 bytes each (protocol.md §8): id 3 down at (220.5, 80.25) mm, a
        # finger 9 mm across; id 1 moving at (512, 301.5) mm, a palm 60 x 45 mm.
        "touch_report_two",
        wire.TOUCH_REPORT,
        812,
        0,
        {
            "scan": 4211,
            "t_us": 123456789,
            "contacts": struct.pack("<BBHHBBB", 3, 1, 7056, 2568, 18, 18, 0).hex()
            + struct.pack("<BBHHBBB", 1, 0, 16384, 9648, 120, 90, 1).hex(),
        },
        True,
    ),
    ("touch_report_idle", wire.TOUCH_REPORT, 0xFFFF, 0, {"scan": 0, "t_us": 0, "contacts": ""}),
    (
        "touch_health_two_failed",
        wire.TOUCH_HEALTH,
        5,
        0,
        {
            "beams": 890,
            "failed": 2,
            "saturated": 0,
            "blinded": 0,
            "ready": 1,
            "failed_beams": struct.pack("<2H", 17, 612).hex(),
        },
    ),
    (
        # The x bar in sunlight: 31 of its beams saturated in the last scan.
        "touch_health_x_blinded",
        wire.TOUCH_HEALTH,
        6,
        0,
        {
            "beams": 1476,
            "failed": 0,
            "saturated": 31,
            "blinded": 1,
            "ready": 1,
            "failed_beams": "",
        },
    ),
    (
        # Two readings of a recording's scan 7 (protocol.md §8): beam 0 and beam 243.
        "touch_raw_two_rows",
        wire.TOUCH_RAW,
        90,
        0,
        {
            "scan": 7,
            "t_us": 5000123,
            "count": 380,
            "first": 0,
            "rows": struct.pack("<4H", 0, 82, 2130, 9).hex()
            + struct.pack("<4H", 243, 91, 2077, 3315).hex(),
        },
    ),
    (
        # Two loyalty tokens heard (protocol.md §14): 19 bytes each, age_ms u16 LE, rssi i8,
        # the token; the second the strongest and oldest a frame can say.
        "beacon_sightings_two",
        wire.BEACON_SIGHTINGS,
        300,
        0,
        {
            "dropped": 3,
            "sightings": struct.pack("<Hb", 40, -67).hex()
            + bytes(range(16)).hex()
            + struct.pack("<Hb", 0xFFFF, 127).hex()
            + (b"\xff" * 16).hex(),
        },
        True,
    ),
    (
        # A full frame: MAX_SIGHTINGS sightings, the weakest RSSI a byte holds.
        "beacon_sightings_full",
        wire.BEACON_SIGHTINGS,
        301,
        0,
        {
            "dropped": 0xFFFF,
            "sightings": (struct.pack("<Hb", 1, -128) + bytes(16)).hex() * wire.MAX_SIGHTINGS,
        },
        True,
    ),
    (
        # A beacon with a temperature sensor (21.5 degC) and one without.
        "beacon_status_warm",
        wire.BEACON_STATUS,
        302,
        0,
        {
            "adverts": 123456,
            "heard": 98765,
            "loyalty": 4321,
            "malformed": 12,
            "dropped": 3,
            "scan_restarts": 1,
            "temp_q88": 5504,
        },
        True,
    ),
    (
        "beacon_status_no_sensor",
        wire.BEACON_STATUS,
        303,
        0,
        {
            "adverts": 0xFFFFFFFF,
            "heard": 0,
            "loyalty": 0,
            "malformed": 0,
            "dropped": 0,
            "scan_restarts": 0xFFFF,
            "temp_q88": wire.TEMP_NONE,
        },
        True,
    ),
    (
        # The "evening" scene of the default [lighting]: 150/255 brightness over 800 ms.
        "light_set_evening",
        wire.LIGHT_SET,
        77,
        wire.FLAG_ACK_REQ,
        {"r": 255, "g": 190, "b": 120, "w": 60, "brightness": 150, "fade_ms": 800},
        True,
    ),
    (
        "light_set_dark_at_once",
        wire.LIGHT_SET,
        0xFFFF,
        wire.FLAG_ACK_REQ,
        {"r": 0, "g": 0, "b": 0, "w": 0, "brightness": 0, "fade_ms": 0},
        True,
    ),
    (
        # Every field at its largest (the board refuses fade_ms above LIGHT_MAX_FADE_MS, but
        # the payload itself is valid).
        "light_set_max",
        wire.LIGHT_SET,
        78,
        wire.FLAG_ACK_REQ,
        {"r": 255, "g": 255, "b": 255, "w": 255, "brightness": 255, "fade_ms": 0xFFFF},
    ),
    (
        # Someone 1.2 m in front of sensor 0: the chip read 1187 mm, the median is 1192 mm.
        "distance_valid",
        wire.DISTANCE,
        4000,
        0,
        {
            "t_ms": 123456,
            "sensor": 0,
            "status": wire.RANGE_VALID,
            "distance_mm": 1187,
            "filtered_mm": 1192,
            "signal_kcps": 6200,
            "ambient_kcps": 3,
        },
        True,
    ),
    (
        # Nothing in view of sensor 2 in strong sunlight: a signal fail, no filtered target.
        "distance_no_target",
        wire.DISTANCE,
        0xFFFF,
        0,
        {
            "t_ms": 0x3FFFFFFF,
            "sensor": 2,
            "status": wire.RANGE_SIGNAL_FAIL,
            "distance_mm": 0,
            "filtered_mm": wire.DISTANCE_NONE,
            "signal_kcps": 0,
            "ambient_kcps": 201,
        },
        True,
    ),
    (
        "presence_approach",
        wire.PRESENCE,
        4001,
        0,
        {"t_ms": 123480, "state": wire.PRESENCE_APPROACH, "distance_mm": 1472, "sensor": 1},
        True,
    ),
    (
        "presence_absent",
        wire.PRESENCE,
        4002,
        0,
        {"t_ms": 130000, "state": wire.PRESENCE_ABSENT, "distance_mm": 0xFFFF, "sensor": 0},
        True,
    ),
    ("motion_detected", wire.MOTION, 4003, 0, {"t_ms": 62050, "state": wire.MOTION_DETECTED}, True),
    (
        "prox_health_failed",
        wire.PROX_HEALTH,
        9,
        0,
        {
            "part": "tof left",
            "state": wire.PART_FAILED,
            "errors": 3,
            "detail": "VL53L1X at 0x31 on I2C0: model id 0xeacd, expected 0xeacc",
        },
        True,
    ),
    (
        # The "shop" scene: 3000 K at 220/255 over 800 ms, no amber.
        "light_scene_shop",
        wire.LIGHT_SCENE,
        79,
        wire.FLAG_ACK_REQ,
        {"kelvin": 3000, "brightness": 220, "amber": 0, "fade_ms": 800},
        True,
    ),
    (
        "light_scene_sunset_amber",
        wire.LIGHT_SCENE,
        80,
        wire.FLAG_ACK_REQ,
        {"kelvin": 2200, "brightness": 200, "amber": 90, "fade_ms": 1500},
        True,
    ),
    (
        # Two strips at 2700 K, the current budget dimming them; a fade still running.
        "light_state_limited",
        wire.LIGHT_STATE,
        4004,
        0,
        {
            "kelvin": 2700,
            "brightness": 240,
            "amber": 0,
            "flags": wire.LIGHT_FADING | wire.LIGHT_LIMITED,
            "current_ma": 3480,
            "budget_ma": 3500,
            "shown": bytes([255, 169, 87, 255, 171, 90]).hex(),
        },
        True,
    ),
    (
        # The host's default link timing, sent right after the handshake (protocol.md §7).
        "link_timing_default",
        wire.LINK_TIMING,
        1,
        wire.FLAG_ACK_REQ,
        {"heartbeat_ms": 1000, "missed_heartbeats": 4},
        True,
    ),
    ("console_cmd", wire.CONSOLE_CMD, 40, wire.FLAG_ACK_REQ, {"line": "selftest"}, True),
    (
        # 1 + 246 = MAX_PAYLOAD: the longest command line a frame can carry.
        "console_cmd_max_line",
        wire.CONSOLE_CMD,
        41,
        wire.FLAG_ACK_REQ,
        {"line": "log " + "é" * 121},
        True,
    ),
    (
        # CONSOLE_CMD's ACK (protocol.md §9): status 1 (failed), 2 parts, the first part's text.
        "ack_console_answer",
        wire.ACK,
        40,
        wire.FLAG_IS_ACK,
        {"acked_type": wire.CONSOLE_CMD, "result": (b"\x01\x02" + b"selftest: FAIL").hex()},
    ),
    (
        "console_read",
        wire.CONSOLE_READ,
        0xFFFF,
        wire.FLAG_ACK_REQ,
        {"req": 0xFFFE, "part": 39},
        True,
    ),
    ("reboot_seq_wrap", wire.REBOOT, 0xFFFF, wire.FLAG_ACK_REQ, {"delay_ms": 0xFFFF}),
    ("reboot_seq_zero", wire.REBOOT, 0x0000, wire.FLAG_ACK_REQ, {"delay_ms": 0}),
    ("both_flag_bits", wire.REBOOT, 9, wire.FLAG_ACK_REQ | wire.FLAG_IS_ACK, {"delay_ms": 250}),
]


def _nonzero_payload(n, seq, flags, typ):
    """n non-zero payload bytes whose frame CRC has no zero byte either (a 254+ run)."""
    for salt in range(1, 256):
        payload = bytes(((i * 7 + salt) % 255) + 1 for i in range(n))
        raw = struct.pack("<BBHB", VERSION, flags, seq, typ) + payload
        if 0 not in struct.pack("<I", zlib.crc32(raw)):
            return payload
    raise RuntimeError("no salt gives a CRC without zero bytes")


# (name, type, seq, flags, payload): frames with raw payloads (fields null).
RAW_FRAMES = [
    ("empty_payload_unknown_type", 0x20, 5, 0, b""),
    ("empty_payload_reserved_range", 0xFF, 0xFFFF, wire.FLAG_ACK_REQ, b""),
    ("many_zeros", 0x41, 0, 0, bytes(wire.MAX_PAYLOAD)),
    ("zeros_and_ones", 0xA0, 0x0100, 0, bytes([0, 1] * 100)),
    # Header (5, all non-zero) + 247 + CRC (4) = 256 non-zero bytes: a full 0xFF COBS block
    # followed by a short one; the frame is exactly MAX_ENCODED bytes after COBS.
    (
        "nonzero_run_256",
        0xC1,
        0x0101,
        wire.FLAG_ACK_REQ,
        _nonzero_payload(wire.MAX_PAYLOAD, 0x0101, wire.FLAG_ACK_REQ, 0xC1),
    ),
    # 5 + 245 + 4 = exactly 254 non-zero bytes: one 0xFF block and nothing after it (the
    # canonical encoding has no trailing empty block).
    ("nonzero_run_254", 0xC1, 0x0202, wire.FLAG_IS_ACK, _nonzero_payload(245, 0x0202, 2, 0xC1)),
]


def _wire_value(code, value):
    return bytes.fromhex(value) if code == "y" else value


def build_vectors():
    vectors = []
    for entry in MESSAGES:
        name, typ, seq, flags, fields = entry[:5]
        by_hand = len(entry) > 5 and entry[5]
        spec = wire.message_fields(typ)
        assert [f for f, _ in spec] == list(fields), name
        values = tuple(_wire_value(code, fields[f]) for f, code in spec)
        payload = wire.encode_payload(typ, values)
        if by_hand:
            packed = hand_packed(typ, fields)
            if packed != payload:
                raise SystemExit(f"{name}: wire.encode_payload disagrees with struct packing")
            payload = packed
        vectors.append(
            {
                "name": name,
                "type": typ,
                "seq": seq,
                "flags": flags,
                "fields": {f: fields[f] for f, _ in spec},
                "payload_source": "struct" if by_hand else "wire.encode_payload",
                "payload_hex": payload.hex(),
                "wire_hex": frame_bytes(typ, seq, flags, payload).hex(),
            }
        )
    for name, typ, seq, flags, payload in RAW_FRAMES:
        assert len(payload) <= wire.MAX_PAYLOAD
        vectors.append(
            {
                "name": name,
                "type": typ,
                "seq": seq,
                "flags": flags,
                "fields": None,
                "payload_source": "raw",
                "payload_hex": payload.hex(),
                "wire_hex": frame_bytes(typ, seq, flags, payload).hex(),
            }
        )
    covered = {v["type"] for v in vectors if v["fields"] is not None}
    missing = [name for typ, name, _, _ in wire.TABLE if typ not in covered]
    if missing:
        raise SystemExit("no vector for " + ", ".join(missing))
    run = next(v for v in vectors if v["name"] == "nonzero_run_256")
    assert len(bytes.fromhex(run["wire_hex"])) == wire.MAX_WIRE
    return vectors


def _expect_frame(typ, seq, flags, payload, version=VERSION):
    return {
        "version": version,
        "flags": flags,
        "seq": seq,
        "type": typ,
        "payload_hex": payload.hex(),
    }


def build_decode_cases():
    """Byte strings for the decoders with the outcome the protocol rules demand."""
    good_payload = bytes.fromhex("0102030405")
    good = frame_bytes(0x20, 17, 0, good_payload)
    good_expect = _expect_frame(0x20, 17, 0, good_payload)
    hb = frame_bytes(wire.HEARTBEAT, 18, 0, bytes(28))
    hb_expect = _expect_frame(wire.HEARTBEAT, 18, 0, bytes(28))
    cases = []

    def case(name, data, frames, *, crc_errors=0, framing_errors=0, bytes_skipped=0, note=""):
        cases.append(
            {
                "name": name,
                "note": note,
                "wire_hex": data.hex(),
                "frames": frames,
                "crc_errors": crc_errors,
                "framing_errors": framing_errors,
                "bytes_skipped": bytes_skipped,
            }
        )

    # CRC: flip one payload byte of a good frame and re-encode with the old CRC.
    raw = struct.pack("<BBHB", VERSION, 0, 17, 0x20) + good_payload
    bad_raw = raw[:6] + bytes([raw[6] ^ 0x40]) + raw[7:] + struct.pack("<I", zlib.crc32(raw))
    bad = cobs.cobs.encode(bad_raw)
    case(
        "corrupt_crc",
        b"\x00" + bad + b"\x00" + good,
        [good_expect],
        crc_errors=1,
        bytes_skipped=len(bad),
        note="one payload bit flipped; the next good frame is still delivered",
    )
    crc_only = raw + struct.pack("<I", zlib.crc32(raw) ^ 0x80000000)
    case(
        "corrupt_crc_byte",
        b"\x00" + cobs.cobs.encode(crc_only) + b"\x00",
        [],
        crc_errors=1,
        bytes_skipped=len(cobs.cobs.encode(crc_only)),
        note="the CRC's top bit flipped",
    )
    # COBS: a code byte that points past the end of the frame.
    malformed = bytes.fromhex("0a0102030405")
    case(
        "malformed_cobs",
        b"\x00" + malformed + b"\x00" + good,
        [good_expect],
        framing_errors=1,
        bytes_skipped=len(malformed),
        note="code 0x0a needs 9 more bytes, 5 follow",
    )
    # Runt: valid COBS that decodes to fewer bytes than a header and a CRC (9).
    runt = cobs.cobs.encode(bytes.fromhex("0100030020ab"))
    case(
        "runt_frame",
        b"\x00" + runt + b"\x00",
        [],
        framing_errors=1,
        bytes_skipped=len(runt),
        note="6 bytes after COBS decoding",
    )
    one = bytes.fromhex("01")
    case(
        "single_code_byte",
        b"\x00" + one + b"\x00",
        [],
        framing_errors=1,
        bytes_skipped=1,
        note="decodes to nothing: a runt",
    )
    # Over-long: more than MAX_ENCODED bytes with no delimiter, then a good frame.
    junk = bytes([0x11]) * (wire.MAX_ENCODED + 42)
    case(
        "over_long_then_valid",
        b"\x00" + junk + good,
        [good_expect],
        framing_errors=1,
        bytes_skipped=len(junk),
        note="the good frame's leading delimiter ends the over-long one",
    )
    exact = bytes([0x11]) * (wire.MAX_ENCODED + 1)
    case(
        "one_byte_too_long",
        b"\x00" + exact + b"\x00" + good,
        [good_expect],
        framing_errors=1,
        bytes_skipped=len(exact),
        note="MAX_ENCODED + 1 bytes between delimiters",
    )
    case(
        "over_long_at_the_end",
        good + junk,
        [good_expect],
        framing_errors=1,
        bytes_skipped=len(junk),
        note="no delimiter follows: the frame is counted once it outgrows MAX_ENCODED",
    )
    # Over-long once decoded: a 248-byte payload full of zeros is 257 bytes before COBS and
    # only 258 after (each zero costs nothing), so the encoded length alone lets it through.
    decoded_long = frame_bytes(0xE0, 0, 0, bytes(wire.MAX_PAYLOAD + 1))
    assert len(body(decoded_long)) == wire.MAX_ENCODED
    case(
        "decoded_over_max_frame",
        decoded_long + good,
        [good_expect],
        framing_errors=1,
        bytes_skipped=wire.MAX_ENCODED,
        note="258 COBS bytes decode to 257 (payload 248): too long, though not too long encoded",
    )
    # Reserved flag bits with a valid CRC.
    reserved = frame_bytes(wire.HEARTBEAT, 3, 0x04, bytes(28))
    reserved_hi = frame_bytes(wire.HEARTBEAT, 4, 0x81, bytes(28))
    case(
        "reserved_flag_bits",
        reserved + reserved_hi + hb,
        [hb_expect],
        framing_errors=2,
        bytes_skipped=len(body(reserved)) + len(body(reserved_hi)),
        note="flags 0x04 and 0x81 with valid CRCs are refused",
    )
    # Garbage before a frame (no leading delimiter of its own).
    garbage = bytes.fromhex("deadbeef")
    case(
        "garbage_then_valid",
        garbage + good,
        [good_expect],
        framing_errors=1,
        bytes_skipped=len(garbage),
        note="0xde points past the end: malformed COBS",
    )
    garbage_zeros = bytes.fromhex("13003700ff")
    case(
        "garbage_with_zeros_then_two_valid",
        garbage_zeros + good + hb,
        [good_expect, hb_expect],
        framing_errors=3,
        bytes_skipped=3,
        note="13, 37 and ff each point past the end of their frame: malformed COBS",
    )
    case("idle_fill", b"\x00\x00\x00", [], note="empty frames are idle fill")
    case(
        "idle_fill_between_frames",
        good + b"\x00\x00\x00" + hb,
        [good_expect, hb_expect],
        note="shared and extra delimiters are harmless",
    )
    shared = good[:-1] + hb  # one delimiter between two frames
    case("shared_delimiter", shared, [good_expect, hb_expect])
    other = frame_bytes(wire.HELLO, 0, wire.FLAG_ACK_REQ, b"", version=2)
    case(
        "other_protocol_version_delivered",
        other,
        [_expect_frame(wire.HELLO, 0, wire.FLAG_ACK_REQ, b"", version=2)],
        note="version checks belong to the link, not the decoder",
    )
    return cases


def build():
    if wire.PROTOCOL_VERSION != VERSION:
        raise SystemExit(
            f"wire.PROTOCOL_VERSION is {wire.PROTOCOL_VERSION}, vectors are v{VERSION}"
        )
    return {
        "about": (
            "Golden vectors for the Vitrine wire protocol, written by tools/gen_wire_vectors.py."
            " wire_hex is built with struct, zlib.crc32 and the cobs package, independently of"
            " wire.py. Fields of code y are hex strings. Decode cases list what a decoder must"
            " deliver and count."
        ),
        "protocol_version": VERSION,
        "max_payload": wire.MAX_PAYLOAD,
        "max_encoded": wire.MAX_ENCODED,
        "vectors": build_vectors(),
        "decode_cases": build_decode_cases(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed file")
    args = parser.parse_args()
    text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT} is out of date: run tools/gen_wire_vectors.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
