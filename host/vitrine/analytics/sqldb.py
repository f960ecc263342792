"""One small face over the two databases analytics runs on, SQLite (the mirror's
analytics.db, a small fleet) and PostgreSQL (a chain's collector), so that the roll-ups, the
metrics and the dashboard are one code: rows of a query with named parameters, a statement,
and a transaction."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from vitrine.analytics.facts import sql_for
from vitrine.database import write_transaction


class SqlDb:
    """A connection of either kind; `style` is how it takes parameters."""

    style = "sqlite"

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute(sql_for(sql, self.style), params or {})]

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self.conn.execute(sql_for(sql, self.style), params or {})

    def executemany(self, sql: str, params: Sequence[Mapping[str, Any]]) -> None:
        if params:
            self.conn.executemany(sql_for(sql, self.style), params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with write_transaction(self.conn):
            yield

    def close(self) -> None:
        self.conn.close()


class SqliteDb(SqlDb):
    """analytics.db (or a fleet's SQLite file) through sqlite3."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__(conn)


class PostgresDb(SqlDb):
    """A fleet's PostgreSQL database through psycopg (autocommit outside transaction())."""

    style = "pyformat"

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self.conn.cursor() as cur:
            cur.execute(sql_for(sql, self.style), params or {})
            return [tuple(r) for r in cur.fetchall()] if cur.description else []

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        with self.conn.cursor() as cur:
            cur.execute(sql_for(sql, self.style), params or {})

    def executemany(self, sql: str, params: Sequence[Mapping[str, Any]]) -> None:
        if params:
            with self.conn.cursor() as cur:
                cur.executemany(sql_for(sql, self.style), params)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.transaction():
            yield
