"""An advertisement byte by byte, for a technician holding a sniffer capture (`vitrine beacon
decode HEX`): each field's offset, bytes, name and meaning, then what the frames say and what
is wrong with the bytes. The reading itself is vitrine.devices.beacons.adverts'."""

from __future__ import annotations

import struct
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from vitrine.devices.beacons import adverts as a
from vitrine_fw.beacon import adverts as fw

_COMPANIES = {fw.APPLE: "Apple", fw.TEST_COMPANY: "reserved for tests and development"}


@dataclass(frozen=True, slots=True)
class Field:
    offset: int
    raw: bytes
    name: str
    meaning: str

    def to_json(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "hex": self.raw.hex(),
            "field": self.name,
            **({"meaning": self.meaning} if self.meaning else {}),
        }


def explain(data: bytes, loyalty_company: int = fw.TEST_COMPANY) -> tuple[a.Advert, list[Field]]:
    """The advertisement read (adverts.parse) and its fields in byte order."""
    advert = a.parse(data, loyalty_company)
    fields: list[Field] = []
    for s in advert.structures:
        o = s.offset
        name = a.AD_NAMES.get(s.type, f"AD type 0x{s.type:02x}")
        fields.append(Field(o, data[o : o + 1], "length", f"{len(s.data) + 1} bytes follow"))
        fields.append(Field(o + 1, data[o + 1 : o + 2], "AD type", name))
        fields += _body(s, o + 2, loyalty_company)
    end = (
        advert.structures[-1].offset + len(advert.structures[-1].data) + 2
        if advert.structures
        else 0
    )
    if end < len(data) and not any("truncated" in p for p in advert.problems):
        fields.append(
            Field(
                end,
                data[end:],
                "padding",
                "zeros after the last structure"
                if not any(data[end:])
                else "bytes after a zero length",
            )
        )
    elif end < len(data):
        fields.append(Field(end, data[end:], "truncated structure", "not read"))
    return advert, fields


def _body(s: a.ADStructure, at: int, loyalty_company: int) -> list[Field]:
    d = s.data
    if s.type == fw.AD_FLAGS and len(d) == 1:
        bits = [name for i, name in enumerate(a.FLAG_BITS) if d[0] >> i & 1]
        return [Field(at, d, "flags", ", ".join(bits) or "none")]
    if s.type in (0x02, 0x03) and len(d) % 2 == 0:
        out = []
        for i in range(0, len(d), 2):
            (value,) = struct.unpack_from("<H", d, i)
            known = " (Eddystone)" if value == fw.EDDYSTONE_UUID else ""
            out.append(Field(at + i, d[i : i + 2], "16-bit service UUID", f"0x{value:04X}{known}"))
        return out
    if s.type in (0x08, 0x09):
        return [Field(at, d, "name", repr(d.decode("utf-8", errors="replace")))]
    if s.type == 0x0A and len(d) == 1:
        return [Field(at, d, "TX power level", f"{struct.unpack('b', d)[0]} dBm")]
    if s.type == fw.AD_SERVICE_DATA16 and len(d) >= 2:
        (service,) = struct.unpack_from("<H", d)
        head = Field(
            at,
            d[:2],
            "service UUID",
            f"0x{service:04X}" + (" (Eddystone)" if service == fw.EDDYSTONE_UUID else ""),
        )
        if service == fw.EDDYSTONE_UUID and len(d) > 2:
            return [head, *_eddystone(d[2:], at + 2)]
        return [head, Field(at + 2, d[2:], "service data", "")]
    if s.type == fw.AD_MANUFACTURER and len(d) >= 2:
        (company,) = struct.unpack_from("<H", d)
        who = _COMPANIES.get(company, "")
        if company == loyalty_company:
            who = (who + "; " if who else "") + "the loyalty app's company id"
        head = Field(at, d[:2], "company id", f"0x{company:04X}" + (f" ({who})" if who else ""))
        return [head, *_manufacturer(company, d[2:], at + 2, loyalty_company)]
    return [Field(at, d, "data", "")] if d else []


