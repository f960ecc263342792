"""Members' BLE keys at rest: made at enrolment, sealed, kept in events.db beside the member
(table member_key), deleted with the member by "forget me" and by retention; open in memory
only in the Keyring the resolver reads (vitrine.devices.beacons.loyalty).

Sealing is AES-256-GCM from the `cryptography` package (authenticated encryption: a changed
row, or one moved to another member, is refused instead of read as some other key), under a
key of its own derived from the daemon's secret key (vitrine.secret_key.derive, purpose
"loyalty member keys"). A sealed key is

    version 0x01 | nonce (12 random bytes) | ciphertext (16) | tag (16)

with the member's loyalty id as associated data. Someone who copies events.db without the
secret key (secret.key, mode 0600) learns who enrolled, but not their keys, so cannot tell
their phones' tokens from anybody's.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from vitrine.devices.beacons.loyalty import KEY_BYTES, Keyring
from vitrine.errors import VitrineError
from vitrine.secret_key import derive

log = logging.getLogger("vitrine.beacons")

SEALED_VERSION = 1
_NONCE_BYTES = 12
_TAG_BYTES = 16
SEALED_BYTES = 1 + _NONCE_BYTES + KEY_BYTES + _TAG_BYTES
PURPOSE = "loyalty member keys"


class SealedKeyError(VitrineError):
    """A sealed member key that cannot be opened: damaged, or sealed under another secret."""


class KeyTable(Protocol):
    """Where sealed keys are kept: vitrine.engine.store.EventStore has these."""

    def member_key(self, loyalty_id: str) -> bytes | None: ...

    def set_member_key(self, loyalty_id: str, sealed: bytes, at: float) -> None: ...

    def member_keys(self) -> list[tuple[str, bytes]]: ...


class Sealer:
    """Seals and opens member keys with the key derived from the daemon's secret."""

    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(derive(secret, PURPOSE))

    def seal(self, loyalty_id: str, key: bytes) -> bytes:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a member key is {KEY_BYTES} bytes, not {len(key)}")
        nonce = os.urandom(_NONCE_BYTES)
        return bytes([SEALED_VERSION]) + nonce + self._aead.encrypt(nonce, key, loyalty_id.encode())

    def open(self, loyalty_id: str, sealed: bytes) -> bytes:
        """The key; raises SealedKeyError when the sealed bytes are not this member's under this
        secret."""
        if len(sealed) != SEALED_BYTES or sealed[0] != SEALED_VERSION:
            raise SealedKeyError(
                f"a sealed member key is {SEALED_BYTES} bytes of version {SEALED_VERSION}, "
                f"not {len(sealed)} of version {sealed[:1].hex() or 'none'}"
            )
        nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, loyalty_id.encode())
        except InvalidTag:
            raise SealedKeyError(
                "a sealed member key does not open: damaged, moved to another member, or "
                "sealed under another secret key"
            ) from None


class MemberKeys:
    """The members' keys: made at enrolment, sealed into the store, opened into the keyring."""

    def __init__(
        self,
        table: KeyTable,
        secret: bytes,
        keyring: Keyring,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table = table
        self.keyring = keyring
        self._sealer = Sealer(secret)
        self._clock = clock

    def enrolled(self, loyalty_id: str) -> bytes:
        """The member's key after an enrolment: the one they have (a member signing in again
        keeps it: their phone holds it), or a new one, sealed into the store."""
        sealed = self.table.member_key(loyalty_id)
        if sealed is not None:
            try:
                key = self._sealer.open(loyalty_id, sealed)
            except SealedKeyError:
                log.warning("a member's BLE key did not open; a new one is made")
            else:
                self.keyring.set(loyalty_id, key)
                return key
        key = os.urandom(KEY_BYTES)
        self.table.set_member_key(loyalty_id, self._sealer.seal(loyalty_id, key), self._clock())
        self.keyring.set(loyalty_id, key)
        return key

    def forgotten(self, loyalty_id: str) -> None:
        """The member was forgotten (the store removed the sealed key with them)."""
        self.keyring.remove(loyalty_id)

    def load(self) -> int:
        """Open every sealed key in the store into the keyring (exactly those); how many did
        not open (logged: their phones go unrecognised until the member enrols again)."""
        keys: dict[str, bytes] = {}
        failed = 0
        for loyalty_id, sealed in self.table.member_keys():
            try:
                keys[loyalty_id] = self._sealer.open(loyalty_id, sealed)
            except SealedKeyError:
                failed += 1
        if failed:
            log.warning(
                "%d members' BLE keys did not open (was the secret key replaced?): their phones "
                "are not recognised until they enrol again",
                failed,
            )
        self.keyring.replace(keys)
        return failed
