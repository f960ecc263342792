"""The product catalogue in SQLite (`catalog.db`): the schema, the queries the engine, the
player and the HTTP routes read it with, and the row writes the importer makes inside one
transaction. Prices are integer cents with an ISO 4217 currency."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from vitrine.catalog.errors import CatalogError
from vitrine.catalog.values import format_price, is_media_name, room_location, size_key
from vitrine.database import open_database, write_transaction

SCHEMA_VERSION = 1
MAX_LIMIT = 100

SCHEMA = """
CREATE TABLE IF NOT EXISTS category (
    name TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0 CHECK (position >= 0)
);
CREATE TABLE IF NOT EXISTS product (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    brand TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL REFERENCES category(name) ON UPDATE CASCADE,
    description TEXT NOT NULL DEFAULT '',
    price_cents INTEGER NOT NULL CHECK (price_cents >= 0),
    currency TEXT NOT NULL CHECK (length(currency) = 3),
    tags TEXT NOT NULL DEFAULT '',
    popularity INTEGER NOT NULL DEFAULT 0 CHECK (popularity >= 0),
    images TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS product_category ON product(category);
CREATE TABLE IF NOT EXISTS variant (
    sku TEXT PRIMARY KEY,
    product_sku TEXT NOT NULL REFERENCES product(sku) ON DELETE CASCADE,
    size TEXT NOT NULL,
    colour TEXT NOT NULL,
    colour_hex TEXT NOT NULL CHECK (length(colour_hex) = 7),
    price_cents INTEGER CHECK (price_cents IS NULL OR price_cents >= 0)
);
CREATE INDEX IF NOT EXISTS variant_product ON variant(product_sku);
CREATE TABLE IF NOT EXISTS stock (
    variant_sku TEXT NOT NULL REFERENCES variant(sku) ON DELETE CASCADE,
    store TEXT NOT NULL,
    location TEXT NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    PRIMARY KEY (variant_sku, store, location)
);
CREATE TABLE IF NOT EXISTS goes_with (
    sku TEXT NOT NULL REFERENCES product(sku) ON DELETE CASCADE,
    other_sku TEXT NOT NULL REFERENCES product(sku) ON DELETE CASCADE,
    weight REAL NOT NULL CHECK (weight >= 0 AND weight <= 1),
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (sku, other_sku)
);
CREATE INDEX IF NOT EXISTS goes_with_other ON goes_with(other_sku);
"""

# Each table's primary key, for upserts and for "is it there already" look-ups.
KEYS: dict[str, tuple[str, ...]] = {
    "category": ("name",),
    "product": ("sku",),
    "variant": ("sku",),
    "stock": ("variant_sku", "store", "location"),
    "goes_with": ("sku", "other_sku"),
}

_CARD_COLUMNS = "sku, name, brand, category, price_cents, currency, tags, popularity, images"


class Catalog:
    """An open catalogue: read with the query methods; written only through the importer
    (vitrine.catalog.importer), inside `transaction()`. One connection, used from the
    daemon's event loop (queries are short), so it may be used from another thread too."""

    def __init__(self, conn: sqlite3.Connection, path: Path, media_dir: Path) -> None:
        self._conn = conn
        self.path = path
        self.media_dir = media_dir
        self._commits = 0  # write transactions committed through this connection

    @classmethod
    def open(cls, path: Path, media_dir: Path) -> Catalog:
        """Open (or create) the catalogue at path; its images are files in media_dir."""
        path = Path(path)
        conn = open_database(path, SCHEMA, SCHEMA_VERSION, "catalogue", CatalogError)
        return cls(conn, path, Path(media_dir))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (taken at once, so nothing changes what it read): committed
        when the block ends, rolled back when it raises."""
        with write_transaction(self._conn) as conn:
            yield conn
        self._commits += 1

    def version(self) -> tuple[int, int]:
        """Changes whenever the catalogue may have changed: a commit through this connection
        or through any other (`vitrine catalog import` while the daemon runs). Cheap enough
        to ask every timer tick."""
        (data_version,) = self._conn.execute("PRAGMA data_version").fetchone()
        return data_version, self._commits

    # -- queries -------------------------------------------------------------------------

    def categories(self) -> list[dict[str, Any]]:
        """Every category in display order: {"name", "label", "count" (products in it)}."""
        rows = self._conn.execute(
            "SELECT c.name, c.label, COUNT(p.sku) AS count FROM category c "
            "LEFT JOIN product p ON p.category = c.name "
            "GROUP BY c.name ORDER BY c.position, c.label, c.name"
        )
        return [dict(r) for r in rows]

    def has_category(self, name: str) -> bool:
        return self._exists("category", (name,))

    def products(
        self, category: str | None = None, offset: int = 0, limit: int = 24
    ) -> dict[str, Any]:
        """A page of product cards, most popular first: {"total": n, "items": [card]}."""
        if not 1 <= limit <= MAX_LIMIT:
            raise ValueError(f"limit must be 1..{MAX_LIMIT}, not {limit}")
        if offset < 0:
            raise ValueError(f"offset must be >= 0, not {offset}")
        where, args = ("WHERE category = ?", [category]) if category else ("", [])
        total = self._conn.execute(f"SELECT COUNT(*) FROM product {where}", args).fetchone()[0]
        rows = self._conn.execute(
            f"SELECT {_CARD_COLUMNS} FROM product {where} "
            "ORDER BY popularity DESC, name, sku LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        colours = self._colours([r["sku"] for r in rows])
        return {"total": total, "items": [_card(r, colours.get(r["sku"], [])) for r in rows]}

    def product(
        self, sku: str, store: str | None = None, fitting_room: str | None = None
    ) -> dict[str, Any] | None:
        """A product's card with its description, images, sizes, variants (each with its
        stock in `store`, all locations, and in `fitting_room`) and what goes with it; None
        when there is no such product. store None: stock summed over every store."""
        row = self._conn.execute(
            f"SELECT {_CARD_COLUMNS}, description FROM product WHERE sku = ?", (sku,)
        ).fetchone()
        if row is None:
            return None
        detail = _card(row, self._colours([sku]).get(sku, []))
        room = room_location(fitting_room)
        variants = self._conn.execute(
            "SELECT v.sku, v.size, v.colour, v.colour_hex, v.price_cents, "
            "MIN(v.rowid) OVER (PARTITION BY v.colour) AS colour_order, "
            "(SELECT COALESCE(SUM(s.quantity), 0) FROM stock s WHERE s.variant_sku = v.sku "
            " AND (?1 IS NULL OR s.store = ?1)) AS in_store, "
            "(SELECT COALESCE(SUM(s.quantity), 0) FROM stock s WHERE s.variant_sku = v.sku "
            " AND (?1 IS NULL OR s.store = ?1) AND s.location = ?2) AS in_room "
            "FROM variant v WHERE v.product_sku = ?3",
            (store, room, sku),
        ).fetchall()
        variants.sort(key=lambda v: (v["colour_order"], size_key(v["size"]), v["sku"]))
        items = []
        for v in variants:
            cents = row["price_cents"] if v["price_cents"] is None else v["price_cents"]
            items.append(
                {
                    "sku": v["sku"],
                    "size": v["size"],
                    "colour": v["colour"],
                    "colour_hex": v["colour_hex"],
                    "price_cents": cents,
                    "price": format_price(cents, row["currency"]),
                    "stock": {"store": v["in_store"], "room": v["in_room"] if room else 0},
                }
            )
        detail.update(
            description=row["description"],
            images=json.loads(row["images"]),
            sizes=sorted({v["size"] for v in variants}, key=size_key),
            variants=items,
            goes_with=self.goes_with(sku),
        )
        return detail

    def variant(self, variant_sku: str) -> dict[str, Any] | None:
        """One variant with its effective price and its product's name: {"sku",
        "product_sku", "name", "size", "colour", "colour_hex", "price_cents", "currency",
        "price", "label" ("Linen Shirt, White, M")}; None when there is no such variant."""
        row = self._conn.execute(
            "SELECT v.sku, v.product_sku, p.name, v.size, v.colour, v.colour_hex, "
            "COALESCE(v.price_cents, p.price_cents) AS price_cents, p.currency "
            "FROM variant v JOIN product p ON p.sku = v.product_sku WHERE v.sku = ?",
            (variant_sku,),
        ).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["price"] = format_price(row["price_cents"], row["currency"])
        out["label"] = f"{row['name']}, {row['colour']}, {row['size']}"
        return out

    def goes_with(self, sku: str) -> list[dict[str, Any]]:
        """What goes with a product, strongest first: [{"sku", "weight", "reason"}]. A pair
        goes both ways; when both directions were imported, the row from this product's side
        is the one given."""
        rows = self._conn.execute(
            "SELECT other_sku AS sku, weight, reason, 0 AS side FROM goes_with WHERE sku = ?1 "
            "UNION ALL "
            "SELECT sku, weight, reason, 1 AS side FROM goes_with WHERE other_sku = ?1 "
            "ORDER BY side",
            (sku,),
        ).fetchall()
        seen: dict[str, dict[str, Any]] = {}
        for r in rows:
            seen.setdefault(
                r["sku"], {"sku": r["sku"], "weight": r["weight"], "reason": r["reason"]}
            )
        return sorted(seen.values(), key=lambda g: (-g["weight"], g["sku"]))

    def stock(self, variant_sku: str, store: str, location: str | None = None) -> int:
        """Units of a variant in a store: at one location ("floor", "fitting-room-1"), or in
        all of them when location is None. 0 for an unknown variant."""
        sql = "SELECT COALESCE(SUM(quantity), 0) FROM stock WHERE variant_sku = ? AND store = ?"
        args: list[str] = [variant_sku, store]
        if location is not None:
            sql += " AND location = ?"
            args.append(location)
        return int(self._conn.execute(sql, args).fetchone()[0])

    def media_path(self, name: str) -> Path | None:
        """The file of a media name: None for anything but a plain image file name (see
        values.is_media_name) of a regular file inside media_dir."""
        if not is_media_name(name):
            return None
        path = self.media_dir / name
        try:
            if not path.is_file() or path.resolve().parent != self.media_dir.resolve():
                return None
        except OSError:
            return None
        return path

    def _colours(self, skus: list[str]) -> dict[str, list[dict[str, str]]]:
        # Each product's colours, in the order their first variants were imported.
        out: dict[str, list[dict[str, str]]] = {}
        if not skus:
            return out
        marks = ", ".join("?" * len(skus))
        rows = self._conn.execute(
            "SELECT product_sku, colour, colour_hex, MIN(rowid) AS first FROM variant "
            f"WHERE product_sku IN ({marks}) GROUP BY product_sku, colour ORDER BY first",
            skus,
        )
        for r in rows:
            out.setdefault(r["product_sku"], []).append(
                {"name": r["colour"], "hex": r["colour_hex"]}
            )
        return out

    def _exists(self, table: str, key: tuple[Any, ...]) -> bool:
        where = " AND ".join(f"{k} = ?" for k in KEYS[table])
        return (
            self._conn.execute(f"SELECT 1 FROM {table} WHERE {where}", key).fetchone() is not None
        )


# -- writes, used by the importer inside Catalog.transaction() --------------------------------


def existing_keys(conn: sqlite3.Connection, table: str, column: str, values: Iterable[str]) -> set:
    """Which of values are already stored in table.column (a key column)."""
    wanted = sorted(set(values))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", chunk)
        found.update(r[0] for r in rows)
    return found


def count_rows(conn: sqlite3.Connection, table: str) -> int:
    return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def remove_absent(conn: sqlite3.Connection, table: str, keep: Iterable[tuple[Any, ...]]) -> None:
    """Delete the rows of table whose key is not in keep (tuples in KEYS[table] order); the
    rows that refer to them go too where the schema cascades."""
    columns = ", ".join(KEYS[table])
    conn.execute(f"CREATE TEMP TABLE keep AS SELECT {columns} FROM {table} WHERE 0")
    try:
        marks = ", ".join("?" * len(KEYS[table]))
        conn.executemany(f"INSERT INTO temp.keep VALUES ({marks})", keep)
        conn.execute(
            f"DELETE FROM {table} WHERE ({columns}) NOT IN (SELECT {columns} FROM temp.keep)"
        )
    finally:
        conn.execute("DROP TABLE temp.keep")


def upsert(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> bool:
    """Insert a row, or update the columns given in values when its key is stored already
    (columns not given keep what they had). Returns True when the row was added."""
    keys = KEYS[table]
    where = " AND ".join(f"{k} = ?" for k in keys)
    key = [values[k] for k in keys]
    added = conn.execute(f"SELECT 1 FROM {table} WHERE {where}", key).fetchone() is None
    columns = list(values)
    updates = [c for c in columns if c not in keys]
    action = (
        "UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updates) if updates else "NOTHING"
    )
    conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT ({', '.join(keys)}) DO {action}",
        [values[c] for c in columns],
    )
    return added


def _card(row: sqlite3.Row, colours: list[dict[str, str]]) -> dict[str, Any]:
    images = json.loads(row["images"])
    return {
        "sku": row["sku"],
        "name": row["name"],
        "brand": row["brand"],
        "category": row["category"],
        "price_cents": row["price_cents"],
        "currency": row["currency"],
        "price": format_price(row["price_cents"], row["currency"]),
        "image": images[0] if images else None,
        "colours": colours,
        "tags": [t for t in row["tags"].split(",") if t],
        "popularity": row["popularity"],
    }
