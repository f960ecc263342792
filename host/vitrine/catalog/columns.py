"""The catalogue import's tables and columns: each column's rule (type, range, pattern, what a
CSV cell or a JSON value may hold), which columns are required, each table's key and the
references between tables. A rule returns the value to store or raises BadValue, whose message
says what is allowed."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vitrine.catalog.values import (
    CATEGORY_RE,
    COLOUR_HEX_RE,
    CURRENCY_RE,
    LOCATION_RE,
    SKU_RE,
    TAG_RE,
    is_media_name,
)
from vitrine.errors import VitrineError

# File/JSON table names, in the order they are written (references point backwards).
TABLE_NAMES = ("categories", "products", "variants", "stock", "goes_with")
SQL_TABLE = {
    "categories": "category",
    "products": "product",
    "variants": "variant",
    "stock": "stock",
    "goes_with": "goes_with",
}
_INT_RE = re.compile(r"^[+-]?\d+$")
_MAX_WHOLE = 1_000_000_000  # cents, units, positions: far beyond any real catalogue
_FLOAT_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


class BadValue(VitrineError, ValueError):
    """A value that breaks its column's rule; the message says what is allowed."""


# -- the columns and their rules -------------------------------------------------------------


# A rule: (value, from_text) -> the value to store, or BadValue. from_text: the value is a CSV
# cell (numbers come as text there); in JSON a number must be a JSON number.


def _text(limit: int) -> Callable[[Any, bool], str]:
    def parse(value: Any, from_text: bool) -> str:
        if not isinstance(value, str):
            raise BadValue(f"must be text, not {json_type(value)}")
        if len(value) > limit:
            raise BadValue(f"too long: {len(value)} characters, at most {limit}")
        return value

    return parse


def _pattern(regex: re.Pattern[str], what: str, fold: Callable[[str], str] = str) -> Callable:
    def parse(value: Any, from_text: bool) -> str:
        if not isinstance(value, str):
            raise BadValue(f"must be text, not {json_type(value)}")
        if not regex.match(value):
            raise BadValue(f"{value!r} is not {what}")
        return fold(value)

    return parse


def _whole(what: str = "a whole number") -> Callable[[Any, bool], int]:
    def parse(value: Any, from_text: bool) -> int:
        if isinstance(value, str) and from_text:
            if not _INT_RE.match(value):
                raise BadValue(f"{value!r} is not {what}")
            value = int(value)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise BadValue(f"must be {what}, not {json_type(value)}")
        if not 0 <= value <= _MAX_WHOLE:
            raise BadValue(f"{value} is out of range: must be 0 to {_MAX_WHOLE}")
        return value

    return parse


def _weight(value: Any, from_text: bool) -> float:
    if isinstance(value, str) and from_text:
        if not _FLOAT_RE.match(value):
            raise BadValue(f"{value!r} is not a number from 0 to 1")
        value = float(value)
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise BadValue(f"must be a number from 0 to 1, not {json_type(value)}")
    if not (math.isfinite(value) and 0 <= value <= 1):
        raise BadValue(f"{value} is out of range: must be from 0 to 1")
    return float(value)


def _names(value: Any) -> list[str]:
    # A list: comma-separated text, or (JSON) a list of strings.
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [v.strip() for v in value if v.strip()]
    raise BadValue(f"must be a list of text or comma-separated text, not {json_type(value)}")


def _tags(value: Any, from_text: bool) -> str:
    tags: list[str] = []
    for name in _names(value):
        tag = name.lower()
        if not TAG_RE.match(tag):
            raise BadValue(
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
            raise BadValue(
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
KEYS = {
    "categories": ("name",),
    "products": ("sku",),
    "variants": ("sku",),
    "stock": ("variant_sku", "store", "location"),
    "goes_with": ("sku", "other_sku"),
}
# (table, column) -> (table whose key it must name, what that is called in a message)
REFERENCES = {
    ("products", "category"): ("categories", "category"),
    ("variants", "product_sku"): ("products", "product"),
    ("stock", "variant_sku"): ("variants", "variant"),
    ("goes_with", "sku"): ("products", "product"),
    ("goes_with", "other_sku"): ("products", "product"),
}


# What a JSON value is called in messages, by Python type; bool before int (a bool is an int).
_JSON_TYPES = (
    (bool, "true/false"),
    (float, "a decimal number"),
    (int, "a number"),
    (str, "text"),
    (list, "a list"),
    (dict, "an object"),
)


def json_type(value: Any) -> str:
    """What a JSON value is, in the words an error message uses ("text", "a list", ...)."""
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "an object")
