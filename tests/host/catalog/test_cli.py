"""`vitrine catalog sample|import|show`, called as the command line calls them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.host.catalog.conftest import BASE, write_files
from vitrine.catalog import Catalog
from vitrine.cli import main
from vitrine.paths import state_dir


def test_sample_then_import_then_show(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "sample"
    assert main(["catalog", "sample", str(out), "--seed", "3"]) == 0
    said = capsys.readouterr().out
    assert f"wrote the sample catalogue to {out}: 6 categories, 36 products" in said
    assert (out / "products.csv").is_file()
    assert list((out / "media").glob("*.svg"))

    db = tmp_path / "data" / "catalog.db"
    assert main(["catalog", "import", str(out), "--db", str(db)]) == 0
    said = capsys.readouterr().out
    assert f"imported into {db}:" in said
    assert "products        36  (36 added, 0 updated)" in said
    assert (db.parent / "media" / "sh-101-white.svg").is_file()  # media/ beside the db

    assert main(["catalog", "show", "--db", str(db), "--category", "knitwear"]) == 0
    said = capsys.readouterr().out
    lines = said.splitlines()
    assert lines[0].split() == ["SKU", "NAME", "BRAND", "CATEGORY", "PRICE", "COLOURS", "VARIANTS"]
    assert "Merino Crew Jumper" in said
    assert lines[-1] == "6 products"

    assert main(["catalog", "show", "--db", str(db), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["total"] == 36
    assert len(shown["items"]) == 36


def test_import_into_the_state_dir_by_default_with_a_media_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    write_files(tmp_path / "in", BASE)
    write_files(tmp_path / "in" / "media", {"p1.svg": "<svg/>"})
    media = tmp_path / "pictures"
    files = [str(p) for p in sorted((tmp_path / "in").glob("*.csv"))]
    assert main(["catalog", "import", *files, "--media", str(media), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["counts"]["products"] == 2
    assert report["media_copied"] == ["p1.svg"]
    assert (media / "p1.svg").is_file()
    with Catalog.open(state_dir() / "catalog.db", media) as catalog:
        assert catalog.products()["total"] == 2


def test_a_missing_image_is_a_warning(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    write_files(tmp_path / "in", BASE)
    assert main(["catalog", "import", str(tmp_path / "in"), "--db", str(tmp_path / "c.db")]) == 0
    err = capsys.readouterr().err
    assert "warning: image p1.svg is neither in a media/ folder beside the files nor in" in err


def test_a_refused_import_exits_2_listing_the_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    db = tmp_path / "c.db"
    good = write_files(tmp_path / "good", BASE)
    assert main(["catalog", "import", *map(str, good), "--db", str(db)]) == 0
    capsys.readouterr()
    bad = write_files(
        tmp_path / "bad",
        {"stock.csv": "variant_sku,store,location,quantity\nP1-W-M,store-1,floor,-3\n"},
    )
    assert main(["catalog", "import", str(bad[0]), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "vitrine: catalogue import refused, nothing changed: 1 problem",
        f"  {bad[0]}:2: quantity: -3 is out of range: must be 0 to 1000000000",
    ]
    assert main(["catalog", "import", str(bad[0]), "--db", str(db), "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report == {
        "ok": False,
        "errors": [
            {
                "file": str(bad[0]),
                "line": 2,
                "column": "quantity",
                "message": "-3 is out of range: must be 0 to 1000000000",
            }
        ],
    }
    with Catalog.open(db, tmp_path / "media") as catalog:
        assert catalog.stock("P1-W-M", "store-1", "floor") == 3


def test_show_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["catalog", "show", "--db", str(tmp_path / "none.db")]) == 2
    assert "no catalogue at" in capsys.readouterr().err
    db = tmp_path / "c.db"
    assert main(["catalog", "import", str(write_files(tmp_path, BASE)[0]), "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["catalog", "show", "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == "no products"
    assert main(["catalog", "show", "--db", str(db), "--category", "hats"]) == 2
    assert capsys.readouterr().err.strip() == (
        "vitrine: --category 'hats': no such category; categories: shirts, trousers"
    )


def test_import_replace_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    db = tmp_path / "data" / "catalog.db"
    assert (
        main(["catalog", "import", *map(str, write_files(tmp_path / "in", BASE)), "--db", str(db)])
        == 0
    )
    capsys.readouterr()
    stock = "variant_sku,store,location,quantity\nP1-W-M,store-1,floor,9\n"
    feed = write_files(tmp_path / "feed", {"stock.csv": stock})
    assert main(["catalog", "import", str(feed[0]), "--replace", "--db", str(db)]) == 0
    said = capsys.readouterr().out
    assert "stock            1  (0 added, 1 updated, 3 removed; replaced)" in said
    assert "products         0  (0 added, 0 updated)" in said
    assert main(["catalog", "import", str(feed[0]), "--replace", "--db", str(db), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["replaced"], report["removed"]["stock"]) == (["stock"], 0)


def test_without_a_catalogue_the_error_says_db_and_where_the_demo_keeps_its(
    capsys: pytest.CaptureFixture,
) -> None:
    from vitrine.sim.control import default_state_dir

    assert main(["catalog", "show"]) == 2
    err = capsys.readouterr().err
    assert f"no catalogue at {state_dir() / 'catalog.db'}: import one with" in err
    assert "or name one with --db PATH" in err
    assert f"`vitrine demo` keeps its catalogue in {default_state_dir() / 'data/catalog.db'}" in err


def test_while_a_demo_runs_show_and_import_use_its_catalogue(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    # What `vitrine demo` leaves in its state folder while it runs: the record naming its data
    # folder (here this test's process stands for the demo's, so it is alive).
    from vitrine.cli.demo_record import running_demo, write_record
    from vitrine.sim.control import default_state_dir

    data = tmp_path / "demo-data"
    files = [str(p) for p in write_files(tmp_path / "in", BASE)]
    assert main(["catalog", "import", *files, "--db", str(data / "catalog.db")]) == 0
    capsys.readouterr()
    default_state_dir().mkdir(parents=True, exist_ok=True)
    record = write_record(default_state_dir(), "http://127.0.0.1:8080/", data)
    assert running_demo() is not None

    assert main(["catalog", "show"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[-1] == "2 products"
    own = state_dir() / "catalog.db"
    assert err == f"no catalogue at {own}; using the running demo's, {data / 'catalog.db'}\n"

    extra = "sku,name,category,price_cents,currency\nP3,Belt,trousers,1900,EUR\n"
    added = write_files(tmp_path / "more", {"products.csv": extra})
    assert main(["catalog", "import", str(added[0])]) == 0
    assert f"imported into {data / 'catalog.db'}:" in capsys.readouterr().out
    assert not own.exists()

    record.write_text(record.read_text().replace(f'"pid": {os.getpid()}', '"pid": 999999999'))
    assert running_demo() is None  # a demo that has ended is not found
    assert main(["catalog", "show"]) == 2
