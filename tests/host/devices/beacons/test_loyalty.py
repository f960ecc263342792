"""The loyalty token: the construction as docs/beacons.md gives it to the store's app (its
worked example is checked here, so the app and the mirror cannot drift apart), resolution
only with the member's key, and the resolver's table."""

from __future__ import annotations

import re
import struct

import pytest
from bumble import crypto as bumble_crypto
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from vitrine.devices.beacons import loyalty as lo
from vitrine.paths import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "beacons.md").read_text()


def aes(key: bytes, block: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return enc.update(block) + enc.finalize()


def test_the_primitive_is_bles_address_hash():
    # Core 5.4 Vol 3 Part H, appendix D.7 (sample data for ah): IRK ec0234a3 57c8ad05 341010a6
    # 0a397d9b, prand 708194 -> hash 0dfbaa. The same AES-128 the tokens are made with, and
    # Bumble's own ah() (its byte order is little-endian) agrees.
    irk = bytes.fromhex("ec0234a357c8ad05341010a60a397d9b")
    prand = bytes.fromhex("708194")
    assert aes(irk, bytes(13) + prand)[-3:] == bytes.fromhex("0dfbaa")
    assert bumble_crypto.ah(irk[::-1], prand[::-1]) == bytes.fromhex("0dfbaa")[::-1]


def doc_example() -> dict[str, str]:
    block = DOC.split("### Worked example", 1)[1].split("```", 2)[1]
    return dict(re.findall(r"^(\w+)\s*=\s*([0-9a-f]+)\s*$", block, re.MULTILINE))


def test_the_docs_worked_example_is_what_the_code_makes():
    ex = doc_example()
    key = bytes.fromhex(ex["K"])
    i = int(ex["i"], 16)
    assert lo.token_key(key).hex() == ex["TK"]
    assert (b"VT-LOY" + bytes(6) + struct.pack("<I", i)).hex() == ex["block"]
    assert lo.tokens(key, i) == [bytes.fromhex(ex["T"])]
    # ... and what the doc says it is: HKDF-SHA256 then one AES-128 block
    tk = HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=b"VT-LOY-TK").derive(key)
    assert aes(tk, bytes.fromhex(ex["block"])) == bytes.fromhex(ex["T"])


def test_tokens_rotate_every_interval():
    key = bytes(range(16))
    t0 = 1_800_000_000.0
    assert lo.token(key, t0) == lo.token(key, t0 - t0 % 600 + 599.9)
    assert lo.token(key, t0) != lo.token(key, t0 + 600)
    run = lo.tokens(key, lo.interval(t0), 100)
    assert len(set(run)) == 100  # no repeats within a run of intervals
    assert run[1] == lo.token(key, t0 + 600)


def test_another_key_makes_other_tokens():
    a, b = bytes(16), bytes([1]) + bytes(15)
    assert set(lo.tokens(a, 0, 50)).isdisjoint(lo.tokens(b, 0, 50))


def test_a_key_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match="16 bytes, not 15"):
        lo.token_key(bytes(15))
    with pytest.raises(ValueError, match="member M-1: a key is 16 bytes, not 3"):
        lo.Keyring().set("M-1", b"abc")


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_the_resolver_knows_a_members_tokens_around_now_only():
    keys = lo.random_keys(["M-1", "M-2"])
    clock = Clock(1_800_000_123.0)
    resolver = lo.Resolver(lo.Keyring(keys), clock)
    now = lo.interval(clock.t)
    for member, key in keys.items():
        before, current, after = lo.tokens(key, now - 1, 3)
        assert resolver.resolve(current) == member
        assert resolver.resolve(before) == member  # a phone whose clock is an interval behind
        assert resolver.resolve(after) == member
        two_off = lo.tokens(key, now - 2, 1) + lo.tokens(key, now + 2, 1)
        assert [resolver.resolve(t) for t in two_off] == [None, None]
    assert resolver.resolve(bytes(16)) is None


def test_forgetting_a_key_stops_resolving_at_once():
    keyring = lo.Keyring(lo.random_keys(["M-1"]))
    clock = Clock(1_800_000_000.0)
    resolver = lo.Resolver(keyring, clock)
    (mine,) = lo.tokens(dict(keyring.items())["M-1"], lo.interval(clock.t))
    assert resolver.resolve(mine) == "M-1"
    assert keyring.remove("M-1")
    assert resolver.resolve(mine) is None
    assert not keyring.remove("M-1")


def test_the_table_is_built_once_per_interval_and_change():
    keyring = lo.Keyring(lo.random_keys([f"M-{n}" for n in range(50)]))
    clock = Clock(1_800_000_000.0)
    resolver = lo.Resolver(keyring, clock)
    for _ in range(1000):
        resolver.resolve(bytes(16))
    assert resolver.rebuilds == 1
    clock.t += 600
    resolver.resolve(bytes(16))
    keyring.set("M-new", bytes(16))
    resolver.resolve(bytes(16))
    assert resolver.rebuilds == 3
