"""Members' BLE keys at rest: sealed with authenticated encryption under the daemon's secret,
bound to their member, opened into the keyring, deleted with the member."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from vitrine.devices.beacons.keys import SEALED_BYTES, MemberKeys, SealedKeyError, Sealer
from vitrine.devices.beacons.loyalty import Keyring
from vitrine.engine.store import EventStore

SECRET = b"\x07" * 32


@pytest.fixture
def store(tmp_path: Path):
    with EventStore.open(tmp_path / "events.db") as s:
        yield s


def test_sealing_round_trip_and_nothing_in_the_clear():
    key = bytes(range(16))
    sealed = Sealer(SECRET).seal("M-1", key)
    assert len(sealed) == SEALED_BYTES
    assert key not in sealed
    assert Sealer(SECRET).open("M-1", sealed) == key
    assert Sealer(SECRET).seal("M-1", key) != sealed  # a fresh nonce each time


@pytest.mark.parametrize(
    ("member", "secret", "tamper"),
    [
        ("M-2", SECRET, None),  # moved to another member's row
        ("M-1", b"\x08" * 32, None),  # another mirror's secret
        ("M-1", SECRET, 20),  # a ciphertext byte changed
        ("M-1", SECRET, SEALED_BYTES - 1),  # the tag changed
    ],
)
def test_a_sealed_key_opens_only_as_it_was_sealed(member, secret, tamper):
    sealed = bytearray(Sealer(SECRET).seal("M-1", bytes(16)))
    if tamper is not None:
        sealed[tamper] ^= 1
    with pytest.raises(SealedKeyError, match="does not open"):
        Sealer(secret).open(member, bytes(sealed))


def test_a_sealed_key_of_another_shape_is_named():
    with pytest.raises(SealedKeyError, match="45 bytes of version 1, not 3 of version 02"):
        Sealer(SECRET).open("M-1", b"\x02ab")


def test_enrolment_makes_a_key_once_and_forget_drops_it(store):
    keyring = Keyring()
    keys = MemberKeys(store, SECRET, keyring, clock=lambda: 100.0)
    store.enrol_member("M-1", "2026-11", 1.0)
    first = keys.enrolled("M-1")
    assert dict(keyring.items()) == {"M-1": first}
    sealed = store.member_key("M-1")
    assert sealed is not None and first not in sealed
    assert keys.enrolled("M-1") == first  # signing in again keeps the key the phone has
    assert store.member_key("M-1") == sealed
    store.forget_member("M-1")
    keys.forgotten("M-1")
    assert store.member_key("M-1") is None
    assert "M-1" not in keyring


def test_load_opens_exactly_the_stored_keys(store, caplog):
    keyring = Keyring({"stale": bytes(16)})
    for member in ("M-1", "M-2"):
        store.enrol_member(member, "2026-11", 1.0)
    made = {m: MemberKeys(store, SECRET, Keyring()).enrolled(m) for m in ("M-1", "M-2")}
    assert MemberKeys(store, SECRET, keyring).load() == 0
    assert dict(keyring.items()) == made
    # under another secret (secret.key replaced) nothing opens, and the log says so
    with caplog.at_level(logging.WARNING, logger="vitrine.beacons"):
        assert MemberKeys(store, b"\x09" * 32, keyring).load() == 2
    assert len(keyring) == 0
    assert "2 members' BLE keys did not open" in caplog.text
    assert "M-1" not in caplog.text  # the log names no member


def test_a_key_that_no_longer_opens_is_replaced_at_enrolment(store):
    store.enrol_member("M-1", "2026-11", 1.0)
    old = MemberKeys(store, b"\x09" * 32, Keyring()).enrolled("M-1")
    keyring = Keyring()
    new = MemberKeys(store, SECRET, keyring).enrolled("M-1")
    assert new != old
    assert Sealer(SECRET).open("M-1", store.member_key("M-1")) == new


def test_the_store_refuses_a_key_without_a_member(store):
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        store.set_member_key("nobody", b"x" * SEALED_BYTES, 1.0)
