"""The daemon's SQLite files, opened the one way (WAL, foreign keys, a busy timeout, rows by
column name, the schema created or checked by its version number) and written the one way
(a transaction taken at once)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_PRAGMAS = (
    "busy_timeout = 5000",
    "foreign_keys = ON",
    "journal_mode = WAL",
    "synchronous = NORMAL",
)


@dataclass(frozen=True)
class Schema:
    """What a database of the daemon's is: its SQL (tables, indexes, triggers, all `IF NOT
    EXISTS`), its version, the scripts that bring an older file up to it, its own pragmas, and
    how errors name it ("catalogue", "events store") and with which exception."""

    script: str
    version: int
    what: str
    error: type[Exception]
    pragmas: tuple[str, ...] = ()
    migrations: Mapping[int, str] = field(default_factory=dict)  # version -> script


def open_database(path: Path, schema: Schema) -> sqlite3.Connection:
    """The connection to the database at path (created with its folder when missing), its
    schema applied. A file written by a newer schema version is refused, not altered; one
    written by an older version gets the schema's new tables and indexes, then
    `schema.migrations[v]` for each version v it lacks, in one transaction."""
    what, error, version = schema.what, schema.error, schema.version
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as err:
        raise error(f"{path}: cannot open the {what}: {err}") from err
    try:
        conn.row_factory = sqlite3.Row
        for pragma in (*_PRAGMAS, *schema.pragmas):
            conn.execute(f"PRAGMA {pragma}")
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found > version:
            raise error(
                f"{path}: {what} schema version {found} is newer than this vitrine reads "
                f"({version}); upgrade vitrine"
            )
        fresh = conn.execute("SELECT COUNT(*) FROM sqlite_schema").fetchone()[0] == 0
        steps = [] if fresh else [v for v in sorted(schema.migrations) if found < v <= version]
        with write_transaction(conn):
            for statement in _statements(schema.script):
                conn.execute(statement)
            for step in steps:
                for statement in _statements(schema.migrations[step]):
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version}")
    except sqlite3.Error as err:
        conn.close()
        raise error(f"{path}: not a usable {what} database: {err}") from err
    except error:
        conn.close()
        raise
    return conn


def open_reader(path: Path, schema: Schema) -> sqlite3.Connection:
    """Another connection to a database open_database() has opened, for reading from another
    thread (in WAL mode readers never wait for each other or for the writer)."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        for pragma in (*_PRAGMAS, *schema.pragmas, "query_only = ON"):
            conn.execute(f"PRAGMA {pragma}")
    except sqlite3.Error as err:
        raise schema.error(f"{path}: cannot read the {schema.what}: {err}") from err
    return conn


def _statements(script: str) -> list[str]:
    # The statements of a script, whole (a trigger's body holds semicolons of its own).
    out, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                out.append(current.strip())
            current = ""
    if current.strip():
        out.append(current.strip())
    return out


@contextlib.contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction on a connection opened by open_database(), taken at once
    (BEGIN IMMEDIATE, so nothing changes what it reads): committed when the block ends,
    rolled back when it raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
