"""`vitrine analytics import`, `export` and `import-sales`: all or nothing, each problem by
file, line and column or field, nothing stored changed by a refused file."""

from __future__ import annotations

import json
import sqlite3

import pytest

from vitrine.analytics import store
from vitrine.analytics.imports import ImportError_, import_observations, import_sales
from vitrine.analytics.observation import ObservationError, make
from vitrine.cli import main

AT = 1_773_486_000.0


def _lines(n: int) -> list[str]:
    return [
        make("passer_by", AT + i, "store-1", "mirror-1", source="camera").line() for i in range(n)
    ]


def _count(path) -> tuple[int, int]:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("SELECT COUNT(*) FROM observation").fetchone()[0],
            conn.execute("SELECT COUNT(*) FROM sale").fetchone()[0],
        )
    finally:
        conn.close()


def test_import_then_again_adds_nothing_and_export_writes_the_same(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(_lines(5)) + "\n\n")
    db = tmp_path / "analytics.db"
    assert main(["analytics", "import", str(src), "--db", str(db)]) == 0
    assert main(["analytics", "import", str(src), "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "5 observations, 5 new, 0 already there" in out
    assert "5 observations, 0 new, 5 already there" in out
    assert main(["analytics", "export", "--db", str(db)]) == 0
    exported = capsys.readouterr().out.splitlines()
    assert exported == [line for line in src.read_text().splitlines() if line]


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("{not json", "in.jsonl:3: not JSON"),
        ('{"id": 1}', "in.jsonl:3: kind: required"),
        ("UNKNOWN", "in.jsonl:3: kind = 'teleport': unknown kind"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_stored(tmp_path, bad, words):
    lines = _lines(4)
    if bad == "UNKNOWN":
        obj = json.loads(lines[0])
        obj["kind"] = "teleport"
        bad = json.dumps(obj)
    db = tmp_path / "analytics.db"
    conn = store.open_store(db)
    first = tmp_path / "first.jsonl"
    first.write_text(lines[0] + "\n")
    import_observations(conn, first)
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join([lines[1], lines[2], bad, lines[3]]) + "\n")
    with pytest.raises(ObservationError) as err:
        import_observations(conn, src)
    conn.close()
    assert str(err.value).startswith(f"{tmp_path}/{words}")
    assert _count(db) == (1, 0)


def test_an_id_stored_with_other_content_is_refused_naming_the_line(tmp_path):
    line = _lines(1)[0]
    db = tmp_path / "analytics.db"
    conn = store.open_store(db)
    src = tmp_path / "a.jsonl"
    src.write_text(line + "\n")
    import_observations(conn, src)
    changed = json.loads(line)
    changed["data"]["source"] = "presence"
    other = tmp_path / "b.jsonl"
    other.write_text(_lines(2)[1] + "\n" + json.dumps(changed) + "\n")
    with pytest.raises(
        ObservationError,
        match=r"b.jsonl:2: id = .*stored already with other "
        r"content \(data differ\)",
    ):
        import_observations(conn, other)
    conn.close()
    assert _count(db) == (1, 0)
    exported = sqlite3.connect(db).execute("SELECT data FROM observation").fetchone()[0]
    assert json.loads(exported)["source"] == "camera"  # what was stored is unchanged


SALES = "store,transaction,time,amount,items\n"


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ("store-1,T9,2026-03-14T10:00:00,5,SH-1", "pos.csv:3: column time = "),
        ("store-1,T9,2026-03-14T10:00:00Z,five,SH-1", "pos.csv:3: column amount = 'five'"),
        ("store-1,T9,2026-03-14T10:00:00Z,-1,SH-1", "must be 0 to"),
        ("store-1,T9,2026-03-14T10:00:00Z,5,", "column items = '': no items"),
        ("store-1,T9,2026-03-14T10:00:00Z,5,SH-1*0", "quantity after '*' must be 1"),
        ("store 1,T9,2026-03-14T10:00:00Z,5,SH-1", "column store = 'store 1'"),
        ("store-1,T9,2026-03-14T10:00:00Z,5", "5 columns expected"),
        (
            "store-1,T1,2026-03-14T10:00:00Z,6,SH-1",
            "pos.csv:3: transaction T1 of store-1 is also on line 2 with other content",
        ),
    ],
)
def test_a_bad_sales_row_names_line_and_column_and_nothing_is_stored(tmp_path, row, words):
    db = tmp_path / "analytics.db"
    conn = store.open_store(db)
    path = tmp_path / "pos.csv"
    path.write_text(SALES + "store-1,T1,2026-03-14T10:00:00Z,5,SH-1\n" + row + "\n")
    with pytest.raises(ImportError_) as err:
        import_sales(conn, path)
    conn.close()
    assert words in str(err.value)
    assert _count(db) == (0, 0)


def test_sales_import_twice_adds_nothing_and_a_changed_transaction_is_refused(tmp_path):
    db = tmp_path / "analytics.db"
    conn = store.open_store(db)
    path = tmp_path / "pos.csv"
    path.write_text(SALES + "store-1,T1,2026-03-14T10:00:00+01:00,5.50,SH-1;TR-2*2\n")
    assert import_sales(conn, path).new == 1
    assert import_sales(conn, path).already == 1
    path.write_text(SALES + "store-1,T1,2026-03-14T10:00:00+01:00,7.50,SH-1;TR-2*2\n")
    with pytest.raises(ImportError_, match=r"pos\.csv:2: transaction T1 of store-1 is stored"):
        import_sales(conn, path)
    rows = conn.execute("SELECT sku, qty FROM sale_item ORDER BY sku").fetchall()
    conn.close()
    assert [tuple(r) for r in rows] == [("SH-1", 1), ("TR-2", 2)]
    assert _count(db) == (0, 1)


def test_a_missing_column_in_the_header_is_named(tmp_path):
    conn = store.open_store(tmp_path / "a.db")
    path = tmp_path / "pos.csv"
    path.write_text("store,transaction,time,items\n")
    with pytest.raises(ImportError_, match=r"pos\.csv:1: the header lacks amount"):
        import_sales(conn, path)
    conn.close()