def _manufacturer(company: int, d: bytes, at: int, loyalty_company: int) -> list[Field]:
    if company == fw.APPLE and len(d) == 2 + fw.IBEACON_LENGTH and d[0] == fw.IBEACON_TYPE:
        major, minor, power = struct.unpack_from(">HHb", d, 18)
        return [
            Field(at, d[:1], "iBeacon type", "0x02: iBeacon"),
            Field(at + 1, d[1:2], "iBeacon length", "21 bytes follow"),
            Field(at + 2, d[2:18], "proximity UUID", str(uuid.UUID(bytes=d[2:18]))),
            Field(at + 18, d[18:20], "major", str(major)),
            Field(at + 20, d[20:22], "minor", str(minor)),
            Field(at + 22, d[22:23], "measured power", f"{power} dBm at 1 m"),
        ]
    if (
        company == loyalty_company
        and len(d) == fw.LOYALTY_DATA_LEN - 2
        and d[0] == fw.LOYALTY_MAGIC
    ):
        return [
            Field(at, d[:1], "loyalty magic", "'V'"),
            Field(at + 1, d[1:2], "loyalty format", f"version {d[1]}"),
            Field(
                at + 2,
                d[2:],
                "token",
                "rotating; names a member only to the mirror holding their key (docs/beacons.md)",
            ),
        ]
    return [Field(at, d, "manufacturer data", "")] if d else []


def _eddystone(f: bytes, at: int) -> list[Field]:
    kind = f[0]
    names = {fw.EDDYSTONE_UID: "UID", fw.EDDYSTONE_URL: "URL", fw.EDDYSTONE_TLM: "TLM", 0x30: "EID"}
    out = [Field(at, f[:1], "Eddystone frame type", f"0x{kind:02X}: " + names.get(kind, "unknown"))]
    if kind == fw.EDDYSTONE_UID and len(f) >= 18:
        out += [
            Field(at + 1, f[1:2], "ranging data", f"{struct.unpack('b', f[1:2])[0]} dBm at 0 m"),
            Field(at + 2, f[2:12], "namespace", f[2:12].hex()),
            Field(at + 12, f[12:18], "instance", f[12:18].hex()),
        ]
        if len(f) > 18:
            out.append(Field(at + 18, f[18:], "RFU", "reserved, 00 00"))
        return out
    if kind == fw.EDDYSTONE_URL and len(f) >= 3:
        url, problem = a.decode_url(f[2], f[3:])
        scheme = fw.URL_SCHEMES[f[2]] if f[2] < len(fw.URL_SCHEMES) else "reserved"
        return [
            *out,
            Field(at + 1, f[1:2], "TX power", f"{struct.unpack('b', f[1:2])[0]} dBm at 0 m"),
            Field(at + 2, f[2:3], "URL scheme", repr(scheme)),
            Field(at + 3, f[3:], "encoded URL", url if url is not None else problem),
        ]
    if kind == fw.EDDYSTONE_TLM and len(f) == 14 and f[1] == 0:
        mv, temp, count, ds = struct.unpack_from(">HHII", f, 2)
        celsius = (
            "no sensor (0x8000)"
            if temp == fw.TLM_NO_TEMPERATURE
            else f"{struct.unpack_from('>h', f, 4)[0] / 256:g} degC"
        )
        return [
            *out,
            Field(at + 1, f[1:2], "TLM version", "0: unencrypted"),
            Field(at + 2, f[2:4], "battery", f"{mv} mV" if mv else "0: not battery powered"),
            Field(at + 4, f[4:6], "temperature", celsius),
            Field(at + 6, f[6:10], "advertisements sent", str(count)),
            Field(at + 10, f[10:14], "time since boot", f"{ds / 10:g} s"),
        ]
    return [*out, Field(at + 1, f[1:], "frame data", "")] if len(f) > 1 else out


def frame_json(frame: a.Frame) -> dict[str, Any]:
    """A frame as JSON: its kind and fields (bytes as hex, UUIDs as text)."""
    out: dict[str, Any] = {"kind": type(frame).__name__}
    for key, value in asdict(frame).items():
        out[key] = (
            value.hex()
            if isinstance(value, bytes)
            else (str(value) if isinstance(value, uuid.UUID) else value)
        )
    return out
