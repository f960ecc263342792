# Advertising data: the byte layouts of the mirror's beacon frames (Apple's iBeacon, Google's
# Eddystone UID, URL and TLM) and of the loyalty advertisement a consenting shopper's phone
# sends, built here for the beacon board (and the simulator's phones), and the loyalty token
# found in a received advertisement without allocating (the scan interrupt's path).
#
# An advertisement's data is a sequence of AD structures, each
#
#     length (1 byte: the type and the data that follow) | AD type (1 byte) | data
#
# (Bluetooth Core Specification Supplement, Part A, section 1; Core 5.4 Vol 3 Part C section 11).
# Legacy advertising carries at most 31 bytes (ADV_MAX). The sources of each layout:
#
# - iBeacon: Apple, "Proximity Beacon Specification", release R1 (2015-09-04), section 2.1,
#   table 2-1: flags 02 01 06, then 1A FF 4C 00 02 15, the 16-byte proximity UUID, major and
#   minor (big-endian) and the measured power at 1 m (signed dBm): 30 bytes.
# - Eddystone: Google, github.com/google/eddystone: protocol-specification.md (flags 02 01 06,
#   the complete list of 16-bit service UUIDs 03 03 AA FE, then the service data
#   LL 16 AA FE and the frame), eddystone-uid/README.md (frame type 0x00, ranging data at 0 m,
#   10-byte namespace, 6-byte instance, two RFU bytes 00: service data length 0x17),
#   eddystone-url/README.md (0x10, TX power at 0 m, scheme prefix, the URL with expansion
#   codes, at most 17 bytes), eddystone-tlm/tlm-plain.md (0x20, version 0x00, battery mV,
#   temperature in signed 8.8 fixed point or 0x8000, advertising PDU count, time since boot in
#   0.1 s; big-endian; service data length 0x11).
# - The loyalty advertisement (docs/beacons.md): manufacturer-specific data under the store
#   app's company identifier, the magic "V", format version 1 and a 16-byte rotating token.
#
# Builders allocate (they run once per frame change); loyalty_token() allocates nothing.

try:
    from micropython import const
except ImportError:

    def const(x):
        return x


import struct

ADV_MAX = const(31)  # bytes of data in a legacy advertisement

AD_FLAGS = const(0x01)
AD_UUID16_COMPLETE = const(0x03)  # complete list of 16-bit service UUIDs
AD_SERVICE_DATA16 = const(0x16)  # service data, 16-bit UUID
AD_MANUFACTURER = const(0xFF)  # manufacturer-specific data: company id (LE), then its bytes
FLAGS_LE_GENERAL = const(0x06)  # LE general discoverable, BR/EDR not supported

APPLE = const(0x004C)  # Apple's company identifier
IBEACON_TYPE = const(0x02)  # iBeacon's beacon type
IBEACON_LENGTH = const(0x15)  # ... and the length of what follows it: 21 bytes

EDDYSTONE_UUID = const(0xFEAA)  # Google's 16-bit service UUID for Eddystone
EDDYSTONE_UID = const(0x00)  # frame types: the high nibble of the service data's first byte
EDDYSTONE_URL = const(0x10)
EDDYSTONE_TLM = const(0x20)
TLM_NO_TEMPERATURE = const(0x8000)  # -128 C: the beacon has no temperature sensor
URL_MAX = const(17)  # encoded URL bytes an Eddystone-URL frame carries at most
_URL_FIRST = const(0x21)  # the printable US-ASCII a URL may hold as itself ...
_URL_LAST = const(0x7E)  # ... (00-20 and 7F-FF are excluded, RFC 2936)

# The loyalty advertisement: AD FF, company id (LE), LOYALTY_MAGIC, LOYALTY_VERSION, token.
# 0xFFFF is the Bluetooth SIG's identifier for tests and development ("shall not be used in
# shipping end products"); a store's app advertises under its own, set in [beacons] and the
# beacon board's config.
TEST_COMPANY = const(0xFFFF)
LOYALTY_MAGIC = const(0x56)  # "V"
LOYALTY_VERSION = const(1)
TOKEN_LEN = const(16)
LOYALTY_DATA_LEN = const(20)  # company id (2) + magic + version + token (16)

# loyalty_token()'s answers besides an offset.
NOT_LOYALTY = const(-1)  # a well-formed advertisement without a loyalty token of ours
MALFORMED = const(-2)  # an AD structure runs past the end (truncated), or the data is over 31

URL_SCHEMES = ("http://www.", "https://www.", "http://", "https://")
URL_EXPANSIONS = (
    ".com/",
    ".org/",
    ".edu/",
    ".net/",
    ".info/",
    ".biz/",
    ".gov/",
    ".com",
    ".org",
    ".edu",
    ".net",
    ".info",
    ".biz",
    ".gov",
)

FLAGS = bytes((2, AD_FLAGS, FLAGS_LE_GENERAL))


def ad(typ, data):
    """One AD structure: its length byte, type and data."""
    if len(data) > ADV_MAX - 2:
        raise ValueError("AD type 0x%02x: %d bytes of data, at most %d" % (typ, len(data), 29))
    return bytes((len(data) + 1, typ)) + bytes(data)


def _check_int(name, value, lo, hi):
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValueError("%s=%r, allowed: integer %d..%d" % (name, value, lo, hi))


def _check_bytes(name, value, n):
    if not isinstance(value, (bytes, bytearray)) or len(value) != n:
        raise ValueError("%s=%r, allowed: %d bytes" % (name, value, n))


