"""The advertisements' bytes against the specifications' own tables and example bytes, and
against a second BLE stack (Bumble's AdvertisingData parser), not only against our reader.

Sources (cited in vitrine_fw/beacon/adverts.py):
- Apple, Proximity Beacon Specification R1, table 2-1: 02 01 06 1A FF 4C 00 02 15, UUID (16),
  major, minor (big-endian), measured power (signed).
- Google, github.com/google/eddystone: protocol-specification.md's common bytes
  02 01 06 03 03 AA FE LL 16 AA FE; eddystone-uid (service data length 0x17, the elided UUID
  8b0ca750-e7a7-4e14-bd99-095477cb3e77 -> namespace 8b0ca750095477cb3e77), eddystone-url
  (TX power 0x12 = +18 dBm, 0xEE = -18 dBm; the example URL https://goo.gl/Aq18zF; the
  scheme and expansion tables), eddystone-tlm/tlm-plain.md (service data length 0x11, 0x8000
  without a sensor, big-endian counters).
"""

from __future__ import annotations

import uuid

import pytest
from bumble.core import UUID as BumbleUUID
from bumble.core import AdvertisingData
from hypothesis import given, settings
from hypothesis import strategies as st

from vitrine.devices.beacons import adverts as a
from vitrine_fw.beacon import adverts as fw

# A proximity UUID published as a vendor's default (April Brother's iBeacon packet page) and
# the power byte beside it (0xC6 = -58 dBm).
VENDOR_UUID = uuid.UUID("b5b182c7-eab1-4988-aa99-b5c1517008d9")
NAMESPACE = bytes.fromhex("8b0ca750095477cb3e77")  # the spec's elided-UUID example
INSTANCE = bytes.fromhex("000000000001")


def test_ibeacon_is_apples_table_byte_for_byte():
    got = fw.ibeacon(VENDOR_UUID.bytes, 0x0102, 0x0304, -58)
    want = bytes.fromhex(
        "02 01 06"  # flags: length, type, LE general discoverable + BR/EDR not supported
        "1a ff 4c 00 02 15"  # length 26, manufacturer data, Apple, iBeacon type, 21 bytes
        "b5 b1 82 c7 ea b1 49 88 aa 99 b5 c1 51 70 08 d9"  # proximity UUID
        "01 02 03 04"  # major, minor: big-endian
        "c6"  # measured power -58 dBm
    )
    assert got == want
    assert len(got) == 30


def test_eddystone_common_bytes_and_uid_are_googles():
    got = fw.eddystone_uid(NAMESPACE, INSTANCE, -18)
    assert got[:7] == bytes.fromhex("02 01 06 03 03 aa fe")  # protocol-specification.md
    assert got[7:11] == bytes.fromhex("17 16 aa fe")  # the UID's service data length is 0x17
    assert got[11:] == bytes.fromhex("00 ee") + NAMESPACE + INSTANCE + bytes(2)
    assert len(got) == 31  # "takes up the full 31 bytes of the ADV packet"


def test_eddystone_tx_power_examples():
    # eddystone-url: "The value 0x12 is interpreted as +18dBm, 0xEE as -18dBm"
    assert fw.eddystone_url("https://goo.gl/Aq18zF", 18)[12] == 0x12
    assert fw.eddystone_url("https://goo.gl/Aq18zF", -18)[12] == 0xEE


def test_eddystone_url_of_the_specs_example():
    got = fw.eddystone_url("https://goo.gl/Aq18zF", -18)
    want = bytes.fromhex("02 01 06 03 03 aa fe 13 16 aa fe 10 ee 03") + b"goo.gl/Aq18zF"
    assert got == want


@pytest.mark.parametrize(
    ("url", "encoded"),
    [
        ("http://www.example.com/", "00 6578616d706c65 00"),  # http://www. and .com/
        ("https://www.example.org", "01 6578616d706c65 08"),  # https://www. and .org
        ("http://a.info/b", "02 61 04 62"),
        ("https://x.gov", "03 78 0d"),
    ],
)
def test_eddystone_url_schemes_and_expansions(url, encoded):
    scheme, body = fw.encode_url(url)
    assert bytes([scheme]) + body == bytes.fromhex(encoded)
    assert a.decode_url(scheme, body) == (url, "")


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com", "allowed schemes"),
        ("https://exa mple.com", "printable ASCII"),
        ("https://www.a-very-long-host-name.co.uk/", "at most 17"),
    ],
)
def test_eddystone_url_refuses_what_it_cannot_carry(url, why):
    with pytest.raises(ValueError, match=why):
        fw.encode_url(url)


