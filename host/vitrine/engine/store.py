"""The engine's record of what happened at the mirror, in SQLite (`events.db`, WAL): sessions,
interactions, associate requests, experiment exposures and outcomes, ratings, loyalty members
with their wishlists, purchases and sealed BLE keys (vitrine.devices.beacons.keys), and the
snapshot of the live session a restarted daemon picks up again.

Every write is one short transaction, made before the engine shows its effect. Times are wall
clock (seconds since the epoch). No touch positions are stored, and forgetting a member
removes every row that names them.

Nothing grows without bound: a run of the same interaction is one row with a count, and
prune() removes what is older than [retention] says (and interactions beyond a row limit),
giving the space back to the file system (the file is in incremental auto-vacuum mode).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from vitrine.database import Schema, open_database, write_transaction
from vitrine.errors import VitrineError

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS session (
    id TEXT PRIMARY KEY,
    mirror TEXT NOT NULL,
    started_at REAL NOT NULL,
    approached_at REAL,
    engaged_at REAL,
    ended_at REAL,
    end_reason TEXT CHECK (end_reason IN ('timeout', 'left', 'ended_by_shopper')),
    member TEXT,
    phase TEXT NOT NULL CHECK (phase IN ('approached', 'engaged', 'ended')),
    interactions_dropped INTEGER NOT NULL DEFAULT 0  -- over the write budget: counted only
);
CREATE INDEX IF NOT EXISTS session_started ON session(started_at);
CREATE INDEX IF NOT EXISTS session_member ON session(member);
CREATE TABLE IF NOT EXISTS interaction (
    session TEXT NOT NULL REFERENCES session(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    screen TEXT NOT NULL,
    detail TEXT,
    count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),  -- the same again, within seconds
    last_at REAL  -- the last of them (NULL: just the one)
);
CREATE INDEX IF NOT EXISTS interaction_session ON interaction(session);
CREATE INDEX IF NOT EXISTS interaction_at ON interaction(at);
CREATE TABLE IF NOT EXISTS request (
    id TEXT PRIMARY KEY,
    session TEXT NOT NULL REFERENCES session(id),
    kind TEXT NOT NULL CHECK (kind IN ('size', 'colour', 'help')),
    sku TEXT,
    variant TEXT,
    label TEXT NOT NULL,
    fitting_room TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'acknowledged', 'fulfilled', 'cancelled')),
    created_at REAL NOT NULL,
    acknowledged_at REAL,
    acknowledged_by TEXT,
    fulfilled_at REAL,
    fulfilled_by TEXT,
    escalated_at REAL,
    cancelled_at REAL,
    fulfil_s REAL
);
CREATE INDEX IF NOT EXISTS request_status ON request(status);
CREATE INDEX IF NOT EXISTS request_session ON request(session);
CREATE TABLE IF NOT EXISTS exposure (
    session TEXT NOT NULL REFERENCES session(id),
    experiment TEXT NOT NULL,
    variant TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (session, experiment)
);
CREATE TABLE IF NOT EXISTS outcome (
    session TEXT NOT NULL REFERENCES session(id),
    experiment TEXT NOT NULL,
    variant TEXT NOT NULL,
    outcome TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (session, experiment)
);
CREATE TABLE IF NOT EXISTS rating (
    session TEXT PRIMARY KEY REFERENCES session(id),
    csat INTEGER NOT NULL CHECK (csat BETWEEN 1 AND 5),
    nps INTEGER CHECK (nps IS NULL OR nps BETWEEN 0 AND 10),
    at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS member (
    loyalty_id TEXT PRIMARY KEY,
    consent_at REAL NOT NULL,
    consent_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS wishlist (
    loyalty_id TEXT NOT NULL REFERENCES member(loyalty_id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (loyalty_id, sku)
);
CREATE TABLE IF NOT EXISTS member_key (
    loyalty_id TEXT PRIMARY KEY REFERENCES member(loyalty_id) ON DELETE CASCADE,
    sealed BLOB NOT NULL,  -- the member's BLE key, AES-GCM sealed (vitrine.devices.beacons.keys)
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS purchase (
    loyalty_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    at REAL NOT NULL,
    store TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS purchase_member ON purchase(loyalty_id);
CREATE TABLE IF NOT EXISTS snapshot (
    key TEXT PRIMARY KEY,
    json TEXT NOT NULL,
    at REAL NOT NULL
);
"""

