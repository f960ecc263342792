"""The fleet's database: where the collector writes every mirror's observations, PostgreSQL
for a chain (the observation table partitioned by day, so that a year of a chain stays
fast: each day's rows and indexes are a table of their own, and a query for a period reads
only its days) or SQLite for a small fleet (the mirror's own analytics.db schema).

Writing is idempotent by the observation id: a batch is inserted with ON CONFLICT DO
NOTHING, so an observation delivered twice (MQTT QoS 1 is at-least-once) is stored once. One
that arrives again with other content is not stored, and is counted and logged as a conflict.
In PostgreSQL a unique key of a partitioned table must hold the partition's column, so the
key is (id, at); an id's UUIDv7 time is its observation's `at` to the millisecond
(vitrine.analytics.observation checks it), so one id cannot sit in two days.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vitrine.analytics import store as sqlite_store
from vitrine.analytics.observation import Observation, ObservationError
from vitrine.analytics.sqldb import PostgresDb, SqlDb, SqliteDb
from vitrine.database import write_transaction
from vitrine.errors import VitrineError

log = logging.getLogger("vitrine.analytics")

PG_SCHEMA = """
CREATE TABLE IF NOT EXISTS observation (
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    store TEXT NOT NULL,
    mirror TEXT NOT NULL,
    session TEXT,
    subject TEXT,
    label TEXT,
    value DOUBLE PRECISION,
    data TEXT NOT NULL,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE INDEX IF NOT EXISTS observation_kind_at ON observation (kind, at);
CREATE INDEX IF NOT EXISTS observation_session ON observation (session);
CREATE TABLE IF NOT EXISTS sale (
    store TEXT NOT NULL, txn TEXT NOT NULL, at DOUBLE PRECISION NOT NULL,
    amount DOUBLE PRECISION NOT NULL, items TEXT NOT NULL, PRIMARY KEY (store, txn)
);
CREATE TABLE IF NOT EXISTS sale_item (
    store TEXT NOT NULL, txn TEXT NOT NULL, sku TEXT NOT NULL, qty INTEGER NOT NULL,
    PRIMARY KEY (store, txn, sku)
);
CREATE TABLE IF NOT EXISTS rollup (
    grain TEXT NOT NULL, start DOUBLE PRECISION NOT NULL, store TEXT NOT NULL,
    mirror TEXT NOT NULL, fact TEXT NOT NULL, key TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL, PRIMARY KEY (grain, start, store, mirror, fact, key)
);
CREATE TABLE IF NOT EXISTS rollup_dirty (
    store TEXT NOT NULL, mirror TEXT NOT NULL, hour DOUBLE PRECISION NOT NULL,
    mark BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (store, mirror, hour)
);
"""
COLUMNS = "id, kind, at, store, mirror, session, subject, label, value, data"
DAY_S = 86400


class FleetDbError(VitrineError):
    """The fleet's database cannot be opened or written."""


@dataclass
class Written:
    new: int = 0
    duplicates: int = 0
    conflicts: int = 0


class FleetDb:
    """The collector's database: `open(url)` with postgresql://... or a SQLite path."""

    def __init__(self, db: SqlDb, url: str) -> None:
        self.db = db
        self.url = url
        self.postgres = isinstance(db, PostgresDb)
        self._days: set[int] = set()

    @classmethod
    def open(cls, url: str) -> FleetDb:
        if url.startswith(("postgresql://", "postgres://")):
            import psycopg

            try:
                conn = psycopg.connect(url, autocommit=True)
            except psycopg.Error as err:
                raise FleetDbError(f"cannot connect to {_safe(url)}: {err}") from err
            db = cls(PostgresDb(conn), url)
            with db.db.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('vitrine-schema'))")
                for statement in PG_SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement)
            return db
        path = Path(url.removeprefix("sqlite://"))
        try:
            return cls(SqliteDb(sqlite_store.open_store(path)), url)
        except sqlite_store.AnalyticsError as err:
            raise FleetDbError(str(err)) from err

    def close(self) -> None:
        self.db.close()

    @staticmethod
    @contextlib.contextmanager
    def reader(url: str) -> Iterator[SqlDb]:
        """A reading connection to a fleet's database (the dashboard's, per request): the
        schema is the collector's to make."""
        if url.startswith(("postgresql://", "postgres://")):
            import psycopg

            try:
                conn = psycopg.connect(url, autocommit=True)
            except psycopg.Error as err:
                raise FleetDbError(f"cannot connect to {_safe(url)}: {err}") from err
            db: SqlDb = PostgresDb(conn)
        else:
            db = SqliteDb(sqlite_store.open_store_reader(Path(url.removeprefix("sqlite://"))))
        try:
            yield db
        finally:
            db.close()

    def write(self, batch: Sequence[Observation]) -> Written:
        """Store a batch once each (see the module docstring)."""
        if not batch:
            return Written()
        if self.postgres:
            return self._write_pg(batch)
        return self._write_sqlite(batch)

    def _write_sqlite(self, batch: Sequence[Observation]) -> Written:
        conn: sqlite3.Connection = self.db.conn
        try:
            with write_transaction(conn):
                done = sqlite_store.insert(conn, batch)
            return Written(done.new, done.duplicates)
        except ObservationError:
            pass
        out = Written()  # a conflict in the batch: one at a time, the conflicting left out
        for obs in batch:
            try:
                with write_transaction(conn):
                    done = sqlite_store.insert(conn, [obs])
            except ObservationError as err:
                out.conflicts += 1
                log.warning("collector: %s", err)
                continue
            out.new += done.new
            out.duplicates += done.duplicates
        return out

    def _partitions(self, batch: Sequence[Observation]) -> None:
        days = {int(o.at // DAY_S) for o in batch} - self._days
        if not days:
            return
        conn = self.db.conn
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('vitrine-partitions'))")
            for day in sorted(days):
                name = dt.datetime.fromtimestamp(day * DAY_S, dt.UTC).strftime("observation_%Y%m%d")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF observation "
                    f"FOR VALUES FROM ({day * DAY_S}) TO ({(day + 1) * DAY_S})"
                )
        self._days |= days

    def _write_pg(self, batch: Sequence[Observation]) -> Written:
        self._partitions(batch)
        conn = self.db.conn
        rows = [sqlite_store.row_of(o) for o in batch]
        with conn.transaction():
            conn.execute(
                "CREATE TEMP TABLE IF NOT EXISTS incoming (LIKE observation) ON COMMIT DELETE ROWS"
            )
            with conn.cursor().copy(f"COPY incoming ({COLUMNS}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            new = conn.execute(
                f"INSERT INTO observation ({COLUMNS}) SELECT DISTINCT ON (id, at) {COLUMNS} "
                "FROM incoming ON CONFLICT (id, at) DO NOTHING RETURNING id"
            ).fetchall()
            conflicts = conn.execute(
                "SELECT i.id FROM incoming i JOIN observation o ON o.id = i.id AND o.at = i.at "
                "WHERE (o.kind, o.store, o.mirror, o.data) IS DISTINCT FROM "
                "(i.kind, i.store, i.mirror, i.data)"
            ).fetchall()
            conn.execute(
                "INSERT INTO rollup_dirty (store, mirror, hour, mark) "
                "SELECT DISTINCT store, mirror, h, %(mark)s::bigint FROM (SELECT store, mirror, "
                "floor(at / 3600) * 3600 AS h FROM incoming UNION ALL SELECT store, mirror, "
                "floor(at / 3600) * 3600 - 3600 FROM incoming) x "
                "ON CONFLICT (store, mirror, hour) DO UPDATE SET mark = excluded.mark",
                {"mark": sqlite_store.new_mark()},
            )
        for (obs_id,) in conflicts:
            log.warning(
                "collector: observation %s arrived again with other content; the stored one "
                "is kept",
                obs_id,
            )
        return Written(len(new), len(batch) - len(new) - len(conflicts), len(conflicts))

    def count(self) -> int:
        return int(self.db.rows("SELECT COUNT(*) FROM observation")[0][0])

    def ids(self) -> list[str]:
        return [r[0] for r in self.db.rows("SELECT id FROM observation")]


def _safe(url: str) -> str:
    # a URL for a message: the password left out
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url
