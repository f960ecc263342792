"""Catalogue import from CSV (one file per table, the table named by the file: products.csv,
variants.csv, stock.csv, goes_with.csv, categories.csv) and JSON (one object with those
table names as keys, each a list of objects). Every row is checked (types, ranges,
references, duplicates) before anything is written; any problem refuses the whole import
with every problem listed, and nothing changes. Rows whose key is stored already are
updated (only the columns the file gives); with replace, the rows of each table the import
gives that it does not list are removed as well. Images the products name are copied from a
`media/` folder beside the files into the catalogue's media folder."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vitrine.catalog.db import Catalog, count_rows, existing_keys, remove_absent, upsert
from vitrine.catalog.errors import CatalogError, CatalogImportError, RowError
from vitrine.catalog.values import (
    CATEGORY_RE,
    COLOUR_HEX_RE,
    CURRENCY_RE,
    LOCATION_RE,
    SKU_RE,
    TAG_RE,
    is_media_name,
)

# File/JSON table names, in the order they are written (references point backwards).
TABLE_NAMES = ("categories", "products", "variants", "stock", "goes_with")
SQL_TABLE = {
    "categories": "category",
    "products": "product",
    "variants": "variant",
    "stock": "stock",
    "goes_with": "goes_with",
}
_FILE_STEMS = {
    **{name: name for name in TABLE_NAMES},
    "category": "categories",
    "product": "products",
    "variant": "variants",
    "goes-with": "goes_with",
}
_INT_RE = re.compile(r"^[+-]?\d+$")
_MAX_WHOLE = 1_000_000_000  # cents, units, positions: far beyond any real catalogue
_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class _Bad(ValueError):
    """A value that breaks its column's rule; the message says what is allowed."""


# -- the columns and their rules -------------------------------------------------------------


# A rule: (value, from_text) -> the value to store, or _Bad. from_text: the value is a CSV
# cell (numbers come as text there); in JSON a number must be a JSON number.


def _text(limit: int) -> Callable[[Any, bool], str]:
    def parse(value: Any, from_text: bool) -> str:
        if not isinstance(value, str):
            raise _Bad(f"must be text, not {_json_type(value)}")
        if len(value) > limit:
            raise _Bad(f"too long: {len(value)} characters, at most {limit}")
        return value

    return parse


def _pattern(regex: re.Pattern[str], what: str, fold: Callable[[str], str] = str) -> Callable:
    def parse(value: Any, from_text: bool) -> str:
        if not isinstance(value, str):
            raise _Bad(f"must be text, not {_json_type(value)}")
        if not regex.match(value):
            raise _Bad(f"{value!r} is not {what}")
        return fold(value)

    return parse


def _whole(what: str = "a whole number") -> Callable[[Any, bool], int]:
    def parse(value: Any, from_text: bool) -> int:
        if isinstance(value, str) and from_text:
            if not _INT_RE.match(value):
                raise _Bad(f"{value!r} is not {what}")
            value = int(value)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise _Bad(f"must be {what}, not {_json_type(value)}")
        if not 0 <= value <= _MAX_WHOLE:
            raise _Bad(f"{value} is out of range: must be 0 to {_MAX_WHOLE}")
        return value

    return parse


def _weight(value: Any, from_text: bool) -> float:
    if isinstance(value, str) and from_text:
        if not _FLOAT_RE.match(value):
            raise _Bad(f"{value!r} is not a number from 0 to 1")
        value = float(value)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"must be a number from 0 to 1, not {_json_type(value)}")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise _Bad(f"{value} is out of range: must be from 0 to 1")
    return float(value)


def _names(value: Any) -> list[str]:
    # A list: comma-separated text, or (JSON) a list of strings.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise _Bad(f"must be a list of text or comma-separated text, not {_json_type(value)}")


