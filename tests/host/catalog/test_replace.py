"""Catalogue import with replace: each table the import gives holds exactly its rows after
(a removed product's variants, stock and relations go with it), the tables it does not give
are kept, and anything that would leave the catalogue inconsistent refuses the whole import
with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.host.catalog.conftest import write_files
from tests.host.catalog.test_importer import dump
from vitrine.catalog import Catalog, CatalogImportError, RowError, import_files

STOCK_HEADER = "variant_sku,store,location,quantity\n"


def refused(catalog: Catalog, paths: list[Path]) -> list[RowError]:
    before = dump(catalog)
    with pytest.raises(CatalogImportError) as caught:
        import_files(catalog, paths, replace=True)
    assert dump(catalog) == before  # nothing changed
    return caught.value.errors


def test_a_stock_feed_replaces_all_stock_and_keeps_the_rest(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    before = dump(base_catalog)
    feed = {"stock.csv": STOCK_HEADER + "P1-W-M,store-1,floor,9\nP2-S-32,store-1,floor,4\n"}
    report = import_files(base_catalog, write_files(tmp_path / "feed", feed), replace=True)
    assert report.replaced == ["stock"]
    assert (report.added["stock"], report.updated["stock"], report.removed["stock"]) == (1, 1, 3)
    after = dump(base_catalog)
    assert after["stock"] == [("P1-W-M", "store-1", "floor", 9), ("P2-S-32", "store-1", "floor", 4)]
    for table in ("category", "product", "variant", "goes_with"):
        assert after[table] == before[table], table
    assert "3 removed; replaced" in report.summary()
    assert report.to_json()["removed"]["stock"] == 3


def test_without_replace_nothing_is_removed(tmp_path: Path, base_catalog: Catalog) -> None:
    feed = {"stock.csv": STOCK_HEADER + "P1-W-M,store-1,floor,9\n"}
    report = import_files(base_catalog, write_files(tmp_path / "feed", feed))
    assert report.replaced == [] and report.removed["stock"] == 0
    assert len(dump(base_catalog)["stock"]) == 4
    assert "removed" not in report.summary()


def test_a_header_only_file_empties_its_table(tmp_path: Path, base_catalog: Catalog) -> None:
    report = import_files(
        base_catalog, write_files(tmp_path / "feed", {"stock.csv": STOCK_HEADER}), replace=True
    )
    assert report.removed["stock"] == 4
    assert dump(base_catalog)["stock"] == []


def test_a_new_range_removes_old_products_with_their_variants_stock_and_relations(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    season = {
        "products.csv": "sku,name,category,price_cents,currency\n"
        "P2,Chinos,trousers,5900,GBP\n"
        "P3,Wool Coat,trousers,19900,GBP\n",
        "variants.csv": "sku,product_sku,size,colour,colour_hex\nP3-G-M,P3,M,Grey,#808080\n",
    }
    report = import_files(base_catalog, write_files(tmp_path / "season", season), replace=True)
    assert report.replaced == ["products", "variants"]
    assert report.removed == {
        "categories": 0,
        "products": 1,  # P1
        "variants": 4,  # P1's three, and P2-S-32 (variants are replaced too)
        "stock": 4,  # every row was for a removed variant
        "goes_with": 1,  # P1 with P2
    }
    after = dump(base_catalog)
    assert [r[0] for r in after["product"]] == ["P2", "P3"]
    assert [r[0] for r in after["variant"]] == ["P3-G-M"]
    assert after["stock"] == [] and after["goes_with"] == []
    assert len(after["category"]) == 2  # not given: kept
    assert base_catalog.product("P1") is None


def test_json_replaces_the_tables_it_has_keys_for(tmp_path: Path, base_catalog: Catalog) -> None:
    data = {"goes_with": [], "categories": [{"name": "shirts", "label": "Shirts"},
                                            {"name": "trousers", "label": "Trousers"}]}  # fmt: skip
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = import_files(base_catalog, [path], replace=True)
    assert report.replaced == ["categories", "goes_with"]
    assert report.removed["goes_with"] == 1
    assert dump(base_catalog)["goes_with"] == []


def test_json_with_rows_in_two_tables_replaces_both(tmp_path: Path, base_catalog: Catalog) -> None:
    # Each table of the file counts, not only the first one with rows.
    data = {
        "categories": [{"name": "shirts", "label": "Shirts"}],
        "products": [
            {"sku": "P3", "name": "Oxford", "category": "shirts", "price_cents": 5900,
             "currency": "EUR"}
        ],
    }  # fmt: skip
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = import_files(base_catalog, [path], replace=True)
    assert report.replaced == ["categories", "products"]
    assert [p["sku"] for p in base_catalog.products()["items"]] == ["P3"]
    assert [c["name"] for c in base_catalog.categories()] == ["shirts"]


def test_a_reference_to_a_row_the_replace_removes_is_refused(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    files = {
        "products.csv": "sku,name,category,price_cents,currency\nP2,Chinos,trousers,5500,GBP\n",
        "stock.csv": STOCK_HEADER + "P1-W-M,store-1,floor,2\n",  # P1-W-M stays stored ...
        "goes_with.csv": "sku,other_sku,weight\nP2,P1,0.5\n",  # ... but P1 would go
    }
    errors = refused(base_catalog, write_files(tmp_path / "in", files))
    assert [(Path(e.file).name, e.line, e.column) for e in errors] == [
        ("goes_with.csv", 2, "other_sku")
    ]
    assert errors[0].message == "no product 'P1' in this import, which replaces them"


def test_a_category_still_in_use_is_not_removed(tmp_path: Path, base_catalog: Catalog) -> None:
    files = {"categories.csv": "name,label\nshirts,Shirts\nknitwear,Knitwear\n"}
    errors = refused(base_catalog, write_files(tmp_path / "in", files))
    assert len(errors) == 1
    assert Path(errors[0].file).name == "categories.csv"
    assert errors[0].message == (
        "category 'trousers' is not in the import but 1 product(s) still use it (P2): "
        "list it, or replace the products too"
    )


def test_categories_and_products_replaced_together(tmp_path: Path, base_catalog: Catalog) -> None:
    files = {
        "categories.csv": "name,label\nknitwear,Knitwear\n",
        "products.csv": "sku,name,category,price_cents,currency\nK1,Jumper,knitwear,6900,EUR\n",
    }
    report = import_files(base_catalog, write_files(tmp_path / "in", files), replace=True)
    assert (report.removed["categories"], report.removed["products"]) == (2, 2)
    (knitwear,) = base_catalog.categories()
    assert (knitwear["name"], knitwear["label"], knitwear["count"]) == ("knitwear", "Knitwear", 1)


def test_a_bad_row_refuses_the_replace(tmp_path: Path, base_catalog: Catalog) -> None:
    feed = {"stock.csv": STOCK_HEADER + "P1-W-M,store-1,floor,-1\n"}
    errors = refused(base_catalog, write_files(tmp_path / "feed", feed))
    assert [(e.line, e.column) for e in errors] == [(2, "quantity")]


def test_a_refusal_after_rows_were_removed_rolls_them_back(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    files = {  # the stock is replaced before the categories are looked at
        "stock.csv": STOCK_HEADER + "P1-W-M,store-1,floor,9\n",
        "categories.csv": "name,label\nshirts,Shirts\n",  # P2 still uses trousers
    }
    errors = refused(base_catalog, write_files(tmp_path / "in", files))
    assert [Path(e.file).name for e in errors] == ["categories.csv"]
    assert "category 'trousers' is not in the import" in errors[0].message
