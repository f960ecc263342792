"""`vitrine bench catalog`, small: the real daemon serves the player's screens from a generated
catalogue while its loop's lag is read before and after."""

from __future__ import annotations

import pytest

from vitrine.bench.catalog import CATEGORIES, TARGETS, run_catalog_bench

pytestmark = pytest.mark.hil


def test_a_small_run_measures_every_screen_and_the_loop() -> None:
    steps: list[str] = []
    result = run_catalog_bench(products=400, stock_rows=4000, screens=4, progress=steps.append)
    assert steps[0] == "building a catalogue of 400 products"
    assert result["bench"] == "catalog"
    assert (result["products"], result["stock_rows"], result["categories"]) == (
        400,
        4000,
        CATEGORIES,
    )
    assert result["variants"] == 2000  # 4000 stock rows: each variant in two places
    for screen in ("home", "browse", "product"):
        assert 0 < result[f"{screen}_p50_ms"] <= result[f"{screen}_p99_ms"] <= 10_000
    assert result["recommended_beside_a_product_mean"] > 0
    assert result["loop_wakeups"] == sum(result["loop_histogram_ms"].values()) > 0
    assert result["daemon_peak_rss_mb"] > 0
    assert set(result["checks"]) == set(TARGETS)
    assert result["pass"] == all(c["pass"] for c in result["checks"].values())


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"products": 10}, "products=10: allowed 40 or more"),
        ({"products": 100, "stock_rows": 100}, "stock_rows=100: allowed 200 or more"),
        ({"screens": 0}, "screens=0: allowed 1 or more"),
    ],
)
def test_bad_sizes_are_refused(kw: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run_catalog_bench(**kw)
