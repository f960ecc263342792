"""Fixtures for the catalogue tests: a small hand-written catalogue as CSV files, and the
sample catalogue written and imported into a database in the test's folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vitrine.catalog import Catalog, import_files
from vitrine.catalog.sample import write_sample

# A small catalogue, one CSV text per table; tests change one file to break one rule.
BASE = {
    "categories.csv": "name,label,position\nshirts,Shirts,1\ntrousers,Trousers,2\n",
    "products.csv": (
        "sku,name,brand,category,description,price_cents,currency,tags,popularity,images\n"
        'P1,Linen Shirt,Nordvik,shirts,Cool linen.,4900,EUR,"summer,linen",10,p1.svg\n'
        "P2,Chinos,Oakhurst,trousers,Cotton twill.,5500,GBP,office,20,\n"
    ),
    "variants.csv": (
        "sku,product_sku,size,colour,colour_hex,price_cents\n"
        "P1-W-M,P1,M,White,#FFFFFF,\n"
        "P1-W-S,P1,S,White,#ffffff,\n"
        "P1-B-L,P1,L,Blue,#0000ff,5400\n"
        "P2-S-32,P2,32,Stone,#b8b1a3,\n"
    ),
    "stock.csv": (
        "variant_sku,store,location,quantity\n"
        "P1-W-M,store-1,floor,3\n"
        "P1-W-M,store-1,fitting-room-1,1\n"
        "P1-W-S,store-1,floor,0\n"
        "P1-W-M,store-2,floor,5\n"
    ),
    "goes_with.csv": "sku,other_sku,weight,reason\nP1,P2,0.8,classic pairing\n",
}


def write_files(folder: Path, files: dict[str, str | bytes]) -> list[Path]:
    """Write files (text or bytes) into folder; returns their paths in the order given."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture
def empty_catalog(tmp_path: Path) -> Iterator[Catalog]:
    catalog = Catalog.open(tmp_path / "data" / "catalog.db", tmp_path / "data" / "media")
    yield catalog
    catalog.close()


@pytest.fixture
def base_catalog(tmp_path: Path, empty_catalog: Catalog) -> Catalog:
    """The BASE catalogue imported."""
    import_files(empty_catalog, write_files(tmp_path / "base", BASE))
    return empty_catalog


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample catalogue (seed 1) as files; read-only for the tests."""
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, seed=1)
    return folder


@pytest.fixture
def sample_catalog(tmp_path: Path, sample_dir: Path) -> Iterator[Catalog]:
    """The sample imported into a fresh catalogue in the test's folder."""
    catalog = Catalog.open(tmp_path / "data" / "catalog.db", tmp_path / "data" / "media")
    import_files(catalog, [sample_dir])
    yield catalog
    catalog.close()
