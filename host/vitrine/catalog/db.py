"""The product catalogue in SQLite (`catalog.db`): the schema, the queries the engine, the
player and the HTTP routes read it with, and the row writes the importer makes inside one
transaction. Prices are integer cents with an ISO 4217 currency.

Every query is answered from an index, whatever the catalogue's size (real ranges have 10k
to 100k products and millions of stock rows): pages of cards walk the popularity index,
products by tag come from product_tag (kept by triggers), stock is summed per variant through
its primary key. `vitrine bench catalog` measures them on 100,000 products."""

from __future__ import annotations

import contextlib
import copy
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from vitrine.catalog.errors import CatalogError
from vitrine.catalog.values import format_price, is_media_name, room_location, size_key
from vitrine.database import Schema, open_database, open_reader, write_transaction

SCHEMA_VERSION = 3
MAX_LIMIT = 100
MAX_SKUS = 500  # skus per batch look-up (cards, stock)

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
-- pages of cards, most popular first: overall and per category
CREATE INDEX IF NOT EXISTS product_popular ON product(popularity DESC, name, sku);
CREATE INDEX IF NOT EXISTS product_category_popular
    ON product(category, popularity DESC, name, sku);
DROP INDEX IF EXISTS product_category;
-- each product's tags, one row per tag, with its popularity: the most popular products with a
-- tag come straight from the primary key. Kept by the triggers below (tags are checked by the
-- importer: letters, digits, '-' and '_', so the list reads as JSON once quoted).
CREATE TABLE IF NOT EXISTS product_tag (
    tag TEXT NOT NULL,
    popularity INTEGER NOT NULL,
    sku TEXT NOT NULL,
    PRIMARY KEY (tag, popularity DESC, sku)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS product_tag_sku ON product_tag(sku);
CREATE TRIGGER IF NOT EXISTS product_tag_insert AFTER INSERT ON product BEGIN
    INSERT OR IGNORE INTO product_tag (tag, popularity, sku)
    SELECT value, NEW.popularity, NEW.sku
    FROM json_each('["' || replace(NEW.tags, ',', '","') || '"]')
    WHERE NEW.tags <> '' AND value <> '';
END;
CREATE TRIGGER IF NOT EXISTS product_tag_update AFTER UPDATE OF tags, popularity ON product BEGIN
    DELETE FROM product_tag WHERE sku = OLD.sku;
    INSERT OR IGNORE INTO product_tag (tag, popularity, sku)
    SELECT value, NEW.popularity, NEW.sku
    FROM json_each('["' || replace(NEW.tags, ',', '","') || '"]')
    WHERE NEW.tags <> '' AND value <> '';
END;
CREATE TRIGGER IF NOT EXISTS product_tag_delete AFTER DELETE ON product BEGIN
    DELETE FROM product_tag WHERE sku = OLD.sku;
END;
-- products per category, kept by the triggers below: the category tiles' counts without a
-- count over every product (15 ms at 100,000 products, after every stock feed)
CREATE TABLE IF NOT EXISTS category_count (
    category TEXT PRIMARY KEY,
    products INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS category_count_insert AFTER INSERT ON product BEGIN
    INSERT INTO category_count (category, products) VALUES (NEW.category, 1)
    ON CONFLICT (category) DO UPDATE SET products = products + 1;
END;
CREATE TRIGGER IF NOT EXISTS category_count_update AFTER UPDATE OF category ON product
WHEN OLD.category IS NOT NEW.category BEGIN
    UPDATE category_count SET products = products - 1 WHERE category = OLD.category;
    INSERT INTO category_count (category, products) VALUES (NEW.category, 1)
    ON CONFLICT (category) DO UPDATE SET products = products + 1;
END;
CREATE TRIGGER IF NOT EXISTS category_count_delete AFTER DELETE ON product BEGIN
    UPDATE category_count SET products = products - 1 WHERE category = OLD.category;
END;
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

# From an older catalogue: the tags (version 2) and the counts per category (3) of the
# products already stored.
MIGRATIONS = {
    2: """
INSERT OR IGNORE INTO product_tag (tag, popularity, sku)
SELECT j.value, p.popularity, p.sku
FROM product p, json_each('["' || replace(p.tags, ',', '","') || '"]') j
WHERE p.tags <> '' AND j.value <> '';
""",
    3: """
INSERT OR REPLACE INTO category_count (category, products)
SELECT category, COUNT(*) FROM product GROUP BY category;
""",
}

# Each table's primary key, for upserts and for "is it there already" look-ups.
KEYS: dict[str, tuple[str, ...]] = {
    "category": ("name",),
    "product": ("sku",),
    "variant": ("sku",),
    "stock": ("variant_sku", "store", "location"),
    "goes_with": ("sku", "other_sku"),
}

_CARD_COLUMNS = "sku, name, brand, category, price_cents, currency, tags, popularity, images"


CATALOGUE = Schema(SCHEMA, SCHEMA_VERSION, "catalogue", CatalogError, migrations=MIGRATIONS)


class Catalog:
    """An open catalogue: read with the query methods; written only through the importer
    (vitrine.catalog.importer), inside `transaction()`.

    The thread that opened it reads and writes through its connection; any other thread (the
    engine's, the web server's workers) reads through a connection of its own, opened on
    first use: in WAL mode readers never wait for one another or for a writer. One more
    connection answers `version()` for every thread, so that versions are comparable across
    threads and what is worked out once per change (the categories) is worked out once for
    all of them, not once per worker thread."""

    def __init__(self, conn: sqlite3.Connection, path: Path, media_dir: Path) -> None:
        self._conn = conn
        self.path = path
        self.media_dir = media_dir
        self._commits = 0  # write transactions committed through this connection
        self._owner = threading.get_ident()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        # PRAGMA data_version's values compare only within one connection: one for everyone.
        self._watch = open_reader(path, CATALOGUE)
        self._watch_lock = threading.Lock()
        self._categories: tuple[tuple[int, int], list[dict[str, Any]]] | None = None
        self._categories_lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, media_dir: Path) -> Catalog:
        """Open (or create) the catalogue at path; its images are files in media_dir."""
        path = Path(path)
        return cls(open_database(path, CATALOGUE), path, Path(media_dir))

    def close(self) -> None:
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        self._watch.close()
        self._conn.close()

    @property
    def _db(self) -> sqlite3.Connection:
        # The calling thread's connection (see the class docstring).
        if threading.get_ident() == self._owner:
            return self._conn
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_reader(self.path, CATALOGUE)
            with self._readers_lock:
                self._readers.append(conn)
            self._local.conn = conn
        return conn

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
        with self._watch_lock:
            (data_version,) = self._watch.execute("PRAGMA data_version").fetchone()
        return data_version, self._commits

    # -- queries -------------------------------------------------------------------------

    def categories(self) -> list[dict[str, Any]]:
        """Every category in display order: {"name", "label", "count" (products in it),
        "cover" (the card of its most popular product, None when empty)}. Worked out once
        per change of the catalogue, by one thread while the others wait for it."""
        if self._conn.in_transaction and threading.get_ident() == self._owner:
            return self._work_out_categories()  # an import's own view, not yet everyone's
        cached = self._categories
        if cached is None or cached[0] != self.version():
            with self._categories_lock:
                version = self.version()
                cached = self._categories
                if cached is None or cached[0] != version:
                    cached = self._categories = (version, self._work_out_categories())
        return copy.deepcopy(cached[1])

    def _work_out_categories(self) -> list[dict[str, Any]]:
        counts = dict(self._db.execute("SELECT category, products FROM category_count").fetchall())
        rows = self._db.execute(
            "SELECT name, label FROM category ORDER BY position, label, name"
        ).fetchall()
        covers = {}
        for r in rows:
            top = self._db.execute(
                f"SELECT {_CARD_COLUMNS} FROM product WHERE category = ? "
                "ORDER BY popularity DESC, name, sku LIMIT 1",
                (r["name"],),
            ).fetchone()
            if top is not None:
                covers[r["name"]] = top
        colours = self._colours([top["sku"] for top in covers.values()])
        result = [
            {
                "name": r["name"],
                "label": r["label"],
                "count": counts.get(r["name"], 0),
                "cover": (
                    _card(covers[r["name"]], colours.get(covers[r["name"]]["sku"], []))
                    if r["name"] in covers
                    else None
                ),
            }
            for r in rows
        ]
        return result

    def has_product(self, sku: str) -> bool:
        return self._exists("product", (sku,))

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
        total = self._total(category)
        rows = self._db.execute(
            f"SELECT {_CARD_COLUMNS} FROM product {where} "
            "ORDER BY popularity DESC, name, sku LIMIT ? OFFSET ?",
            [*args, limit, offset],
        ).fetchall()
        colours = self._colours([r["sku"] for r in rows])
        return {"total": total, "items": [_card(r, colours.get(r["sku"], [])) for r in rows]}

    def _total(self, category: str | None) -> int:
        # Products in a category (None: in all), kept until the catalogue changes.
        if category is None:
            return sum(c["count"] for c in self.categories())
        for c in self.categories():
            if c["name"] == category:
                return int(c["count"])
        return 0

    def cards(self, skus: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The cards of these products by sku (unknown skus are left out)."""
        out: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(list(dict.fromkeys(skus))):
            marks = ", ".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT {_CARD_COLUMNS} FROM product WHERE sku IN ({marks})", chunk
            ).fetchall()
            colours = self._colours([r["sku"] for r in rows])
            out.update((r["sku"], _card(r, colours.get(r["sku"], []))) for r in rows)
        return out

    def top_popularity(self) -> int:
        """The catalogue's highest popularity (0 when empty)."""
        row = self._db.execute(
            "SELECT popularity FROM product ORDER BY popularity DESC LIMIT 1"
        ).fetchone()
        return int(row[0]) if row else 0

    def most_popular(self, tags: Iterable[str] = (), limit: int = 24) -> list[str]:
        """The `limit` most popular products, and the `limit` most popular with each of the
        tags (duplicates once): skus, from the indexes alone."""
        found = [
            r[0]
            for r in self._db.execute(
                "SELECT sku FROM product ORDER BY popularity DESC, name, sku LIMIT ?", (limit,)
            )
        ]
        for tag in sorted(set(tags)):
            found.extend(
                r[0]
                for r in self._db.execute(
                    "SELECT sku FROM product_tag WHERE tag = ? "
                    "ORDER BY popularity DESC, sku LIMIT ?",
                    (tag, limit),
                )
            )
        return list(dict.fromkeys(found))

    def variant_stock(self, skus: Iterable[str], store: str) -> dict[str, list[dict[str, Any]]]:
        """Each product's variants with their units in `store` (all locations): {product sku:
        [{"sku", "size", "stock"}]}, in import order."""
        out: dict[str, list[dict[str, Any]]] = {}
        for chunk in _chunks(list(dict.fromkeys(skus))):
            marks = ", ".join("?" * len(chunk))
            rows = self._db.execute(
                "SELECT v.product_sku, v.sku, v.size, "
                "(SELECT COALESCE(SUM(s.quantity), 0) FROM stock s "
                " WHERE s.variant_sku = v.sku AND s.store = ?) AS stock "
                f"FROM variant v WHERE v.product_sku IN ({marks}) ORDER BY v.rowid",
                [store, *chunk],
            )
            for r in rows:
                out.setdefault(r["product_sku"], []).append(
                    {"sku": r["sku"], "size": r["size"], "stock": r["stock"]}
                )
        return out

    def product(
        self, sku: str, store: str | None = None, fitting_room: str | None = None
    ) -> dict[str, Any] | None:
        """A product's card with its description, images, sizes, variants (each with its
        stock in `store`, all locations, and in `fitting_room`) and what goes with it; None
        when there is no such product. store None: stock summed over every store."""
        row = self._db.execute(
            f"SELECT {_CARD_COLUMNS}, description FROM product WHERE sku = ?", (sku,)
        ).fetchone()
        if row is None:
            return None
        detail = _card(row, self._colours([sku]).get(sku, []))
        room = room_location(fitting_room)
        variants = self._db.execute(
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
        row = self._db.execute(
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
        rows = self._db.execute(
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
        return int(self._db.execute(sql, args).fetchone()[0])

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
        rows = self._db.execute(
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
        return self._db.execute(f"SELECT 1 FROM {table} WHERE {where}", key).fetchone() is not None


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


def keys_by_case(
    conn: sqlite3.Connection, table: str, column: str, values: Iterable[str]
) -> dict[str, list[str]]:
    """The values stored in table.column (a key column of ASCII text, as SKUs are) that equal
    one of values ignoring case, by the lower-case form: {"sh-101": ["SH-101"]}. One pass over
    the table, whatever the number of values."""
    conn.execute("CREATE TEMP TABLE wanted (low TEXT PRIMARY KEY) WITHOUT ROWID")
    try:
        conn.executemany(
            "INSERT OR IGNORE INTO temp.wanted VALUES (?)", ((v.lower(),) for v in values)
        )
        rows = conn.execute(
            f"SELECT w.low, t.{column} FROM {table} t "
            f"JOIN temp.wanted w ON w.low = lower(t.{column})"
        )
        found: dict[str, list[str]] = {}
        for low, value in rows:
            found.setdefault(low, []).append(value)
        return found
    finally:
        conn.execute("DROP TABLE temp.wanted")


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


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), MAX_SKUS):
        yield items[start : start + MAX_SKUS]


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
