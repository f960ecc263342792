"""The product catalogue: products, their colour and size variants, stock per store and
location, what goes with what, and categories, in SQLite (`catalog.db`), filled by importing
CSV or JSON files (see docs/catalogue.md)."""

from __future__ import annotations

from vitrine.catalog.db import Catalog
from vitrine.catalog.errors import CatalogError, CatalogImportError, RowError
from vitrine.catalog.importer import ImportReport, import_files

__all__ = [
    "Catalog",
    "CatalogError",
    "CatalogImportError",
    "ImportReport",
    "RowError",
    "import_files",
]
