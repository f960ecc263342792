"""CSV files the importer must explain rather than read: UTF-16 (with or without a byte-order
mark), a field longer than the csv module accepts (named by file, line, column, its size and
the limit, found without reading the file into memory), an unclosed quote, an endless line."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.host.catalog.conftest import BASE, write_files
from vitrine.catalog import Catalog, CatalogImportError, import_files
from vitrine.catalog.csvfile import LINE_LIMIT_BYTES, encoding_problem, field_limit
from vitrine.catalog.errors import RowError

HEADER = "sku,name,brand,category,description,price_cents,currency\n"
GOOD_ROW = "P1,Linen Shirt,Nordvik,shirts,Cool linen.,4900,EUR\n"


def refused(catalog: Catalog, paths: list[Path]) -> list[RowError]:
    with pytest.raises(CatalogImportError) as caught:
        import_files(catalog, paths)
    return caught.value.errors


@pytest.mark.parametrize(
    ("codec", "order", "iconv"),
    [("utf-16-le", "little-endian", "UTF-16LE"), ("utf-16-be", "big-endian", "UTF-16BE")],
)
@pytest.mark.parametrize("name", ["products.csv", "catalog.json"])
def test_utf16_without_a_byte_order_mark_is_named_with_what_to_do(
    tmp_path: Path, empty_catalog: Catalog, codec: str, order: str, iconv: str, name: str
) -> None:
    text = (HEADER + GOOD_ROW) if name.endswith(".csv") else '{"products": []}'
    files = write_files(tmp_path, {name: text.encode(codec)})
    (error,) = refused(empty_catalog, files)
    stem = name.rsplit(".", 1)[0]
    assert error == RowError(
        str(files[0]),
        None,
        None,
        f"UTF-16 text ({order}, without a byte-order mark), not UTF-8: save the file as UTF-8 "
        f"(e.g. iconv -f {iconv} -t UTF-8 {name} > {stem}-utf8.csv)",
    )


def test_utf16_with_a_byte_order_mark_says_how_to_convert_it(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    files = write_files(tmp_path, {"products.csv": (HEADER + GOOD_ROW).encode("utf-16")})
    (error,) = refused(empty_catalog, files)
    assert error.message == (
        "UTF-16 text: save the file as UTF-8 "
        "(e.g. iconv -f UTF-16 -t UTF-8 products.csv > products-utf8.csv)"
    )


def test_binary_files_are_not_taken_for_utf16() -> None:
    binary = "a binary file, not text (a spreadsheet?): export it as CSV or JSON, UTF-8"
    assert encoding_problem(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "x.csv") == binary
    assert encoding_problem(bytes(range(256)), "x.csv") == binary
    assert encoding_problem(b"\x00\x00\x00\x00", "x.csv") == binary
    assert encoding_problem(b"sku,name\n", "x.csv") is None


def test_a_nul_byte_after_the_start_is_a_binary_file(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    content = (HEADER + GOOD_ROW * 400).encode() + b"P2,\x00\x00,x\n"
    files = write_files(tmp_path, {"products.csv": content})
    (error,) = refused(empty_catalog, files)
    assert (error.line, error.message) == (402, encoding_problem(b"\x00\x01\x02", "x"))


def test_a_50_mb_field_is_named_and_measured_in_bounded_memory(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    path = tmp_path / "products.csv"
    size = 50_000_000
    with path.open("w") as out:
        out.write(HEADER + GOOD_ROW)
        out.write('P2,Chinos,Oakhurst,trousers,"' + "x" * size + '",5500,GBP\n')
    tracemalloc.start()
    try:
        errors = refused(empty_catalog, [path])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert errors == [
        RowError(
            str(path),
            3,
            "description",
            f"a field of 50,000,000 characters, over the {field_limit():,} a field may hold",
        )
    ]
    assert peak < 8 * LINE_LIMIT_BYTES  # a few lines' worth, not the file's 50 MB


def test_a_long_field_over_many_lines_and_with_quotes_is_measured_as_the_csv_module_reads_it(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    # One more character than the limit, counting each '""' as the one quote it stands for
    # (the csv module's count), spread over lines: no line is long, the field is.
    limit = field_limit()
    text = ('a""' + "b" * 97 + "\n") * (limit // 100) + "c" * (limit % 100 + 1)
    assert len(text.replace('""', '"')) == limit + 1
    files = write_files(tmp_path, {"products.csv": HEADER + f'P1,"{text}",,shirts,,1,EUR\n'})
    (error,) = refused(empty_catalog, files)
    assert (error.line, error.column) == (2, "name")
    assert (
        error.message == f"a field of {limit + 1:,} characters, over the {limit:,} a field may hold"
    )


def test_an_unclosed_quote_is_found_where_it_opens(tmp_path: Path, empty_catalog: Catalog) -> None:
    rows = "".join(f"P{n},Shirt,,shirts,,4900,EUR\n" for n in range(2, 8000))
    files = write_files(tmp_path, {"products.csv": HEADER + 'P1,"Linen Shirt,,shirts\n' + rows})
    (error,) = refused(empty_catalog, files)
    assert (error.line, error.column) == (2, "name")
    assert error.message.startswith(
        "a quote opened here is never closed, so the rest of the file ("
    )
    assert error.message.endswith(
        f" characters) is one field, over the {field_limit():,} a field may hold: close the quote"
    )


def test_a_long_field_in_the_header_is_counted_by_position(
    tmp_path: Path, empty_catalog: Catalog
) -> None:
    files = write_files(tmp_path, {"products.csv": "sku," + "n" * 200_000 + "\n"})
    (error,) = refused(empty_catalog, files)
    assert (error.line, error.column) == (1, None)
    assert error.message.startswith("field 2: a field of 200,000 characters, over the ")


def test_a_line_over_the_limit_without_a_long_field(tmp_path: Path, empty_catalog: Catalog) -> None:
    field = "x" * 100_000  # each under the csv module's limit, together over the line limit
    row = ",".join([field] * 12) + "\n"
    files = write_files(tmp_path, {"products.csv": HEADER + row})
    (error,) = refused(empty_catalog, files)
    assert (error.line, error.column) == (2, None)
    assert error.message == (
        f"a line longer than {LINE_LIMIT_BYTES:,} bytes: a catalogue row is far shorter "
        "(is this the file you meant?)"
    )


def test_files_read_a_line_at_a_time_still_import(tmp_path: Path, empty_catalog: Catalog) -> None:
    # The byte-order mark Excel writes, CRLF line ends, a quoted field over two lines.
    files = dict(BASE)
    files["products.csv"] = (
        "\ufeff"
        + BASE["products.csv"].replace("\n", "\r\n").replace("Cool linen.", '"Cool\r\nlinen."')
    ).encode()
    report = import_files(empty_catalog, write_files(tmp_path, files))
    assert report.counts["products"] == 2
    assert empty_catalog.product("P1")["description"] == "Cool\r\nlinen."
