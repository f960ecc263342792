"""The JSON form of wire frames used by `vitrine wire decode` and `vitrine wire encode`.

One object per frame:

    {"offset": 0, "version": 1, "seq": 7, "flags": ["ack_req"], "type": "PROBE_START",
     "type_id": 192, "fields": {"rate_hz": 200, "count": 0, "size": 64},
     "payload_hex": "c8000000000040"}

`bytes` fields are hex strings. A frame of a type this build does not know has
`"type": null` and `"fields": null`, and so has every frame of another protocol version
(this build knows only its own version's message table); a known type whose payload does
not match the table has `"fields": null` and an `"error"`. encode accepts the same objects
(offset is ignored; version defaults to this build's; fields, or else payload_hex, give the
payload; lines with "summary" or "error" only are skipped), so decode's output piped back
into encode gives the same bytes.
"""

from __future__ import annotations

from typing import Any

from vitrine.errors import VitrineError
from vitrine_fw import wire

FLAG_NAMES = {wire.FLAG_ACK_REQ: "ack_req", wire.FLAG_IS_ACK: "is_ack"}
ERROR_NAMES = {
    wire.ERR_CRC: "crc",
    wire.ERR_COBS: "cobs",
    wire.ERR_SHORT: "runt",
    wire.ERR_LONG: "too_long",
    wire.ERR_FLAGS: "reserved_flags",
}


class FrameJsonError(VitrineError, ValueError):
    """A JSON frame object that cannot be encoded; the message says which key and why."""


def frame_to_json(
    version: int, flags: int, seq: int, typ: int, payload: bytes, offset: int
) -> dict[str, Any]:
    """The JSON object of one decoded frame.

    Only a frame of this build's protocol version is read by its message table: for another
    version, type and fields are null and payload_hex is all there is."""
    ours = version == wire.PROTOCOL_VERSION
    obj: dict[str, Any] = {
        "offset": offset,
        "version": version,
        "seq": seq,
        "flags": [name for bit, name in FLAG_NAMES.items() if flags & bit],
        "type": wire.message_name(typ) if ours else None,
        "type_id": typ,
        "fields": None,
        "payload_hex": payload.hex(),
    }
    if obj["type"] is not None:
        try:
            values = wire.decode_payload(typ, payload)
        except wire.WireError as err:
            obj["error"] = str(err)
        else:
            obj["fields"] = {
                name: value.hex() if isinstance(value, bytes) else value
                for (name, _), value in zip(wire.message_fields(typ), values, strict=True)
            }
    return obj


def json_to_frame(obj: Any, default_seq: int) -> bytes:
    """Wire bytes for one JSON frame object; raises FrameJsonError."""
    if not isinstance(obj, dict):
        raise FrameJsonError("each line must be a JSON object")
    typ = _type_of(obj)
    version = obj.get("version", wire.PROTOCOL_VERSION)
    if not _is_int(version) or not 0 <= version <= 0xFF:
        raise FrameJsonError(
            f"version={version!r}: allowed integer 0..255 (this build speaks protocol "
            f"version {wire.PROTOCOL_VERSION}, the default)"
        )
    seq = obj.get("seq", default_seq)
    if not _is_int(seq) or not 0 <= seq <= 0xFFFF:
        raise FrameJsonError(f"seq={seq!r}: allowed integer 0..65535")
    flags = _flags_of(obj)
    payload = _payload_of(obj, typ, version)
    try:
        return wire.encode_frame(typ, seq, flags, payload, version)
    except wire.WireError as err:
        raise FrameJsonError(str(err)) from err


def _flags_of(obj: dict[str, Any]) -> int:
    flags = 0
    names = obj.get("flags", [])
    if not isinstance(names, list):
        raise FrameJsonError(
            f"flags={names!r}: give a list of flag names ({', '.join(FLAG_NAMES.values())})"
        )
    for name in names:
        bit = next((b for b, n in FLAG_NAMES.items() if n == name), None)
        if bit is None:
            raise FrameJsonError(f"flag {name!r}: allowed {', '.join(FLAG_NAMES.values())}")
        flags |= bit
    return flags


def _payload_of(obj: dict[str, Any], typ: int, version: int) -> bytes:
    # From the fields (this protocol version's table only), else payload_hex, else empty.
    ours = version == wire.PROTOCOL_VERSION
    fields = obj.get("fields")
    if fields is not None:
        if not ours:
            raise FrameJsonError(
                f"version={version}: fields are encoded by protocol version "
                f"{wire.PROTOCOL_VERSION}'s message table only; give payload_hex instead"
            )
        return _payload_from_fields(typ, fields)
    if isinstance(obj.get("payload_hex"), str):
        try:
            return bytes.fromhex(obj["payload_hex"])
        except ValueError as err:
            raise FrameJsonError(f"payload_hex: not hex ({err})") from err
    if ours and wire.message_name(typ) and wire.message_fields(typ):
        raise FrameJsonError(f"{wire.message_name(typ)} needs fields or payload_hex")
    return b""


def _type_of(obj: dict[str, Any]) -> int:
    typ = obj.get("type")
    if isinstance(typ, str):
        try:
            return wire.message_type(typ)
        except wire.WireError as err:
            known = ", ".join(name for _, name, _, _ in wire.TABLE)
            raise FrameJsonError(f"type {typ!r} unknown; known: {known}") from err
    typ = obj.get("type_id") if typ is None else typ
    if not _is_int(typ) or not 0 <= typ <= 0xFF:
        raise FrameJsonError(f"type={typ!r}: give a message name or type_id 0..255")
    return typ


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not 1 here


def _payload_from_fields(typ: int, fields: Any) -> bytes:
    name = wire.message_name(typ)
    if name is None:
        raise FrameJsonError(f"type_id {typ} is not in the table: give payload_hex instead")
    if not isinstance(fields, dict):
        raise FrameJsonError(f"{name}.fields must be an object")
    spec = wire.message_fields(typ)
    expected = [f for f, _ in spec]
    if set(fields) != set(expected):
        raise FrameJsonError(f"{name}.fields has {sorted(fields)}, needs exactly {expected}")
    values = []
    for fname, code in spec:
        value = fields[fname]
        if code == "y":
            try:
                value = bytes.fromhex(value)
            except (TypeError, ValueError) as err:
                raise FrameJsonError(f"{name}.{fname} must be a hex string") from err
        values.append(value)
    try:
        return wire.encode_payload(typ, tuple(values))
    except wire.WireError as err:
        raise FrameJsonError(str(err)) from err
