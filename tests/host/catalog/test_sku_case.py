"""SKUs that differ only by case (`sh-101` beside `SH-101`) are one code to the people who
read and type them: an import that would store both is refused, naming both rows, and a
reference spelled in another case is named with the stored spelling (docs/catalogue.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.host.catalog.conftest import BASE, write_files
from vitrine.catalog import Catalog, CatalogImportError, import_files
from vitrine.catalog.errors import RowError

SAME_CODE = (
    "SKUs are compared ignoring case, as people read and type them; write the same SKU the same "
    "way, or give the other its own"
)


def refused(catalog: Catalog, paths: list[Path]) -> list[RowError]:
    with pytest.raises(CatalogImportError) as caught:
        import_files(catalog, paths)
    return caught.value.errors


def test_two_products_in_one_import_are_refused_naming_both(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    products = BASE["products.csv"] + "p2,Chinos again,Oakhurst,trousers,,5500,GBP,,0,\n"
    folder = tmp_path / "in"
    errors = refused(empty_catalog, write_files(folder, {**BASE, "products.csv": products}))
    assert errors == [
        RowError(
            str(folder / "products.csv"),
            4,
            "sku",
            f"product SKU 'p2' differs from 'P2' ({folder / 'products.csv'} line 3) only by "
            f"case: {SAME_CODE}",
        )
    ]
    assert empty_catalog.products()["total"] == 0


def test_two_variants_across_files_are_refused(tmp_path: Path, empty_catalog: Catalog) -> None:
    folder = tmp_path / "in"
    files = write_files(folder, BASE)
    more = write_files(
        tmp_path / "more",
        {"variants.csv": "sku,product_sku,size,colour,colour_hex\np1-w-m,P1,M,White,#ffffff\n"},
    )
    (error,) = refused(empty_catalog, [*files, *more])
    assert (error.file, error.line, error.column) == (str(more[0]), 2, "sku")
    assert error.message == (
        f"variant SKU 'p1-w-m' differs from 'P1-W-M' ({folder / 'variants.csv'} line 2) only "
        f"by case: {SAME_CODE}"
    )


def test_a_product_stored_in_another_case_is_named(tmp_path: Path, base_catalog: Catalog) -> None:
    feed = write_files(
        tmp_path / "feed",
        {"products.csv": "sku,name,category,price_cents,currency\np1,Linen,shirts,4900,EUR\n"},
    )
    (error,) = refused(base_catalog, feed)
    assert (error.line, error.column) == (2, "sku")
    assert error.message == (
        f"product SKU 'p1' differs from the stored product 'P1' only by case: {SAME_CODE}"
    )
    assert [p["sku"] for p in base_catalog.products()["items"]] == ["P2", "P1"]


def test_replacing_the_products_may_change_a_skus_case(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    # The stored P1 is not kept (it is not in the import), so p1 does not stand beside it.
    feed = write_files(
        tmp_path / "feed",
        {
            "products.csv": "sku,name,category,price_cents,currency\n"
            "p1,Linen,shirts,4900,EUR\nP2,Chinos,trousers,5500,GBP\n"
        },
    )
    import_files(base_catalog, feed, replace=True)
    assert sorted(p["sku"] for p in base_catalog.products()["items"]) == ["P2", "p1"]


def test_a_reference_in_another_case_names_the_spelling_there_is(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    variants = "sku,product_sku,size,colour,colour_hex\nP1-R-M,p1,M,Red,#ff0000\n"
    goes_with = "sku,other_sku,weight\nP1,p2,0.5\n"
    feed = write_files(tmp_path / "feed", {"variants.csv": variants, "goes_with.csv": goes_with})
    errors = refused(base_catalog, feed)
    assert [(e.column, e.message) for e in errors] == [
        (
            "product_sku",
            "no product 'p1' in this import or in the catalogue; there is 'P1': write a SKU the "
            "same way everywhere",
        ),
        (
            "other_sku",
            "no product 'p2' in this import or in the catalogue; there is 'P2': write a SKU the "
            "same way everywhere",
        ),
    ]


def test_the_same_spelling_again_is_an_update(tmp_path: Path, base_catalog: Catalog) -> None:
    feed = write_files(
        tmp_path / "feed",
        {"products.csv": "sku,name,category,price_cents,currency\nP1,Linen,shirts,4500,EUR\n"},
    )
    report = import_files(base_catalog, feed)
    assert (report.added["products"], report.updated["products"]) == (0, 1)
