"""The daemon's SQLite files, opened the one way (WAL, foreign keys, a busy timeout, rows by
column name, the schema created or checked by its version number) and written the one way
(a transaction taken at once)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


def open_database(
    path: Path,
    schema: str,
    version: int,
    what: str,
    error: type[Exception],
    *,
    pragmas: tuple[str, ...] = (),
) -> sqlite3.Connection:
    """The connection to the database at path (created with its folder when missing), its
    schema applied; `what` names it in errors ("catalogue", "events store"), raised as
    `error`. A file written by a newer schema version is refused, not altered."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as err:
        raise error(f"{path}: cannot open the {what}: {err}") from err
    try:
        conn.row_factory = sqlite3.Row
        for pragma in (
            "busy_timeout = 5000",
            "foreign_keys = ON",
            "journal_mode = WAL",
            "synchronous = NORMAL",
            *pragmas,
        ):
            conn.execute(f"PRAGMA {pragma}")
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found > version:
            raise error(
                f"{path}: {what} schema version {found} is newer than this vitrine reads "
                f"({version}); upgrade vitrine"
            )
        conn.executescript(schema)
        conn.execute(f"PRAGMA user_version = {version}")
    except sqlite3.Error as err:
        conn.close()
        raise error(f"{path}: not a usable {what} database: {err}") from err
    except error:
        conn.close()
        raise
    return conn


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
