"""Recommendations over a real SQLite catalogue: candidates, every score term with its reason,
stock and size rules, the member's wishlist, ordering and limits."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from vitrine.catalog import Catalog
from vitrine.catalog.importer import import_files
from vitrine.engine.context import Context, ContextConfig, EventConfig, current_context
from vitrine.engine.recommend import (
    CONTEXT_TAG_WEIGHT,
    GOES_WITH_WEIGHT,
    IN_SIZE_WEIGHT,
    POPULARITY_WEIGHT,
    SHORTLIST,
    WISHLIST_WEIGHT,
    recommend,
)

WEDNESDAY_MORNING = datetime(2025, 7, 2, 10, 0)  # summer, not a weekend
SATURDAY_MORNING = datetime(2025, 7, 5, 10, 0)


def product(sku: str, name: str, category: str, tags: str, popularity: int) -> dict:
    return {
        "sku": sku,
        "name": name,
        "category": category,
        "price_cents": 4900,
        "currency": "EUR",
        "tags": tags,
        "popularity": popularity,
    }


def variant(sku: str, product_sku: str, size: str) -> dict:
    return {
        "sku": sku,
        "product_sku": product_sku,
        "size": size,
        "colour": "Natural",
        "colour_hex": "#eeeeee",
    }


def stock(variant_sku: str, quantity: int, store: str = "store-1", location: str = "floor"):
    return {"variant_sku": variant_sku, "store": store, "location": location, "quantity": quantity}


def pair(sku: str, other_sku: str, weight: float, reason: str = "") -> dict:
    return {"sku": sku, "other_sku": other_sku, "weight": weight, "reason": reason}


# Popularity is normalised by the highest, 100 (the chinos).
SAMPLE = {
    "categories": [
        {"name": "tops", "label": "Tops"},
        {"name": "bottoms", "label": "Bottoms"},
        {"name": "shoes", "label": "Shoes"},
        {"name": "accessories", "label": "Accessories"},
    ],
    "products": [
        product("SHIRT-LINEN", "Linen Shirt", "tops", "summer,sunny", 50),
        product("TROUSER-CHINO", "Chino Trousers", "bottoms", "summer", 100),
        product("BELT-LEATHER", "Leather Belt", "accessories", "", 60),
        product("SHOES-CANVAS", "Canvas Shoes", "shoes", "summer,sunny,weekend", 80),
        product("TEE-SOLD", "Cotton Tee", "tops", "summer", 90),
        product("JACKET-RAIN", "Rain Jacket", "tops", "rain,autumn", 20),
        product("CAP-WOOL", "Wool Cap", "accessories", "winter,cold", 10),
        product("SCARF-SILK", "Silk Scarf", "accessories", "summer", 0),
    ],
    "variants": [
        variant("SHIRT-LINEN-S", "SHIRT-LINEN", "S"),
        variant("SHIRT-LINEN-M", "SHIRT-LINEN", "M"),
        variant("TROUSER-CHINO-M", "TROUSER-CHINO", "M"),
        variant("TROUSER-CHINO-L", "TROUSER-CHINO", "L"),
        variant("BELT-LEATHER-OS", "BELT-LEATHER", "One size"),
        variant("SHOES-CANVAS-40", "SHOES-CANVAS", "40"),
        variant("SHOES-CANVAS-42", "SHOES-CANVAS", "42"),
        variant("TEE-SOLD-M", "TEE-SOLD", "M"),
        variant("JACKET-RAIN-M", "JACKET-RAIN", "M"),
        variant("JACKET-RAIN-L", "JACKET-RAIN", "L"),
        variant("CAP-WOOL-56", "CAP-WOOL", "56"),
        variant("CAP-WOOL-58", "CAP-WOOL", "58"),
        variant("SCARF-SILK-OS", "SCARF-SILK", "One size"),
    ],
    "stock": [
        stock("SHIRT-LINEN-S", 3),
        stock("SHIRT-LINEN-M", 3),
        stock("TROUSER-CHINO-M", 1),
        stock("TROUSER-CHINO-M", 1, location="fitting-room-1"),
        stock("TROUSER-CHINO-L", 0),
        stock("BELT-LEATHER-OS", 5),
        stock("SHOES-CANVAS-42", 1),
        stock("TEE-SOLD-M", 0),  # sold out here, in stock in the other store
        stock("TEE-SOLD-M", 4, store="store-2"),
        stock("JACKET-RAIN-M", 0),  # made in M, sold out in M here
        stock("JACKET-RAIN-L", 2),
        stock("JACKET-RAIN-M", 3, store="store-2"),
        stock("CAP-WOOL-56", 1),
        # SCARF-SILK has no stock rows at all
    ],
    "goes_with": [
        pair("SHIRT-LINEN", "TROUSER-CHINO", 0.9, "same linen weight"),
        pair("SHIRT-LINEN", "BELT-LEATHER", 0.5),
        pair("SHIRT-LINEN", "TEE-SOLD", 1.0, "layer it"),
        pair("SHIRT-LINEN", "SHOES-CANVAS", 0.6, "summer pair"),
        # imported from the jacket's side: a relation works both ways
        pair("JACKET-RAIN", "SHIRT-LINEN", 0.7, "a layer for showers"),
        pair("SHIRT-LINEN", "CAP-WOOL", 0.2),
        pair("SHIRT-LINEN", "SCARF-SILK", 0.8),
    ],
}


def open_catalog(tmp_path: Path, files: list[Path]) -> Catalog:
    catalog = Catalog.open(tmp_path / "catalog.db", tmp_path / "media")
    import_files(catalog, files)
    return catalog


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    source = tmp_path / "sample.json"
    source.write_text(json.dumps(SAMPLE), encoding="utf-8")
    catalog = open_catalog(tmp_path, [source])
    yield catalog
    catalog.close()


def context(at: datetime = WEDNESDAY_MORNING, **config) -> Context:
    return current_context(ContextConfig(**config), at)


def scores(recs: list[dict]) -> list[tuple[str, float]]:
    return [(r["sku"], r["score"]) for r in recs]


# --- with a product on screen: what goes with it ---------------------------------------------


def test_goes_with_candidates_scored_and_explained(catalog: Catalog) -> None:
    recs = recommend(catalog, context(), sku="SHIRT-LINEN", limit=10)
    # Context tags: summer, morning. TEE-SOLD (sold out here) and SCARF-SILK (no stock) go.
    assert recs == [
        {
            "sku": "TROUSER-CHINO",
            "score": round(GOES_WITH_WEIGHT * 0.9 + CONTEXT_TAG_WEIGHT + POPULARITY_WEIGHT, 3),
            "reasons": [
                "Goes with Linen Shirt: same linen weight",
                "Good for summer",
                "Popular this week",
            ],
        },
        {
            "sku": "SHOES-CANVAS",
            "score": round(
                GOES_WITH_WEIGHT * 0.6 + CONTEXT_TAG_WEIGHT + POPULARITY_WEIGHT * 0.8, 3
            ),
            "reasons": [
                "Goes with Linen Shirt: summer pair",
                "Good for summer",
                "Popular this week",
            ],
        },
        {
            "sku": "BELT-LEATHER",
            "score": round(GOES_WITH_WEIGHT * 0.5 + POPULARITY_WEIGHT * 0.6, 3),
            "reasons": ["Goes with Linen Shirt", "Popular this week"],
        },
        {
            "sku": "JACKET-RAIN",
            "score": round(GOES_WITH_WEIGHT * 0.7, 3),
            "reasons": ["Goes with Linen Shirt: a layer for showers"],
        },
        {
            "sku": "CAP-WOOL",
            "score": round(GOES_WITH_WEIGHT * 0.2, 3),
            "reasons": ["Goes with Linen Shirt"],
        },
    ]


def test_equal_scores_are_ordered_by_sku(catalog: Catalog) -> None:
    recs = recommend(catalog, context(), sku="SHIRT-LINEN", limit=10)
    belt, jacket = recs[2], recs[3]
    assert belt["score"] == jacket["score"] == 2.1
    assert [belt["sku"], jacket["sku"]] == ["BELT-LEATHER", "JACKET-RAIN"]


def test_limit(catalog: Catalog) -> None:
    full = recommend(catalog, context(), sku="SHIRT-LINEN", limit=10)
    assert recommend(catalog, context(), sku="SHIRT-LINEN") == full[:4]
    assert recommend(catalog, context(), sku="SHIRT-LINEN", limit=2) == full[:2]
    assert recommend(catalog, context(), sku="SHIRT-LINEN", limit=0) == []
    with pytest.raises(ValueError, match="limit = -1"):
        recommend(catalog, context(), sku="SHIRT-LINEN", limit=-1)


def test_relation_from_the_other_side(catalog: Catalog) -> None:
    recs = recommend(catalog, context(), sku="JACKET-RAIN", limit=10)
    assert [r["sku"] for r in recs] == ["SHIRT-LINEN"]
    assert recs[0]["reasons"][0] == "Goes with Rain Jacket: a layer for showers"


def test_unknown_product_gives_nothing(catalog: Catalog) -> None:
    assert recommend(catalog, context(), sku="NO-SUCH-SKU") == []


def test_exclude(catalog: Catalog) -> None:
    recs = recommend(
        catalog, context(), sku="SHIRT-LINEN", exclude={"TROUSER-CHINO", "CAP-WOOL"}, limit=10
    )
    assert [r["sku"] for r in recs] == ["SHOES-CANVAS", "BELT-LEATHER", "JACKET-RAIN"]


# --- stock and size ------------------------------------------------------------------------


def test_in_stock_in_the_shoppers_size(catalog: Catalog) -> None:
    recs = {
        r["sku"]: r for r in recommend(catalog, context(), sku="SHIRT-LINEN", size="M", limit=10)
    }
    # Chinos: M in stock (floor + fitting room) -> points.
    assert "In stock in M" in recs["TROUSER-CHINO"]["reasons"]
    assert recs["TROUSER-CHINO"]["score"] == pytest.approx(4.7 + IN_SIZE_WEIGHT)
    # Belt: one size -> counts as the shopper's size.
    assert recs["BELT-LEATHER"]["reasons"] == [
        "Goes with Linen Shirt",
        "In stock, one size",
        "Popular this week",
    ]
    # Cap: an accessory whose size run has no M -> one size too.
    assert "In stock, one size" in recs["CAP-WOOL"]["reasons"]
    assert recs["CAP-WOOL"]["score"] == pytest.approx(0.6 + IN_SIZE_WEIGHT)
    # Jacket: made in M but sold out in M here (L is in stock): shown, no size points.
    assert recs["JACKET-RAIN"]["reasons"] == ["Goes with Linen Shirt: a layer for showers"]
    # Shoes: another size run (40, 42), not an accessory: no size points.
    assert not any(r.startswith("In stock") for r in recs["SHOES-CANVAS"]["reasons"])
    order = [r["sku"] for r in recommend(catalog, context(), sku="SHIRT-LINEN", size="M", limit=10)]
    assert order == ["TROUSER-CHINO", "BELT-LEATHER", "SHOES-CANVAS", "CAP-WOOL", "JACKET-RAIN"]


def test_size_compares_without_case(catalog: Catalog) -> None:
    recs = recommend(catalog, context(), sku="SHIRT-LINEN", size="m", limit=1)
    assert recs[0]["sku"] == "TROUSER-CHINO"
    assert "In stock in M" in recs[0]["reasons"]


def test_size_without_stock_in_it(catalog: Catalog) -> None:
    # Chinos in L: stocked at 0 -> no size points, still shown (M is in stock).
    recs = {
        r["sku"]: r for r in recommend(catalog, context(), sku="SHIRT-LINEN", size="L", limit=10)
    }
    assert not any(r.startswith("In stock") for r in recs["TROUSER-CHINO"]["reasons"])
    assert "In stock in L" in recs["JACKET-RAIN"]["reasons"]


def test_stock_of_the_given_store(catalog: Catalog) -> None:
    recs = recommend(catalog, context(), sku="SHIRT-LINEN", size="M", store="store-2", limit=10)
    # store-2 holds only the tee and the jacket in M.
    assert [r["sku"] for r in recs] == ["TEE-SOLD", "JACKET-RAIN"]
    assert recs[0]["reasons"] == [
        "Goes with Linen Shirt: layer it",
        "In stock in M",
        "Good for summer",
        "Popular this week",
    ]
    assert "In stock in M" in recs[1]["reasons"]


def test_unknown_store_recommends_nothing(catalog: Catalog) -> None:
    assert recommend(catalog, context(), sku="SHIRT-LINEN", store="store-9") == []


# --- context, popularity, wishlist ---------------------------------------------------------


def test_weather_and_season_tags(catalog: Catalog) -> None:
    rainy = context(weather="rain", season="autumn")
    recs = recommend(catalog, rainy, sku="SHIRT-LINEN", limit=10)
    jacket = next(r for r in recs if r["sku"] == "JACKET-RAIN")
    assert jacket["reasons"] == [
        "Goes with Linen Shirt: a layer for showers",
        "Good for rain",
        "Good for autumn",
    ]
    assert jacket["score"] == pytest.approx(GOES_WITH_WEIGHT * 0.7 + 2 * CONTEXT_TAG_WEIGHT)
    assert recs[0]["sku"] == "JACKET-RAIN"
    # No summer here: the chinos lose their context point.
    chinos = next(r for r in recs if r["sku"] == "TROUSER-CHINO")
    assert "Good for summer" not in chinos["reasons"]


def test_context_tags_count_at_most_two(catalog: Catalog) -> None:
    # Saturday, summer, sunny: the shoes carry all three tags; weather and season count.
    recs = recommend(catalog, context(SATURDAY_MORNING, weather="sunny"), sku="SHIRT-LINEN")
    shoes = next(r for r in recs if r["sku"] == "SHOES-CANVAS")
    assert shoes["reasons"] == [
        "Goes with Linen Shirt: summer pair",
        "Good for sunny days",
        "Good for summer",
        "Popular this week",
    ]
    assert shoes["score"] == pytest.approx(1.8 + 2 * CONTEXT_TAG_WEIGHT + 0.8)


def test_event_tags(catalog: Catalog) -> None:
    sale = EventConfig(name="Cold snap", start="2025-07-01", end="2025-07-03", tags=["cold"])
    recs = recommend(catalog, context(events=[sale]), sku="SHIRT-LINEN", limit=10)
    cap = next(r for r in recs if r["sku"] == "CAP-WOOL")
    assert cap["reasons"] == ["Goes with Linen Shirt", "Good for cold days"]


def test_wishlist_only_for_a_member(catalog: Catalog) -> None:
    member = {"loyalty_id": "M-1234", "wishlist": ["CAP-WOOL"]}
    recs = recommend(catalog, context(), sku="SHIRT-LINEN", member=member, limit=10)
    cap = next(r for r in recs if r["sku"] == "CAP-WOOL")
    assert cap["reasons"] == ["Goes with Linen Shirt", "On your wishlist"]
    assert cap["score"] == pytest.approx(0.6 + WISHLIST_WEIGHT)
    anonymous = recommend(catalog, context(), sku="SHIRT-LINEN", limit=10)
    assert not any("On your wishlist" in r["reasons"] for r in anonymous)
    empty = recommend(catalog, context(), sku="SHIRT-LINEN", member={"wishlist": []}, limit=10)
    assert empty == anonymous


def test_the_catalogue_is_not_changed(catalog: Catalog) -> None:
    before = catalog.product("SHIRT-LINEN", store="store-1")
    first = recommend(catalog, context(), sku="SHIRT-LINEN", size="M", limit=10)
    assert recommend(catalog, context(), sku="SHIRT-LINEN", size="M", limit=10) == first
    assert catalog.product("SHIRT-LINEN", store="store-1") == before


# --- without a product on screen: the catalogue's best -------------------------------------


def test_top_products(catalog: Catalog) -> None:
    recs = recommend(catalog, context(), limit=10)
    # Chinos 1 + 1, shoes 1 + 0.8, shirt 1 + 0.5, belt 0.6; cap and jacket add nothing;
    # the tee (sold out here) and the scarf (no stock) are left out.
    assert scores(recs) == [
        ("TROUSER-CHINO", 2.0),
        ("SHOES-CANVAS", 1.8),
        ("SHIRT-LINEN", 1.5),
        ("BELT-LEATHER", 0.6),
        ("CAP-WOOL", 0.0),
        ("JACKET-RAIN", 0.0),
    ]
    assert recs[0]["reasons"] == ["Good for summer", "Popular this week"]
    assert recs[-1]["reasons"] == []
    assert recommend(catalog, context()) == recs[:4]


def test_top_products_with_size_exclude_and_wishlist(catalog: Catalog) -> None:
    member = {"wishlist": ["CAP-WOOL", "TEE-SOLD"]}
    recs = recommend(
        catalog, context(), size="M", member=member, exclude=["TROUSER-CHINO"], limit=3
    )
    assert scores(recs) == [
        ("CAP-WOOL", round(IN_SIZE_WEIGHT + WISHLIST_WEIGHT, 3)),
        ("SHIRT-LINEN", round(IN_SIZE_WEIGHT + CONTEXT_TAG_WEIGHT + 0.5, 3)),
        ("BELT-LEATHER", round(IN_SIZE_WEIGHT + 0.6, 3)),
    ]
    assert recs[0]["reasons"] == ["In stock, one size", "On your wishlist"]


def test_a_wishlist_item_beyond_the_shortlist(tmp_path: Path) -> None:
    # More products than one catalogue page and than the shortlist: the least popular one,
    # last of all, still comes first when it is on the member's wishlist.
    rows = [product(f"P{i:03d}", f"Product {i}", "tops", "", 1000 - 7 * i) for i in range(130)]
    folder = tmp_path / "import"
    folder.mkdir()
    write_csv(folder / "categories.csv", [{"name": "tops", "label": "Tops"}])
    write_csv(folder / "products.csv", rows)
    write_csv(folder / "variants.csv", [variant(f"{r['sku']}-M", r["sku"], "M") for r in rows])
    write_csv(folder / "stock.csv", [stock(f"{r['sku']}-M", 1) for r in rows])
    catalog = open_catalog(tmp_path, [folder])
    try:
        assert catalog.products(limit=1)["total"] == 130 > SHORTLIST
        member = {"wishlist": ["P129"]}
        recs = recommend(catalog, context(), member=member, limit=3)
        assert [r["sku"] for r in recs] == ["P129", "P000", "P001"]
        assert recs[0]["reasons"] == ["On your wishlist"]
        assert recs[1]["reasons"] == ["Popular this week"]
    finally:
        catalog.close()


def test_empty_catalogue(tmp_path: Path) -> None:
    catalog = Catalog.open(tmp_path / "catalog.db", tmp_path / "media")
    try:
        assert recommend(catalog, context()) == []
        assert recommend(catalog, context(), sku="SHIRT-LINEN") == []
    finally:
        catalog.close()


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _steps(catalog: Catalog, work: Callable[[], object]) -> int:
    # SQLite virtual-machine steps (in hundreds) that work() makes the catalogue run.
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    catalog._db.set_progress_handler(count, 100)
    try:
        work()
    finally:
        catalog._db.set_progress_handler(None, 100)
    return steps[0]


def _range_of(tmp_path: Path, n: int) -> Catalog:
    folder = tmp_path / f"range-{n}"
    folder.mkdir()
    tags = ("summer", "rain", "weekend", "")
    rows = [
        product(f"P{i:05d}", f"Piece {i}", "tops", tags[i % 4], (i * 7919) % 1000) for i in range(n)
    ]
    write_csv(folder / "categories.csv", [{"name": "tops", "label": "Tops"}])
    write_csv(folder / "products.csv", rows)
    write_csv(folder / "variants.csv", [variant(f"{r['sku']}-M", r["sku"], "M") for r in rows])
    write_csv(folder / "stock.csv", [stock(f"{r['sku']}-M", i % 3) for i, r in enumerate(rows)])
    return open_catalog(tmp_path / f"db-{n}", [folder])


def test_home_recommendations_do_not_walk_the_catalogue(tmp_path: Path) -> None:
    # Ten times the products must not mean ten times the work: the candidates come from the
    # indexes (most popular overall and per context tag, the wishlist), never from a scan.
    small, big = _range_of(tmp_path, 300), _range_of(tmp_path, 3000)
    try:
        member = {"wishlist": ["P00007"]}
        work = [
            _steps(c, lambda c=c: recommend(c, context(), member=member, size="M"))
            for c in (small, big)
        ]
        recs = recommend(big, context(), member=member, size="M")
    finally:
        small.close()
        big.close()
    assert work[1] < 1.5 * work[0], f"VM steps: {work[0]} for 300 products, {work[1]} for 3000"
    assert recs[0]["sku"] == "P00007" and "On your wishlist" in recs[0]["reasons"]
