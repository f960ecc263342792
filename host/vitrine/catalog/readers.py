"""Reading import files into rows: which files a list of paths stands for, CSV (one file per
table, named by the file or its header; streamed, vitrine.catalog.csvfile) and JSON (one object
with a list per table), each row's values checked against its columns (vitrine.catalog.columns).
Every problem is recorded as a RowError naming the file, the line and the column; reading goes
on, so all are reported."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vitrine.catalog.columns import COLUMNS, TABLE_NAMES, BadValue, json_type
from vitrine.catalog.csvfile import (
    BINARY,
    LINE_LIMIT_BYTES,
    SAMPLE_BYTES,
    Lines,
    LongField,
    encoding_problem,
    field_limit,
    find_long_field,
)
from vitrine.catalog.errors import RowError

FILE_STEMS = {
    **{name: name for name in TABLE_NAMES},
    "category": "categories",
    "product": "products",
    "variant": "variants",
    "goes-with": "goes_with",
}


@dataclass(slots=True)
class Row:
    """One row read from a file: its table, where it is, the values that passed their
    columns' rules and the columns that did not."""

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


def expand_paths(paths: Sequence[Path], errors: list[RowError]) -> list[tuple[Path, str]]:
    """The files to read, each with the name shown in messages; a folder gives its .csv and
    .json files. What cannot be read is recorded in errors."""
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
    # A JSON file as text, or None after recording why it cannot be read.
    try:
        data = path.read_bytes()
    except OSError as err:
        errors.append(RowError(shown, None, None, f"cannot read: {err.strerror or err}"))
        return None
    problem = encoding_problem(data[:SAMPLE_BYTES], path.name)
    if problem is None and b"\x00" in data:
        problem = BINARY
    if problem is not None:
        errors.append(RowError(shown, None, None, problem))
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
        errors.append(RowError(shown, None, None, "empty file: expected an object"))
        return None
    return text


def _read_records(
    path: Path, shown: str, errors: list[RowError]
) -> list[tuple[int, list[str]]] | None:
    # A CSV file's records (with the line each starts on; blank ones left out), streamed a
    # line at a time (vitrine.catalog.csvfile), or None after recording why it cannot be read.
    records: list[tuple[int, list[str]]] = []
    refused: csv.Error | None = None
    try:
        with path.open("rb") as file:
            problem = encoding_problem(file.read(SAMPLE_BYTES), path.name)
            if problem is not None:
                errors.append(RowError(shown, None, None, problem))
                return None
            file.seek(0)
            lines = Lines(file)
            reader = csv.reader(lines, strict=True)
            last = 0
            try:
                for record in reader:
                    start, last = last + 1, reader.line_num
                    lines.mark(last + 1)
                    if any(cell.strip() for cell in record):
                        records.append((start, record))
            except csv.Error as err:
                refused = err
    except OSError as err:
        errors.append(RowError(shown, None, None, f"cannot read: {err.strerror or err}"))
        return None
    stop = lines.stop
    if stop is None and refused is None:
        return records
    if stop is not None and not stop.overlong:  # a line that is not UTF-8 text
        errors.append(RowError(shown, stop.line, None, stop.message or BINARY))
        return None
    # A line over the limit, or the csv module refused the record: a field too long for it?
    line = last + 1
    found = find_long_field(path, lines.start_of(line), line, field_limit())
    if found is not None:
        errors.append(_long_field(shown, found, records))
    elif stop is not None:
        message = (
            f"a line longer than {LINE_LIMIT_BYTES:,} bytes: a catalogue row is far shorter "
            "(is this the file you meant?)"
        )
        errors.append(RowError(shown, stop.line, None, message))
    else:
        errors.append(RowError(shown, line, None, f"not valid CSV: {refused}"))
    return None


def _long_field(shown: str, found: LongField, records: list[tuple[int, list[str]]]) -> RowError:
    # A field over the csv module's limit, named by its column (the header's, once read).
    names = [cell.strip().lower() for cell in records[0][1]] if records else []
    column = names[found.index] if found.index < len(names) else None
    where = "" if column else f"field {found.index + 1}: "
    limit = field_limit()
    if found.unclosed:
        message = (
            f"{where}a quote opened here is never closed, so the rest of the file "
            f"({found.chars:,} characters) is one field, over the {limit:,} a field may hold: "
            "close the quote"
        )
    else:
        message = (
            f"{where}a field of {found.chars:,} characters, over the {limit:,} a field may hold"
        )
    return RowError(shown, found.line, column, message)


def read_csv(
    path: Path, shown: str, rows: list[Row], errors: list[RowError], given: dict[str, str]
) -> bool:
    """Read one CSV file: its rows go to rows (checked against their columns), its table to
    given (table -> the first file that gives it), each problem to errors. False when some
    rows may be missing (the file or a row unreadable)."""
    records = _read_records(path, shown, errors)
    if records is None:
        return False
    if not records:
        errors.append(
            RowError(shown, None, None, "empty file: expected a header line naming the columns")
        )
        return False
    header_line, header = records[0]
    names = [cell.strip().lower() for cell in header]
    table = FILE_STEMS.get(path.stem.lower()) or _table_from_header(names)
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
        row = Row(table, shown, line, None, {}, set(), media_from)
        values = {name: cell.strip() for name, cell in zip(names, record, strict=True)}
        _parse_row(row, values, errors)
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


def read_json(
    path: Path, shown: str, rows: list[Row], errors: list[RowError], given: dict[str, str]
) -> bool:
    """Read one JSON file: its rows go to rows (checked against their columns), its tables to
    given (table -> the first file that gives it), each problem to errors. False when some
    rows may be missing (the file or an item unreadable)."""
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
                f"not {json_type(data)}",
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
                RowError(shown, None, table, f"must be a list of objects, not {json_type(items)}")
            )
            complete = False
            continue
        given.setdefault(table, shown)
        allowed = [c.name for c in COLUMNS[table]]
        for index, item in enumerate(items):
            row = Row(table, shown, None, f"{table}[{index}]", {}, set(), media_from)
            if not isinstance(item, dict):
                errors.append(row.error(None, f"must be an object, not {json_type(item)}"))
                complete = False
                continue
            unknown = [k for k in item if k not in allowed]
            for key in unknown:
                errors.append(
                    row.error(key, f"unknown field in {table}; allowed: {', '.join(allowed)}")
                )
            values = {k: (v.strip() if isinstance(v, str) else v) for k, v in item.items()}
            _parse_row(row, {k: v for k, v in values.items() if k in allowed}, errors)
            rows.append(row)
    return complete


def _parse_row(row: Row, given: dict[str, Any], errors: list[RowError]) -> None:
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
        except BadValue as err:
            errors.append(row.error(column.name, str(err)))
            row.bad.add(column.name)
