"""A sample catalogue for demos and tests: a plausible small fashion store (six categories,
36 products in two to four colours and a size run each, stock on the floor and in four
fitting rooms of "store-1", what goes with what and why), written as the CSV files the
importer reads plus an SVG picture per product colour in media/. The same seed always
writes the same files."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from vitrine.catalog import images

if TYPE_CHECKING:
    from vitrine.catalog.importer import ImportReport

STORE = "store-1"
LOCATIONS = ("floor", "fitting-room-1", "fitting-room-2", "fitting-room-3", "fitting-room-4")
CURRENCY = "EUR"
# How the sample store is stocked and related (chances per draw of the seeded generator).
_DEARER_COLOUR = 0.08  # a colour that costs 5.00 more (a limited dye, a special finish)
_FLOOR_SOLD_OUT = 0.18  # a variant out of stock on the floor
_LEFT_IN_ROOM = 0.1  # a variant left in a fitting room
_ROOM_SOLD_OUT = 0.3  # of those, one whose row says 0
_MAX_RELATIONS = 5  # "goes with" rows a product takes part in, at most
_MIN_WEIGHT = 0.45  # weaker relations are left out

CATEGORIES = (
    ("shirts", "Shirts & Tops"),
    ("knitwear", "Knitwear"),
    ("dresses", "Dresses & Skirts"),
    ("trousers", "Trousers"),
    ("outerwear", "Jackets & Coats"),
    ("accessories", "Shoes & Accessories"),
)
BRANDS = ("Nordvik", "Harbour Row", "Maison Lune", "Fenwick & Hale", "Oakhurst", "Sable Studio")
COLOURS = {
    "White": "#f4f2ec",
    "Cream": "#efe6d0",
    "Sand": "#d8c8a8",
    "Stone": "#b8b1a3",
    "Sky Blue": "#9fc1dd",
    "Denim": "#4a6a8f",
    "Navy": "#1f2f4f",
    "Black": "#1d1d1f",
    "Charcoal": "#3a3b3f",
    "Grey Marl": "#9a9a9a",
    "Olive": "#6b6b3a",
    "Forest": "#2f4f3a",
    "Burgundy": "#6e1f2b",
    "Red": "#b3282d",
    "Rust": "#a0482b",
    "Blush": "#e6b8b0",
    "Mustard": "#d1a030",
    "Camel": "#b5854b",
    "Tan": "#a8744a",
    "Brown": "#5a3d2b",
}
LETTER_SIZES = ("XS", "S", "M", "L", "XL")
SHOE_SIZES = tuple(str(n) for n in range(36, 46))


@dataclass(frozen=True, slots=True)
class _Template:
    sku: str
    name: str
    category: str
    kind: str  # a drawing kind from vitrine.catalog.images
    pattern: str
    material: str
    price: int  # whole euros
    tags: tuple[str, ...]
    colours: tuple[str, ...]
    description: str


def _t(*fields: str | int) -> _Template:
    # One row of PRODUCTS: tags are space-separated, colours comma-separated.
    sku, name, category, kind, pattern, material, price, tags, colours, description = fields
    return _Template(
        str(sku),
        str(name),
        str(category),
        str(kind),
        str(pattern),
        str(material),
        int(price),
        tuple(str(tags).split()),
        tuple(c.strip() for c in str(colours).split(",")),
        str(description),
    )


# fmt: off
PRODUCTS = (
    _t("SH-101", "Linen Shirt", "shirts", "shirt", "weave", "linen", 49,
       "summer sunny hot casual", "White, Sky Blue, Sand, Olive",
       "A relaxed shirt in washed linen that stays cool on hot days. Short sleeves, a chest "
       "pocket and a straight hem to wear loose."),
    _t("SH-102", "Oxford Shirt", "shirts", "shirt", "weave", "cotton", 45,
       "spring autumn office", "White, Sky Blue, Blush",
       "A button-down collar and a soft Oxford weave that gets better with every wash. "
       "Smart enough for the office, easy at the weekend."),
    _t("SH-103", "Striped Poplin Shirt", "shirts", "shirt", "stripes", "cotton", 39,
       "spring summer office", "Sky Blue, White, Navy",
       "Crisp cotton poplin with a fine stripe. Cut close through the body with a neat "
       "collar that sits well under a jacket."),
    _t("SH-104", "Chambray Shirt", "shirts", "shirt", "weave", "cotton", 42,
       "spring casual weekend", "Denim, Sky Blue, Stone",
       "Light chambray that looks like denim and wears like a shirt. Two chest pockets and "
       "a washed finish."),
    _t("SH-105", "Flannel Check Shirt", "shirts", "shirt", "check", "cotton", 44,
       "autumn winter cold weekend", "Red, Forest, Navy, Mustard",
       "Brushed cotton flannel in a bold check: warm on its own, soft under a jumper on "
       "cold days."),
    _t("SH-106", "Polka Dot Blouse", "shirts", "shirt", "dots", "viscose", 39,
       "summer party", "Navy, Black, Red",
       "A fluid blouse with a scattered dot print and a soft collar. Dress it up for an "
       "evening out."),
    _t("KN-201", "Merino Crew Jumper", "knitwear", "knit", "weave", "wool", 79,
       "autumn winter cold office", "Navy, Grey Marl, Burgundy, Camel",
       "Fine merino wool in a classic crew neck. Warm without bulk, so it layers over a "
       "shirt for the office."),
    _t("KN-202", "Cable Knit Sweater", "knitwear", "knit", "herringbone", "wool", 89,
       "winter snow cold weekend", "Cream, Forest, Charcoal",
       "A chunky wool sweater with a textured knit that keeps out the cold on snowy days."),
    _t("KN-203", "Cashmere V-Neck", "knitwear", "knit", "weave", "cashmere", 149,
       "winter office party", "Camel, Black, Blush",
       "Pure cashmere in a slim V-neck: light, very soft and warm. A knit for special "
       "occasions and every day."),
    _t("KN-204", "Breton Stripe Jumper", "knitwear", "knit", "stripes", "cotton", 59,
       "spring casual weekend", "White, Navy, Red",
       "The seaside classic: a heavy cotton jumper with even stripes and a wide neck."),
    _t("KN-205", "Fisherman Roll-Neck", "knitwear", "knit", "herringbone", "wool", 95,
       "winter rain cold weekend", "Navy, Olive, Cream",
       "Dense lambswool with a roll neck, knitted tight enough to shrug off drizzle."),
    _t("KN-206", "Spotted Cotton Cardigan", "knitwear", "knit", "dots", "cotton", 55,
       "spring office casual", "Cream, Sky Blue, Blush",
       "A light cotton cardigan with a tiny spot stitch. Buttons through, for cool "
       "mornings and air-conditioned offices."),
    _t("DR-301", "Linen Midi Dress", "dresses", "dress", "weave", "linen", 89,
       "summer sunny hot wedding", "Sand, White, Olive, Rust",
       "A sleeveless linen dress with a fitted waist and a full midi skirt that moves in "
       "a summer breeze."),
    _t("DR-302", "Polka Dot Tea Dress", "dresses", "dress", "dots", "viscose", 75,
       "summer party wedding", "Navy, Red, Black",
       "A swishy tea dress with a dot print and a defined waist. Made for garden parties."),
    _t("DR-303", "Jersey Wrap Dress", "dresses", "dress", "weave", "jersey", 85,
       "spring office party", "Black, Burgundy, Forest",
       "A wrap dress in heavy jersey that goes from the office to dinner without a "
       "second thought."),
    _t("DR-304", "Pleated Midi Skirt", "dresses", "skirt", "stripes", "polyester", 59,
       "spring office party", "Blush, Navy, Mustard",
       "Knife pleats from the waist to mid-calf, with a pinstripe that catches the light."),
    _t("DR-305", "Tweed Mini Skirt", "dresses", "skirt", "herringbone", "wool", 55,
       "autumn winter cold", "Charcoal, Camel, Burgundy",
       "A short A-line skirt in a herringbone tweed. Wear it with tights and boots."),
    _t("DR-306", "Check Wool Skirt", "dresses", "skirt", "check", "wool", 65,
       "autumn winter office", "Forest, Navy, Red",
       "A midi skirt in a warm wool check, lined, with a button at the waistband."),
    _t("TR-401", "Linen Trousers", "trousers", "trousers", "weave", "linen", 59,
       "summer sunny hot casual", "Sand, White, Navy, Olive",
       "Easy linen trousers with a relaxed leg. Cool in the heat and soft from the first "
       "wear."),
    _t("TR-402", "Cotton Chinos", "trousers", "trousers", "weave", "cotton", 55,
       "spring autumn office casual", "Stone, Navy, Olive, Tan",
       "Slim chinos in a cotton twill with a little stretch. The trousers that go with "
       "everything."),
    _t("TR-403", "Wool Suit Trousers", "trousers", "trousers", "herringbone", "wool", 89,
       "autumn winter office", "Charcoal, Navy, Brown",
       "Pressed trousers in a herringbone wool, with a sharp crease, for the office and "
       "the wedding."),
    _t("TR-404", "Wide-Leg Trousers", "trousers", "trousers", "weave", "viscose", 69,
       "summer party", "Black, Cream, Rust",
       "High-waisted trousers with a wide, floaty leg. Made for dancing."),
    _t("TR-405", "Check Cigarette Trousers", "trousers", "trousers", "check", "wool", 65,
       "autumn office", "Charcoal, Navy, Camel",
       "Cropped, slim trousers in a small check. Neat with loafers."),
    _t("TR-406", "Corduroy Trousers", "trousers", "trousers", "stripes", "cotton", 69,
       "autumn winter cold weekend", "Tan, Forest, Burgundy",
       "Soft needlecord in a straight leg. Warm on cold weekends."),
    _t("OW-501", "Linen Blazer", "outerwear", "jacket", "weave", "linen", 129,
       "summer office wedding", "Sand, Navy, Stone",
       "An unlined linen blazer with soft shoulders, light enough for summer weddings."),
    _t("OW-502", "Wool Overcoat", "outerwear", "jacket", "herringbone", "wool", 229,
       "winter cold snow office", "Camel, Charcoal, Navy",
       "A long herringbone wool coat that keeps out the winter wind. Fully lined."),
    _t("OW-503", "Waxed Rain Jacket", "outerwear", "jacket", "weave", "waxed cotton", 149,
       "autumn spring rain", "Olive, Navy, Black",
       "Waxed cotton that sheds the rain, with deep pockets and a storm collar."),
    _t("OW-504", "Tweed Jacket", "outerwear", "jacket", "herringbone", "wool", 179,
       "autumn winter cold office", "Brown, Forest, Grey Marl",
       "A tailored tweed jacket with a herringbone weave and horn buttons."),
    _t("OW-505", "Denim Jacket", "outerwear", "jacket", "weave", "denim", 89,
       "spring summer casual weekend", "Denim, Black, White",
       "The denim jacket everyone needs: rigid cotton that softens to fit."),
    _t("OW-506", "Check Blazer", "outerwear", "jacket", "check", "wool", 159,
       "autumn office party", "Navy, Charcoal, Burgundy",
       "A single-breasted blazer in a Prince of Wales check. Sharp with jeans or a suit."),
    _t("AC-601", "Lambswool Scarf", "accessories", "scarf", "check", "wool", 39,
       "winter cold snow", "Red, Camel, Navy, Forest",
       "A generous lambswool scarf in a traditional check, with fringed ends."),
    _t("AC-602", "Silk Scarf", "accessories", "scarf", "dots", "silk", 45,
       "spring summer party", "Navy, Blush, Mustard",
       "A long silk scarf with a dot print: at the neck, in the hair or on a bag."),
    _t("AC-603", "Leather Belt", "accessories", "belt", "weave", "leather", 35,
       "office casual", "Brown, Black, Tan",
       "Full-grain leather with a brushed buckle. It will outlast the trousers."),
    _t("AC-604", "Canvas Tote Bag", "accessories", "bag", "stripes", "cotton", 29,
       "summer casual weekend", "Cream, Navy, Red",
       "A sturdy striped canvas tote with leather handles, big enough for a laptop."),
    _t("AC-605", "Leather Loafers", "accessories", "shoes", "weave", "leather", 110,
       "spring autumn office wedding", "Brown, Black, Tan",
       "Classic penny loafers in polished leather on a stitched sole."),
    _t("AC-606", "Felt Fedora", "accessories", "hat", "herringbone", "wool", 59,
       "autumn winter rain", "Charcoal, Camel, Black",
       "A wool felt fedora with a grosgrain band. Keeps the drizzle off."),
)
# fmt: on

# Why two products go together: (rule, reason, base weight); the first rule that holds wins.
_REASONS = (
    ("linen", "same linen weight", 0.9),
    ("shirt+trousers", "classic pairing", 0.75),
    ("shirt+jacket", "layers well over a shirt", 0.7),
    ("knit+scarf", "warm layers for cold days", 0.8),
    ("knit+skirt", "tucks in neatly", 0.65),
    ("shirt+skirt", "tucks in neatly", 0.6),
    ("dress+shoes", "finishes the look", 0.7),
    ("dress+bag", "finishes the look", 0.6),
    ("dress+scarf", "adds a colour accent", 0.5),
    ("trousers+belt", "made for the belt loops", 0.65),
    ("trousers+jacket", "same tailoring", 0.6),
    ("trousers+shoes", "the right shoe for the hem", 0.6),
    ("knit+trousers", "easy weekend outfit", 0.55),
    ("jacket+scarf", "for the colder days", 0.55),
    ("jacket+hat", "tops off the outfit", 0.5),
)
_BOTTOMS = {"dress", "skirt", "trousers"}  # two of these never make one outfit


@dataclass(frozen=True, slots=True)
class Picture:
    """One sample image to draw: its media name and what vitrine.catalog.images draws."""

    name: str
    title: str
    kind: str
    colour_hex: str
    pattern: str
    seed: int


def sample_tables(seed: int = 1) -> tuple[dict[str, list[dict[str, str]]], list[Picture]]:
    """The sample catalogue as rows per table (column name -> text, as in the CSV files)
    and the pictures its products name; the same for the same seed."""
    rng = random.Random(f"vitrine-sample:{seed}")
    tables: dict[str, list[dict[str, str]]] = {
        "categories": [
            {"name": name, "label": label, "position": str(i + 1)}
            for i, (name, label) in enumerate(CATEGORIES)
        ],
        "products": [],
        "variants": [],
        "stock": [],
        "goes_with": [],
    }
    pictures: list[Picture] = []
    for t in PRODUCTS:
        # the first colour is the one the product is known by; the others vary with the seed
        count = rng.randint(2, min(4, len(t.colours)))
        colours = (t.colours[0], *rng.sample(t.colours[1:], count - 1))
        names = []
        for colour in colours:
            name = f"{t.sku.lower()}-{colour.lower().replace(' ', '-')}.svg"
            names.append(name)
            pictures.append(
                Picture(
                    name,
                    f"{t.name} in {colour}",
                    t.kind,
                    COLOURS[colour],
                    t.pattern,
                    rng.randrange(1 << 16),
                )
            )
        tables["products"].append(
            {
                "sku": t.sku,
                "name": t.name,
                "brand": rng.choice(BRANDS),
                "category": t.category,
                "description": t.description,
                "price_cents": str(t.price * 100),
                "currency": CURRENCY,
                "tags": ",".join([*t.tags, t.material.split()[-1]]),
                "popularity": str(int(rng.triangular(5, 900, 120))),
                "images": ",".join(names),
            }
        )
        for colour in colours:
            # now and then one colour costs a little more (a limited dye, a special finish)
            price = str(t.price * 100 + 500) if rng.random() < _DEARER_COLOUR else ""
            for size in _sizes(t.kind):
                vsku = f"{t.sku}-{colour.upper().replace(' ', '')[:4]}-{size.replace(' ', '')}"
                tables["variants"].append(
                    {
                        "sku": vsku,
                        "product_sku": t.sku,
                        "size": size,
                        "colour": colour,
                        "colour_hex": COLOURS[colour],
                        "price_cents": price,
                    }
                )
                tables["stock"] += _stock(rng, vsku)
    tables["goes_with"] = _goes_with(rng)
    return tables, pictures


def write_sample(out_dir: Path, seed: int = 1) -> Path:
    """Write the sample's CSV files and media/*.svg into out_dir (made when missing; files
    of the same names are replaced); returns out_dir, ready for import_files([out_dir])."""
    tables, pictures = sample_tables(seed)
    out_dir = Path(out_dir)
    media = out_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        with (out_dir / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    for p in pictures:
        svg = images.draw(p.kind, p.colour_hex, p.pattern, p.seed, p.title)
        (media / p.name).write_text(svg, encoding="utf-8")
    return out_dir


def sample_counts(seed: int = 1) -> dict[str, int]:
    """Rows per table of the sample for a seed, and its number of pictures ("images")."""
    tables, pictures = sample_tables(seed)
    return {table: len(rows) for table, rows in tables.items()} | {"images": len(pictures)}


def _sizes(kind: str) -> tuple[str, ...]:
    if kind == "shoes":
        return SHOE_SIZES
    if kind in ("scarf", "bag"):
        return ("One Size",)
    if kind in ("belt", "hat"):
        return ("S", "M", "L")
    return LETTER_SIZES


def _stock(rng: random.Random, variant_sku: str) -> list[dict[str, str]]:
    # The floor always has a row (often a zero: "out of stock in your size" happens); a
    # fitting room only holds what shoppers left there.
    quantities = {"floor": 0 if rng.random() < _FLOOR_SOLD_OUT else rng.randint(1, 9)}
    for room in LOCATIONS[1:]:
        if rng.random() < _LEFT_IN_ROOM:
            quantities[room] = 0 if rng.random() < _ROOM_SOLD_OUT else rng.randint(1, 2)
    return [
        {"variant_sku": variant_sku, "store": STORE, "location": where, "quantity": str(n)}
        for where, n in quantities.items()
    ]


def _reason(a: _Template, b: _Template) -> tuple[str, float] | None:
    for rule, reason, weight in _REASONS:
        if rule == "linen":
            linen = a.material == b.material == "linen" and a.kind != b.kind
            if linen and not {a.kind, b.kind} <= _BOTTOMS:
                return reason, weight
            continue
        first, second = rule.split("+")
        if {a.kind, b.kind} == {first, second} and first != second:
            return reason, weight
    return None


def _goes_with(rng: random.Random) -> list[dict[str, str]]:
    # Candidate pairs from the rules, helped by shared seasons and occasions; each product
    # keeps its best few.
    candidates = []
    for i, a in enumerate(PRODUCTS):
        for b in PRODUCTS[i + 1 :]:
            found = _reason(a, b)
            if found is None:
                continue
            reason, base = found
            shared = len(set(a.tags) & set(b.tags))
            weight = min(0.98, max(0.05, base + 0.04 * shared + rng.uniform(-0.12, 0.08)))
            candidates.append((weight, a.sku, b.sku, reason))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    per_product: dict[str, int] = {}
    rows = []
    for weight, a, b, reason in candidates:
        full = max(per_product.get(a, 0), per_product.get(b, 0)) >= _MAX_RELATIONS
        if full or weight < _MIN_WEIGHT:
            continue
        per_product[a] = per_product.get(a, 0) + 1
        per_product[b] = per_product.get(b, 0) + 1
        rows.append({"sku": a, "other_sku": b, "weight": f"{weight:.2f}", "reason": reason})
    return rows


def install_sample(data_dir: Path, seed: int = 1) -> ImportReport:
    """Write the sample into data_dir/sample and import it into data_dir's catalogue (its
    catalog.db and media/), as the demo and the benchmarks start with; re-running updates it."""
    from vitrine.catalog.db import Catalog
    from vitrine.catalog.importer import import_files

    data_dir = Path(data_dir)
    catalog = Catalog.open(data_dir / "catalog.db", data_dir / "media")
    try:
        return import_files(catalog, [write_sample(data_dir / "sample", seed)])
    finally:
        catalog.close()
