"""Loading observations (JSON lines) and point-of-sale records (CSV) into analytics.db, and
writing observations out again. Every line or row is checked first; the first problem is
reported by file, line (and column or field) and nothing is stored; otherwise everything is
stored in one transaction. Loading what is there already adds nothing; an observation id or
a transaction id stored with other content is a problem like any other.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO

from vitrine.analytics import store as db
from vitrine.analytics.observation import (
    EARLIEST_AT,
    LATEST_AT,
    NAME_RE,
    Observation,
    ObservationError,
    parse,
)
from vitrine.analytics.rollup import HOUR_S
from vitrine.database import write_transaction

BATCH = 5000
SALE_COLUMNS = ("store", "transaction", "time", "amount", "items")
SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")
MAX_ITEMS = 500
MAX_QTY = 10_000


class ImportError_(ObservationError):  # (not the builtin ImportError)
    """A file that cannot be imported: where names file and line (and column)."""


@dataclass
class Loaded:
    """What an import did."""

    read: int = 0
    new: int = 0
    already: int = 0


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with open(path, encoding="utf-8") as f:
            yield from enumerate(f, 1)
    except UnicodeDecodeError as err:
        raise ImportError_(
            f"not UTF-8 text ({err.reason} at byte {err.start})", where=str(path)
        ) from None
    except OSError as err:
        raise ImportError_(f"cannot read: {err.strerror}", where=str(path)) from None


def import_observations(conn: sqlite3.Connection, path: Path, *, outbox: bool = False) -> Loaded:
    """Load a JSON-lines file of observations (blank lines allowed), all or nothing."""
    checked: list[Observation] = []
    where: list[str] = []
    for number, line in _lines(path):
        if not line.strip():
            continue
        checked.append(parse(line.rstrip("\n"), f"{path}:{number}"))
        where.append(f"{path}:{number}")
    seen: dict[str, int] = {}
    for i, obs in enumerate(checked):
        j = seen.setdefault(obs.id, i)
        if j != i and checked[j] != obs:
            raise ImportError_(
                f"id = {obs.id}: also on {where[j].rsplit(':', 1)[1]} with other content",
                where=where[i],
                field="id",
            )
    loaded = Loaded(read=len(checked))
    with write_transaction(conn):
        for start in range(0, len(checked), BATCH):
            done = db.insert(
                conn,
                checked[start : start + BATCH],
                outbox=outbox,
                where=where[start : start + BATCH],
            )
            loaded.new += done.new
            loaded.already += done.duplicates
    return loaded


def export_observations(
    conn: sqlite3.Connection,
    out: IO[str],
    *,
    since: float | None = None,
    until: float | None = None,
) -> int:
    """Write observations as JSON lines, oldest first; how many."""
    n = 0
    for obs in db.export(conn, since=since, until=until):
        out.write(obs.line() + "\n")
        n += 1
    return n


# -- point of sale -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sale:
    store: str
    txn: str
    at: float
    amount: float
    items: str
    lines: tuple[tuple[str, int], ...]


def parse_time(text: str) -> float:
    """Seconds since the epoch from an ISO 8601 time with its offset (2026-03-14T10:05:00+01:00,
    ...Z) or a number of seconds; raises ValueError saying what is allowed."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        try:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                "not a time: use ISO 8601 with the offset, e.g. 2026-03-14T10:05:00+01:00, or "
                "seconds since the epoch"
            ) from None
        if when.tzinfo is None:
            raise ValueError(
                "a time without its offset is ambiguous: add it, e.g. +01:00 or Z"
            ) from None
        value = when.timestamp()
    if not (math.isfinite(value) and EARLIEST_AT <= value < LATEST_AT):
        raise ValueError("must be between 2000 and 2100")
    return value


def _items(text: str) -> tuple[tuple[str, int], ...]:
    out: dict[str, int] = {}
    parts = [p.strip() for p in text.split(";") if p.strip()]
    if not parts:
        raise ValueError("no items: SKU[*QTY] separated by ';', e.g. SH-101-WHIT-M;TR-401*2")
    if len(parts) > MAX_ITEMS:
        raise ValueError(f"{len(parts)} items: at most {MAX_ITEMS}")
    for part in parts:
        sku, star, qty = part.partition("*")
        sku = sku.strip()
        if not SKU_RE.match(sku):
            raise ValueError(f"{sku!r} is not a SKU (1-64 of letters, digits, '.', '_', '/', '-')")
        n = 1
        if star:
            if not qty.strip().isdigit() or not 1 <= int(qty) <= MAX_QTY:
                raise ValueError(f"{part!r}: the quantity after '*' must be 1 to {MAX_QTY}")
            n = int(qty)
        out[sku] = out.get(sku, 0) + n
    return tuple(sorted(out.items()))


