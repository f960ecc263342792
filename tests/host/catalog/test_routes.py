"""The catalogue over HTTP, against the sample imported into a real database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from vitrine.catalog import Catalog
from vitrine.catalog.routes import catalog_router


@pytest.fixture
def client(sample_catalog: Catalog) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(catalog_router(lambda: sample_catalog, "store-1", "1"))
    with TestClient(app) as c:
        yield c


def test_categories(client: TestClient, sample_catalog: Catalog) -> None:
    r = client.get("/api/catalog/categories")
    assert r.status_code == 200
    assert r.json() == sample_catalog.categories()
    first = r.json()[0]
    assert (first["name"], first["label"], first["count"]) == ("shirts", "Shirts & Tops", 6)
    assert first["cover"]["category"] == "shirts"


def test_products_pages(client: TestClient, sample_catalog: Catalog) -> None:
    r = client.get("/api/catalog/products")
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == 36
    assert len(body["items"]) == 24
    assert body == sample_catalog.products()
    r = client.get("/api/catalog/products", params={"offset": 30, "limit": 10})
    assert [c["sku"] for c in r.json()["items"]] == [
        c["sku"] for c in sample_catalog.products(limit=100)["items"][30:]
    ]
    r = client.get("/api/catalog/products?category=knitwear&limit=100")
    assert r.json()["total"] == 6
    assert {c["category"] for c in r.json()["items"]} == {"knitwear"}
    assert client.get("/api/catalog/products?category=").json()["total"] == 36


def test_unknown_category_is_404_listing_the_categories(client: TestClient) -> None:
    r = client.get("/api/catalog/products?category=hats")
    assert r.status_code == 404
    assert r.json() == {
        "error": "no category 'hats'; categories: shirts, knitwear, dresses, trousers, "
        "outerwear, accessories"
    }


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=-5", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=99999999999999999999999", "offset"),
    ],
)
def test_bad_paging_is_422_naming_the_parameter(client: TestClient, query: str, name: str) -> None:
    r = client.get(f"/api/catalog/products?{query}")
    assert r.status_code == 422
    error = r.json()["error"]
    assert error.startswith(f"{name}=")
    assert "must be a whole number from" in error


def test_product_detail_with_this_store_and_fitting_room(
    client: TestClient, sample_catalog: Catalog
) -> None:
    r = client.get("/api/catalog/products/SH-101")
    assert r.status_code == 200
    assert r.json() == sample_catalog.product("SH-101", store="store-1", fitting_room="1")
    body = r.json()
    assert body["price"] == "€49.00"
    assert body["goes_with"]
    variant = body["variants"][0]
    assert variant["stock"]["store"] == sample_catalog.stock(variant["sku"], "store-1")
    assert variant["stock"]["room"] == sample_catalog.stock(
        variant["sku"], "store-1", "fitting-room-1"
    )


def test_a_shop_floor_mirror_has_no_room_stock(sample_catalog: Catalog) -> None:
    app = FastAPI()
    app.include_router(catalog_router(lambda: sample_catalog, "store-1", ""))
    with TestClient(app) as c:
        for card in c.get("/api/catalog/products?limit=100").json()["items"]:
            detail = c.get(f"/api/catalog/products/{card['sku']}").json()
            assert all(v["stock"]["room"] == 0 for v in detail["variants"])


def test_unknown_product_is_404(client: TestClient) -> None:
    r = client.get("/api/catalog/products/NOPE-1")
    assert r.status_code == 404
    assert r.json() == {"error": "no product 'NOPE-1'"}


def test_media_is_served_with_its_type_and_cache_header(
    client: TestClient, sample_catalog: Catalog
) -> None:
    name = sample_catalog.product("SH-101")["images"][0]
    r = client.get(f"/media/{name}")
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/svg+xml"
    assert r.headers["cache-control"] == "public, max-age=3600"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert r.content == (sample_catalog.media_dir / name).read_bytes()
    (sample_catalog.media_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (sample_catalog.media_dir / "photo.jpeg").write_bytes(b"\xff\xd8\xff")
    (sample_catalog.media_dir / "photo.webp").write_bytes(b"RIFF")
    assert client.get("/media/photo.png").headers["content-type"] == "image/png"
    assert client.get("/media/photo.jpeg").headers["content-type"] == "image/jpeg"
    assert client.get("/media/photo.webp").headers["content-type"] == "image/webp"


@pytest.mark.parametrize(
    "path",
    [
        "/media/..%2Fcatalog.db",
        "/media/..%2fcatalog.db",
        "/media/%2e%2e%2Fcatalog.db",
        "/media/%2E%2E/catalog.db",
        "/media/..%5Ccatalog.db",
        "/media/.hidden.svg",
        "/media/.hidden",
        "/media/notes.txt",
        "/media/catalog.db",
        "/media/missing.svg",
        "/media/sub/inside.svg",
        "/media/sub%2Finside.svg",
        "/media/%2Fetc%2Fpasswd",
        "/media/%00.svg",
        "/media/%2E%2E",
        "/media/x..svg",
        "/media/link.svg",
    ],
)
def test_media_refuses_anything_but_a_plain_image_file(
    client: TestClient, sample_catalog: Catalog, path: str
) -> None:
    media = sample_catalog.media_dir
    (media / ".hidden.svg").write_text("<svg/>")
    (media / ".hidden").write_text("secret")
    (media / "notes.txt").write_text("notes")
    (media / "sub").mkdir()
    (media / "sub" / "inside.svg").write_text("<svg/>")
    (media / "link.svg").symlink_to(sample_catalog.path)
    r = client.get(path)
    assert r.status_code == 404, path
    assert "error" in r.json()
    assert b"SQLite" not in r.content
