"""The catalogue database: its schema and the queries the engine, player and routes use."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.host.catalog.conftest import write_files
from vitrine.catalog import Catalog, CatalogError, import_files
from vitrine.catalog.values import format_price, is_media_name, room_location, size_key


def test_open_creates_the_schema_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "new" / "catalog.db"
    with Catalog.open(path, tmp_path / "media") as catalog:
        conn = catalog._conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"product", "variant", "stock", "goes_with", "category"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO variant VALUES ('V', 'NO-SUCH-PRODUCT', 'M', 'Red', '#ff0000', NULL)"
            )
    # opening again keeps what is there
    with Catalog.open(path, tmp_path / "media") as catalog:
        assert catalog.categories() == []


def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(CatalogError, match=r"catalog\.db: not a usable catalogue database"):
        Catalog.open(path, tmp_path / "media")


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(CatalogError, match="schema version 99 is newer"):
        Catalog.open(path, tmp_path / "media")


def test_categories_in_position_order_with_counts(base_catalog: Catalog) -> None:
    found = base_catalog.categories()
    assert [{k: c[k] for k in ("name", "label", "count")} for c in found] == [
        {"name": "shirts", "label": "Shirts", "count": 1},
        {"name": "trousers", "label": "Trousers", "count": 1},
    ]
    # each category's cover is the card of its most popular product, as the pages list it
    assert [c["cover"] for c in found] == [
        base_catalog.products("shirts", limit=1)["items"][0],
        base_catalog.products("trousers", limit=1)["items"][0],
    ]
    assert base_catalog.has_category("shirts")
    assert not base_catalog.has_category("hats")


def test_product_cards_most_popular_first(base_catalog: Catalog) -> None:
    page = base_catalog.products()
    assert page["total"] == 2
    assert [c["sku"] for c in page["items"]] == ["P2", "P1"]
    assert page["items"][1] == {
        "sku": "P1",
        "name": "Linen Shirt",
        "brand": "Nordvik",
        "category": "shirts",
        "price_cents": 4900,
        "currency": "EUR",
        "price": "€49.00",
        "image": "p1.svg",
        "colours": [{"name": "White", "hex": "#ffffff"}, {"name": "Blue", "hex": "#0000ff"}],
        "tags": ["summer", "linen"],
        "popularity": 10,
    }
    assert page["items"][0]["image"] is None
    assert page["items"][0]["price"] == "£55.00"


def test_product_pages_and_category_filter(sample_catalog: Catalog) -> None:
    everything = sample_catalog.products(limit=100)["items"]
    assert len(everything) == 36
    pops = [c["popularity"] for c in everything]
    assert pops == sorted(pops, reverse=True)
    page = sample_catalog.products(offset=10, limit=5)
    assert page["total"] == 36
    assert page["items"] == everything[10:15]
    knits = sample_catalog.products("knitwear")
    assert knits["total"] == 6
    assert {c["category"] for c in knits["items"]} == {"knitwear"}
    assert sample_catalog.products("no-such") == {"total": 0, "items": []}
    with pytest.raises(ValueError, match="limit"):
        sample_catalog.products(limit=0)
    with pytest.raises(ValueError, match="offset"):
        sample_catalog.products(offset=-1)


def test_product_detail_with_sizes_variants_stock_and_goes_with(base_catalog: Catalog) -> None:
    detail = base_catalog.product("P1", store="store-1", fitting_room="1")
    assert detail is not None
    assert detail["description"] == "Cool linen."
    assert detail["images"] == ["p1.svg"]
    assert detail["sizes"] == ["S", "M", "L"]
    # colour in import order, then size order
    assert [v["sku"] for v in detail["variants"]] == ["P1-W-S", "P1-W-M", "P1-B-L"]
    by_sku = {v["sku"]: v for v in detail["variants"]}
    assert by_sku["P1-W-M"] == {
        "sku": "P1-W-M",
        "size": "M",
        "colour": "White",
        "colour_hex": "#ffffff",
        "price_cents": 4900,
        "price": "€49.00",
        "stock": {"store": 4, "room": 1},
    }
    assert by_sku["P1-W-S"]["stock"] == {"store": 0, "room": 0}
    assert by_sku["P1-B-L"]["price_cents"] == 5400  # its own price
    assert by_sku["P1-B-L"]["price"] == "€54.00"
    assert detail["goes_with"] == [{"sku": "P2", "weight": 0.8, "reason": "classic pairing"}]
    # another fitting room, another store, no store at all (every store)
    other = base_catalog.product("P1", store="store-1", fitting_room="fitting-room-2")
    assert {v["sku"]: v["stock"] for v in other["variants"]}["P1-W-M"] == {"store": 4, "room": 0}
    two = base_catalog.product("P1", store="store-2", fitting_room="1")
    assert {v["sku"]: v["stock"] for v in two["variants"]}["P1-W-M"] == {"store": 5, "room": 0}
    anywhere = base_catalog.product("P1")
    assert {v["sku"]: v["stock"] for v in anywhere["variants"]}["P1-W-M"] == {
        "store": 9,
        "room": 0,
    }
    assert base_catalog.product("NOPE") is None


def test_variant_lookup(base_catalog: Catalog) -> None:
    assert base_catalog.variant("P1-B-L") == {
        "sku": "P1-B-L",
        "product_sku": "P1",
        "name": "Linen Shirt",
        "size": "L",
        "colour": "Blue",
        "colour_hex": "#0000ff",
        "price_cents": 5400,
        "currency": "EUR",
        "price": "€54.00",
        "label": "Linen Shirt, Blue, L",
    }
    assert base_catalog.variant("P1-W-M")["price_cents"] == 4900
    assert base_catalog.variant("NOPE") is None


def test_goes_with_works_both_ways(base_catalog: Catalog) -> None:
    assert base_catalog.goes_with("P1") == [
        {"sku": "P2", "weight": 0.8, "reason": "classic pairing"}
    ]
    assert base_catalog.goes_with("P2") == [
        {"sku": "P1", "weight": 0.8, "reason": "classic pairing"}
    ]
    assert base_catalog.goes_with("NOPE") == []


def test_goes_with_strongest_first(sample_catalog: Catalog) -> None:
    for card in sample_catalog.products(limit=100)["items"]:
        pairs = sample_catalog.goes_with(card["sku"])
        assert pairs, card["sku"]
        weights = [p["weight"] for p in pairs]
        assert weights == sorted(weights, reverse=True)
        assert all(p["reason"] for p in pairs)
        assert card["sku"] not in {p["sku"] for p in pairs}


def test_stock_by_store_and_location(base_catalog: Catalog) -> None:
    assert base_catalog.stock("P1-W-M", "store-1") == 4
    assert base_catalog.stock("P1-W-M", "store-1", "floor") == 3
    assert base_catalog.stock("P1-W-M", "store-1", "fitting-room-1") == 1
    assert base_catalog.stock("P1-W-M", "store-1", "fitting-room-3") == 0
    assert base_catalog.stock("P1-W-M", "store-2") == 5
    assert base_catalog.stock("P1-W-S", "store-1") == 0
    assert base_catalog.stock("NOPE", "store-1") == 0


def test_media_path_only_for_plain_image_files_inside_the_media_folder(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    media = empty_catalog.media_dir
    media.mkdir(parents=True)
    (media / "shirt.svg").write_text("<svg/>")
    (media / "photo.JPG").write_bytes(b"\xff\xd8")
    (media / "notes.txt").write_text("x")
    (media / ".hidden.svg").write_text("<svg/>")
    (media / "dir.svg").mkdir()
    (tmp_path / "outside.svg").write_text("<svg/>")
    (media / "link.svg").symlink_to(tmp_path / "outside.svg")
    assert empty_catalog.media_path("shirt.svg") == media / "shirt.svg"
    assert empty_catalog.media_path("photo.JPG") == media / "photo.JPG"
    for name in (
        "notes.txt",
        ".hidden.svg",
        "dir.svg",
        "link.svg",
        "missing.svg",
        "../outside.svg",
        "..",
        "",
        "a/shirt.svg",
        "a\\shirt.svg",
        "shirt.svg\x00.png",
        "x..svg",
    ):
        assert empty_catalog.media_path(name) is None, name


def test_value_rules() -> None:
    assert format_price(4900, "EUR") == "€49.00"
    assert format_price(1250, "GBP") == "£12.50"
    assert format_price(500, "USD") == "$5.00"
    assert format_price(4900, "SEK") == "49.00 SEK"
    assert format_price(5, "EUR") == "€0.05"
    sizes = ["XL", "one size", "M", "40", "XS", "38.5", "S", "L", "36", "2XL"]
    assert sorted(sizes, key=size_key) == [
        "XS",
        "S",
        "M",
        "L",
        "XL",
        "2XL",
        "36",
        "38.5",
        "40",
        "one size",
    ]
    assert room_location("1") == "fitting-room-1"
    assert room_location("fitting-room-2") == "fitting-room-2"
    assert room_location("") is None
    assert room_location(None) is None
    assert is_media_name("a-b_c.1.webp")
    assert not is_media_name("a.gif")


def test_version_changes_with_a_commit_through_this_connection_or_another(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    first = base_catalog.version()
    assert base_catalog.version() == first  # reading changes nothing
    stock = "variant_sku,store,location,quantity\nP1-W-M,store-1,floor,8\n"
    feed = write_files(tmp_path / "one", {"stock.csv": stock})
    import_files(base_catalog, feed)
    second = base_catalog.version()
    assert second != first
    with Catalog.open(base_catalog.path, base_catalog.media_dir) as other:
        import_files(other, feed)
    assert base_catalog.version() not in (first, second)


def test_threads_share_one_version_and_work_out_the_categories_once_per_change(
    tmp_path: Path, base_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The web server's worker threads each read through their own connection; the count over
    # every product behind the categories (15 ms at 100,000 products) is done once per change
    # for all of them, not once by each thread.
    worked_out = []
    original = Catalog._work_out_categories

    def counted(self: Catalog) -> list[dict[str, object]]:
        worked_out.append(threading.get_ident())
        return original(self)

    monkeypatch.setattr(Catalog, "_work_out_categories", counted)

    def from_threads() -> list[tuple[tuple[int, int], list[str]]]:
        def ask() -> tuple[tuple[int, int], list[str]]:
            return base_catalog.version(), [c["name"] for c in base_catalog.categories()]

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: ask(), range(32)))

    before = from_threads()
    assert len(worked_out) == 1
    assert {v for v, _ in before} == {before[0][0]}  # every thread sees the same version
    assert {tuple(names) for _, names in before} == {("shirts", "trousers")}
    # A change from another process: seen by every thread, worked out once more.
    category = "name,label,position\nhats,Hats,3\n"
    with Catalog.open(base_catalog.path, base_catalog.media_dir) as other:
        import_files(other, write_files(tmp_path / "hats", {"categories.csv": category}))
    after = from_threads()
    assert len(worked_out) == 2
    assert {tuple(names) for _, names in after} == {("shirts", "trousers", "hats")}


def _counted(catalog: Catalog) -> tuple[dict[str, int], dict[str, int]]:
    # The kept counts per category (zeros left out) beside a count over every product.
    kept = catalog._conn.execute("SELECT category, products FROM category_count").fetchall()
    counted = catalog._conn.execute("SELECT category, COUNT(*) FROM product GROUP BY category")
    return {c: n for c, n in kept if n}, dict(counted.fetchall())


def test_the_counts_per_category_follow_imports_moves_removals_and_renames(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    kept, counted = _counted(base_catalog)
    assert kept == counted == {"shirts": 1, "trousers": 1}
    moves = {  # P1 moves to trousers, P3 is new, P2 stays (an upsert that changes nothing)
        "products.csv": "sku,name,category,price_cents,currency\n"
        "P1,Linen Trousers,trousers,4900,EUR\n"
        "P2,Chinos,trousers,5500,GBP\n"
        "P3,Oxford Shirt,shirts,3900,EUR\n"
    }
    import_files(base_catalog, write_files(tmp_path / "moves", moves))
    kept, counted = _counted(base_catalog)
    assert kept == counted == {"shirts": 1, "trousers": 2}
    only_p3 = {"products.csv": "sku,name,category,price_cents,currency\nP3,Oxford,shirts,1,EUR\n"}
    import_files(base_catalog, write_files(tmp_path / "season", only_p3), replace=True)
    kept, counted = _counted(base_catalog)
    assert kept == counted == {"shirts": 1}
    with base_catalog.transaction() as conn:  # a renamed category cascades to its products
        conn.execute("UPDATE category SET name = 'tops' WHERE name = 'shirts'")
    kept, counted = _counted(base_catalog)
    assert kept == counted == {"tops": 1}
    assert [(c["name"], c["count"]) for c in base_catalog.categories()] == [
        ("tops", 1),
        ("trousers", 0),
    ]


def test_an_older_catalogue_gains_its_tags_and_counts_when_opened(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    # A version-1 file: no tag table, no counts (nor their triggers).
    path = base_catalog.path
    base_catalog.close()
    conn = sqlite3.connect(path)
    names = "SELECT name FROM sqlite_schema WHERE type = 'trigger'"
    for (trigger,) in conn.execute(names).fetchall():
        conn.execute(f"DROP TRIGGER {trigger}")
    conn.executescript(
        "DROP TABLE product_tag; DROP TABLE category_count; PRAGMA user_version = 1;"
    )
    conn.close()
    with Catalog.open(path, tmp_path / "media") as catalog:
        kept, counted = _counted(catalog)
        assert kept == counted == {"shirts": 1, "trousers": 1}
        tags = catalog._conn.execute("SELECT tag, sku FROM product_tag ORDER BY tag").fetchall()
        assert [tuple(t) for t in tags] == [("linen", "P1"), ("office", "P2"), ("summer", "P1")]
        assert catalog._conn.execute("PRAGMA user_version").fetchone()[0] == 3
