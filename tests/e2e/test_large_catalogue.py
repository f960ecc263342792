"""The player in Chromium over a category of 300 pieces: it asks for what it shows and more as
the shopper pages on (never the whole range), the home tiles come with the categories, a
missing picture is the quiet placeholder, and a long name keeps two lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from vitrine.bench.daemon import free_port
from vitrine.catalog import Catalog, import_files

from .conftest import PORTRAIT, PlayerServer, Screenshots

KNITS = 300
LONG_NAME = "Fisherman Cable-Knit Merino Wool Jumper with Saddle Shoulders"


def _range(folder: Path) -> Path:
    media = folder / "media"  # beside the import file: the importer copies from it
    media.mkdir()
    (media / "knit.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
        '<rect width="10" height="10" fill="#8a6"/></svg>'
    )
    products = [
        {
            "sku": f"K{n:03d}",
            "name": LONG_NAME if n == 0 else f"Knit {n}",
            "category": "knitwear",
            "price_cents": 8900,
            "currency": "EUR",
            "popularity": 1000 - n,
            # the second most popular names a picture the media folder lacks
            "images": ["gone.svg"] if n == 1 else ["knit.svg"],
        }
        for n in range(KNITS)
    ]
    data = {
        "categories": [
            {"name": "knitwear", "label": "Knitwear", "position": 1},
            {"name": "hats", "label": "Hats", "position": 2},
        ],
        "products": [
            *products,
            {
                "sku": "H1",
                "name": "Beanie",
                "category": "hats",
                "price_cents": 1900,
                "currency": "EUR",
                "images": ["knit.svg"],
            },
        ],
        "variants": [
            {
                "sku": f"{p['sku']}-M",
                "product_sku": p["sku"],
                "size": "M",
                "colour": "Oat",
                "colour_hex": "#d8cbb0",
            }
            for p in products
        ],
    }
    source = folder / "range.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    return source


@pytest.fixture
def large_server(tmp_path: Path) -> Iterator[PlayerServer]:
    folder = tmp_path / "data"
    catalog = Catalog.open(folder / "catalog.db", folder / "media")
    try:
        report = import_files(catalog, [_range(tmp_path)])
    finally:
        catalog.close()
    assert report.counts["products"] == KNITS + 1
    server = PlayerServer(folder, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _catalogue_requests(page: Any) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = []

    def seen(request: Any) -> None:
        url = urlparse(request.url)
        if url.path.startswith("/api/catalog/"):
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            requests.append({"path": url.path, **query})

    page.on("request", seen)
    return requests


def test_browsing_a_large_category_fetches_as_the_shopper_pages(
    browser: Any, large_server: PlayerServer, screenshots: Screenshots
) -> None:
    context = browser.new_context(viewport=PORTRAIT, has_touch=True)
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        requests = _catalogue_requests(page)
        page.goto(large_server.url + "/")
        page.wait_for_function("window.vitrine && window.vitrine.connected")
        page.wait_for_selector(".screen--attract")
        for _ in range(100):
            if requests:
                break
            page.wait_for_timeout(50)
        # the attract loop shows the most popular pieces: one page of cards
        assert [(r["path"], r.get("limit")) for r in requests] == [("/api/catalog/products", "24")]
        requests.clear()
        large_server.act(type="navigate", screen="home")
        page.wait_for_selector(".tile img")
        # the tiles' pictures came with the categories: no request per tile
        assert [r["path"] for r in requests] == ["/api/catalog/categories"]
        screenshots.save(page, "large-home-portrait")

        large_server.act(type="navigate", screen="browse", category="knitwear")
        browse = page.locator(".screen--browse")
        page.wait_for_selector(".screen--browse .pager__position:not([hidden])")
        pages = [r for r in requests if r["path"] == "/api/catalog/products"]
        assert [(r["offset"], r["limit"]) for r in pages] == [("0", "48")]
        position = browse.locator(".pager__position")
        assert position.inner_text() == "1 / 50"  # 300 pieces, 6 a page
        assert browse.locator(".subtitle").inner_text().startswith("300 pieces")

        # the first card's long name shows on two lines; the second's missing picture is the
        # placeholder, and no picture is left broken
        first = browse.locator(".card").nth(0)
        assert first.locator(".card__name").evaluate(
            "el => getComputedStyle(el).webkitLineClamp"
        ) == ("2")
        name_lines = first.locator(".card__name").evaluate(
            "el => Math.round(el.getBoundingClientRect().height / parseFloat("
            "getComputedStyle(el).lineHeight))"
        )
        assert name_lines == 2
        page.wait_for_selector(".screen--browse .card:nth-child(2) .img-missing")
        broken = page.evaluate(
            "[...document.images].filter(i => i.complete && i.naturalWidth === 0).length"
        )
        assert broken == 0
        screenshots.save(page, "large-browse-portrait")

        # paging towards the end of what is loaded fetches the next cards, once
        for turn in range(6):
            browse.locator(".pager__arrow--next").click()
            page.wait_for_function(
                f"document.querySelector('.screen--browse .pager').dataset.page === '{turn + 1}'"
            )
        page.wait_for_function(
            "document.querySelector('.screen--browse .pager').dataset.pages === '16'"
        )
        pages = [r for r in requests if r["path"] == "/api/catalog/products"]
        assert [(r["offset"], r["limit"]) for r in pages] == [("0", "48"), ("48", "48")]
        assert position.inner_text() == "7 / 50"
        assert errors == []
    finally:
        context.close()
