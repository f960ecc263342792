"""The JSON form of wire frames (vitrine.link.jsonframes): decode to objects, encode back."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.host.strategies import table_messages
from vitrine.link.jsonframes import (
    ERROR_NAMES,
    FLAG_NAMES,
    FrameJsonError,
    frame_to_json,
    json_to_frame,
)
from vitrine_fw import wire


def decode_one(data: bytes) -> dict[str, Any]:
    """The JSON object of the only frame in data (through the wire module's reader)."""
    frames = wire.FrameReader().feed(data)
    assert len(frames) == 1
    return frame_to_json(*frames[0])


def test_names_cover_the_wire_constants() -> None:
    assert FLAG_NAMES == {wire.FLAG_ACK_REQ: "ack_req", wire.FLAG_IS_ACK: "is_ack"}
    assert set(ERROR_NAMES) == {
        wire.ERR_CRC,
        wire.ERR_COBS,
        wire.ERR_SHORT,
        wire.ERR_LONG,
        wire.ERR_FLAGS,
    }
    assert len(set(ERROR_NAMES.values())) == len(ERROR_NAMES)


def test_known_frame_to_json() -> None:
    data = wire.encode_message(wire.PROBE_START, 7, (200, 0, 64), wire.FLAG_ACK_REQ)
    obj = decode_one(data)
    assert obj == {
        "offset": 1,
        "version": wire.PROTOCOL_VERSION,
        "seq": 7,
        "flags": ["ack_req"],
        "type": "PROBE_START",
        "type_id": wire.PROBE_START,
        "fields": {"rate_hz": 200, "count": 0, "size": 64},
        "payload_hex": wire.encode_payload(wire.PROBE_START, (200, 0, 64)).hex(),
    }


def test_bytes_and_string_fields() -> None:
    obj = decode_one(wire.encode_message(wire.ACK, 1, (wire.REBOOT, b"\x00\xff"), 3))
    assert obj["flags"] == ["ack_req", "is_ack"]
    assert obj["fields"] == {"acked_type": wire.REBOOT, "result": "00ff"}
    obj = decode_one(wire.encode_message(wire.LOG, 2, (wire.LOG_INFO, "touch", "héllo")))
    assert obj["fields"] == {"level": 20, "subsystem": "touch", "text": "héllo"}
    assert obj["flags"] == []


def test_unknown_type_has_null_type_and_fields() -> None:
    obj = decode_one(wire.encode_frame(0x50, 3, 0, b"\x01\x02"))
    assert obj["type"] is None
    assert obj["type_id"] == 0x50
    assert obj["fields"] is None
    assert obj["payload_hex"] == "0102"
    assert "error" not in obj


def test_another_protocol_version_is_not_read_by_this_table() -> None:
    # A HEARTBEAT-shaped frame of version 2: its type number and payload mean what version 2
    # says, which this build does not know.
    payload = wire.encode_payload(wire.HEARTBEAT, (1, 2, 3, 4, 5, 6, 7))
    frame = wire.encode_frame(wire.HEARTBEAT, 9, wire.FLAG_ACK_REQ, payload, version=2)
    obj = decode_one(frame)
    assert obj == {
        "offset": 1,
        "version": 2,
        "seq": 9,
        "flags": ["ack_req"],
        "type": None,
        "type_id": wire.HEARTBEAT,
        "fields": None,
        "payload_hex": payload.hex(),
    }
    assert json_to_frame(obj, 0) == frame


def test_encode_takes_the_version_and_defaults_to_this_builds() -> None:
    obj = {"type_id": 0x50, "seq": 3, "payload_hex": "0102"}
    assert decode_one(json_to_frame(obj, 0))["version"] == wire.PROTOCOL_VERSION
    for version in (0, 2, 255):
        frame = json_to_frame({**obj, "version": version}, 0)
        assert wire.FrameReader().feed(frame)[0][:5] == (version, 0, 3, 0x50, b"\x01\x02")
    # A type may be named; without payload_hex the frame is empty, whatever the type.
    frame = json_to_frame({"type": "HEARTBEAT", "version": 7}, 0)
    assert wire.FrameReader().feed(frame)[0][:5] == (7, 0, 0, wire.HEARTBEAT, b"")


def test_known_type_with_bad_payload_has_null_fields_and_an_error() -> None:
    obj = decode_one(wire.encode_frame(wire.REBOOT, 3, 0, b"\x01"))
    assert obj["type"] == "REBOOT"
    assert obj["fields"] is None
    assert obj["payload_hex"] == "01"
    assert "delay_ms" in obj["error"]
    obj = decode_one(wire.encode_frame(wire.REBOOT, 3, 0, b"\x01\x02\x03"))
    assert "unexpected bytes" in obj["error"]


def test_encode_from_fields_payload_hex_and_type_id() -> None:
    want = wire.encode_message(wire.REBOOT, 9, (500,), wire.FLAG_ACK_REQ)
    assert (
        json_to_frame(
            {"type": "REBOOT", "seq": 9, "flags": ["ack_req"], "fields": {"delay_ms": 500}}, 0
        )
        == want
    )
    assert (
        json_to_frame(
            {"type_id": wire.REBOOT, "seq": 9, "flags": ["ack_req"], "payload_hex": "f401"}, 0
        )
        == want
    )
    assert (
        json_to_frame(
            {"type": wire.REBOOT, "seq": 9, "flags": ["ack_req"], "payload_hex": "F401"}, 0
        )
        == want
    )


def test_encode_uses_the_default_seq_and_no_flags() -> None:
    assert json_to_frame({"type": "REBOOT", "fields": {"delay_ms": 1}}, 41) == (
        wire.encode_message(wire.REBOOT, 41, (1,))
    )


def test_fields_win_over_payload_hex() -> None:
    obj = {"type": "REBOOT", "fields": {"delay_ms": 2}, "payload_hex": "0100"}
    assert json_to_frame(obj, 0) == wire.encode_message(wire.REBOOT, 0, (2,))


def test_unknown_type_without_payload_is_an_empty_frame() -> None:
    assert json_to_frame({"type_id": 0x50}, 4) == wire.encode_frame(0x50, 4, 0, b"")


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ([1, 2], "each line must be a JSON object"),
        ({"type": "NOPE"}, "type 'NOPE' unknown; known: HELLO, ACK,"),
        ({"type_id": 256}, "type=256: give a message name or type_id 0..255"),
        ({"type_id": -1}, "type=-1: give a message name or type_id 0..255"),
        ({}, "type=None: give a message name or type_id"),
        ({"type": "REBOOT", "seq": 65536, "fields": {"delay_ms": 1}}, "seq=65536: allowed"),
        ({"type": "REBOOT", "seq": -1, "fields": {"delay_ms": 1}}, "seq=-1: allowed"),
        ({"type": "REBOOT", "seq": "1", "fields": {"delay_ms": 1}}, "seq='1': allowed"),
        (
            {"type": "REBOOT", "flags": ["urgent"], "fields": {"delay_ms": 1}},
            "flag 'urgent': allowed ack_req, is_ack",
        ),
        ({"type": "REBOOT", "flags": 3, "fields": {"delay_ms": 1}}, "flags=3: give a list"),
        (
            {"type": "REBOOT", "flags": "ack_req", "fields": {"delay_ms": 1}},
            "flags='ack_req': give a list",
        ),
        ({"type": "REBOOT", "fields": {}}, "REBOOT.fields has [], needs exactly ['delay_ms']"),
        (
            {"type": "REBOOT", "fields": {"delay_ms": 1, "x": 2}},
            "REBOOT.fields has ['delay_ms', 'x'], needs exactly ['delay_ms']",
        ),
        ({"type": "REBOOT", "fields": [1]}, "REBOOT.fields must be an object"),
        (
            {"type": "PROBE", "fields": {"t_us": 1, "index": 2, "pad": "zz"}},
            "PROBE.pad must be a hex string",
        ),
        (
            {"type": "PROBE", "fields": {"t_us": 1, "index": 2, "pad": 5}},
            "PROBE.pad must be a hex string",
        ),
        (
            {"type": "REBOOT", "fields": {"delay_ms": 70000}},
            "REBOOT.delay_ms=70000 must be an integer in 0..65535",
        ),
        ({"type": "REBOOT", "fields": {"delay_ms": True}}, "REBOOT.delay_ms=True must be"),
        (
            {"type": "LOG", "fields": {"level": 1, "subsystem": 5, "text": ""}},
            "LOG.subsystem must be a string",
        ),
        (
            {"type": "LOG", "fields": {"level": 20, "subsystem": "ok", "text": "a\udfffb"}},
            "LOG.text='a\\udfffb' is not valid Unicode text",
        ),
        ({"type": "REBOOT"}, "REBOOT needs fields or payload_hex"),
        ({"type_id": 0x50, "version": 256}, "version=256: allowed integer 0..255"),
        ({"type_id": 0x50, "version": -1}, "version=-1: allowed integer 0..255"),
        ({"type_id": 0x50, "version": "1"}, "version='1': allowed integer 0..255"),
        ({"type_id": 0x50, "version": True}, "version=True: allowed integer 0..255"),
        (
            {"type": "REBOOT", "version": 2, "fields": {"delay_ms": 1}},
            "version=2: fields are encoded by protocol version 1's message table only; give"
            " payload_hex",
        ),
        ({"type_id": 0x50, "fields": {}}, "type_id 80 is not in the table: give payload_hex"),
        ({"type_id": 0x50, "payload_hex": "xyz"}, "payload_hex: not hex"),
        ({"type_id": 0x50, "payload_hex": "00" * 248}, "payload is 248 bytes, at most 247"),
    ],
)
def test_encode_errors_name_the_key(obj: Any, message: str) -> None:
    with pytest.raises(FrameJsonError) as info:
        json_to_frame(obj, 0)
    assert message in str(info.value)