# From version 2: member_key is a new table (the schema script makes it). From version 1: a run
# of interactions is counted on one row; the write budget's overflow is
# counted on the session.
MIGRATIONS = {
    2: """
ALTER TABLE session ADD COLUMN interactions_dropped INTEGER NOT NULL DEFAULT 0;
ALTER TABLE interaction ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
ALTER TABLE interaction ADD COLUMN last_at REAL;
""",
}
DAY_S = 86400.0
PRUNE_BATCH = 2000  # rows deleted per transaction (the engine's steps stay short)
PRUNE_MEMBERS = 50  # inactive members forgotten per prune()

TABLES = (
    "session",
    "interaction",
    "request",
    "exposure",
    "outcome",
    "rating",
    "member",
    "member_key",
    "wishlist",
    "purchase",
    "snapshot",
)
OPEN_STATUSES = ("pending", "acknowledged")
INCREMENTAL = 2  # PRAGMA auto_vacuum's value for incremental


class RetentionRules(Protocol):
    """What prune() keeps ([retention]: vitrine.engine.config.RetentionConfig)."""

    interactions_days: int
    interactions_max_rows: int
    sessions_days: int
    members_inactive_days: int


@dataclass
class Pruned:
    """What one prune() removed, and whether more is left to remove."""

    interactions: int = 0
    sessions: int = 0
    members: int = 0
    more: bool = False


class StoreError(VitrineError):
    """events.db cannot be opened or is of a newer schema than this version reads."""


EVENTS = Schema(
    SCHEMA,
    SCHEMA_VERSION,
    "events store",
    StoreError,
    pragmas=(
        "secure_delete = ON",  # forgotten members leave no bytes behind
        "auto_vacuum = INCREMENTAL",  # pruned pages can go back to the file system
    ),
    migrations=MIGRATIONS,
)


