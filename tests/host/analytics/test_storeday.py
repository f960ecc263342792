"""A short simulated store day through the presence replay, the camera's model, the engine's
records and a point-of-sale import into the real recorder, writer, roll-ups and report: every
funnel metric within 5% of the day's truth, and the comparison able to see a miss."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vitrine.bench import storeday
from vitrine.cli import main
from vitrine.sim.storeday import plan_day, truth

SHORT = ["--day-seed", "3", "--day-hours", "1", "--day-visitors", "5", "--day-passers", "40"]


def test_a_short_day_meets_its_truth_within_5_percent(capsys) -> None:
    assert main(["bench", "analytics", "--parts", "day", "--json", *SHORT]) == 0
    result = json.loads(capsys.readouterr().out)
    day = result["day"]
    assert result["checks"]["day_within_5pct"]["pass"] is True
    assert result["day_worst_error_pct"] <= 5.0
    for name, row in day.items():
        assert row["ok"], (name, row)
    # a day that exercises the funnel: people pass, stop, look, touch, buy
    assert day["passers_by"]["truth"] == 45.0  # 40 in the aisle and the 5 visitors
    assert day["visitors"]["truth"] == 5.0
    assert day["sessions"]["measured"] == 5.0
    assert 0 < day["attention_rate"]["truth"] < 1
    assert day["mean_visit_s"]["measured"] > 0
    assert day["dwell_at_glass_visits"]["truth"] + day["dwell_in_front_visits"]["truth"] >= 4
    assert result["day_run"]["observations"] > 100
    assert result["day_run"]["hours_rolled_up"] > 0


def test_the_measured_side_sees_the_cameras_misses(tmp_path: Path, monkeypatch) -> None:
    # The report counts what reached analytics.db, not the truth: with the camera missing
    # half the passers-by, the report says so and the day misses its target.
    monkeypatch.setitem(storeday.CAMERA, "passer_by_miss", 0.5)
    result = storeday.bench_day(tmp_path, lambda _s: None, seed=3, passers=40, visitors=5, hours=1)
    row = result["day"]["passers_by"]
    assert row["truth"] == 45.0
    assert row["measured"] == 23.0  # every other one missed, evenly
    assert row["ok"] is False
    assert result["day"]["shopfront_conversion"]["ok"] is False
    assert result["day_within_5pct"] is False


def test_the_truth_comes_from_the_world_and_the_scripts() -> None:
    plan = plan_day(5, passers=10, visitors=3, hours=0.5)
    true = truth(plan)
    assert true["passers_by"] == 13.0
    assert true["visitors"] == 3.0
    assert true["sessions"] == 3.0
    assert true["transactions"] == sum(1 for s in plan.scripts if s.purchase)
    assert true["visits"] == 3.0  # one at a time, far apart: each visitor one visit
    assert plan_day(5, passers=10, visitors=3, hours=0.5) == plan  # seeded


def test_a_tolerance_miss_is_named() -> None:
    rows = storeday.compare(
        {"visitors": 94.0, "passers_by": 100.0}, {"visitors": 100.0, "passers_by": 100.0}
    )
    assert rows["visitors"] == {"measured": 94.0, "truth": 100.0, "error_pct": -6.0, "ok": False}
    assert rows["passers_by"]["ok"] is True
    assert storeday.compare({"nps": None}, {"nps": 0.0})["nps"]["ok"] is False


def test_a_day_that_cannot_hold_its_visitors_is_refused(capsys) -> None:
    code = main(
        ["bench", "analytics", "--parts", "day", "--day-hours", "1", "--day-visitors", "30"]
    )
    assert code != 0
    err = capsys.readouterr().err
    assert "visitors=30 do not fit 1 h" in err
    assert "at most 20" in err


def test_day_hours_out_of_range_are_refused(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["bench", "analytics", "--parts", "day", "--day-hours", "0"])
    assert "--day-hours: '0': allowed a whole number, 1 or more" in capsys.readouterr().err
    assert main(["bench", "analytics", "--parts", "day", "--day-hours", "25"]) != 0
    assert "hours=25: allowed passers ≥ 0, visitors ≥ 1, hours 0.1..24" in capsys.readouterr().err
