"""`vitrine bench daemon`, one run: the real daemon spawned as systemd would, timed to READY=1,
to its status API, to every virtual board up; watchdog pings and a clean stop."""

from __future__ import annotations

import pytest

from vitrine.bench.daemon import TARGETS, run_daemon_bench

pytestmark = pytest.mark.hil


def test_one_run_measures_start_up_watchdog_and_stop() -> None:
    steps: list[str] = []
    result = run_daemon_bench(runs=1, hold_s=1.2, progress=steps.append)
    assert steps[0] == "virtual boards for every role"
    assert result["bench"] == "daemon"
    assert result["roles"] == ["beacon", "lights", "presence", "touch"]
    (run,) = result["per_run"]
    assert 0 < run["ready_s"] < 30
    assert 0 < run["api_s"] <= run["boards_up_s"] < 30
    assert "/4 boards up" in run["ready_status"]
    assert run["watchdog_pings"] >= 2  # every 0.5 s for 1.2 s
    assert run["stopping_sent"] is True
    assert run["exit_code"] == 0
    assert result["ready_max_s"] == run["ready_s"]
    assert set(result["checks"]) == set(TARGETS)
    assert result["pass"] == all(c["pass"] for c in result["checks"].values())
    assert result["checks"]["unclean_stops"]["pass"]
    assert result["checks"]["watchdog_pings_min"]["pass"]


def test_zero_runs_is_refused() -> None:
    with pytest.raises(ValueError, match="runs=0: allowed 1 or more"):
        run_daemon_bench(runs=0)
