"""`vitrine catalog`: import the product catalogue from CSV or JSON files, list what it holds,
and write the sample catalogue (docs/catalogue.md)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vitrine.paths import state_dir

_DB_HELP = (
    "the catalogue (default: catalog.db in the daemon's state folder, $STATE_DIRECTORY or "
    "/var/lib/vitrine; when there is none there, the running `vitrine demo`'s)"
)


def _default_db() -> Path:
    return state_dir() / "catalog.db"


def default_catalogue() -> tuple[Path, str | None]:
    """The catalogue a command works on without --db, and a note saying why when it is not
    the daemon's: the daemon's when it exists, else the running demo's, else the daemon's
    (which does not exist yet)."""
    own = _default_db()
    if own.is_file():
        return own, None
    from vitrine.cli.demo_record import running_demo

    demo = running_demo()
    if demo is None:
        return own, None
    db = demo.data_dir / "catalog.db"
    return db, f"no catalogue at {own}; using the running demo's, {db}"


def _catalogue(given: Path | None) -> Path:
    # --db, else the default, with its note on stderr
    if given is not None:
        return given
    db, note = default_catalogue()
    if note:
        print(note, file=sys.stderr)
    return db


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser(
        "catalog",
        help="the product catalogue: import CSV/JSON files, show it, write the sample",
        description="The catalogue the mirror shows: products, colour and size variants, "
        "stock, what goes with what, categories. See docs/catalogue.md for the file formats.",
    )
    actions = cmd.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")

    imp = actions.add_parser(
        "import",
        help="import CSV or JSON files into the catalogue (all or nothing)",
        description="Every row of every file is checked first; any problem refuses the "
        "whole import, lists every problem (file:line: column: what is wrong) and changes "
        "nothing. Rows already stored (same key) are updated. Images the products name are "
        "copied from a media/ folder beside the files. A folder stands for the .csv and "
        ".json files in it. Exit status 2 when the import is refused.",
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE", help=".csv, .json or folder")
    imp.add_argument(
        "--replace",
        action="store_true",
        help="each table the import gives holds exactly its rows after: the others are "
        "removed (a product with its variants, stock and relations); tables it does not "
        "give are kept (a nightly stock.csv, a new season's products and variants)",
    )
    imp.add_argument("--db", type=Path, help=_DB_HELP)
    imp.add_argument(
        "--media", type=Path, help="where the images go (default: media/ beside the catalogue)"
    )
    imp.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    imp.set_defaults(handler=cmd_import)

    show = actions.add_parser("show", help="list the catalogue's products")
    show.add_argument("--db", type=Path, help=_DB_HELP)
    show.add_argument("--category", help="only this category (its name, e.g. knitwear)")
    show.add_argument("--json", action="store_true", help="machine-readable output on stdout")
    show.set_defaults(handler=cmd_show)

    sample = actions.add_parser(
        "sample",
        help="write the sample catalogue (CSV files and SVG images) into a folder",
        description="A small fashion store: six categories, 36 products in colours and "
        "sizes, stock for store-1 (floor and four fitting rooms), what goes with what, and "
        "a drawn SVG picture per product colour in media/. The same seed writes the same "
        "files.",
    )
    sample.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    sample.add_argument("--seed", type=int, default=1, help="default: 1")
    sample.set_defaults(handler=cmd_sample)


def cmd_import(args: argparse.Namespace) -> int:
    from vitrine.catalog import Catalog, CatalogImportError, import_files

    db = _catalogue(args.db)
    media = args.media or db.parent / "media"
    with Catalog.open(db, media) as catalog:
        try:
            report = import_files(catalog, args.files, replace=args.replace)
        except CatalogImportError as err:
            if not args.json:
                raise
            out = {"ok": False, "errors": [e.to_json() for e in err.errors]}
            print(json.dumps(out, indent=2, ensure_ascii=False))
            return 2
    if args.json:
        print(json.dumps({"ok": True, **report.to_json()}, indent=2, ensure_ascii=False))
        return 0
    print(f"imported into {db}:")
    print(report.summary())
    for name in report.media_missing:
        print(
            f"warning: image {name} is neither in a media/ folder beside the files nor in {media}",
            file=sys.stderr,
        )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from vitrine.catalog import Catalog, CatalogError

    db = _catalogue(args.db)
    if not db.is_file():
        raise CatalogError(_no_catalogue(db, given=args.db is not None))
    with Catalog.open(db, db.parent / "media") as catalog:
        if args.category and not catalog.has_category(args.category):
            names = ", ".join(c["name"] for c in catalog.categories()) or "none yet"
            raise CatalogError(
                f"--category {args.category!r}: no such category; categories: {names}"
            )
        items = []
        while True:
            page = catalog.products(args.category, offset=len(items), limit=100)
            items += page["items"]
            if len(items) >= page["total"] or not page["items"]:
                break
        sizes = {i["sku"]: len(catalog.product(i["sku"])["variants"]) for i in items}
    if args.json:
        print(json.dumps({"total": len(items), "items": items}, indent=2, ensure_ascii=False))
        return 0
    if not items:
        print("no products" + (f" in {args.category}" if args.category else ""))
        return 0
    rows = [
        (
            i["sku"],
            i["name"],
            i["brand"],
            i["category"],
            i["price"],
            ", ".join(c["name"] for c in i["colours"]),
            str(sizes[i["sku"]]),
        )
        for i in items
    ]
    head = ("SKU", "NAME", "BRAND", "CATEGORY", "PRICE", "COLOURS", "VARIANTS")
    widths = [max(len(r[n]) for r in [head, *rows]) for n in range(len(head))]
    for row in [head, *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print(f"\n{len(items)} product{'s' * (len(items) != 1)}")
    return 0


def _no_catalogue(db: Path, given: bool) -> str:
    # What to do when there is no catalogue: import one, or name the one to read. Without
    # --db, also where the demo keeps its own (found only while it runs).
    from vitrine.sim.control import default_state_dir

    text = f"no catalogue at {db}: import one with `vitrine catalog import FILE...`"
    if given:
        return text
    demo = default_state_dir() / "data" / "catalog.db"
    return (
        f"{text}, or name one with --db PATH. `vitrine demo` keeps its catalogue in {demo} "
        "(or in its --data-dir), and this command finds it there while the demo runs"
    )


def cmd_sample(args: argparse.Namespace) -> int:
    from vitrine.catalog.sample import sample_counts, write_sample

    try:
        write_sample(args.out_dir, seed=args.seed)
        counts = sample_counts(args.seed)
    except OSError as err:
        from vitrine.catalog import CatalogError

        message = f"{args.out_dir}: cannot write the sample: {err.strerror or err}"
        raise CatalogError(message) from err
    print(
        f"wrote the sample catalogue to {args.out_dir}: {counts['categories']} categories, "
        f"{counts['products']} products, {counts['variants']} variants, {counts['stock']} "
        f"stock rows, {counts['goes_with']} goes-with pairs, {counts['images']} images\n"
        f"import it with: vitrine catalog import {args.out_dir}"
    )
    return 0
