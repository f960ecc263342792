"""`vitrine beacon decode HEX`: an advertisement field by field, for a technician."""

from __future__ import annotations

import json

import pytest

from vitrine.cli import main
from vitrine_fw.beacon import adverts as fw

IBEACON = fw.ibeacon(bytes.fromhex("b5b182c7eab14988aa99b5c1517008d9"), 1, 2, -59)


def test_ibeacon_field_by_field(capsys):
    assert main(["beacon", "decode", IBEACON.hex()]) == 0
    out = capsys.readouterr().out
    assert out.startswith("30 bytes, 2 AD structures: IBeacon")
    for line in (
        "company id: 0x004C (Apple)",
        "proximity UUID: b5b182c7-eab1-4988-aa99-b5c1517008d9",
        "major: 1",
        "minor: 2",
        "measured power: -59 dBm at 1 m",
        "flags: LE general discoverable, BR/EDR not supported",
    ):
        assert line in out


def test_sniffer_spelling_is_accepted(capsys):
    # Wireshark copies "02:01:06:...", others "0x02 0x01 ..." or spaced pairs
    colons = ":".join(f"{b:02x}" for b in IBEACON)
    assert main(["beacon", "decode", colons]) == 0
    prefixed = " ".join(f"0x{b:02X}" for b in IBEACON)
    assert main(["beacon", "decode", *prefixed.split()]) == 0
    out = capsys.readouterr().out
    assert out.count("IBeacon") == 2


def test_eddystone_tlm_and_json(capsys):
    data = fw.eddystone_tlm(3000, 21 * 256, 1000, 600)
    assert main(["beacon", "decode", "--json", data.hex()]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["frames"] == [
        {
            "kind": "EddystoneTLM",
            "battery_mv": 3000,
            "temperature_c": 21.0,
            "adv_count": 1000,
            "uptime_s": 60.0,
        }
    ]
    assert {"offset": 15, "hex": "1500", "field": "temperature", "meaning": "21 degC"} in (
        result["fields"]
    )
    assert result["problems"] == []


def test_loyalty_under_the_configured_company(capsys):
    data = fw.loyalty(0x0A0B, bytes(range(16)))
    assert main(["beacon", "decode", "--company", "0x0a0b", data.hex()]) == 0
    out = capsys.readouterr().out
    assert "LoyaltyAdvert" in out
    assert "company id: 0x0A0B (the loyalty app's company id)" in out
    assert main(["beacon", "decode", data.hex()]) == 0  # another company: just data
    assert "no frame this project reads" in capsys.readouterr().out


def test_a_truncated_capture_says_so_and_fails(capsys):
    assert main(["beacon", "decode", IBEACON[:12].hex()]) == 1
    out = capsys.readouterr().out
    assert "problem: the AD structure at byte 3 says 26 bytes follow, 8 do (truncated)" in out


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("02010", "5 hex digits: an odd number"),
        ("0201zz", "'z' is not a hex digit"),
        ("  ", "no bytes given"),
    ],
)
def test_bad_hex_is_named(capsys, text, error):
    assert main(["beacon", "decode", text]) == 2
    assert error in capsys.readouterr().err


def test_bad_company_is_refused(capsys):
    with pytest.raises(SystemExit):
        main(["beacon", "decode", "--company", "70000", "00"])
    assert "allowed a company id 0..0xFFFF" in capsys.readouterr().err
