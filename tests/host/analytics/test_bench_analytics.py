"""`vitrine bench analytics` at a small scale, every part on the real servers: the figures
are there, judged against the issue's targets, and the fleet's outage leaves every
observation in PostgreSQL exactly once."""

from __future__ import annotations

import pytest

from vitrine.bench.analytics import TARGETS, people, run_analytics_bench
from vitrine.bench.servers import ServerMissing, pg_bin
from vitrine.cli import main


def test_the_simulated_people_make_every_kind_of_the_funnel() -> None:
    batches = list(people(5000, 1_735_689_600.0, 2))
    kinds = {o.kind for b in batches for o in b}
    assert {"passer_by", "entry", "presence", "look", "session_start", "interaction"} <= kinds
    assert {"content_view", "rating", "exposure", "zone_enter", "zone_leave"} <= kinds
    assert sum(len(b) for b in batches) == 5000


def test_every_part_at_a_small_scale() -> None:
    try:
        pg_bin()
    except ServerMissing as err:
        pytest.skip(str(err))
    said: list[str] = []
    result = run_analytics_bench(
        progress=said.append,
        ingest=5000,
        year=20_000,
        mirrors=10,
        per_mirror=200,
        outage_s=2.0,
        day_visitors=3,
        day_passers=20,
        day_hours=0.5,
    )
    assert set(result["checks"]) == set(TARGETS)
    assert result["checks"]["ingest_per_s"]["value"] > 0
    assert result["year"]["hours_rolled"] > 0
    assert set(result["year"]["query_ms"]) >= {"report_year", "trend_year_by_day"}
    fleet = result["fleet"]
    assert result["fleet_exactly_once"] is True, fleet
    assert fleet["missing"] == fleet["unknown"] == 0
    assert fleet["recorded"] == fleet["stored_rows"] == fleet["distinct_ids"] >= 2000
    assert fleet["recorded_during_outage"] > 0
    assert any("broker is cut" in line for line in said)


def test_unknown_parts_are_named(capsys) -> None:
    assert main(["bench", "analytics", "--parts", "ingest,speed"]) != 0
    assert "--parts 'ingest,speed': allowed: ingest, year, fleet, day" in capsys.readouterr().err