# --- round trip over the whole table ------------------------------------------------------------


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    typ, values = draw(table_messages())
    seq = draw(st.integers(0, 0xFFFF))
    flags = draw(st.sampled_from([0, 1, 2, 3]))
    return wire.encode_message(typ, seq, values, flags)


@settings(max_examples=300, deadline=None)
@given(frame=messages())
def test_every_message_round_trips_through_json(frame: bytes) -> None:
    obj = json.loads(json.dumps(decode_one(frame)))
    assert obj["type"] is not None
    assert obj["fields"] is not None
    assert json_to_frame(obj, 0) == frame
    # The payload alone gives the same frame too.
    del obj["fields"]
    assert json_to_frame(obj, 0) == frame


@settings(max_examples=100, deadline=None)
@given(
    typ=st.integers(0, 255).filter(lambda t: wire.message_name(t) is None),
    payload=st.binary(max_size=wire.MAX_PAYLOAD),
    seq=st.integers(0, 0xFFFF),
)
def test_unknown_types_round_trip_through_json(typ: int, payload: bytes, seq: int) -> None:
    frame = wire.encode_frame(typ, seq, 0, payload)
    obj = json.loads(json.dumps(decode_one(frame)))
    assert obj["type"] is None
    assert json_to_frame(obj, 0) == frame


