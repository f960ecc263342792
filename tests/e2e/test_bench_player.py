"""`vitrine bench player`, a short run: the daemon spawned as systemd would, the player's first
paint in Chromium after READY=1, and fingers on the virtual glass timed to the page's handler."""

from __future__ import annotations

import pytest

from vitrine.bench.player import TARGETS, run_player_bench
from vitrine.player.chromium import CHROMIUM

pytestmark = [
    pytest.mark.hil,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def test_a_short_run_measures_first_paint_and_touch_to_handler() -> None:
    steps: list[str] = []
    result = run_player_bench(trials=12, progress=steps.append)
    assert steps[:2] == ["sample catalogue", "virtual boards for every role"]
    assert result["bench"] == "player"
    assert result["display_px"] == [1920, 1080]
    assert 0 < result["first_paint_s"] < 10
    assert result["touch_trials"] == 12
    assert 0 < result["touch_p50_ms"] <= result["touch_p99_ms"] <= result["touch_max_ms"] < 5000
    assert result["transition_frames"] >= 4 * 50  # four screen changes, a second each
    assert 8 < result["transition_frame_p50_ms"] <= result["transition_frame_p95_ms"]
    assert result["transition_frame_p95_ms"] <= result["transition_frame_max_ms"] < 5000
    assert 0 <= result["transition_frames_over_20ms"] < result["transition_frames"]
    assert set(result["checks"]) == set(TARGETS)
    assert result["pass"] == all(c["pass"] for c in result["checks"].values())


def test_zero_trials_is_refused() -> None:
    with pytest.raises(ValueError, match="trials=0: allowed 1 or more"):
        run_player_bench(trials=0)
