"""The mirror's observation store: analytics.db (SQLite, WAL), apart from the engine's
events.db so that analytics' write rate, retention and disk trouble never touch the
shopper's session. It holds the observations (vitrine.analytics.observation), the
point-of-sale records, the hourly and daily roll-ups the dashboard reads, and the outbox of
observations still to be published to the fleet.

Writes come in batches, one transaction each (vitrine.analytics.writer makes them); the
database runs with synchronous=FULL, so a committed batch survives a power cut. An
observation's id is its identity: the same id again with the same content adds nothing, with
other content it is refused (ObservationConflict), whatever else the batch holds.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitrine.analytics.observation import Observation, ObservationError
from vitrine.database import Schema, open_database, open_reader, write_transaction
from vitrine.errors import VitrineError

FILE_NAME = "analytics.db"
SCHEMA_VERSION = 1
HOUR_S = 3600.0
DAY_S = 86400.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS observation (
    id TEXT PRIMARY KEY,        -- UUIDv7: rows lie in time order
    kind TEXT NOT NULL,
    at REAL NOT NULL,           -- wall clock, seconds since the epoch
    store TEXT NOT NULL,
    mirror TEXT NOT NULL,
    session TEXT,               -- the kind's session field
    subject TEXT,               -- ... its subject (a track, a request, a member, a sku)
    label TEXT,                 -- ... its label (a zone, a status, a variant)
    value REAL,                 -- ... its number (seconds, a rating)
    data TEXT NOT NULL          -- the kind's fields, JSON with sorted keys
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS observation_kind_at ON observation(kind, at);
CREATE INDEX IF NOT EXISTS observation_session ON observation(session) WHERE session IS NOT NULL;
CREATE TABLE IF NOT EXISTS sale (
    store TEXT NOT NULL,
    txn TEXT NOT NULL,          -- the till's transaction id
    at REAL NOT NULL,
    amount REAL NOT NULL,
    items TEXT NOT NULL,        -- as imported: SKU[*QTY] separated by ';'
    PRIMARY KEY (store, txn)
);
CREATE INDEX IF NOT EXISTS sale_at ON sale(at);
CREATE TABLE IF NOT EXISTS sale_item (
    store TEXT NOT NULL,
    txn TEXT NOT NULL,
    sku TEXT NOT NULL,
    qty INTEGER NOT NULL,
    PRIMARY KEY (store, txn, sku)
);
CREATE TABLE IF NOT EXISTS rollup (
    grain TEXT NOT NULL CHECK (grain IN ('hour', 'day')),
    start REAL NOT NULL,        -- the hour's or the (UTC) day's first second
    store TEXT NOT NULL,
    mirror TEXT NOT NULL,
    fact TEXT NOT NULL,         -- vitrine.analytics.facts
    key TEXT NOT NULL,          -- a zone, experiment:variant, or ''
    value REAL NOT NULL,
    PRIMARY KEY (grain, start, store, mirror, fact, key)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_dirty (  -- hours whose roll-up is to be worked out again
    store TEXT NOT NULL,
    mirror TEXT NOT NULL,
    hour REAL NOT NULL,
    mark INTEGER NOT NULL DEFAULT 0,  -- new at each marking: the roll-up clears only its own
    PRIMARY KEY (store, mirror, hour)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (  -- observations not yet acknowledged by the broker
    id TEXT PRIMARY KEY
) WITHOUT ROWID;
"""


class AnalyticsError(VitrineError):
    """analytics.db cannot be opened, read or written."""


class ObservationConflict(ObservationError):
    """An observation whose id is stored already with other content."""


ANALYTICS = Schema(
    SCHEMA,
    SCHEMA_VERSION,
    "analytics store",
    AnalyticsError,
    # Each committed batch is on the disk before the next starts: the durability promise
    # (docs/metrics.md) rests on it. Batches are few (10 a second at most), so the fsyncs are.
    pragmas=("synchronous = FULL",),
)

INSERT = (
    "INSERT INTO observation (id, kind, at, store, mirror, session, subject, label, value, "
    "data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
)


def row_of(obs: Observation) -> tuple[Any, ...]:
    """The observation as a row of the observation table."""
    return (obs.id, obs.kind, obs.at, obs.store, obs.mirror, *obs.columns(), obs.data_text())


def hours_of(batch: Iterable[Observation]) -> set[tuple[str, str, float]]:
    """The (store, mirror, hour) whose roll-ups a batch changes: each observation's hour and
    the one before (a visit that began there may end in it)."""
    out = set()
    for obs in batch:
        hour = obs.at // HOUR_S * HOUR_S
        out.add((obs.store, obs.mirror, hour))
        out.add((obs.store, obs.mirror, hour - HOUR_S))
    return out


DIRTY = (
    "INSERT INTO rollup_dirty (store, mirror, hour, mark) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (store, mirror, hour) DO UPDATE SET mark = excluded.mark"
)