@settings(max_examples=100, deadline=None)
@given(
    version=st.integers(0, 255).filter(lambda v: v != wire.PROTOCOL_VERSION),
    typ=st.integers(0, 255),
    payload=st.binary(max_size=wire.MAX_PAYLOAD),
    seq=st.integers(0, 0xFFFF),
    flags=st.sampled_from([0, 1, 2, 3]),
)
def test_other_versions_round_trip_through_json(
    version: int, typ: int, payload: bytes, seq: int, flags: int
) -> None:
    frame = wire.encode_frame(typ, seq, flags, payload, version)
    obj = json.loads(json.dumps(decode_one(frame)))
    assert (obj["version"], obj["type"], obj["fields"]) == (version, None, None)
    assert "error" not in obj
    assert json_to_frame(obj, 0) == frame


@pytest.mark.parametrize(
    ("obj", "match"),
    [
        ({"type": "LOG", "seq": True, "fields": {"level": 20, "subsystem": "", "text": ""}}, "seq"),
        ({"type_id": True, "payload_hex": ""}, "type"),
        ({"type": True, "payload_hex": ""}, "type"),
    ],
)
def test_json_true_is_not_an_integer(obj: dict[str, Any], match: str) -> None:
    with pytest.raises(FrameJsonError, match=match):
        json_to_frame(obj, 0)
