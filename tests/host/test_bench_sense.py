"""`vitrine bench sense`'s parts that run in this process, small: the replays against the world's
truth, the fades on the simulated strips, and the colour arithmetic its monotone check uses.
(The end-to-end parts run in tests/hil/test_bench_sense.py.)"""

from __future__ import annotations

import pytest

from vitrine.bench import camera_witness, sense


def test_the_planckian_locus_and_mccamy_agree_on_the_whites() -> None:
    for kelvin in (2200, 2700, 3000, 4000, 4500, 6500):
        assert sense._mccamy(sense._planck_xyz(kelvin)) == pytest.approx(kelvin, rel=0.01)
    # a white LED's colour: as bright as it can be in linear sRGB, its CCT kept
    assert sense._mccamy(sense._white_led(4500)) == pytest.approx(4500, rel=0.02)


def test_going_back_is_measured_beyond_each_frames_own_step() -> None:
    assert sense._back([(0, 1), (1, 2), (2, 3)]) == 0
    assert sense._back([(0, 1), (0.5, 1.5), (0.2, 1.2), (2, 3)]) == 0  # within a step
    assert sense._back([(0, 1), (3, 4), (1, 2), (5, 6)]) == 1  # up to 3, back to 2
    assert sense._back([(5, 6), (3, 4), (4.5, 5), (0, 1)]) == 0.5  # down, back up


def test_a_fade_that_turns_back_on_a_strip_is_found() -> None:
    spec = {"kind": "cct", "warm_k": 2700, "cool_k": 6500}
    up = [(1000 * k, 1000 * k) for k in range(10)]
    assert sense._FadeCheck(spec, up).monotone
    back = [*up[:5], (2000, 2000), *up[5:]]
    check = sense._FadeCheck(spec, back)
    assert not check.monotone and check.back_luminance > 0
    bluer = [(20000 - 100 * k, 20000 + 100 * k) for k in range(10)]
    assert sense._FadeCheck(spec, bluer).monotone
    wobble = [*bluer[:5], (20000, 20000), *bluer[5:]]
    assert sense._FadeCheck(spec, wobble).back_cct > 0


def test_the_fades_are_monotone_and_within_the_budget() -> None:
    result = sense.measure_fades(quick=True)
    assert result["light_fades"] > 40
    assert result["light_frames_over_budget"] == 0
    for supply in result["light_supplies"].values():
        assert supply["max_ma"] <= supply["budget_ma"]
    assert result["light_supplies"]["3000"]["max_ma"] > 2000
    # every one, the fades whose end the smaller supply dims too (office -> daylight's colour
    # looks brighter at the same current: its end is dimmed until the light only falls)
    assert result["light_fades_not_monotone"] == 0
    assert result["light_fade_worst_reverse"] == {"luminance_levels": 0.0, "cct_k": 0.0}
    assert result["light_steps_per_s"] == 100


def test_an_empty_while_gives_no_presence() -> None:
    result = sense.measure_empty(seed=2, duration_s=180.0)
    assert result["empty_hour_false_events"] == 0
    assert result["empty_hour_truth_not_none_s"] == 0
    assert result["empty_hour_rangings"] > 1000
    assert result["empty_hour_scene"]["bag_on_floor_s"] > 0


def test_zones_and_crossings_are_measured_against_the_world() -> None:
    zones = sense.measure_zones(seeds=(5, 6), count=4)
    matrix = zones["zone_confusion_s"]
    total = sum(sum(row.values()) for row in matrix.values())
    assert total == pytest.approx(zones["zone_set_s"], abs=0.4)
    right = sum(matrix[z][z] for z in matrix)
    assert zones["zone_accuracy"] == pytest.approx(right / total, abs=0.001)
    # the pooled figure lies between the sets' own
    by_seed = zones["zone_accuracy_by_seed"]
    assert set(by_seed) == {"5", "6"}
    assert min(by_seed.values()) - 0.001 <= zones["zone_accuracy"] <= max(by_seed.values()) + 0.001
    crossings = sense.measure_crossings(seed=11, count=4)
    assert crossings["crossing_replay_missed"] == 0
    # taken on by the trend to where they are now, some are announced a little before the line
    assert -100 < crossings["crossing_replay_p50_ms"] <= crossings["crossing_replay_p99_ms"] < 500


def test_the_camera_fused_the_empty_while_stays_empty_and_the_zones_are_measured() -> None:
    model = camera_witness.MEASURED
    result = sense.measure_empty(seed=2, duration_s=180.0, camera=model)
    assert result["empty_hour_false_events"] == 0
    fused = sense.measure_zones(seeds=(5,), count=6, camera=model)
    alone = sense.measure_zones(seeds=(5,), count=6)
    camera_only = sense.measure_zones(seeds=(5,), count=6, camera=model, tof=False)
    for zones in (fused, alone, camera_only):
        assert zones["zone_set_s"] == alone["zone_set_s"]  # the same world each time
    # the camera sees passers-by beyond the sensors' reach: more of the passing time is right
    right = {
        name: z["zone_confusion_s"]["passing"]["passing"]
        for name, z in (("fused", fused), ("alone", alone), ("camera", camera_only))
    }
    assert right["fused"] > right["alone"], right
    assert right["camera"] > 0
    crossings = sense.measure_crossings(seed=11, count=4, camera=model)
    assert crossings["crossing_replay_missed"] == 0


def test_the_bench_uses_the_recorded_detector_figures_without_the_models(monkeypatch) -> None:
    from vitrine.vision.models import ModelError

    def missing(**_kw):
        raise ModelError("model person_detector: not installed")

    monkeypatch.setattr(sense, "measure_detector", missing)
    said: list[str] = []
    assert sense.camera_model(True, said.append) is camera_witness.MEASURED
    assert "recorded figures" in said[0]
