"""Catalogue import from CSV (one file per table, the table named by the file: products.csv,
variants.csv, stock.csv, goes_with.csv, categories.csv) and JSON (one object with those
table names as keys, each a list of objects). Every row is checked (types, ranges,
references, duplicates) before anything is written; any problem refuses the whole import
with every problem listed, and nothing changes. Rows whose key is stored already are
updated (only the columns the file gives); with replace, the rows of each table the import
gives that it does not list are removed as well. Images the products name are copied from a
`media/` folder beside the files into the catalogue's media folder."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vitrine.catalog.checks import check_rows
from vitrine.catalog.columns import KEYS, SQL_TABLE, TABLE_NAMES
from vitrine.catalog.db import Catalog, count_rows, remove_absent, upsert
from vitrine.catalog.errors import CatalogError, CatalogImportError, RowError
from vitrine.catalog.readers import Row, expand_paths, read_csv, read_json

_SHOWN_SKUS = 3  # products a "category still used" problem names; the others are counted


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


def import_files(catalog: Catalog, paths: Sequence[Path], *, replace: bool = False) -> ImportReport:
    """Import CSV and JSON files (a folder stands for the .csv and .json files in it) into
    the catalogue in one transaction. With replace, each table the import gives (a file or a
    JSON key for it, even with no rows) ends up holding exactly the rows the import lists:
    the others are removed, and with a product its variants, stock and relations; tables it
    does not give are kept. Raises CatalogImportError listing every problem, and then nothing
    has changed."""
    errors: list[RowError] = []
    files = expand_paths(paths, errors)
    rows: list[Row] = []
    given: dict[str, str] = {}  # table -> the first file that gives it
    complete = not errors  # every row of every file read (else references are not checked)
    for path, shown in files:
        read = read_json if path.suffix.lower() == ".json" else read_csv
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
            check_rows(conn, rows, errors, references=complete, replaced=set(replaced))
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


def _keys_of(rows: list[Row], table: str) -> set[tuple[Any, ...]]:
    return {tuple(r.values[n] for n in KEYS[table]) for r in rows if r.table == table}


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
        more = len(skus) - _SHOWN_SKUS
        shown = ", ".join(skus[:_SHOWN_SKUS]) + (f" and {more} more" if more > 0 else "")
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


def _copy_media(catalog: Catalog, rows: list[Row], report: ImportReport) -> None:
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
