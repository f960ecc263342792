"""The loyalty token: what a consenting member's phone advertises, and how the mirror tells
which member sent it.

Construction (docs/beacons.md): each member has a 16-byte key K, made at enrolment. The token
key is TK = HKDF-SHA256(K, no salt, info "VT-LOY-TK", 16 bytes). Time is cut into intervals
of INTERVAL_S (10 minutes); the token of interval i is

    T_i = AES-128(TK, "VT-LOY" | 6 zero bytes | i as u32 little-endian)

a whole 16-byte block. This is the Rolling Proximity Identifier of Apple and Google's
Exposure Notification (Cryptography Specification v1.2, April 2020: RPIK = HKDF(TEK, NULL,
"EN-RPIK", 16), RPI = AES128(RPIK, "EN-RPI" | 0x000000000000 | ENIN)) with labels of our
own, and it is the same primitive as BLE's resolvable private addresses: the random address
hash ah(IRK, r) = e(IRK, padding | r) mod 2^24 (Core 5.4 Vol 3 Part H §2.2.2), where only
the holder of the IRK can tell that an address belongs to a device. Two differences: the token
keeps all 128 bits (a 24-bit hash would let a flood of random advertisements resolve to some
member now and then), and its input is the interval number, not a random prand, so the mirror
does not try every key on every advertisement: it computes each member's tokens for the
intervals around now once and looks a token up in a table. The price is that phone and mirror
clocks must agree within an interval (one either side is accepted).

Without K, tokens of different intervals look unrelated (AES is a pseudorandom permutation),
so nobody without the key can follow a phone from one interval to the next; the phone's BLE
address rotates on its own (the OS's resolvable private address). A token heard by someone
else can be replayed within its interval: it says "this member was near a mirror" to a mirror
that holds the key, and nothing to anybody else.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INTERVAL_S = 600  # a token lasts 10 minutes
KEY_BYTES = 16
TOKEN_BYTES = 16
SKEW_INTERVALS = 1  # tokens of this many intervals either side of now are accepted
_LABEL = b"VT-LOY" + bytes(6)
_INFO = b"VT-LOY-TK"


def token_key(member_key: bytes) -> bytes:
    """TK: the AES key a member's tokens are made with, derived from their key."""
    if len(member_key) != KEY_BYTES:
        raise ValueError(f"a member key is {KEY_BYTES} bytes, not {len(member_key)}")
    return HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=_INFO).derive(member_key)


def interval(t_s: float) -> int:
    """The interval number of a wall-clock time (seconds since the epoch)."""
    return int(t_s // INTERVAL_S)


def _blocks(first: int, count: int) -> bytes:
    return b"".join(_LABEL + struct.pack("<I", (first + k) & 0xFFFFFFFF) for k in range(count))


def tokens(member_key: bytes, first: int, count: int = 1) -> list[bytes]:
    """The tokens of `count` intervals from `first` on (one AES call for all of them)."""
    enc = Cipher(algorithms.AES(token_key(member_key)), modes.ECB()).encryptor()
    out = enc.update(_blocks(first, count)) + enc.finalize()
    return [out[k * TOKEN_BYTES : (k + 1) * TOKEN_BYTES] for k in range(count)]


def token(member_key: bytes, t_s: float) -> bytes:
    """The token a member's phone advertises at wall-clock time t_s."""
    return tokens(member_key, interval(t_s))[0]


class Keyring:
    """The enrolled members' keys, open in memory for the resolver: set at enrolment (and at
    start from the sealed store, vitrine.devices.beacons.keys), removed by "forget me".
    Thread-safe (the engine's thread writes it, the event loop reads it); `version` grows with
    every change, so a resolver knows when its table is stale."""

    def __init__(self, keys: Mapping[str, bytes] | None = None) -> None:
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] = {}
        self.version = 0
        if keys:
            self.replace(keys)

    def set(self, member: str, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"member {member}: a key is {KEY_BYTES} bytes, not {len(key)}")
        with self._lock:
            self._keys[member] = bytes(key)
            self.version += 1

    def remove(self, member: str) -> bool:
        """Forget a member's key; False when there was none."""
        with self._lock:
            gone = self._keys.pop(member, None) is not None
            self.version += 1
        return gone

    def replace(self, keys: Mapping[str, bytes]) -> None:
        """Hold exactly these keys (member -> key)."""
        for member, key in keys.items():
            if len(key) != KEY_BYTES:
                raise ValueError(f"member {member}: a key is {KEY_BYTES} bytes, not {len(key)}")
        with self._lock:
            self._keys = {m: bytes(k) for m, k in keys.items()}
            self.version += 1

    def members(self) -> list[str]:
        with self._lock:
            return sorted(self._keys)

    def __contains__(self, member: object) -> bool:
        with self._lock:
            return member in self._keys

    def __len__(self) -> int:
        with self._lock:
            return len(self._keys)

    def items(self) -> list[tuple[str, bytes]]:
        with self._lock:
            return list(self._keys.items())


class Resolver:
    """Token -> member, for tokens of the intervals around now (SKEW_INTERVALS either side).

    The table is built once per interval (each member's tokens in one AES call, with a cipher
    per member kept between rebuilds) and again whenever the keyring changes, so resolving is a
    dictionary lookup whatever the number of members or advertisements."""

    def __init__(self, keyring: Keyring, clock: Callable[[], float] = time.time) -> None:
        self.keyring = keyring
        self._clock = clock
        self._table: dict[bytes, str] = {}
        self._built: tuple[int, int] | None = None  # (interval, keyring version)
        self._ciphers: dict[tuple[str, bytes], Cipher] = {}
        self.rebuilds = 0

    def resolve(self, token: bytes) -> str | None:
        """The member whose phone sent this token now, or None."""
        now = interval(self._clock())
        if self._built != (now, self.keyring.version):
            self._rebuild(now)
        return self._table.get(bytes(token))

    def _rebuild(self, now: int) -> None:
        version = self.keyring.version
        keys = self.keyring.items()
        first = now - SKEW_INTERVALS
        count = 2 * SKEW_INTERVALS + 1
        blocks = _blocks(first, count)
        table: dict[bytes, str] = {}
        ciphers: dict[tuple[str, bytes], Cipher] = {}
        for member, key in keys:
            cipher = self._ciphers.get((member, key))
            if cipher is None:
                cipher = Cipher(algorithms.AES(token_key(key)), modes.ECB())
            ciphers[(member, key)] = cipher
            enc = cipher.encryptor()
            out = enc.update(blocks) + enc.finalize()
            for k in range(count):
                table[out[k * TOKEN_BYTES : (k + 1) * TOKEN_BYTES]] = member
        self._ciphers = ciphers
        self._table = table
        self._built = (now, version)
        self.rebuilds += 1


def random_keys(members: Iterable[str]) -> dict[str, bytes]:
    """A fresh key for each member (os.urandom), as enrolment makes them."""
    import os

    return {m: os.urandom(KEY_BYTES) for m in members}
