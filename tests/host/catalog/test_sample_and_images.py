"""The sample catalogue (deterministic, plausible, imports cleanly) and the SVG pictures
drawn for it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from vitrine.catalog import Catalog, import_files
from vitrine.catalog.images import KINDS, PATTERNS, draw
from vitrine.catalog.sample import LOCATIONS, STORE, sample_counts, write_sample

SVG = "{http://www.w3.org/2000/svg}"


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_the_same_seed_writes_the_same_files(tmp_path: Path, sample_dir: Path) -> None:
    assert write_sample(tmp_path / "again", seed=1) == tmp_path / "again"
    counts = sample_counts(1)
    assert files_of(tmp_path / "again") == files_of(sample_dir)
    other = tmp_path / "other"
    write_sample(other, seed=2)
    assert files_of(other) != files_of(sample_dir)
    assert counts["categories"] == 6
    assert counts["products"] == 36
    assert counts["images"] == len(list((sample_dir / "media").glob("*.svg")))


def test_the_sample_imports_cleanly(sample_dir: Path, sample_catalog: Catalog) -> None:
    assert sorted(p.name for p in sample_dir.glob("*.csv")) == [
        "categories.csv",
        "goes_with.csv",
        "products.csv",
        "stock.csv",
        "variants.csv",
    ]
    assert [c["count"] for c in sample_catalog.categories()] == [6] * 6
    cards = sample_catalog.products(limit=100)["items"]
    assert len(cards) == 36
    assert "Linen Shirt" in {c["name"] for c in cards}
    sizes_seen: set[tuple[str, ...]] = set()
    out_of_stock = 0
    for card in cards:
        detail = sample_catalog.product(card["sku"], store=STORE, fitting_room="1")
        assert 2 <= len(card["colours"]) <= 4, card["sku"]
        assert len(detail["images"]) == len(card["colours"])
        assert all(sample_catalog.media_path(name) for name in detail["images"])
        assert detail["description"].endswith(".")
        assert card["tags"]
        sizes_seen.add(tuple(detail["sizes"]))
        out_of_stock += sum(v["stock"]["store"] == 0 for v in detail["variants"])
    assert ("XS", "S", "M", "L", "XL") in sizes_seen
    assert tuple(str(n) for n in range(36, 46)) in sizes_seen
    assert out_of_stock > 0  # "out of stock in your size" happens


def test_sample_stock_locations_and_reasons(sample_dir: Path) -> None:
    stock = (sample_dir / "stock.csv").read_text().splitlines()[1:]
    assert {line.split(",")[1] for line in stock} == {STORE}
    assert {line.split(",")[2] for line in stock} == set(LOCATIONS)
    reasons = {
        line.rsplit(",", 1)[1] for line in (sample_dir / "goes_with.csv").read_text().splitlines()
    }
    assert {"same linen weight", "classic pairing"} <= reasons


def test_the_sample_imports_twice_as_updates(tmp_path: Path, sample_dir: Path) -> None:
    with Catalog.open(tmp_path / "c.db", tmp_path / "media") as catalog:
        first = import_files(catalog, [sample_dir])
        again = import_files(catalog, [sample_dir])
    assert again.added == dict.fromkeys(first.counts, 0)
    assert again.updated == first.counts
    assert again.media_copied == []


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_in_every_pattern_is_a_small_well_formed_svg(kind: str) -> None:
    for i, pattern in enumerate(PATTERNS):
        text = draw(kind, ("#1f2f4f", "#f4f2ec", "#b3282d", "#6b6b3a", "#1d1d1f")[i], pattern, i)
        root = ET.fromstring(text)
        assert root.tag == f"{SVG}svg"
        assert root.get("viewBox") == "0 0 600 800"
        assert root.find(f".//{SVG}pattern[@id='fabric']") is not None
        assert root.find(f".//{SVG}title").text
        assert len(text.encode()) < 20_000
        # every url(#id) points at something defined
        ids = {el.get("id") for el in root.iter() if el.get("id")}
        for ref in {part.split(")")[0] for part in text.split("url(#")[1:]}:
            assert ref in ids, (kind, pattern, ref)


def test_drawings_are_deterministic_and_vary_with_the_seed() -> None:
    assert draw("shirt", "#9fc1dd", "weave", 7) == draw("shirt", "#9fc1dd", "weave", 7)
    assert draw("shirt", "#9fc1dd", "weave", 7) != draw("shirt", "#9fc1dd", "weave", 8)
    assert "#9fc1dd" in draw("shirt", "#9fc1dd", "weave", 7)
    root = ET.fromstring(draw("hat", "#000000", title="A <hat> & co"))
    assert root.get("aria-label") == "A <hat> & co"
    assert root.find(f"{SVG}title").text == "A <hat> & co"


def test_unknown_kind_or_pattern_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind 'sock'; allowed: shirt"):
        draw("sock", "#000000")
    with pytest.raises(ValueError, match="unknown pattern 'paisley'"):
        draw("shirt", "#000000", "paisley")
    with pytest.raises(ValueError, match="not #rrggbb"):
        draw("shirt", "red")