def _sale(row: dict[str, str], where: str) -> Sale:
    def bad(column: str, why: str) -> ImportError_:
        value = row.get(column, "")
        return ImportError_(f"column {column} = {value[:60]!r}: {why}", where=where, field=column)

    store = row["store"].strip()
    if not NAME_RE.match(store):
        raise bad("store", "1-40 of letters, digits, '.', '_', '-'")
    txn = row["transaction"].strip()
    if not 1 <= len(txn) <= 64 or not txn.isprintable():  # noqa: PLR2004
        raise bad("transaction", "1-64 printable characters")
    try:
        at = parse_time(row["time"])
    except ValueError as err:
        raise bad("time", str(err)) from None
    try:
        amount = Decimal(row["amount"].strip())
    except InvalidOperation:
        raise bad("amount", "not a number (a dot for decimals, no currency sign)") from None
    if not amount.is_finite() or amount < 0 or amount > Decimal("1e9"):
        raise bad("amount", "must be 0 to 1,000,000,000")
    try:
        lines = _items(row["items"])
    except ValueError as err:
        raise bad("items", str(err)) from None
    return Sale(store, txn, at, float(amount), row["items"].strip(), lines)


def read_sales(path: Path) -> list[tuple[Sale, str]]:
    """The sales of a CSV file with the header store,transaction,time,amount,items (in any
    order), each with where it came from; raises ImportError_ at the first problem."""
    sales: list[tuple[Sale, str]] = []
    text = "".join(line for _, line in _lines(path))
    reader = csv.DictReader(text.splitlines(keepends=True), strict=True)
    header = reader.fieldnames or []
    missing = [c for c in SALE_COLUMNS if c not in header]
    if missing:
        raise ImportError_(
            f"the header lacks {', '.join(missing)}; it must name {', '.join(SALE_COLUMNS)}",
            where=f"{path}:1",
        )
    extra = [c for c in header if c not in SALE_COLUMNS]
    if extra:
        raise ImportError_(
            f"column {extra[0]!r} is not one of {', '.join(SALE_COLUMNS)}", where=f"{path}:1"
        )
    seen: dict[tuple[str, str], tuple[Sale, str]] = {}
    try:
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row or any(v is None for v in row.values()):
                raise ImportError_(f"{len(header)} columns expected as in the header", where=where)
            sale = _sale(row, where)
            key = (sale.store, sale.txn)
            if key in seen:
                first = seen[key][1].rsplit(":", 1)[1]
                if seen[key][0] != sale:
                    raise ImportError_(
                        f"transaction {sale.txn} of {sale.store} is also on line {first} "
                        "with other content",
                        where=where,
                        field="transaction",
                    )
                continue
            seen[key] = (sale, where)
            sales.append((sale, where))
    except csv.Error as err:
        raise ImportError_(f"not CSV: {err}", where=f"{path}:{reader.line_num}") from None
    return sales


def import_sales(conn: sqlite3.Connection, path: Path, rules_window_h: float = 24.0) -> Loaded:
    """Load a point-of-sale CSV file, all or nothing; a transaction stored already with the
    same content adds nothing."""
    sales = read_sales(path)
    loaded = Loaded(read=len(sales))
    with write_transaction(conn):
        for sale, where in sales:
            found = conn.execute(
                "SELECT at, amount, items FROM sale WHERE store = ? AND txn = ?",
                (sale.store, sale.txn),
            ).fetchone()
            if found is not None:
                if (found[0], found[1], found[2]) != (sale.at, sale.amount, sale.items):
                    raise ImportError_(
                        f"transaction {sale.txn} of {sale.store} is stored already with other "
                        "content (time, amount or items); nothing of this file is stored",
                        where=where,
                        field="transaction",
                    )
                loaded.already += 1
                continue
            conn.execute(
                "INSERT INTO sale (store, txn, at, amount, items) VALUES (?, ?, ?, ?, ?)",
                (sale.store, sale.txn, sale.at, sale.amount, sale.items),
            )
            conn.executemany(
                "INSERT INTO sale_item (store, txn, sku, qty) VALUES (?, ?, ?, ?)",
                [(sale.store, sale.txn, sku, qty) for sku, qty in sale.lines],
            )
            loaded.new += 1
            _dirty_for_sale(conn, sale, rules_window_h)
    return loaded


def _dirty_for_sale(conn: sqlite3.Connection, sale: Sale, window_h: float) -> None:
    # The store's sales hour, and every hour of the store's mirrors whose sessions the sale
    # may have been assisted by.
    hour = sale.at // HOUR_S * HOUR_S
    marks = [(sale.store, "", hour)]
    mirrors = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT mirror FROM rollup WHERE store = ? AND mirror <> '' "
            "UNION SELECT DISTINCT mirror FROM rollup_dirty WHERE store = ? AND mirror <> ''",
            (sale.store, sale.store),
        )
    ]
    first = (sale.at - window_h * HOUR_S) // HOUR_S * HOUR_S
    for mirror in mirrors:
        h = first
        while h <= hour:
            marks.append((sale.store, mirror, h))
            h += HOUR_S
    db.mark_dirty(conn, marks)
