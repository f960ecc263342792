"""Checks across the rows of an import, once every row is read: duplicate keys, SKUs that
differ only by case, a product going with itself, and references (to a row of the import, or to
one stored in a table the import does not replace).

SKUs are compared ignoring case: people read them off labels and type them into tills and
searches, where `sh-101` and `SH-101` are the same code, so two products (or variants) whose
SKUs differ only by case are one product entered twice, or a feed that changed its spelling.
An import that would store such a pair is refused, naming both; a SKU is kept exactly as
written, so every file must write it the same way (a reference spelled otherwise is named, with
the spelling stored)."""

from __future__ import annotations

from typing import Any

from vitrine.catalog.columns import KEYS, REFERENCES, SQL_TABLE, TABLE_NAMES
from vitrine.catalog.db import existing_keys, keys_by_case
from vitrine.catalog.errors import RowError
from vitrine.catalog.readers import Row


def check_rows(
    conn: Any, rows: list[Row], errors: list[RowError], references: bool, replaced: set[str]
) -> None:
    """Record in errors each duplicate key within the import, each SKU that differs only by
    case from another (in the import, or stored in a table it does not replace), then (with
    references: only when every row was read, as a row that could not be read may be the one
    named) each reference to neither the import nor what is stored in a table it does not
    replace, with the stored spelling of a SKU written in another case."""
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
    _case_twins(conn, rows, errors, replaced)
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
    missing = [
        (row, column, target, what)
        for row, column, target, what in checks
        if row.values[column] not in keys[target] and row.values[column] not in stored[target]
    ]
    spelled = _spellings(conn, missing, keys, replaced)
    for row, column, target, what in missing:
        value = row.values[column]
        where = (
            "this import, which replaces them"
            if target in replaced
            else "this import or in the catalogue"
        )
        other = spelled.get((target, value.lower()))
        hint = f"; there is {other!r}: write a SKU the same way everywhere" if other else ""
        errors.append(row.error(column, f"no {what} {value!r} in {where}{hint}"))


_CASE_KEYED = {"products": "product", "variants": "variant"}  # tables keyed by a SKU


def _case_twins(conn: Any, rows: list[Row], errors: list[RowError], replaced: set[str]) -> None:
    # Record each SKU that differs only by case from an earlier row's, or from one stored in
    # a table the import does not replace. Exact duplicates are reported as such already.
    for table, what in _CASE_KEYED.items():
        first: dict[str, Row] = {}  # lower-case SKU -> the first row giving it
        for row in rows:
            if row.table != table or "sku" in row.bad:
                continue
            sku = row.values["sku"]
            seen = first.setdefault(sku.lower(), row)
            if seen.values["sku"] != sku:
                errors.append(
                    row.error(
                        "sku",
                        f"{what} SKU {sku!r} differs from {seen.values['sku']!r} "
                        f"({seen.place()}) only by case: {_SAME_CODE}",
                    )
                )
        if table in replaced or not first:
            continue
        stored = keys_by_case(conn, SQL_TABLE[table], "sku", first)
        for low, skus in stored.items():
            row = first[low]
            for other in sorted(s for s in skus if s != row.values["sku"]):
                errors.append(
                    row.error(
                        "sku",
                        f"{what} SKU {row.values['sku']!r} differs from the stored {what} "
                        f"{other!r} only by case: {_SAME_CODE}",
                    )
                )


_SAME_CODE = (
    "SKUs are compared ignoring case, as people read and type them; write the same SKU "
    "the same way, or give the other its own"
)


def _spellings(
    conn: Any,
    missing: list[tuple[Row, str, str, str]],
    keys: dict[str, set[str]],
    replaced: set[str],
) -> dict[tuple[str, str], str]:
    # For references to a SKU that is not there: the SKU as the import or the catalogue
    # spells it, when only the case differs. {(table, lower-case SKU): spelling}
    out: dict[tuple[str, str], str] = {}
    for target in _CASE_KEYED:
        wanted = {row.values[column].lower() for row, column, t, _ in missing if t == target}
        if not wanted:
            continue
        for key in keys[target]:
            if key.lower() in wanted:
                out.setdefault((target, key.lower()), key)
        if target not in replaced:
            stored = keys_by_case(conn, SQL_TABLE[target], "sku", wanted)
            for low, skus in stored.items():
                out.setdefault((target, low), skus[0])
    return out
