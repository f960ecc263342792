"""The catalogue's value rules, shared by the importer, the queries and the HTTP routes: what a
SKU, a colour, a currency, a stock location and a media file name may look like, the order
sizes are shown in, and how a price is written for people."""

from __future__ import annotations

import re

SKU_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
CATEGORY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
COLOUR_HEX_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
CURRENCY_RE = re.compile(r"^[A-Za-z]{3}$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
LOCATION_RE = re.compile(r"^(floor|fitting-room-[A-Za-z0-9]{1,16})$")
MEDIA_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
_MEDIA_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

# Symbols written before the amount; any other currency is written after it ("49.00 SEK").
CURRENCY_SYMBOLS = {"EUR": "€", "GBP": "£", "USD": "$"}

_LETTER_SIZES = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "XXXL")
_LETTER_ALIASES = {"2XS": "XXS", "2XL": "XXL", "3XL": "XXXL"}
_NUMBER_RE = re.compile(r"^\d+(\.\d+)?$")


def format_price(cents: int, currency: str) -> str:
    """A price as people read it: "€49.00", "£12.50", "$5.00", else "49.00 SEK"."""
    amount = f"{cents // 100}.{cents % 100:02d}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


def size_key(size: str) -> tuple[int, float, str]:
    """Sort key for sizes: letter sizes XXS..XXXL in that order, then numbers (shoe sizes 36,
    36.5, 37, ...) by value, then anything else ("one size") alphabetically."""
    upper = size.strip().upper()
    upper = _LETTER_ALIASES.get(upper, upper)
    if upper in _LETTER_SIZES:
        return (0, float(_LETTER_SIZES.index(upper)), "")
    if _NUMBER_RE.match(upper):
        return (1, float(upper), "")
    return (2, 0.0, upper)


def media_type(name: str) -> str | None:
    """The content type of a media file name, or None when its extension is not an image
    type the catalogue serves."""
    dot = name.rfind(".")
    return MEDIA_TYPES.get(name[dot:].lower()) if dot > 0 else None


def is_media_name(name: str) -> bool:
    """True for a plain media file name: letters, digits, '.', '_', '-', not hidden, no
    folder part, no '..', and an image extension (.svg .png .jpg .jpeg .webp)."""
    return bool(_MEDIA_RE.match(name)) and ".." not in name and media_type(name) is not None


def room_location(fitting_room: str | None) -> str | None:
    """The stock location of a fitting room as the store's config names it ("1" ->
    "fitting-room-1"); a name already in that form is kept; None or "" -> None."""
    if not fitting_room:
        return None
    if fitting_room.startswith("fitting-room-"):
        return fitting_room
    return f"fitting-room-{fitting_room}"
