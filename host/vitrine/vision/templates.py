"""The loyalty members' face templates, encrypted at rest.

Each template is an embedding (float32) sealed with AES-256-GCM (`cryptography`'s AESGCM, a
maintained implementation of an authenticated cipher), a fresh 96-bit nonce per template and
the member's id as associated data, so a sealed template cannot be moved to another member
nor altered unseen. The 32-byte key lives in its own file, created readable by the daemon's
user alone (0600); without it the templates are unreadable. Only members who consented in the
player are ever enrolled; `forget()` removes a member's template, `prune()` the ones older
than the retention limit ([vision] template_retention_days).

The store is a small SQLite file (templates.db) beside events.db, written by the vision
worker (enrolment) and by the engine's "forget me" (vitrine.engine.store forget_member).
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import numpy as np

from vitrine.errors import VitrineError

KEY_BYTES = 32
NONCE_BYTES = 12
SCHEMA = """
CREATE TABLE IF NOT EXISTS templates (
    member TEXT PRIMARY KEY,
    created REAL NOT NULL,
    nonce BLOB NOT NULL,
    sealed BLOB NOT NULL
)
"""


class TemplateError(VitrineError):
    """The key or a template cannot be used (the message says which and why)."""


def load_or_create_key(path: Path) -> bytes:
    """The key in this file, made (0600, exclusively) when it does not exist; a key file that
    others may read, or of the wrong size, is refused."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "wb") as f:
            f.write(os.urandom(KEY_BYTES))
    st = path.stat()
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TemplateError(
            f"{path}: the face template key is readable by others "
            f"(mode {stat.filemode(st.st_mode)}); chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise TemplateError(f"{path}: {len(key)} bytes; a template key is {KEY_BYTES} bytes")
    return key


class TemplateStore:
    """Sealed templates by member id."""

    def __init__(self, db_path: Path, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self.db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA secure_delete=ON")  # a forgotten template's bytes are zeroed
        self.db.execute(SCHEMA)

    @classmethod
    def open(cls, data_dir: Path) -> TemplateStore:
        """templates.db and templates.key in the daemon's data folder."""
        return cls(data_dir / "templates.db", load_or_create_key(data_dir / "templates.key"))

    def put(self, member: str, embedding: np.ndarray, now: float) -> None:
        nonce = os.urandom(NONCE_BYTES)
        vector = np.asarray(embedding, np.float32).tobytes()
        sealed = self._aead.encrypt(nonce, vector, member.encode())
        self.db.execute(
            "INSERT OR REPLACE INTO templates (member, created, nonce, sealed) VALUES (?, ?, ?, ?)",
            (member, now, nonce, sealed),
        )

    def load(self) -> dict[str, np.ndarray]:
        """Every template, opened; raises TemplateError when one does not open (wrong key,
        altered row)."""
        from cryptography.exceptions import InvalidTag

        out = {}
        for member, nonce, sealed in self.db.execute("SELECT member, nonce, sealed FROM templates"):
            try:
                vector = self._aead.decrypt(nonce, sealed, member.encode())
            except InvalidTag as err:
                raise TemplateError(
                    f"the face template of member {member} does not open with this key "
                    "(altered, or the key was replaced)"
                ) from err
            out[member] = np.frombuffer(vector, np.float32).copy()
        return out

    def members(self) -> list[str]:
        return [m for (m,) in self.db.execute("SELECT member FROM templates ORDER BY member")]

    def forget(self, member: str) -> bool:
        """Remove the member's template; True when there was one."""
        cursor = self.db.execute("DELETE FROM templates WHERE member = ?", (member,))
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return cursor.rowcount > 0

    def prune(self, older_than: float) -> int:
        """Remove templates created before this time (seconds since the epoch)."""
        cursor = self.db.execute("DELETE FROM templates WHERE created < ?", (older_than,))
        return cursor.rowcount

    def close(self) -> None:
        self.db.close()