def test_tlm_is_googles_plain_layout():
    got = fw.eddystone_tlm(3000, 23 * 256 + 128, 0x01020304, 36000)
    assert got[7:11] == bytes.fromhex("11 16 aa fe")  # service data length 0x11
    assert got[11:] == bytes.fromhex("20 00 0b b8 17 80 01 02 03 04 00 00 8c a0")
    no_sensor = fw.eddystone_tlm(0, None, 0, 0)
    assert no_sensor[15:17] == bytes.fromhex("80 00")
    below_zero = fw.eddystone_tlm(0, -10 * 256, 0, 0)
    assert below_zero[15:17] == bytes.fromhex("f6 00")  # -10.0 degC in signed 8.8


def test_loyalty_advertisement_layout():
    token = bytes(range(16))
    got = fw.loyalty(0xFFFF, token)
    assert got == bytes.fromhex("02 01 06 15 ff ff ff 56 01") + token
    assert fw.loyalty_token(got, len(got), 0xFFFF) == 9


# --- the same bytes through a second stack --------------------------------------------------------


def bumble(data: bytes) -> AdvertisingData:
    return AdvertisingData.from_bytes(data)


def test_bumble_reads_our_ibeacon():
    ad = bumble(fw.ibeacon(VENDOR_UUID.bytes, 7, 9, -59))
    assert ad.get(AdvertisingData.Type.FLAGS) == 0x06
    company, rest = ad.get(AdvertisingData.Type.MANUFACTURER_SPECIFIC_DATA)
    assert company == 0x004C
    assert rest[:2] == b"\x02\x15"
    assert uuid.UUID(bytes=bytes(rest[2:18])) == VENDOR_UUID
    assert int.from_bytes(rest[18:20], "big") == 7
    assert int.from_bytes(rest[20:22], "big") == 9
    assert int.from_bytes(rest[22:23], "big", signed=True) == -59


@pytest.mark.parametrize(
    "data",
    [
        fw.eddystone_uid(NAMESPACE, INSTANCE, -20),
        fw.eddystone_url("https://goo.gl/Aq18zF", -18),
        fw.eddystone_tlm(0, 5000, 77, 123),
    ],
    ids=["uid", "url", "tlm"],
)
def test_bumble_reads_our_eddystone_frames(data):
    ad = bumble(data)
    assert ad.get(AdvertisingData.Type.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS) == [
        BumbleUUID.from_16_bits(0xFEAA)
    ]
    service, frame = ad.get(AdvertisingData.Type.SERVICE_DATA_16_BIT_UUID)
    assert service == BumbleUUID.from_16_bits(0xFEAA)
    ours = a.parse(data)
    assert not ours.problems
    assert ours.structures[-1].data[2:] == bytes(frame)


def test_bumble_and_we_read_the_same_structures_of_every_frame():
    samples = [
        fw.ibeacon(VENDOR_UUID.bytes, 1, 2, -60),
        fw.eddystone_uid(NAMESPACE, INSTANCE, -20),
        fw.eddystone_url("http://www.example.com/", 0),
        fw.eddystone_tlm(3300, None, 1, 2),
        fw.loyalty(0x1234, bytes(16)),
    ]
    for data in samples:
        theirs = [(int(t), bytes(d)) for t, d in bumble(data).ad_structures]
        ours = [(s.type, s.data) for s in a.parse(data).structures]
        assert ours == theirs


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=31))
def test_on_any_bytes_we_find_what_bumble_finds(data):
    # Bumble stops at a structure that runs past the end too; both skip a zero length (ours
    # ends there: the rest is padding, so we compare up to it).
    ours = a.parse(data)
    theirs = [(int(t), bytes(d)) for t, d in bumble(data).ad_structures]
    mine = [(s.type, s.data) for s in ours.structures]
    assert mine == theirs[: len(mine)]


# --- our reader ----------------------------------------------------------------------------------


