"""Catalogue import: every rule a row must keep, reported with its file, line and column;
all or nothing; re-import updates; CSV and JSON; media copied beside."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.host.catalog.conftest import BASE, write_files
from vitrine.catalog import Catalog, CatalogError, CatalogImportError, RowError, import_files
from vitrine.catalog.errors import SHOWN_ERRORS


def refused(catalog: Catalog, paths: list[Path]) -> list[RowError]:
    """The problems an import that must be refused reports."""
    with pytest.raises(CatalogImportError) as caught:
        import_files(catalog, paths)
    return caught.value.errors


def dump(catalog: Catalog) -> dict[str, list[tuple]]:
    """Every row of every table, to compare before and after."""
    conn = sqlite3.connect(catalog.path)
    try:
        return {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall())
            for table in ("category", "product", "variant", "stock", "goes_with")
        }
    finally:
        conn.close()


def with_change(name: str, text: str) -> dict[str, str]:
    return {**BASE, name: text}


# -- the good path --------------------------------------------------------------------------


def test_import_reports_counts_per_table(tmp_path: Path, empty_catalog: Catalog) -> None:
    paths = write_files(tmp_path / "in", BASE)
    report = import_files(empty_catalog, paths)
    assert report.counts == {
        "categories": 2,
        "products": 2,
        "variants": 4,
        "stock": 4,
        "goes_with": 1,
    }
    assert report.added == report.counts
    assert report.updated == dict.fromkeys(report.counts, 0)
    assert report.files == [str(p) for p in paths]
    assert report.media_missing == ["p1.svg"]
    assert report.to_json()["counts"]["variants"] == 4
    assert "variants" in report.summary()


def test_order_of_files_does_not_matter(tmp_path: Path, empty_catalog: Catalog) -> None:
    paths = write_files(tmp_path / "in", BASE)
    import_files(empty_catalog, list(reversed(paths)))
    assert empty_catalog.products()["total"] == 2


def test_values_are_normalised(tmp_path: Path, empty_catalog: Catalog) -> None:
    files = with_change(
        "products.csv",
        "sku,name,category,price_cents,currency,tags\n"
        ' P1 , Linen Shirt ,shirts,4900,eur," Summer, LINEN,summer ,"\n'
        "P2,Chinos,trousers,5500,GBP,\n",
    )
    import_files(empty_catalog, write_files(tmp_path / "in", files))
    card = empty_catalog.product("P1")
    assert card["name"] == "Linen Shirt"
    assert card["currency"] == "EUR"
    assert card["tags"] == ["summer", "linen"]
    assert card["brand"] == ""
    assert card["images"] == []
    assert card["colours"][0]["hex"] == "#ffffff"  # "#FFFFFF" stored in lower case


def test_reimport_updates_rows_and_keeps_columns_a_file_leaves_out(
    tmp_path: Path, base_catalog: Catalog
) -> None:
    update = {
        "products.csv": "sku,name,category,price_cents,currency\n"
        "P1,Linen Shirt II,shirts,5900,EUR\n",
        "variants.csv": "sku,product_sku,size,colour,colour_hex,price_cents\n"
        "P1-B-L,P1,L,Navy,#000080,\n"
        "P1-B-XL,P1,XL,Navy,#000080,\n",
        "stock.csv": "variant_sku,store,location,quantity\nP1-W-M,store-1,floor,7\n",
        "goes_with.csv": "sku,other_sku,weight\nP1,P2,0.3\n",
    }
    report = import_files(base_catalog, write_files(tmp_path / "update", update))
    assert report.added == {
        "categories": 0,
        "products": 0,
        "variants": 1,
        "stock": 0,
        "goes_with": 0,
    }
    assert report.updated["products"] == 1
    assert report.updated["variants"] == 1
    detail = base_catalog.product("P1", store="store-1")
    assert detail["name"] == "Linen Shirt II"
    assert detail["price_cents"] == 5900
    assert detail["brand"] == "Nordvik"  # not in the file: kept
    assert detail["description"] == "Cool linen."
    assert detail["images"] == ["p1.svg"]
    variants = {v["sku"]: v for v in detail["variants"]}
    assert variants["P1-B-L"]["colour"] == "Navy"
    assert variants["P1-B-L"]["price_cents"] == 5900  # empty price: the product's again
    assert "P1-B-XL" in variants
    assert detail["sizes"] == ["S", "M", "L", "XL"]
    assert base_catalog.stock("P1-W-M", "store-1", "floor") == 7
    assert base_catalog.stock("P1-W-M", "store-1", "fitting-room-1") == 1  # kept
    assert base_catalog.goes_with("P1") == [
        {"sku": "P2", "weight": 0.3, "reason": "classic pairing"}
    ]
    assert base_catalog.products()["total"] == 2


def test_references_may_point_at_what_is_stored(tmp_path: Path, base_catalog: Catalog) -> None:
    more = {
        "variants.csv": "sku,product_sku,size,colour,colour_hex\nP2-S-34,P2,34,Stone,#b8b1a3\n",
        "stock.csv": "variant_sku,store,location,quantity\nP2-S-34,store-1,floor,2\n"
        "P1-W-S,store-1,floor,4\n",
    }
    import_files(base_catalog, write_files(tmp_path / "more", more))
    assert base_catalog.stock("P2-S-34", "store-1") == 2
    assert base_catalog.stock("P1-W-S", "store-1") == 4


def test_a_folder_stands_for_its_files_and_the_table_can_come_from_the_header(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    files = dict(BASE)
    files["shop-export.csv"] = files.pop("categories.csv")  # header: name,label,position
    files["readme.md"] = "ignored: not .csv or .json"
    write_files(tmp_path / "in", files)
    report = import_files(empty_catalog, [tmp_path / "in"])
    assert report.counts["categories"] == 2
    assert len(report.files) == 5


def test_multi_line_cells_keep_line_numbers_right(tmp_path: Path, empty_catalog: Catalog) -> None:
    files = with_change(
        "products.csv",
        "sku,name,category,description,price_cents,currency\n"
        'P1,Linen Shirt,shirts,"Two\nlines",4900,EUR\n'
        "\n"
        "P2,Chinos,trousers,,-1,GBP\n",
    )
    folder = tmp_path / "in"
    errors = refused(empty_catalog, write_files(folder, files))
    assert errors == [
        RowError(
            str(folder / "products.csv"),
            5,
            "price_cents",
            "-1 is out of range: must be 0 to 1000000000",
        )
    ]


def test_media_named_by_products_are_copied(tmp_path: Path, empty_catalog: Catalog) -> None:
    folder = tmp_path / "in"
    write_files(folder, BASE)
    write_files(folder / "media", {"p1.svg": "<svg/>", "unused.svg": "<svg/>"})
    report = import_files(empty_catalog, [folder])
    assert report.media_copied == ["p1.svg"]
    assert report.media_missing == []
    assert (empty_catalog.media_dir / "p1.svg").read_text() == "<svg/>"
    assert not (empty_catalog.media_dir / "unused.svg").exists()
    assert empty_catalog.media_path("p1.svg") is not None
    # the same file again is not copied again; a changed one is
    assert import_files(empty_catalog, [folder]).media_copied == []
    (folder / "media" / "p1.svg").write_text("<svg></svg>")
    assert import_files(empty_catalog, [folder]).media_copied == ["p1.svg"]
    assert [p.name for p in empty_catalog.media_dir.iterdir()] == ["p1.svg"]


# -- every rule, with its file, line and column ------------------------------------------------

RULES = [
    # (file, a bad row, the column named, the message; None: any message)
    (
        "products.csv",
        "P3,Scarf,shirts,,-1,EUR",
        "price_cents",
        "-1 is out of range: must be 0 to 1000000000",
    ),
    (
        "products.csv",
        "P3,Scarf,shirts,,49.00,EUR",
        "price_cents",
        "'49.00' is not a whole number of cents (e.g. 4900 for 49.00)",
    ),
    (
        "products.csv",
        "P3,Scarf,shirts,,4900,EURO",
        "currency",
        "'EURO' is not an ISO 4217 currency code: 3 letters, e.g. EUR, GBP, USD",
    ),
    (
        "products.csv",
        "P3,Scarf,shirts,,4900,€",
        "currency",
        "'€' is not an ISO 4217 currency code: 3 letters, e.g. EUR, GBP, USD",
    ),
    (
        "products.csv",
        "bad sku!,Scarf,shirts,,4900,EUR",
        "sku",
        "'bad sku!' is not a SKU: 1-64 letters, digits, '.', '_' or '-', starting with a "
        "letter or digit",
    ),
    ("products.csv", "-P3,Scarf,shirts,,4900,EUR", "sku", None),
    ("products.csv", "P" + "x" * 64 + ",Scarf,shirts,,4900,EUR", "sku", None),
    ("products.csv", "P3,,shirts,,4900,EUR", "name", "required, empty"),
    ("products.csv", "P3," + "n" * 121 + ",shirts,,4900,EUR", "name", None),
    (
        "products.csv",
        "P3,Scarf,hats,,4900,EUR",
        "category",
        "no category 'hats' in this import or in the catalogue",
    ),
    ("products.csv", "P3,Scarf,Shirts,,4900,EUR", "category", None),
    ("products.csv", 'P3,Scarf,shirts,"summer,Too Long Tag!",4900,EUR', "tags", None),
    (
        "variants.csv",
        "V9,P1,M,Red,red,",
        "colour_hex",
        "'red' is not a colour: #rrggbb, e.g. #1f3a5c",
    ),
    ("variants.csv", "V9,P1,M,Red,#12345,", "colour_hex", None),
    ("variants.csv", "V9,P1,M,Red,#gggggg,", "colour_hex", None),
    ("variants.csv", "V9,P1,M,Red,#ff0000,-5", "price_cents", None),
    (
        "variants.csv",
        "V9,P9,M,Red,#ff0000,",
        "product_sku",
        "no product 'P9' in this import or in the catalogue",
    ),
    ("variants.csv", "V9,P1,,Red,#ff0000,", "size", "required, empty"),
    (
        "stock.csv",
        "P1-W-L,store-1,floor,1",
        "variant_sku",
        "no variant 'P1-W-L' in this import or in the catalogue",
    ),
    ("stock.csv", "P1-W-S,store-1,fitting-room-2,-2", "quantity", None),
    ("stock.csv", "P1-W-S,store-1,fitting-room-2,many", "quantity", "'many' is not a whole number"),
    ("stock.csv", "P1-W-S,store-1,fitting-room-2,1.5", "quantity", None),
    (
        "stock.csv",
        "P1-W-S,store-1,backroom,1",
        "location",
        "'backroom' is not a stock location: floor or fitting-room-N (e.g. fitting-room-2)",
    ),
    ("stock.csv", "P1-W-S,store 1,floor,1", "store", None),
    (
        "goes_with.csv",
        "P2,P1,1.5,too strong",
        "weight",
        "1.5 is out of range: must be from 0 to 1",
    ),
    ("goes_with.csv", "P2,P1,-0.1,", "weight", None),
    ("goes_with.csv", "P2,P1,nan,", "weight", "'nan' is not a number from 0 to 1"),
    ("goes_with.csv", "P2,P1,high,", "weight", None),
    (
        "goes_with.csv",
        "P2,P9,0.5,",
        "other_sku",
        "no product 'P9' in this import or in the catalogue",
    ),
    ("goes_with.csv", "P9,P1,0.5,", "sku", "no product 'P9' in this import or in the catalogue"),
    ("goes_with.csv", "P2,P2,0.5,", "other_sku", "a product cannot go with itself"),
    ("categories.csv", "Hats,Hats,3", "name", None),
    ("categories.csv", "hats,Hats,-1", "position", None),
    ("categories.csv", "hats,,3", "label", "required, empty"),
]
# The products file the rules above are written for (the other tables refer to P1 and P2).
PRODUCTS = (
    "sku,name,category,tags,price_cents,currency\n"
    "P1,Linen Shirt,shirts,summer,4900,EUR\n"
    "P2,Chinos,trousers,office,5500,GBP\n"
)


@pytest.mark.parametrize(("name", "line", "column", "message"), RULES)
def test_each_rule_names_file_line_and_column(
    tmp_path: Path,
    empty_catalog: Catalog,
    name: str,
    line: str,
    column: str,
    message: str | None,
) -> None:
    # The bad row goes on line 3: after the header and the first good row.
    header, first, *rest = (PRODUCTS if name == "products.csv" else BASE[name]).splitlines()
    text = "\n".join([header, first, line, *rest]) + "\n"
    folder = tmp_path / "in"
    errors = refused(empty_catalog, write_files(folder, with_change(name, text)))
    assert len(errors) == 1, errors
    error = errors[0]
    assert (error.file, error.line, error.column) == (str(folder / name), 3, column)
    if message is not None:
        assert error.message == message
    assert empty_catalog.products()["total"] == 0


def test_duplicates_within_an_import(tmp_path: Path, empty_catalog: Catalog) -> None:
    folder = tmp_path / "in"
    files = with_change(
        "stock.csv",
        BASE["stock.csv"] + "P1-W-M,store-1,fitting-room-1,2\n",
    )
    again = {
        "sku": "P2",
        "name": "Again",
        "category": "shirts",
        "price_cents": 1,
        "currency": "EUR",
    }
    files["more.json"] = json.dumps({"products": [again]})
    errors = refused(empty_catalog, write_files(folder, files))
    assert sorted(errors, key=str) == sorted(
        [
            RowError(
                str(folder / "stock.csv"),
                6,
                "location",
                "duplicate row (variant_sku 'P1-W-M', store 'store-1', location "
                f"'fitting-room-1'); first at {folder / 'stock.csv'} line 3",
            ),
            RowError(
                str(folder / "more.json"),
                None,
                "products[0].sku",
                f"duplicate row (sku 'P2'); first at {folder / 'products.csv'} line 3",
            ),
        ],
        key=str,
    )


def test_value_duplicate_and_reference_problems_are_listed_together_in_line_order(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    folder = tmp_path / "in"
    files = with_change(
        "products.csv",
        "sku,name,category,price_cents,currency\n"
        "P1,Linen Shirt,shirts,49.00,EUR\n"
        "P1,Again,hats,4900,EUR\n"
        "P2,Chinos,trousers,5500,GBP\n",
    )
    errors = refused(empty_catalog, write_files(folder, files))
    where = str(folder / "products.csv")
    assert [(e.file, e.line, e.column) for e in errors] == [
        (where, 2, "price_cents"),
        (where, 3, "sku"),
        (where, 3, "category"),
    ]


def test_header_problems_name_the_column_and_what_is_allowed(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    folder = tmp_path / "in"
    files = with_change(
        "variants.csv",
        "sku,product_sku,size,color,colour_hex,size\nV1,P1,M,Red,#ff0000,M\n",
    )
    errors = refused(empty_catalog, write_files(folder, files))
    where = str(folder / "variants.csv")
    assert errors == [
        RowError(
            where,
            1,
            "color",
            "unknown column in variants; allowed: sku, product_sku, size, colour, colour_hex, "
            "price_cents",
        ),
        RowError(where, 1, "size", "column named twice in the header"),
        RowError(
            where,
            1,
            "colour",
            "required column missing from variants; required: sku, product_sku, size, "
            "colour, colour_hex",
        ),
    ]


def test_a_semicolon_header_gets_a_hint(tmp_path: Path, empty_catalog: Catalog) -> None:
    folder = tmp_path / "in"
    files = with_change("goes_with.csv", "sku;other_sku;weight\nP1;P2;0.5\n")
    errors = refused(empty_catalog, write_files(folder, files))
    assert errors[0].column == "sku;other_sku;weight"
    assert errors[0].message.endswith("; columns are separated by commas")


def test_wrong_number_of_fields(tmp_path: Path, empty_catalog: Catalog) -> None:
    folder = tmp_path / "in"
    files = with_change("goes_with.csv", "sku,other_sku,weight,reason\nP1,P2,0.5,a, b\n")
    errors = refused(empty_catalog, write_files(folder, files))
    assert errors == [
        RowError(
            str(folder / "goes_with.csv"),
            2,
            None,
            '5 fields, the header has 4: quote a field that holds a comma ("Shirt, linen")',
        )
    ]


@pytest.mark.parametrize(
    ("name", "content", "line", "message"),
    [
        ("products.csv", b"", None, "empty file: expected a header line naming the columns"),
        ("products.csv", b"\n \n", None, "empty file: expected a header line naming the columns"),
        (
            "products.csv",
            b"sku,name\nP1,Caf\xe9\n",
            2,
            "not UTF-8 text (byte 0xe9 at offset 15); save the file as UTF-8",
        ),
        (
            "products.csv",
            b"PK\x03\x04\x00\x00binary",
            None,
            "a binary file, not text (a spreadsheet?): export it as CSV or JSON, UTF-8",
        ),
        (
            "products.csv",
            "sku,name\n".encode("utf-16"),
            None,
            "UTF-16 text: save the file as UTF-8",
        ),
        (
            "products.csv",
            b'sku,name\n"P1,unterminated\n',
            2,
            "not valid CSV: unexpected end of data",
        ),
        ("catalog.json", b"", None, "empty file: expected an object"),
        ("catalog.json", b'{"products": [\n{"sku": }]}', 2, "not valid JSON: Expecting value"),
        ("catalog.json", b"[1, 2]", None, None),
        ("catalog.xlsx", b"PK", None, None),
        ("things.csv", b"sku,weight\nx,1\n", None, None),
    ],
)
def test_files_that_cannot_be_read_as_a_table(
    tmp_path: Path,
    base_catalog: Catalog,
    name: str,
    content: bytes,
    line: int | None,
    message: str | None,
) -> None:
    before = dump(base_catalog)
    folder = tmp_path / "bad"
    files = write_files(folder, {name: content})
    errors = refused(base_catalog, files)
    assert len(errors) == 1, errors
    assert errors[0].file == str(folder / name)
    assert errors[0].line == line
    assert errors[0].column is None
    if message is not None:
        assert errors[0].message.startswith(message)
    assert dump(base_catalog) == before


def test_unreadable_paths(tmp_path: Path, empty_catalog: Catalog) -> None:
    (tmp_path / "empty").mkdir()
    errors = refused(empty_catalog, [tmp_path / "missing.csv", tmp_path / "empty"])
    assert [(e.file, e.line, e.column, e.message) for e in errors] == [
        (str(tmp_path / "empty"), None, None, "no .csv or .json files in folder"),
        (str(tmp_path / "missing.csv"), None, None, "cannot read: No such file or directory"),
    ]
    assert refused(empty_catalog, [])[0].message == "no files to import"


def test_the_error_text_lists_fifty_problems_then_counts_the_rest(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    rows = "".join(f"V{i},P1,M,Red,bad,\n" for i in range(60))
    folder = tmp_path / "in"
    files = {
        "categories.csv": BASE["categories.csv"],
        "products.csv": BASE["products.csv"],
        "variants.csv": "sku,product_sku,size,colour,colour_hex,price_cents\n" + rows,
    }
    with pytest.raises(CatalogImportError) as caught:
        import_files(empty_catalog, write_files(folder, files))
    assert len(caught.value.errors) == 60
    text = str(caught.value)
    lines = text.splitlines()
    assert lines[0] == "catalogue import refused, nothing changed: 60 problems"
    where = folder / "variants.csv"
    assert lines[1] == f"  {where}:2: colour_hex: 'bad' is not a colour: #rrggbb, e.g. #1f3a5c"
    assert len(lines) == 1 + SHOWN_ERRORS + 1
    assert lines[-1] == "  and 10 more"


# -- all or nothing ------------------------------------------------------------------------


def test_a_refused_import_changes_nothing(tmp_path: Path, base_catalog: Catalog) -> None:
    before = dump(base_catalog)
    assert before["product"]  # the good data is there
    folder = tmp_path / "bad"
    bad = {
        # good updates and additions that would be written if the import were not refused
        "categories.csv": "name,label,position\nshirts,Renamed,9\nhats,Hats,3\n",
        "products.csv": "sku,name,category,price_cents,currency\n"
        "P1,Renamed Shirt,shirts,1,EUR\nP3,Hat,hats,100,EUR\n",
        "variants.csv": "sku,product_sku,size,colour,colour_hex\nP3-M,P3,M,Red,#ff0000\n",
        # ... and one bad row at the end
        "stock.csv": "variant_sku,store,location,quantity\nP3-M,store-1,floor,1\n"
        "P1-W-M,store-1,floor,-1\n",
    }
    errors = refused(base_catalog, write_files(folder, bad))
    assert [(e.file, e.line, e.column) for e in errors] == [
        (str(folder / "stock.csv"), 3, "quantity")
    ]
    assert dump(base_catalog) == before
    assert base_catalog.product("P1")["name"] == "Linen Shirt"
    assert base_catalog.product("P3") is None
    # and the catalogue still takes a good import afterwards
    good = {"stock.csv": "variant_sku,store,location,quantity\nP1-W-M,store-1,floor,2\n"}
    import_files(base_catalog, write_files(tmp_path / "good", good))
    assert base_catalog.stock("P1-W-M", "store-1", "floor") == 2


def test_a_failure_while_writing_rolls_back(
    tmp_path: Path, base_catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vitrine.catalog import importer

    before = dump(base_catalog)
    calls = 0
    real = importer.upsert

    def failing(conn, table, values):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 5:
            raise sqlite3.OperationalError("disk I/O error")
        return real(conn, table, values)

    monkeypatch.setattr(importer, "upsert", failing)
    changed = with_change("stock.csv", BASE["stock.csv"].replace(",3\n", ",8\n"))
    with pytest.raises(CatalogError, match="the import failed, nothing changed: disk I/O error"):
        import_files(base_catalog, write_files(tmp_path / "again", changed))
    assert dump(base_catalog) == before


# -- JSON ------------------------------------------------------------------------------------

JSON_BASE = {
    "categories": [{"name": "shirts", "label": "Shirts", "position": 1}],
    "products": [
        {
            "sku": "J1",
            "name": "Silk Scarf",
            "category": "shirts",
            "price_cents": 4500,
            "currency": "USD",
            "tags": ["spring", "party"],
            "images": ["j1.svg"],
        }
    ],
    "variants": [
        {"sku": "J1-R", "product_sku": "J1", "size": "One Size", "colour": "Red",
         "colour_hex": "#b3282d", "price_cents": None},
    ],
    "stock": [{"variant_sku": "J1-R", "store": "store-1", "location": "floor", "quantity": 2}],
    "goes_with": [],
}  # fmt: skip


def test_json_import(tmp_path: Path, empty_catalog: Catalog) -> None:
    (path,) = write_files(tmp_path, {"catalog.json": json.dumps(JSON_BASE)})
    report = import_files(empty_catalog, [path])
    assert report.counts == {
        "categories": 1,
        "products": 1,
        "variants": 1,
        "stock": 1,
        "goes_with": 0,
    }
    detail = empty_catalog.product("J1", store="store-1")
    assert detail["price"] == "$45.00"
    assert detail["tags"] == ["spring", "party"]
    assert detail["images"] == ["j1.svg"]
    assert detail["variants"][0]["stock"] == {"store": 2, "room": 0}
    assert detail["variants"][0]["price_cents"] == 4500


def test_json_and_csv_import_together(tmp_path: Path, empty_catalog: Catalog) -> None:
    more = {"goes_with": [{"sku": "J1", "other_sku": "P1", "weight": 0.5, "reason": "why not"}]}
    paths = write_files(tmp_path / "in", BASE)
    paths += write_files(
        tmp_path / "json", {"a.json": json.dumps(JSON_BASE), "b.json": json.dumps(more)}
    )
    # JSON_BASE's category "shirts" is also in categories.csv: a duplicate
    errors = refused(empty_catalog, paths)
    where = str(tmp_path / "json" / "a.json")
    assert [(e.file, e.column) for e in errors] == [(where, "categories[0].name")]
    data = {**JSON_BASE, "categories": []}
    (tmp_path / "json" / "a.json").write_text(json.dumps(data))
    import_files(empty_catalog, paths)
    assert {"sku": "J1", "weight": 0.5, "reason": "why not"} in empty_catalog.goes_with("P1")


def test_json_rules_are_reported_by_item_path(tmp_path: Path, empty_catalog: Catalog) -> None:
    data = {
        "categories": [{"name": "shirts", "label": "Shirts"}],
        "products": [
            {"sku": "J1", "name": "A", "category": "shirts", "price_cents": 1, "currency": "EUR"},
            {"sku": "J2", "name": "B", "category": "shirts", "price_cents": "4900",
             "currency": "EUR", "colour": "red"},
            {"sku": "J3", "name": 7, "category": "shirts", "currency": "EUR",
             "popularity": True, "tags": [1]},
            "not an object",
        ],
        "variants": {"sku": "V"},
        "sizes": [],
        "goes_with": [{"sku": "J1", "other_sku": "J2", "weight": "0.5"}],
    }  # fmt: skip
    (path,) = write_files(tmp_path, {"catalog.json": json.dumps(data)})
    errors = refused(empty_catalog, [path])
    file = str(path)
    product_fields = (
        "sku, name, brand, category, description, price_cents, currency, tags, popularity, images"
    )
    assert errors == [
        RowError(file, None, "products[1].colour",
                 f"unknown field in products; allowed: {product_fields}"),
        RowError(file, None, "products[1].price_cents",
                 "must be a whole number of cents (e.g. 4900 for 49.00), not text"),
        RowError(file, None, "products[2].name", "must be text, not a number"),
        RowError(file, None, "products[2].price_cents", "required, missing"),
        RowError(file, None, "products[2].tags",
                 "must be a list of text or comma-separated text, not a list"),
        RowError(file, None, "products[2].popularity", "must be a whole number, not true/false"),
        RowError(file, None, "products[3]", "must be an object, not text"),
        RowError(file, None, "variants", "must be a list of objects, not an object"),
        RowError(file, None, "sizes",
                 "unknown table; allowed: categories, products, variants, stock, goes_with"),
        RowError(file, None, "goes_with[0].weight", "must be a number from 0 to 1, not text"),
    ]  # fmt: skip


def test_json_top_level_must_be_an_object(tmp_path: Path, empty_catalog: Catalog) -> None:
    (path,) = write_files(tmp_path, {"catalog.json": "[]"})
    assert refused(empty_catalog, [path]) == [
        RowError(
            str(path),
            None,
            None,
            "must be a JSON object with the keys categories, products, variants, stock, "
            "goes_with, not a list",
        )
    ]
