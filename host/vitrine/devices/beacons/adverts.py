"""Advertisements as the host reads them: the AD structures of a legacy advertisement, the frames
this project knows in them (iBeacon, Eddystone UID/URL/TLM, the loyalty token), and each byte
explained for a technician (`vitrine beacon decode`).

The layouts and their sources are in the firmware module that builds them
(vitrine_fw.beacon.adverts, also the simulator's phones' builder); this module reads what any
sender sent, so nothing in it trusts the bytes: a structure that runs past the end, more than 31
bytes, a frame of the wrong length or an unknown version is reported as a problem, never raised.
The tests hold both to the specifications' own example bytes and to Bumble's parser.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from vitrine_fw.beacon import adverts as fw

AD_NAMES = {
    0x01: "flags",
    0x02: "incomplete list of 16-bit service UUIDs",
    0x03: "complete list of 16-bit service UUIDs",
    0x06: "incomplete list of 128-bit service UUIDs",
    0x07: "complete list of 128-bit service UUIDs",
    0x08: "shortened local name",
    0x09: "complete local name",
    0x0A: "TX power level",
    0x16: "service data, 16-bit UUID",
    0x19: "appearance",
    0xFF: "manufacturer-specific data",
}
FLAG_BITS = (
    "LE limited discoverable",
    "LE general discoverable",
    "BR/EDR not supported",
    "LE and BR/EDR controller",
    "LE and BR/EDR host",
)
EDDYSTONE_UUID = uuid.UUID("0000feaa-0000-1000-8000-00805f9b34fb")  # as bleak names it
_UID_LEN = 20  # frame type, ranging data, namespace (10), instance (6), RFU (2)
_UID_SHORT = 18  # ... as older senders truncate it, without the RFU bytes
_TLM_LEN = 14
_TLM_ENCRYPTED = 0x01  # TLM version 1: encrypted (eddystone-tlm/tlm-encrypted.md); not read


@dataclass(frozen=True, slots=True)
class ADStructure:
    offset: int  # where its length byte is in the advertisement
    type: int
    data: bytes


@dataclass(frozen=True, slots=True)
class IBeacon:
    uuid: uuid.UUID
    major: int
    minor: int
    power_1m_dbm: int  # measured power at 1 m


@dataclass(frozen=True, slots=True)
class EddystoneUID:
    namespace: bytes  # 10 bytes
    instance: bytes  # 6 bytes
    power_0m_dbm: int  # calibrated TX power at 0 m


@dataclass(frozen=True, slots=True)
class EddystoneURL:
    url: str
    power_0m_dbm: int


@dataclass(frozen=True, slots=True)
class EddystoneTLM:
    battery_mv: int  # 0: not battery powered
    temperature_c: float | None  # None: the beacon has no sensor (0x8000)
    adv_count: int  # advertisements sent since boot
    uptime_s: float  # since boot, 0.1 s resolution


@dataclass(frozen=True, slots=True)
class LoyaltyAdvert:
    company_id: int
    token: bytes  # 16 bytes, rotating; resolvable only with a member's key


Frame = IBeacon | EddystoneUID | EddystoneURL | EddystoneTLM | LoyaltyAdvert


@dataclass
class Advert:
    """One advertisement read: its structures, the frames in them, and what was wrong."""

    structures: list[ADStructure] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def loyalty(self) -> LoyaltyAdvert | None:
        for frame in self.frames:
            if isinstance(frame, LoyaltyAdvert):
                return frame
        return None


def structures(data: bytes) -> tuple[list[ADStructure], list[str]]:
    """The AD structures of an advertisement, and its problems (truncated, over 31 bytes)."""
    out: list[ADStructure] = []
    problems: list[str] = []
    if len(data) > fw.ADV_MAX:
        problems.append(
            f"{len(data)} bytes: a legacy advertisement carries at most {fw.ADV_MAX}; read as "
            "far as its structures go"
        )
    i = 0
    while i < len(data):
        length = data[i]
        if length == 0:  # the rest is padding (zeros fill a short advertisement)
            break
        if i + 1 + length > len(data):
            problems.append(
                f"the AD structure at byte {i} says {length} bytes follow, "
                f"{len(data) - i - 1} do (truncated)"
            )
            break
        out.append(ADStructure(i, data[i + 1], bytes(data[i + 2 : i + 1 + length])))
        i += 1 + length
    return out, problems


def parse(data: bytes, loyalty_company: int = fw.TEST_COMPANY) -> Advert:
    """Read an advertisement's data (as a sniffer or the beacon board captures it); never
    raises for bad bytes: what cannot be read is in `problems`."""
    found, problems = structures(bytes(data))
    advert = Advert(found, [], problems)
    for s in found:
        frame, problem = _frame(s.type, s.data, loyalty_company)
        if frame is not None:
            advert.frames.append(frame)
        if problem:
            advert.problems.append(f"byte {s.offset}: {problem}")
    return advert


def from_parts(
    manufacturer_data: Mapping[int, bytes],
    service_data: Mapping[str, bytes],
    loyalty_company: int = fw.TEST_COMPANY,
) -> Advert:
    """The same from an advertisement already split by an OS stack (bleak's AdvertisementData:
    manufacturer data by company id, service data by 128-bit UUID string)."""
    advert = Advert()
    for company, rest in manufacturer_data.items():
        data = struct.pack("<H", company & 0xFFFF) + bytes(rest)
        frame, problem = _frame(fw.AD_MANUFACTURER, data, loyalty_company)
        if frame is not None:
            advert.frames.append(frame)
        if problem:
            advert.problems.append(problem)
    for key, rest in service_data.items():
        try:
            service = uuid.UUID(key)
        except ValueError:
            advert.problems.append(f"service data under {key!r}: not a UUID")
            continue
        if service != EDDYSTONE_UUID:
            continue
        data = struct.pack("<H", fw.EDDYSTONE_UUID) + bytes(rest)
        frame, problem = _frame(fw.AD_SERVICE_DATA16, data, loyalty_company)
        if frame is not None:
            advert.frames.append(frame)
        if problem:
            advert.problems.append(problem)
    return advert


def _frame(typ: int, data: bytes, loyalty_company: int) -> tuple[Frame | None, str | None]:
    if typ == fw.AD_MANUFACTURER:
        return _manufacturer(data, loyalty_company)
    if typ == fw.AD_SERVICE_DATA16 and len(data) >= 2:  # noqa: PLR2004 - the 16-bit UUID
        (service,) = struct.unpack_from("<H", data)
        if service == fw.EDDYSTONE_UUID:
            return _eddystone(data[2:])
    return None, None


def _manufacturer(data: bytes, loyalty_company: int) -> tuple[Frame | None, str | None]:
    if len(data) < 2:  # noqa: PLR2004 - the company id
        return None, f"manufacturer data of {len(data)} bytes has no company id (2 bytes)"
    (company,) = struct.unpack_from("<H", data)
    rest = data[2:]
    if company == fw.APPLE and rest[:2] == bytes((fw.IBEACON_TYPE, fw.IBEACON_LENGTH)):
        if len(rest) != 2 + fw.IBEACON_LENGTH:
            return None, f"iBeacon data is {len(rest) - 2} bytes after its type, must be 21"
        major, minor, power = struct.unpack_from(">HHb", rest, 18)
        return IBeacon(uuid.UUID(bytes=rest[2:18]), major, minor, power), None
    if company == loyalty_company and rest[:1] == bytes((fw.LOYALTY_MAGIC,)):
        if len(rest) < 2 or rest[1] != fw.LOYALTY_VERSION:  # noqa: PLR2004 - magic, version
            version = rest[1] if len(rest) > 1 else None
            return None, (
                f"loyalty advertisement of version {version}: this build reads version "
                f"{fw.LOYALTY_VERSION}"
            )
        if len(rest) != fw.LOYALTY_DATA_LEN - 2:
            return None, (
                f"loyalty advertisement holds {len(rest) - 2} token bytes, must be {fw.TOKEN_LEN}"
            )
        return LoyaltyAdvert(company, bytes(rest[2:])), None
    return None, None


def _eddystone(frame: bytes) -> tuple[Frame | None, str | None]:
    if not frame:
        return None, "Eddystone service data without a frame"
    kind = frame[0]
    if kind == fw.EDDYSTONE_UID:
        if len(frame) not in (_UID_LEN, _UID_SHORT):
            return None, f"Eddystone-UID frame of {len(frame)} bytes, must be 20 (or 18)"
        power = struct.unpack_from("b", frame, 1)[0]
        return EddystoneUID(bytes(frame[2:12]), bytes(frame[12:18]), power), None
    if kind == fw.EDDYSTONE_URL:
        if not 3 <= len(frame) <= 3 + fw.URL_MAX:  # noqa: PLR2004 - type, power, scheme
            return None, f"Eddystone-URL frame of {len(frame)} bytes, must be 3..20"
        url, problem = decode_url(frame[2], frame[3:])
        if url is None:
            return None, problem
        return EddystoneURL(url, struct.unpack_from("b", frame, 1)[0]), None
    if kind == fw.EDDYSTONE_TLM:
        if len(frame) >= 2 and frame[1] == _TLM_ENCRYPTED:  # noqa: PLR2004
            return None, "encrypted Eddystone-TLM (version 1): not read"
        if len(frame) != _TLM_LEN or frame[1] != 0:
            return None, f"Eddystone-TLM frame of {len(frame)} bytes, version {frame[1:2].hex()}"
        _, _, mv, temp, count, ds = struct.unpack(">BBHHII", frame)
        celsius = None if temp == fw.TLM_NO_TEMPERATURE else struct.unpack(">h", frame[4:6])[0]
        return EddystoneTLM(mv, None if celsius is None else celsius / 256, count, ds / 10), None
    return None, f"Eddystone frame type 0x{kind:02x} is not read here (UID, URL, TLM are)"


def decode_url(scheme: int, encoded: bytes) -> tuple[str | None, str]:
    """An Eddystone-URL's text from its scheme byte and encoded bytes, or None and why."""
    if scheme >= len(fw.URL_SCHEMES):
        return None, f"Eddystone-URL scheme 0x{scheme:02x} is not one of 0x00..0x03"
    text = [fw.URL_SCHEMES[scheme]]
    for b in encoded:
        if b < len(fw.URL_EXPANSIONS):
            text.append(fw.URL_EXPANSIONS[b])
        elif 0x21 <= b <= 0x7E:  # noqa: PLR2004 - printable US-ASCII
            text.append(chr(b))
        else:
            return None, f"Eddystone-URL byte 0x{b:02x} is reserved"
    return "".join(text), ""