def _tags(value: Any, from_text: bool) -> str:
    tags: list[str] = []
    for name in _names(value):
        tag = name.lower()
        if not TAG_RE.match(tag):
            raise _Bad(
                f"tag {tag!r} is not allowed: 1-32 letters, digits, '-' or '_' "
                "(e.g. summer, rain, office)"
            )
        if tag not in tags:
            tags.append(tag)
    return ",".join(tags)


def _images(value: Any, from_text: bool) -> str:
    names = _names(value)
    for name in names:
        if not is_media_name(name):
            raise _Bad(
                f"image {name!r} is not a media file name: letters, digits, '.', '_', '-', "
                "ending in .svg, .png, .jpg, .jpeg or .webp, no folders"
            )
    return json.dumps(list(dict.fromkeys(names)))


_SKU = _pattern(
    SKU_RE, "a SKU: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
)
_STORE = _pattern(
    SKU_RE, "a store id: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
)
_CATEGORY = _pattern(
    CATEGORY_RE, "a category name: 1-40 lower-case letters, digits, '-' or '_' (e.g. knitwear)"
)
_CURRENCY = _pattern(
    CURRENCY_RE, "an ISO 4217 currency code: 3 letters, e.g. EUR, GBP, USD", str.upper
)
_HEX = _pattern(COLOUR_HEX_RE, "a colour: #rrggbb, e.g. #1f3a5c", str.lower)
_LOCATION = _pattern(LOCATION_RE, "a stock location: floor or fitting-room-N (e.g. fitting-room-2)")
_CENTS = _whole("a whole number of cents (e.g. 4900 for 49.00)")
_COUNT = _whole()


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an import table: its rule, and whether it must be given (optional
    columns left empty take `default`)."""

    name: str
    parse: Callable[[Any, bool], Any]
    required: bool = False
    default: Any = None


COLUMNS: dict[str, tuple[Column, ...]] = {
    "categories": (
        Column("name", _CATEGORY, True),
        Column("label", _text(80), True),
        Column("position", _COUNT, default=0),
    ),
    "products": (
        Column("sku", _SKU, True),
        Column("name", _text(120), True),
        Column("brand", _text(80), default=""),
        Column("category", _CATEGORY, True),
        Column("description", _text(4000), default=""),
        Column("price_cents", _CENTS, True),
        Column("currency", _CURRENCY, True),
        Column("tags", _tags, default=""),
        Column("popularity", _COUNT, default=0),
        Column("images", _images, default="[]"),
    ),
    "variants": (
        Column("sku", _SKU, True),
        Column("product_sku", _SKU, True),
        Column("size", _text(16), True),
        Column("colour", _text(40), True),
        Column("colour_hex", _HEX, True),
        Column("price_cents", _CENTS, default=None),
    ),
    "stock": (
        Column("variant_sku", _SKU, True),
        Column("store", _STORE, True),
        Column("location", _LOCATION, True),
        Column("quantity", _COUNT, True),
    ),
    "goes_with": (
        Column("sku", _SKU, True),
        Column("other_sku", _SKU, True),
        Column("weight", _weight, True),
        Column("reason", _text(200), default=""),
    ),
}
# A row's key, as in the database; the last key column is where a duplicate is reported.
_KEYS = {
    "categories": ("name",),
    "products": ("sku",),
    "variants": ("sku",),
    "stock": ("variant_sku", "store", "location"),
    "goes_with": ("sku", "other_sku"),
}
# (table, column) -> (table whose key it must name, what that is called in a message)
_REFERENCES = {
    ("products", "category"): ("categories", "category"),
    ("variants", "product_sku"): ("products", "product"),
    ("stock", "variant_sku"): ("variants", "variant"),
    ("goes_with", "sku"): ("products", "product"),
    ("goes_with", "other_sku"): ("products", "product"),
}


# -- what an import produces ---------------------------------------------------------------


@dataclass(slots=True)
class ImportReport:
    """What an import did: rows per table (added + updated; removed when it replaced tables,
    a removed product's variants, stock and relations included), and the images it copied
    into the media folder or could not find."""

    files: list[str]
    replaced: list[str] = field(default_factory=list)  # the tables replaced, in TABLE_NAMES order
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_NAMES, 0))
    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_NAMES, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_NAMES, 0))
    removed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLE_NAMES, 0))
    media_copied: list[str] = field(default_factory=list)
    media_missing: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "replaced": self.replaced,
            "counts": self.counts,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "media_copied": self.media_copied,
            "media_missing": self.media_missing,
        }

    def summary(self) -> str:
        """One line per table, then the media."""
        width = max(len(t) for t in TABLE_NAMES)
        lines = []
        for t in TABLE_NAMES:
            done = f"{self.added[t]} added, {self.updated[t]} updated"
            if t in self.replaced or self.removed[t]:
                done += f", {self.removed[t]} removed"
            if t in self.replaced:
                done += "; replaced"
            lines.append(f"{t:<{width}}  {self.counts[t]:>6}  ({done})")
        lines.append(f"{'media':<{width}}  {len(self.media_copied):>6}  copied")
        return "\n".join(lines)


@dataclass(slots=True)
class _Row:
    table: str
    file: str
    line: int | None  # CSV line the row starts on
    item: str | None  # JSON path of the item ("products[3]")
    values: dict[str, Any]
    bad: set[str]  # columns whose value was refused
    media_from: list[Path]

    def where(self, column: str | None) -> tuple[int | None, str | None]:
        if self.item is None:
            return self.line, column
        return None, f"{self.item}.{column}" if column else self.item

    def error(self, column: str | None, message: str) -> RowError:
        line, col = self.where(column)
        return RowError(self.file, line, col, message)

    def place(self) -> str:
        return f"{self.file} line {self.line}" if self.item is None else f"{self.file} {self.item}"


# -- the import --------------------------------------------------------------------------


def import_files(catalog: Catalog, paths: Sequence[Path], *, replace: bool = False) -> ImportReport:
    """Import CSV and JSON files (a folder stands for the .csv and .json files in it) into
    the catalogue in one transaction. With replace, each table the import gives (a file or a
    JSON key for it, even with no rows) ends up holding exactly the rows the import lists:
    the others are removed, and with a product its variants, stock and relations; tables it
    does not give are kept. Raises CatalogImportError listing every problem, and then nothing
    has changed."""
    errors: list[RowError] = []
    files = _expand(paths, errors)
    rows: list[_Row] = []
    given: dict[str, str] = {}  # table -> the first file that gives it
    complete = not errors  # every row of every file read (else references are not checked)
    for path, shown in files:
        read = _read_json if path.suffix.lower() == ".json" else _read_csv
        complete = read(path, shown, rows, errors, given) and complete
    if not files and not errors:
        raise CatalogImportError([RowError("(none)", None, None, "no files to import")])
    replaced = [t for t in TABLE_NAMES if t in given] if replace else []
    report = ImportReport(files=[shown for _, shown in files], replaced=replaced)
    order = {shown: i for i, (_, shown) in enumerate(files)}

    def refuse() -> None:
        # by file, then by line (a JSON file's problems stay in the order found)
        errors.sort(key=lambda e: (order.get(e.file, -1), e.line or 0))
        raise CatalogImportError(errors)

    try:
        with catalog.transaction() as conn:
            _check_rows(conn, rows, errors, references=complete, replaced=set(replaced))
            if errors:
                refuse()
            before = {t: count_rows(conn, SQL_TABLE[t]) for t in TABLE_NAMES}
            for table in replaced:
                if table != "categories":  # last: the products written below may use them
                    remove_absent(conn, SQL_TABLE[table], _keys_of(rows, table))
            for table in TABLE_NAMES:
                for row in rows:
                    if row.table == table:
                        added = upsert(conn, SQL_TABLE[table], row.values)
                        report.counts[table] += 1
                        report.added[table] += added
                        report.updated[table] += not added
            if "categories" in replaced:
                _remove_categories(conn, _keys_of(rows, "categories"), given, errors)
                if errors:
                    refuse()
            for table in TABLE_NAMES:
                after = count_rows(conn, SQL_TABLE[table])
                report.removed[table] = before[table] + report.added[table] - after
    except sqlite3.Error as err:
        raise CatalogError(f"{catalog.path}: the import failed, nothing changed: {err}") from err
    _copy_media(catalog, rows, report)
    return report


def _keys_of(rows: list[_Row], table: str) -> set[tuple[Any, ...]]:
    return {tuple(r.values[n] for n in _KEYS[table]) for r in rows if r.table == table}


def _remove_categories(
    conn: Any, keep: set[tuple[Any, ...]], given: dict[str, str], errors: list[RowError]
) -> None:
    # A category still used by a product the import keeps is not removed: that is an error.
    names = {k[0] for k in keep}
    used: dict[str, list[str]] = {}
    for sku, category in conn.execute("SELECT sku, category FROM product ORDER BY sku"):
        if category not in names:
            used.setdefault(category, []).append(sku)
    for category, skus in sorted(used.items()):
        shown = ", ".join(skus[:3]) + (f" and {len(skus) - 3} more" if len(skus) > 3 else "")
        errors.append(
            RowError(
                given["categories"],
                None,
                None,
                f"category {category!r} is not in the import but {len(skus)} product(s) still "
                f"use it ({shown}): list it, or replace the products too",
            )
        )
    if not errors:
        remove_absent(conn, "category", keep)


def _expand(paths: Sequence[Path], errors: list[RowError]) -> list[tuple[Path, str]]:
    # The files to read, each with the name shown in messages; a folder gives its files.
    out: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            inside = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in (".csv", ".json")
            )
            if not inside:
                errors.append(RowError(str(path), None, None, "no .csv or .json files in folder"))
            candidates = [(p, str(p)) for p in inside]
        else:
            candidates = [(path, str(path))]
        for p, shown in candidates:
            if p.suffix.lower() not in (".csv", ".json"):
                errors.append(
                    RowError(
                        shown,
                        None,
                        None,
                        "not a .csv or .json file: the catalogue imports CSV files (one per "
                        "table) and JSON files",
                    )
                )
                continue
            try:
                key = p.resolve()
            except OSError:
                key = p
            if key not in seen:
                seen.add(key)
                out.append((p, shown))
    return out


def _read_text(path: Path, shown: str, errors: list[RowError]) -> str | None:
    # The file as text, or None after recording why it cannot be read.
    try:
        data = path.read_bytes()
    except OSError as err:
        errors.append(RowError(shown, None, None, f"cannot read: {err.strerror or err}"))
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        errors.append(RowError(shown, None, None, "UTF-16 text: save the file as UTF-8"))
        return None
    if b"\x00" in data:
        errors.append(
            RowError(
                shown,
                None,
                None,
                "a binary file, not text (a spreadsheet?): export it as CSV or JSON, UTF-8",
            )
        )
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        errors.append(
            RowError(
                shown,
                line,
                None,
                f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start}); "
                "save the file as UTF-8",
            )
        )
        return None
    if not text.strip():
        kind = "a header line naming the columns" if path.suffix.lower() == ".csv" else "an object"
        errors.append(RowError(shown, None, None, f"empty file: expected {kind}"))
        return None
    return text


def _read_csv(
    path: Path, shown: str, rows: list[_Row], errors: list[RowError], given: dict[str, str]
) -> bool:
    # Adds the file's rows and its table to given; False when some may be missing (the file
    # or a row unreadable).
    text = _read_text(path, shown, errors)
    if text is None:
        return False
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for record in reader:
            start, last = last + 1, reader.line_num
            if any(cell.strip() for cell in record):
                records.append((start, record))
    except csv.Error as err:
        errors.append(RowError(shown, last + 1, None, f"not valid CSV: {err}"))
        return False
    if not records:
        errors.append(RowError(shown, None, None, "empty file: expected a header line"))
        return False
    header_line, header = records[0]
    names = [cell.strip().lower() for cell in header]
    table = _FILE_STEMS.get(path.stem.lower()) or _table_from_header(names)
    if table is None:
        errors.append(
            RowError(
                shown,
                None,
                None,
                "cannot tell which table this file holds: name it "
                + ", ".join(f"{t}.csv" for t in TABLE_NAMES),
            )
        )
        return False
    if not _check_header(table, names, shown, header_line, errors):
        return False
    given.setdefault(table, shown)
    complete = True
    media_from = [path.parent / "media"]
    for line, record in records[1:]:
        if len(record) != len(names):
            errors.append(
                RowError(
                    shown,
                    line,
                    None,
                    f"{len(record)} fields, the header has {len(names)}: quote a field "
                    'that holds a comma ("Shirt, linen")',
                )
            )
            complete = False
            continue
        row = _Row(table, shown, line, None, {}, set(), media_from)
        given = {name: cell.strip() for name, cell in zip(names, record, strict=True)}
        _parse_row(row, given, errors)
        rows.append(row)
    return complete


def _table_from_header(names: list[str]) -> str | None:
    # The one table whose columns the header could be, when the file name does not say.
    fits = [
        table
        for table, columns in COLUMNS.items()
        if set(names) <= {c.name for c in columns}
        and {c.name for c in columns if c.required} <= set(names)
    ]
    return fits[0] if len(fits) == 1 else None


def _check_header(
    table: str, names: list[str], shown: str, line: int, errors: list[RowError]
) -> bool:
    allowed = [c.name for c in COLUMNS[table]]
    before = len(errors)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            errors.append(RowError(shown, line, name, "column named twice in the header"))
        elif not name:
            errors.append(RowError(shown, line, None, "a column without a name in the header"))
        elif name not in allowed:
            hint = "; columns are separated by commas" if ";" in name or "\t" in name else ""
            errors.append(
                RowError(
                    shown,
                    line,
                    name,
                    f"unknown column in {table}; allowed: {', '.join(allowed)}{hint}",
                )
            )
        seen.add(name)
    for column in COLUMNS[table]:
        if column.required and column.name not in seen:
            errors.append(
                RowError(
                    shown,
                    line,
                    column.name,
                    f"required column missing from {table}; required: "
                    + ", ".join(c.name for c in COLUMNS[table] if c.required),
                )
            )
    return len(errors) == before


def _read_json(
    path: Path, shown: str, rows: list[_Row], errors: list[RowError], given: dict[str, str]
) -> bool:
    # Adds the file's rows and its tables to given; False when some may be missing (the file
    # or an item unreadable).
    text = _read_text(path, shown, errors)
    if text is None:
        return False
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        errors.append(
            RowError(shown, err.lineno, None, f"not valid JSON: {err.msg} (column {err.colno})")
        )
        return False
    if not isinstance(data, dict):
        errors.append(
            RowError(
                shown,
                None,
                None,
                f"must be a JSON object with the keys {', '.join(TABLE_NAMES)}, "
                f"not {_json_type(data)}",
            )
        )
        return False
    complete = True
    media_from = [path.parent / "media"]
    for table, items in data.items():
        if table not in COLUMNS:
            errors.append(
                RowError(shown, None, table, f"unknown table; allowed: {', '.join(TABLE_NAMES)}")
            )
            continue
        if not isinstance(items, list):
            errors.append(
                RowError(shown, None, table, f"must be a list of objects, not {_json_type(items)}")
            )
            complete = False
            continue
        given.setdefault(table, shown)
        allowed = [c.name for c in COLUMNS[table]]
        for index, item in enumerate(items):
            row = _Row(table, shown, None, f"{table}[{index}]", {}, set(), media_from)
            if not isinstance(item, dict):
                errors.append(row.error(None, f"must be an object, not {_json_type(item)}"))
                complete = False
                continue
            unknown = [k for k in item if k not in allowed]
            for key in unknown:
                errors.append(
                    row.error(key, f"unknown field in {table}; allowed: {', '.join(allowed)}")
                )
            given = {k: (v.strip() if isinstance(v, str) else v) for k, v in item.items()}
            _parse_row(row, {k: v for k, v in given.items() if k in allowed}, errors)
            rows.append(row)
    return complete


def _parse_row(row: _Row, given: dict[str, Any], errors: list[RowError]) -> None:
    # Check every column of one row; the values that pass land in row.values.
    for column in COLUMNS[row.table]:
        if column.name not in given:
            if column.required:  # only reachable for JSON: a CSV header was checked
                errors.append(row.error(column.name, "required, missing"))
                row.bad.add(column.name)
            continue
        value = given[column.name]
        empty = value is None or value in ("", [])
        if empty:
            if column.required:
                errors.append(row.error(column.name, "required, empty"))
                row.bad.add(column.name)
            else:
                row.values[column.name] = column.default
            continue
        try:
            row.values[column.name] = column.parse(value, row.item is None)
        except _Bad as err:
            errors.append(row.error(column.name, str(err)))
            row.bad.add(column.name)


def _check_rows(
    conn: Any, rows: list[_Row], errors: list[RowError], references: bool, replaced: set[str]
) -> None:
    # Duplicates within the import, then references (to the import, or to what is stored in
    # a table it does not replace): only when every row was read, as a row that could not be
    # read may be the one named.
    keys: dict[str, set[str]] = {t: set() for t in TABLE_NAMES}
    first: dict[tuple[str, tuple[Any, ...]], _Row] = {}
    for row in rows:
        names = _KEYS[row.table]
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
    if not references:
        return
    named: dict[str, set[str]] = {t: set() for t in TABLE_NAMES}
    checks = []
    for row in rows:
        for (table, column), (target, what) in _REFERENCES.items():
            if row.table == table and column in row.values and column not in row.bad:
                named[target].add(row.values[column])
                checks.append((row, column, target, what))
    stored = {
        target: set()
        if target in replaced
        else existing_keys(conn, SQL_TABLE[target], _KEYS[target][0], values - keys[target])
        for target, values in named.items()
    }
    for row, column, target, what in checks:
        value = row.values[column]
        if value not in keys[target] and value not in stored[target]:
            where = (
                "this import, which replaces them"
                if target in replaced
                else ("this import or in the catalogue")
            )
            errors.append(row.error(column, f"no {what} {value!r} in {where}"))


def _copy_media(catalog: Catalog, rows: list[_Row], report: ImportReport) -> None:
    # Copy the images the imported products name from a media/ folder beside their files.
    target = catalog.media_dir
    wanted: dict[str, list[Path]] = {}
    for row in rows:
        if row.table == "products" and "images" in row.values:
            for name in json.loads(row.values["images"]):
                wanted.setdefault(name, [])
                wanted[name] += [d for d in row.media_from if d not in wanted[name]]
    for name, folders in sorted(wanted.items()):
        source = next((d / name for d in folders if (d / name).is_file()), None)
        dest = target / name
        if source is None:
            if not dest.is_file():
                report.media_missing.append(name)
            continue
        try:
            if dest.is_file() and (
                source.resolve() == dest.resolve() or source.read_bytes() == dest.read_bytes()
            ):
                continue
            target.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target, prefix=".import-")
            os.close(fd)
            try:
                shutil.copyfile(source, tmp)
                os.replace(tmp, dest)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        except OSError as err:
            raise CatalogError(
                f"the catalogue was imported, but {source} could not be copied to {dest}: "
                f"{err.strerror or err}"
            ) from err
        report.media_copied.append(name)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    return "an object"
