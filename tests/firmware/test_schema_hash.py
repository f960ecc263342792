"""The message table's schema text and hash agree between MicroPython and CPython."""

import binascii

import pytest

from vitrine_fw import wire


def test_schema_hash_is_crc_of_text():
    assert binascii.crc32(wire.schema_text().encode()) == wire.SCHEMA_HASH
    assert len(wire.schema_text().splitlines()) == len(wire.TABLE)


@pytest.mark.micropython
def test_micropython_computes_the_same_schema(micropython):
    result = micropython.result("schema_report.py")
    assert result["text"] == wire.schema_text()
    assert result["hash"] == wire.SCHEMA_HASH
    assert result["crc32"] == wire.SCHEMA_HASH
    assert result["rev"] == wire.SCHEMA_REV