class EventStore:
    """An open events.db. One connection, used from the daemon's event loop; each method is
    one short query or one transaction."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        # What else keeps rows naming a member, outside events.db (the face templates):
        # forget_member() calls each with the member's id once its own rows are gone.
        self.also_forget: list[Callable[[str], None]] = []

    @classmethod
    def open(cls, path: Path) -> EventStore:
        """Open (or create) the events store at path."""
        path = Path(path)
        conn = open_database(path, EVENTS)
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != INCREMENTAL:
            # A file made before auto-vacuum was asked for: rebuilt once, so that pruning can
            # give space back from now on.
            try:
                conn.execute("VACUUM")
            except sqlite3.Error as err:
                conn.close()
                raise StoreError(f"{path}: cannot rebuild the events store: {err}") from err
        return cls(conn, path)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, args: Sequence[Any] = ()) -> int:
        # One statement in its own transaction; the number of rows it changed.
        with write_transaction(self._conn) as conn:
            return conn.execute(sql, args).rowcount

    def _one(self, sql: str, args: Sequence[Any] = ()) -> dict[str, Any] | None:
        row = self._conn.execute(sql, args).fetchone()
        return dict(row) if row is not None else None

    def _all(self, sql: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self._conn.execute(sql, args)]

    # -- sessions -----------------------------------------------------------------------------

    def session_started(self, session_id: str, mirror: str, phase: str, at: float) -> None:
        """A new session, first seen approaching or already engaged."""
        self._write(
            "INSERT INTO session (id, mirror, started_at, approached_at, engaged_at, phase) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                session_id,
                mirror,
                at,
                at if phase == "approached" else None,
                at if phase == "engaged" else None,
                phase,
            ),
        )

    def session_phase(self, session_id: str, phase: str, at: float) -> None:
        """The session moved on to approached or engaged (the first time is kept)."""
        column = {"approached": "approached_at", "engaged": "engaged_at"}[phase]
        self._write(
            f"UPDATE session SET phase = ?, {column} = COALESCE({column}, ?) WHERE id = ?",
            (phase, at, session_id),
        )

    def session_ended(self, session_id: str, reason: str, at: float) -> None:
        """The session ended: timeout, left or ended_by_shopper (the first end is kept)."""
        self._write(
            "UPDATE session SET phase = 'ended', ended_at = ?, end_reason = ? "
            "WHERE id = ? AND ended_at IS NULL",
            (at, reason, session_id),
        )

    def session_member(self, session_id: str, loyalty_id: str | None) -> None:
        """The member signed in during the session (None: the session went anonymous)."""
        self._write("UPDATE session SET member = ? WHERE id = ?", (loyalty_id, session_id))

    def session(self, session_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM session WHERE id = ?", (session_id,))

    def add_interaction(
        self, session_id: str, kind: str, screen: str, at: float, detail: str | None = None
    ) -> int:
        """The shopper touched, gestured, typed or navigated (kind) on a screen; the row's id
        (for again())."""
        with write_transaction(self._conn) as conn:
            cursor = conn.execute(
                "INSERT INTO interaction (session, at, kind, screen, detail) "
                "VALUES (?, ?, ?, ?, ?)",
                (session_id, at, kind, screen, detail),
            )
            return int(cursor.lastrowid or 0)

    def interaction_again(self, row_id: int, at: float) -> None:
        """The interaction of that row happened once more, at `at`."""
        self._write(
            "UPDATE interaction SET count = count + 1, last_at = ? WHERE rowid = ?", (at, row_id)
        )

    def interaction_dropped(self, session_id: str) -> None:
        """An interaction over the session's write budget: counted, not stored."""
        self._write(
            "UPDATE session SET interactions_dropped = interactions_dropped + 1 WHERE id = ?",
            (session_id,),
        )

    def interactions(self, session_id: str) -> list[dict[str, Any]]:
        return self._all(
            "SELECT * FROM interaction WHERE session = ? ORDER BY rowid", (session_id,)
        )

    # -- associate requests -------------------------------------------------------------------

    def add_request(self, request: dict[str, Any]) -> None:
        """A new pending request: id, session, kind, sku, variant, label, fitting_room,
        created_at."""
        self._write(
            "INSERT INTO request (id, session, kind, sku, variant, label, fitting_room, status, "
            "created_at) VALUES (:id, :session, :kind, :sku, :variant, :label, :fitting_room, "
            "'pending', :created_at)",
            request,
        )

    def request(self, request_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM request WHERE id = ?", (request_id,))

    def requests(
        self, *, open_only: bool = True, session_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Requests, oldest first: the open ones (pending, acknowledged) or all; of one
        session or of every session."""
        where, args = [], []
        if open_only:
            where.append("status IN ('pending', 'acknowledged')")
        if session_id is not None:
            where.append("session = ?")
            args.append(session_id)
        sql = "SELECT * FROM request"
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._all(sql + " ORDER BY created_at, rowid", args)

    def acknowledge_request(self, request_id: str, by: str, at: float) -> bool:
        """Pending -> acknowledged; False when the request is not pending."""
        return bool(
            self._write(
                "UPDATE request SET status = 'acknowledged', acknowledged_at = ?, "
                "acknowledged_by = ? WHERE id = ? AND status = 'pending'",
                (at, by, request_id),
            )
        )

    def fulfil_request(self, request_id: str, by: str, at: float) -> bool:
        """Pending or acknowledged -> fulfilled, with the time it took from creation; False
        when the request is not open."""
        return bool(
            self._write(
                "UPDATE request SET status = 'fulfilled', fulfilled_at = ?1, fulfilled_by = ?2, "
                "fulfil_s = ?1 - created_at "
                "WHERE id = ?3 AND status IN ('pending', 'acknowledged')",
                (at, by, request_id),
            )
        )

    def cancel_request(self, request_id: str, at: float) -> bool:
        """Pending or acknowledged -> cancelled; False when the request is not open."""
        return bool(
            self._write(
                "UPDATE request SET status = 'cancelled', cancelled_at = ? "
                "WHERE id = ? AND status IN ('pending', 'acknowledged')",
                (at, request_id),
            )
        )

    def escalate_request(self, request_id: str, at: float) -> bool:
        """Mark a pending request escalated, once; False when it already was or is not
        pending."""
        return bool(
            self._write(
                "UPDATE request SET escalated_at = ? "
                "WHERE id = ? AND status = 'pending' AND escalated_at IS NULL",
                (at, request_id),
            )
        )

    # -- experiments --------------------------------------------------------------------------

    def add_exposure(self, session_id: str, experiment: str, variant: str, at: float) -> bool:
        """The session saw the experiment's screen; only the first time counts (False after)."""
        return bool(
            self._write(
                "INSERT INTO exposure (session, experiment, variant, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (session_id, experiment, variant, at),
            )
        )

    def add_outcome(
        self, session_id: str, experiment: str, variant: str, outcome: str, at: float
    ) -> bool:
        """The session reached the experiment's outcome; only the first time counts."""
        return bool(
            self._write(
                "INSERT INTO outcome (session, experiment, variant, outcome, at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (session_id, experiment, variant, outcome, at),
            )
        )

    def experiment_counts(
        self, experiment: str, variants: Sequence[str]
    ) -> list[tuple[str, int, int]]:
        """(variant, exposed sessions, converted sessions) for each variant in the order
        given, as vitrine.engine.experiments.results takes them. A session converts when it
        was exposed and reached the outcome."""
        rows = self._conn.execute(
            "SELECT e.variant, COUNT(*) AS exposed, COUNT(o.session) AS converted "
            "FROM exposure e LEFT JOIN outcome o "
            "ON o.session = e.session AND o.experiment = e.experiment "
            "WHERE e.experiment = ? GROUP BY e.variant",
            (experiment,),
        ).fetchall()
        found = {row["variant"]: (row["exposed"], row["converted"]) for row in rows}
        return [(name, *found.get(name, (0, 0))) for name in variants]

    # -- ratings ------------------------------------------------------------------------------

    def add_rating(self, session_id: str, csat: int, nps: int | None, at: float) -> bool:
        """The session's rating; False when it was rated already."""
        return bool(
            self._write(
                "INSERT INTO rating (session, csat, nps, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (session_id, csat, nps, at),
            )
        )

    def rating(self, session_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM rating WHERE session = ?", (session_id,))

    # -- loyalty ------------------------------------------------------------------------------

    def member(self, loyalty_id: str) -> dict[str, Any] | None:
        return self._one("SELECT * FROM member WHERE loyalty_id = ?", (loyalty_id,))

    def enrol_member(self, loyalty_id: str, consent_version: str, at: float) -> None:
        """Create the member, or record their consent again (time and text version)."""
        self._write(
            "INSERT INTO member (loyalty_id, consent_at, consent_version) VALUES (?, ?, ?) "
            "ON CONFLICT (loyalty_id) DO UPDATE SET consent_at = excluded.consent_at, "
            "consent_version = excluded.consent_version",
            (loyalty_id, at, consent_version),
        )

    def member_key(self, loyalty_id: str) -> bytes | None:
        """The member's sealed BLE key, or None."""
        row = self._one("SELECT sealed FROM member_key WHERE loyalty_id = ?", (loyalty_id,))
        return bytes(row["sealed"]) if row else None

    def set_member_key(self, loyalty_id: str, sealed: bytes, at: float) -> None:
        """Keep the member's sealed BLE key (replacing one they had)."""
        self._write(
            "INSERT INTO member_key (loyalty_id, sealed, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (loyalty_id) DO UPDATE SET sealed = excluded.sealed, "
            "created_at = excluded.created_at",
            (loyalty_id, sealed, at),
        )

    def member_keys(self) -> list[tuple[str, bytes]]:
        """Every member's sealed BLE key: (loyalty_id, sealed)."""
        rows = self._conn.execute("SELECT loyalty_id, sealed FROM member_key ORDER BY loyalty_id")
        return [(row["loyalty_id"], bytes(row["sealed"])) for row in rows]

    def wishlist(self, loyalty_id: str) -> list[str]:
        """The member's wishlist skus, oldest first."""
        rows = self._conn.execute(
            "SELECT sku FROM wishlist WHERE loyalty_id = ? ORDER BY added_at, rowid",
            (loyalty_id,),
        )
        return [row["sku"] for row in rows]

    def wishlist_add(self, loyalty_id: str, sku: str, at: float) -> bool:
        """Add to the wishlist; False when it was there already."""
        return bool(
            self._write(
                "INSERT INTO wishlist (loyalty_id, sku, added_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (loyalty_id, sku, at),
            )
        )

    def wishlist_remove(self, loyalty_id: str, sku: str) -> bool:
        """Remove from the wishlist; False when it was not there."""
        return bool(
            self._write("DELETE FROM wishlist WHERE loyalty_id = ? AND sku = ?", (loyalty_id, sku))
        )

    def purchases(self, loyalty_id: str) -> list[dict[str, Any]]:
        """The member's purchases, newest first: [{"sku", "at"}]."""
        return self._all(
            "SELECT sku, at FROM purchase WHERE loyalty_id = ? ORDER BY at DESC, rowid DESC",
            (loyalty_id,),
        )

    def add_purchase(self, loyalty_id: str, sku: str, at: float, store: str) -> None:
        """A purchase by a member (from the till or an import)."""
        self._write(
            "INSERT INTO purchase (loyalty_id, sku, at, store) VALUES (?, ?, ?, ?)",
            (loyalty_id, sku, at, store),
        )

    def forget_member(self, loyalty_id: str) -> None:
        """Remove every row naming the member, in one transaction: the member, their BLE key,
        wishlist and purchases, the link from their sessions, and a snapshot holding their
        id; then the write-ahead log is checkpointed so the old pages are gone too; then
        what also_forget names (the face template) is removed."""
        self._forget(loyalty_id)
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for forget in self.also_forget:
            forget(loyalty_id)

    def _forget(self, loyalty_id: str) -> None:
        with write_transaction(self._conn) as conn:
            conn.execute("DELETE FROM member_key WHERE loyalty_id = ?", (loyalty_id,))
            conn.execute("DELETE FROM wishlist WHERE loyalty_id = ?", (loyalty_id,))
            conn.execute("DELETE FROM purchase WHERE loyalty_id = ?", (loyalty_id,))
            conn.execute("DELETE FROM member WHERE loyalty_id = ?", (loyalty_id,))
            conn.execute("UPDATE session SET member = NULL WHERE member = ?", (loyalty_id,))
            conn.execute("DELETE FROM snapshot WHERE instr(json, ?) > 0", (loyalty_id,))

    # -- the live session, for a restart ------------------------------------------------------

    def save_snapshot(self, key: str, data: dict[str, Any], at: float) -> None:
        self._write(
            "INSERT INTO snapshot (key, json, at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET json = excluded.json, at = excluded.at",
            (key, json.dumps(data, separators=(",", ":"), sort_keys=True), at),
        )

    def load_snapshot(self, key: str) -> tuple[dict[str, Any], float] | None:
        """The snapshot saved under key and when, or None (also for an unreadable one)."""
        row = self._one("SELECT json, at FROM snapshot WHERE key = ?", (key,))
        if row is None:
            return None
        try:
            data = json.loads(row["json"])
        except ValueError:
            return None
        return (data, row["at"]) if isinstance(data, dict) else None

    def clear_snapshot(self, key: str) -> None:
        self._write("DELETE FROM snapshot WHERE key = ?", (key,))

    # -- retention ----------------------------------------------------------------------------

    def prune(self, rules: RetentionRules, now: float, *, keep: str | None = None) -> Pruned:
        """One batch (at most PRUNE_BATCH rows of a kind, one transaction each) of what the
        rules no longer keep at `now` (wall clock); `keep` is a session never removed (the
        live one). Call again while the result says more is left."""
        pruned = Pruned()
        with write_transaction(self._conn) as conn:
            pruned.interactions = conn.execute(
                "DELETE FROM interaction WHERE rowid IN (SELECT rowid FROM interaction "
                "WHERE at < ? LIMIT ?)",
                (now - rules.interactions_days * DAY_S, PRUNE_BATCH),
            ).rowcount
            (rows,) = conn.execute("SELECT COUNT(*) FROM interaction").fetchone()
            over = min(PRUNE_BATCH, rows - rules.interactions_max_rows)
            if over > 0:
                pruned.interactions += conn.execute(
                    "DELETE FROM interaction WHERE rowid IN (SELECT rowid FROM interaction "
                    "ORDER BY at LIMIT ?)",
                    (over,),
                ).rowcount
        with write_transaction(self._conn) as conn:
            old = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM session WHERE started_at < ? AND id IS NOT ? LIMIT ?",
                    (now - rules.sessions_days * DAY_S, keep, PRUNE_BATCH // 4),
                )
            ]
            marks = ", ".join("?" * len(old))
            for table in ("interaction", "request", "exposure", "outcome", "rating"):
                conn.execute(f"DELETE FROM {table} WHERE session IN ({marks})", old)
            pruned.sessions = conn.execute(
                f"DELETE FROM session WHERE id IN ({marks})", old
            ).rowcount
        cutoff = now - rules.members_inactive_days * DAY_S
        gone = [
            row[0]
            for row in self._conn.execute(
                "SELECT m.loyalty_id FROM member m WHERE m.consent_at < ?1 AND NOT EXISTS "
                "(SELECT 1 FROM session s WHERE s.member = m.loyalty_id AND s.started_at >= ?1) "
                "LIMIT ?",
                (cutoff, PRUNE_MEMBERS),
            )
        ]
        for loyalty_id in gone:
            self._forget(loyalty_id)
        pruned.members = len(gone)
        pruned.more = (
            pruned.interactions >= PRUNE_BATCH
            or pruned.sessions >= PRUNE_BATCH // 4
            or len(gone) == PRUNE_MEMBERS
        )
        return pruned

    def reclaim(self) -> int:
        """Give the free pages back to the file system; how many there were."""
        (free,) = self._conn.execute("PRAGMA freelist_count").fetchone()
        if free:
            # executescript steps the pragma to its end: execute() steps it once, and each
            # step gives back one page
            self._conn.executescript("PRAGMA incremental_vacuum;")
        return int(free)

    def size_bytes(self) -> int:
        """The database's size in bytes (pages in use and free, without the WAL)."""
        (pages,) = self._conn.execute("PRAGMA page_count").fetchone()
        (size,) = self._conn.execute("PRAGMA page_size").fetchone()
        return int(pages) * int(size)
