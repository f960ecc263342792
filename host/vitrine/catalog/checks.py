"""Checks across the rows of an import, once every row is read: duplicate keys, a product
going with itself, and references (to a row of the import, or to one stored in a table the
import does not replace)."""

from __future__ import annotations

from typing import Any

from vitrine.catalog.columns import KEYS, REFERENCES, SQL_TABLE, TABLE_NAMES
from vitrine.catalog.db import existing_keys
from vitrine.catalog.errors import RowError
from vitrine.catalog.readers import Row


def check_rows(
    conn: Any, rows: list[Row], errors: list[RowError], references: bool, replaced: set[str]
) -> None:
    """Record in errors each duplicate key within the import, then (with references: only
    when every row was read, as a row that could not be read may be the one named) each
    reference to neither the import nor what is stored in a table it does not replace."""
    keys: dict[str, set[str]] = {t: set() for t in TABLE_NAMES}
    first: dict[tuple[str, tuple[Any, ...]], Row] = {}
    for row in rows:
        names = KEYS[row.table]
        if any(n in row.bad for n in names):
            continue
        key = tuple(row.values[n] for n in names)
        if row.table == "goes_with" and key[0] == key[1]:
            errors.append(row.error("other_sku", "a product cannot go with itself"))
        seen = first.get((row.table, key))
        if seen is not None:
            shown = ", ".join(f"{n} {v!r}" for n, v in zip(names, key, strict=True))
            errors.append(row.error(names[-1], f"duplicate row ({shown}); first at {seen.place()}"))
            continue
        first[(row.table, key)] = row
        if len(names) == 1:
            keys[row.table].add(key[0])
    if not references:
        return
    named: dict[str, set[str]] = {t: set() for t in TABLE_NAMES}
    checks = []
    for row in rows:
        for (table, column), (target, what) in REFERENCES.items():
            if row.table == table and column in row.values and column not in row.bad:
                named[target].add(row.values[column])
                checks.append((row, column, target, what))
    stored = {
        target: set()
        if target in replaced
        else existing_keys(conn, SQL_TABLE[target], KEYS[target][0], values - keys[target])
        for target, values in named.items()
    }
    for row, column, target, what in checks:
        value = row.values[column]
        if value not in keys[target] and value not in stored[target]:
            where = (
                "this import, which replaces them"
                if target in replaced
                else ("this import or in the catalogue")
            )
            errors.append(row.error(column, f"no {what} {value!r} in {where}"))
