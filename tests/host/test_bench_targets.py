"""The benchmarks' shared judging of figures against targets, and their percentile."""

from __future__ import annotations

import pytest

from vitrine.bench.targets import judged, percentile


def test_each_figure_is_judged_against_its_target() -> None:
    result = {"p99_ms": 12.0, "lost": 0, "rate_hz": 90.0, "stall_ms": 50.0}
    targets = {
        "p99_ms": ("<=", 50.0),
        "lost": ("==", 0),
        "rate_hz": (">=", 100.0),
        "stall_ms": ("<", 50.0),
    }
    assert judged(result, targets) == {
        "checks": {
            "p99_ms": {"value": 12.0, "target": "<= 50.0", "pass": True},
            "lost": {"value": 0, "target": "== 0", "pass": True},
            "rate_hz": {"value": 90.0, "target": ">= 100.0", "pass": False},
            "stall_ms": {"value": 50.0, "target": "< 50.0", "pass": False},
        },
        "pass": False,
    }
    assert judged(result, {"p99_ms": ("<=", 50.0)})["pass"] is True


def test_an_unknown_comparison_is_an_error() -> None:
    with pytest.raises(KeyError):
        judged({"x": 1}, {"x": ("!=", 2)})


def test_percentile_is_the_nearest_rank_below() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 100..1, unsorted on purpose
    assert percentile(values, 0.5) == 51.0
    assert percentile(values, 0.99) == 100.0
    assert percentile(values, 1.0) == 100.0
    assert percentile([7.0], 0.99) == 7.0