def ibeacon(uuid, major, minor, power_1m_dbm):
    """An iBeacon advertisement (30 bytes): proximity uuid (16 bytes), major and minor
    (0..65535) and the measured power at 1 m in dBm (-128..127)."""
    _check_bytes("uuid", uuid, 16)
    _check_int("major", major, 0, 0xFFFF)
    _check_int("minor", minor, 0, 0xFFFF)
    _check_int("measured power (dBm at 1 m)", power_1m_dbm, -128, 127)
    data = struct.pack("<HBB", APPLE, IBEACON_TYPE, IBEACON_LENGTH) + bytes(uuid)
    data += struct.pack(">HHb", major, minor, power_1m_dbm)
    return FLAGS + ad(AD_MANUFACTURER, data)


def eddystone(frame):
    """An Eddystone advertisement carrying one frame (the service data after the UUID)."""
    uuid = struct.pack("<H", EDDYSTONE_UUID)
    return FLAGS + ad(AD_UUID16_COMPLETE, uuid) + ad(AD_SERVICE_DATA16, uuid + bytes(frame))


def eddystone_uid(namespace, instance, power_0m_dbm):
    """An Eddystone-UID advertisement (31 bytes): namespace (10 bytes), instance (6 bytes),
    the calibrated TX power at 0 m in dBm (-100..20)."""
    _check_bytes("namespace", namespace, 10)
    _check_bytes("instance", instance, 6)
    _check_int("ranging data (dBm at 0 m)", power_0m_dbm, -100, 20)
    frame = struct.pack("Bb", EDDYSTONE_UID, power_0m_dbm) + bytes(namespace) + bytes(instance)
    return eddystone(frame + b"\x00\x00")


def encode_url(url):
    """The scheme byte and encoded bytes of an Eddystone-URL; raises ValueError naming what
    cannot be carried (another scheme, a character outside 0x21..0x7E, more than 17 bytes)."""
    scheme = -1
    for i in range(len(URL_SCHEMES)):
        if url.startswith(URL_SCHEMES[i]):
            scheme = i
            break
    if scheme < 0:
        raise ValueError("url=%r: allowed schemes: %s" % (url, ", ".join(URL_SCHEMES)))
    rest = url[len(URL_SCHEMES[scheme]) :]
    out = bytearray()
    i = 0
    while i < len(rest):
        for code in range(len(URL_EXPANSIONS)):
            text = URL_EXPANSIONS[code]
            if rest.startswith(text, i):
                out.append(code)
                i += len(text)
                break
        else:
            c = ord(rest[i])
            if not _URL_FIRST <= c <= _URL_LAST:
                raise ValueError(
                    "url=%r: %r cannot be sent (printable ASCII only)" % (url, rest[i])
                )
            out.append(c)
            i += 1
    if len(out) > URL_MAX:
        raise ValueError("url=%r: %d bytes encoded, at most %d" % (url, len(out), URL_MAX))
    return scheme, bytes(out)


def eddystone_url(url, power_0m_dbm):
    """An Eddystone-URL advertisement for url (http(s)://, encoded at most 17 bytes)."""
    _check_int("TX power (dBm at 0 m)", power_0m_dbm, -100, 20)
    scheme, encoded = encode_url(url)
    return eddystone(struct.pack("BbB", EDDYSTONE_URL, power_0m_dbm, scheme) + encoded)


def tlm_frame(battery_mv, temperature_q88, adv_count, uptime_ds):
    """An unencrypted Eddystone-TLM frame (14 bytes): battery in mV (0: mains powered), the
    temperature in 1/256 degC (None: no sensor), advertisements sent and deciseconds since boot
    (both wrap at 2**32)."""
    _check_int("battery (mV)", battery_mv, 0, 0xFFFF)
    if temperature_q88 is None:
        temp = TLM_NO_TEMPERATURE
    else:
        _check_int("temperature (1/256 degC)", temperature_q88, -0x7FFF, 0x7FFF)
        temp = temperature_q88 & 0xFFFF
    frame = struct.pack(">BBHH", EDDYSTONE_TLM, 0, battery_mv, temp)
    return frame + struct.pack(">II", adv_count & 0xFFFFFFFF, uptime_ds & 0xFFFFFFFF)


def eddystone_tlm(battery_mv, temperature_q88, adv_count, uptime_ds):
    """An Eddystone-TLM advertisement (25 bytes); see tlm_frame()."""
    return eddystone(tlm_frame(battery_mv, temperature_q88, adv_count, uptime_ds))


def loyalty(company_id, token):
    """The loyalty advertisement of a consenting shopper's phone (24 bytes): flags and the
    manufacturer data under the store app's company id holding the 16-byte rotating token."""
    _check_int("company id", company_id, 0, 0xFFFF)
    _check_bytes("token", token, TOKEN_LEN)
    data = struct.pack("<HBB", company_id, LOYALTY_MAGIC, LOYALTY_VERSION) + bytes(token)
    return FLAGS + ad(AD_MANUFACTURER, data)


def loyalty_token(adv, n, company_id):
    """Where the loyalty token of company_id starts in adv[0:n]: an offset, NOT_LOYALTY, or
    MALFORMED when an AD structure runs past the end or n is over ADV_MAX. Allocates nothing
    (the scan interrupt calls it for every advertisement heard)."""
    if n > ADV_MAX:
        return MALFORMED
    lo = company_id & 0xFF
    hi = company_id >> 8
    found = NOT_LOYALTY
    i = 0
    while i < n:
        length = adv[i]
        if length == 0:  # early end: what follows is padding
            return found
        end = i + 1 + length
        if end > n:
            return MALFORMED
        if (
            length == LOYALTY_DATA_LEN + 1
            and adv[i + 1] == AD_MANUFACTURER
            and adv[i + 2] == lo
            and adv[i + 3] == hi
            and adv[i + 4] == LOYALTY_MAGIC
            and adv[i + 5] == LOYALTY_VERSION
        ):
            found = i + 6
        i = end
    return found