def test_reader_gives_back_what_the_builders_wrote():
    got = a.parse(fw.ibeacon(VENDOR_UUID.bytes, 1, 65535, -70)).frames
    assert got == [a.IBeacon(VENDOR_UUID, 1, 65535, -70)]
    got = a.parse(fw.eddystone_uid(NAMESPACE, INSTANCE, -21)).frames
    assert got == [a.EddystoneUID(NAMESPACE, INSTANCE, -21)]
    got = a.parse(fw.eddystone_url("https://goo.gl/Aq18zF", 5)).frames
    assert got == [a.EddystoneURL("https://goo.gl/Aq18zF", 5)]
    got = a.parse(fw.eddystone_tlm(2900, -384, 5, 12345)).frames
    assert got == [a.EddystoneTLM(2900, -1.5, 5, 1234.5)]
    got = a.parse(fw.eddystone_tlm(0, None, 0, 0)).frames
    assert got == [a.EddystoneTLM(0, None, 0, 0.0)]
    got = a.parse(fw.loyalty(0x0ABC, b"\x11" * 16), loyalty_company=0x0ABC)
    assert got.frames == [a.LoyaltyAdvert(0x0ABC, b"\x11" * 16)]
    assert got.loyalty == a.LoyaltyAdvert(0x0ABC, b"\x11" * 16)


def test_truncated_and_oversized_are_problems_not_exceptions():
    whole = fw.ibeacon(VENDOR_UUID.bytes, 1, 2, -59)
    cut = a.parse(whole[:20])
    assert cut.frames == []
    assert "truncated" in cut.problems[0]
    long = a.parse(whole + fw.FLAGS)
    assert "at most 31" in long.problems[0]
    assert fw.loyalty_token(whole + fw.FLAGS, len(whole) + 3, 0xFFFF) == fw.MALFORMED
    assert fw.loyalty_token(whole[:20], 20, 0xFFFF) == fw.MALFORMED


def test_a_loyalty_advertisement_of_another_company_is_not_ours():
    data = fw.loyalty(0x1234, bytes(16))
    assert a.parse(data, loyalty_company=0xFFFF).frames == []
    assert fw.loyalty_token(data, len(data), 0xFFFF) == fw.NOT_LOYALTY
    assert fw.loyalty_token(data, len(data), 0x1234) == 9


def test_wrong_lengths_and_versions_say_what_is_wrong():
    bad_version = bytearray(fw.loyalty(0xFFFF, bytes(16)))
    bad_version[8] = 2
    assert "version 2" in a.parse(bytes(bad_version)).problems[0]
    short_ibeacon = fw.FLAGS + fw.ad(0xFF, bytes.fromhex("4c000215") + bytes(10))
    assert "must be 21" in a.parse(short_ibeacon).problems[0]
    bad_tlm = fw.eddystone(bytes.fromhex("2000") + bytes(5))
    assert "Eddystone-TLM" in a.parse(bad_tlm).problems[0]
    encrypted = fw.eddystone(bytes.fromhex("2001") + bytes(16))
    assert "encrypted" in a.parse(encrypted).problems[0]


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64), st.integers(0, 0xFFFF))
def test_any_bytes_are_read_without_raising(data, company):
    a.parse(data, company)
    at = fw.loyalty_token(data, len(data), company)
    assert at in (fw.NOT_LOYALTY, fw.MALFORMED) or 0 < at <= len(data) - fw.TOKEN_LEN


def test_from_parts_reads_what_an_os_stack_split():
    # bleak's AdvertisementData: manufacturer data by company id, service data by UUID text
    advert = a.from_parts(
        {
            0x004C: bytes.fromhex("0215") + VENDOR_UUID.bytes + bytes.fromhex("00010002c5"),
            0xFFFF: bytes.fromhex("5601") + b"\x22" * 16,
        },
        {str(a.EDDYSTONE_UUID): fw.tlm_frame(0, None, 3, 4)},
    )
    assert advert.frames == [
        a.IBeacon(VENDOR_UUID, 1, 2, -59),
        a.LoyaltyAdvert(0xFFFF, b"\x22" * 16),
        a.EddystoneTLM(0, None, 3, 0.4),
    ]
    assert a.from_parts({}, {"not-a-uuid": b""}).problems
