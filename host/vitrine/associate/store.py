"""What the associate app keeps on disk, in SQLite (`auth.db` in the data folder, WAL): the
sessions it has opened, so that a sign-out (a deleted row) holds across a restart of the
daemon, and the store's budget of wrong PINs, so that a restart does not forgive them.

It stays small: a session leaves when it is signed out or expires (expired rows are pruned on
every sign-in and at start), and at most MAX_SESSIONS are kept (the oldest is signed out to
make room). Writes are synchronous = FULL: a sign-out is on the disk before it is answered.
The daemon is the only writer; the rows are mirrored in memory, so a request's check reads
no file.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from vitrine.database import Schema, open_database, write_transaction
from vitrine.errors import VitrineError

FILE_NAME = "auth.db"  # in the daemon's data folder
MAX_SESSIONS = 1000  # open sessions kept; signing in beyond that signs the oldest out
MEMORY = ":memory:"  # a store that lasts as long as the process (unit tests)


class AuthStoreError(VitrineError):
    """auth.db cannot be opened or written."""


SCHEMA = Schema(
    script="""
CREATE TABLE IF NOT EXISTS session (
    id TEXT PRIMARY KEY,
    via TEXT NOT NULL CHECK (via IN ('pin', 'token')),
    issued_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS session_expires ON session(expires_at);
CREATE TABLE IF NOT EXISTS pin_budget (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    failures REAL NOT NULL,
    counted_at REAL NOT NULL,
    paused_until REAL NOT NULL
);
""",
    version=1,
    what="associate sign-in store",
    error=AuthStoreError,
    pragmas=("synchronous = FULL",),
)


@dataclass(frozen=True, slots=True)
class BudgetState:
    """The store's wrong PINs: how many count now (they fade, see vitrine.associate.pin_budget)
    as of `counted_at`, and until when PIN sign-in is paused (wall-clock seconds)."""

    failures: float = 0.0
    counted_at: float = 0.0
    paused_until: float = 0.0


class AuthStore:
    """auth.db: open sessions by id (with their expiry), and the PIN budget."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        rows = conn.execute("SELECT id, expires_at FROM session").fetchall()
        self._sessions: dict[str, int] = {row["id"]: row["expires_at"] for row in rows}
        row = conn.execute("SELECT failures, counted_at, paused_until FROM pin_budget").fetchone()
        self._budget = BudgetState(*row) if row else BudgetState()

    @classmethod
    def open(cls, path: Path | str) -> AuthStore:
        """The store in the file at `path` (created when missing), or MEMORY."""
        return cls(open_database(Path(path), SCHEMA))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- sessions ---------------------------------------------------------------------------

    def session_open(self, session_id: str, now: float) -> bool:
        """Whether the session is one this store opened, not signed out and not expired."""
        expires_at = self._sessions.get(session_id)
        return expires_at is not None and now < expires_at

    def add_session(self, session_id: str, via: str, issued_at: int, expires_at: int) -> None:
        """Keep a new session; prunes expired ones, and the oldest beyond MAX_SESSIONS."""
        with self._writing() as conn:
            conn.execute("DELETE FROM session WHERE expires_at <= ?", (issued_at,))
            conn.execute(
                "INSERT OR REPLACE INTO session (id, via, issued_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (session_id, via, issued_at, expires_at),
            )
            evicted = [
                row["id"]
                for row in conn.execute(
                    "SELECT id FROM session ORDER BY issued_at DESC, rowid DESC LIMIT -1 OFFSET ?",
                    (MAX_SESSIONS,),
                )
            ]
            conn.executemany("DELETE FROM session WHERE id = ?", [(e,) for e in evicted])
        kept = {sid: exp for sid, exp in self._sessions.items() if exp > issued_at}
        kept[session_id] = expires_at
        for sid in evicted:
            kept.pop(sid, None)
        self._sessions = kept

    def prune(self, now: float) -> None:
        """Forget the sessions that have expired by `now`."""
        if all(exp > now for exp in self._sessions.values()):
            return
        with self._writing() as conn:
            conn.execute("DELETE FROM session WHERE expires_at <= ?", (now,))
        self._sessions = {sid: exp for sid, exp in self._sessions.items() if exp > now}

    def end_session(self, session_id: str) -> None:
        """Sign a session out (nothing happens for one that is not open)."""
        if session_id not in self._sessions:
            return
        with self._writing() as conn:
            conn.execute("DELETE FROM session WHERE id = ?", (session_id,))
        self._sessions.pop(session_id, None)

    def session_count(self) -> int:
        return len(self._sessions)

    # --- the PIN budget ---------------------------------------------------------------------

    @property
    def budget(self) -> BudgetState:
        return self._budget

    def save_budget(self, state: BudgetState) -> None:
        """Keep the PIN budget's new state."""
        with self._writing() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO pin_budget (id, failures, counted_at, paused_until) "
                "VALUES (1, ?, ?, ?)",
                (state.failures, state.counted_at, state.paused_until),
            )
        self._budget = state

    @contextlib.contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        # One write transaction, SQLite's errors translated at this boundary.
        try:
            with self._lock, write_transaction(self._conn) as conn:
                yield conn
        except sqlite3.Error as err:
            raise AuthStoreError(f"{FILE_NAME}: cannot write: {err}") from err
