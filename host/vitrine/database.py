"""Opening the daemon's SQLite files the one way: WAL, foreign keys, a busy timeout, rows by
column name, and the schema created (or checked) by its version number."""

from __future__ import annotations

import sqlite3
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