def new_mark() -> int:
    """A fresh mark for rollup_dirty: a roll-up that read an hour's facts clears the hour only
    while its mark is the one it saw, so an observation that lands meanwhile keeps it dirty."""
    return secrets.randbits(62)


def mark_dirty(conn: sqlite3.Connection, hours: Iterable[tuple[str, str, float]]) -> None:
    """Mark (store, mirror, hour)s to be rolled up again, in the caller's transaction."""
    mark = new_mark()
    conn.executemany(DIRTY, [(*h, mark) for h in sorted(hours)])


@dataclass
class Inserted:
    """What a batch did: observations new to the store, and those it had already."""

    new: int = 0
    duplicates: int = 0


def open_store(path: Path) -> sqlite3.Connection:
    """A writing connection to analytics.db at path (created when missing)."""
    return open_database(path, ANALYTICS)


def open_store_reader(path: Path) -> sqlite3.Connection:
    """A reading connection (another thread's: the dashboard, the report)."""
    return open_reader(path, ANALYTICS)


def insert(
    conn: sqlite3.Connection,
    batch: Sequence[Observation],
    *,
    outbox: bool = False,
    where: Sequence[str] | None = None,
) -> Inserted:
    """Insert a batch of checked observations in the caller's transaction; with outbox, the
    new ones are queued for publishing too. Raises ObservationConflict (naming where[i], the
    line it came from, when given) for an id stored with other content."""
    rows = [row_of(obs) for obs in batch]
    before = conn.total_changes
    conn.executemany(INSERT, rows)
    new = conn.total_changes - before
    if new < len(rows):
        _check_duplicates(conn, batch, rows, where)
    if outbox and new:
        conn.executemany(
            "INSERT INTO outbox (id) VALUES (?) ON CONFLICT DO NOTHING", [(row[0],) for row in rows]
        )
        # (a duplicate's id may be queued again: publishing it twice is what at-least-once
        # allows, and the collector keeps one)
    mark_dirty(conn, hours_of(batch))
    return Inserted(new, len(rows) - new)


def _check_duplicates(
    conn: sqlite3.Connection,
    batch: Sequence[Observation],
    rows: Sequence[tuple[Any, ...]],
    where: Sequence[str] | None,
) -> None:
    # Some ids were there: each must be there with the same content.
    for i, (obs, row) in enumerate(zip(batch, rows, strict=True)):
        found = conn.execute(
            "SELECT id, kind, at, store, mirror, session, subject, label, value, data "
            "FROM observation WHERE id = ?",
            (obs.id,),
        ).fetchone()
        if found is not None and tuple(found) != row:
            differs = [
                name
                for name, a, b in zip(
                    ("kind", "at", "store", "mirror", "data"),
                    (found[1], found[2], found[3], found[4], found[9]),
                    (row[1], row[2], row[3], row[4], row[9]),
                    strict=True,
                )
                if a != b
            ]
            raise ObservationConflict(
                f"id = {obs.id}: stored already with other content ({', '.join(differs)} "
                "differ); an id names one observation, so nothing of this batch is stored",
                where=where[i] if where else "",
                field="id",
            )


def export(
    conn: sqlite3.Connection, *, since: float | None = None, until: float | None = None
) -> Iterator[Observation]:
    """Every observation in [since, until), oldest first."""
    import json

    sql = "SELECT id, kind, at, store, mirror, data FROM observation"
    where, args = [], []
    if since is not None:
        where.append("at >= ?")
        args.append(since)
    if until is not None:
        where.append("at < ?")
        args.append(until)
    if where:
        sql += " WHERE " + " AND ".join(where)
    for row in conn.execute(sql + " ORDER BY id", args):
        yield Observation(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]))


def take_outbox(conn: sqlite3.Connection, limit: int) -> list[Observation]:
    """Up to `limit` observations waiting to be published, oldest first."""
    import json

    rows = conn.execute(
        "SELECT o.id, o.kind, o.at, o.store, o.mirror, o.data FROM outbox b "
        "JOIN observation o ON o.id = b.id ORDER BY b.id LIMIT ?",
        (limit,),
    ).fetchall()
    return [Observation(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


def outbox_done(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """The broker acknowledged these: no longer to publish."""
    with write_transaction(conn):
        conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])


def outbox_size(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])


def prune(
    conn: sqlite3.Connection,
    now: float,
    days_by_kind: dict[str, float],
    default_days: float,
    *,
    batch: int = 5000,
) -> int:
    """Delete one batch per kind of observations older than their kind's retention (and the
    outbox entries of those); how many went. The roll-ups stay."""
    from vitrine.analytics.observation import KINDS

    gone = 0
    for kind in KINDS:
        cutoff = now - days_by_kind.get(kind, default_days) * DAY_S
        with write_transaction(conn):
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM observation WHERE kind = ? AND at < ? LIMIT ?",
                    (kind, cutoff, batch),
                )
            ]
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
            conn.executemany("DELETE FROM observation WHERE id = ?", [(i,) for i in ids])
        gone += len(ids)
    return gone
