"""docs/metrics.md is the reference of the observation format and the metrics: every kind
with its fields, every fact and metric, and its examples are what the code takes."""

from __future__ import annotations

import re
from pathlib import Path

from vitrine.analytics import store
from vitrine.analytics.facts import FACTS, SALES
from vitrine.analytics.imports import import_sales
from vitrine.analytics.metrics import metrics_of
from vitrine.analytics.observation import KINDS, parse

DOC = Path(__file__).resolve().parents[3] / "docs" / "metrics.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(), re.S)


def test_every_kind_and_its_fields_are_documented() -> None:
    text = DOC.read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(\w+)` \| (.*?) \|", text, re.M)}
    for name, kind in KINDS.items():
        assert name in rows, f"kind {name} is not in docs/metrics.md's table"
        for field, rule in kind.fields.items():
            written = f"`{field}`{'' if rule.required else '?'} "
            assert written in rows[name], f"{name}.{field} is not documented as {written!r}"
    assert set(rows) >= set(KINDS)


def test_every_fact_and_metric_is_documented() -> None:
    text = DOC.read_text()
    for fact in (*FACTS, SALES):
        assert f"`{fact.name}`" in text or fact.name == "visit", fact.name
    for key in ("visits", "visit_s", "bounces", "amount"):
        assert f"`{key}`" in text
    for metric in metrics_of({}):
        assert f"`{metric}`" in text, f"metric {metric} is not in docs/metrics.md"


def test_the_examples_are_what_the_code_takes(tmp_path) -> None:
    (example,) = _blocks("json")
    obs = parse(example.strip())
    assert obs.kind == "look"
    (csv_text,) = _blocks("csv")
    path = tmp_path / "sales.csv"
    path.write_text(csv_text)
    conn = store.open_store(tmp_path / "analytics.db")
    try:
        done = import_sales(conn, path)
    finally:
        conn.close()
    assert (done.read, done.new) == (1, 1)
