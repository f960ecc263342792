"""`vitrine bench sense`'s end-to-end parts, small: people walking across the 1.5 m line in a
`vitrine sim` process reach the daemon as Zone events, and the Lights facade's scenes start
fading on the simulated strips."""

from __future__ import annotations

import asyncio

import pytest

from vitrine.bench import sense

pytestmark = pytest.mark.hil


def test_crossings_and_scenes_end_to_end() -> None:
    steps: list[str] = []
    result = asyncio.run(sense._e2e(2, 3, steps.append))
    assert steps[0] == "crossings end to end: 0/2"
    assert result["crossing_missed"] == 0
    # taken on by the trend, a crossing may be announced a little before the line (< 100 ms)
    assert -100 < result["crossing_p50_ms"] <= result["crossing_max_ms"] < 1000
    assert result["light_commands_not_seen"] == 0
    assert 0 <= result["light_fade_start_p50_ms"] <= result["light_fade_start_max_ms"] < 500
    assert result["light_e2e_frames_over_budget"] == 0
