"""`vitrine bench ble` on a small store: the figures the issue asks for, judged; the truth taken
from the world; the flood counted, never raised."""

from __future__ import annotations

import random

import pytest

from vitrine.bench import ble
from vitrine.devices.beacons import adverts
from vitrine.devices.beacons.zones import GONE, IN_STORE


@pytest.fixture(scope="module")
def result():
    return ble.run_ble_bench(progress=lambda _: None, quick=True, seed=1)


def test_the_figures_the_issue_asks_for_are_judged(result):
    checks = result["checks"]
    assert set(checks) == set(ble.TARGETS)
    assert checks["zone_right_pct"]["target"] == ">= 95.0"
    assert checks["zone_change_p95_s"]["target"] == "<= 3.0"
    assert checks["non_consenting_reaching_storage_or_analytics"]["value"] == 0
    for smoother in ("kalman", "ema"):
        figures = result["by_smoother"][smoother]
        assert figures["zone_changes_true"] > 10  # the store really moves people about
        assert 80.0 <= figures["zone_right_pct"] <= 100.0
    assert result["zone_right_pct"] == result["by_smoother"][result["smoother"]]["zone_right_pct"]


def test_the_flood_is_counted_and_nothing_from_it_places_anybody(result):
    counters = result["flood_counters"]
    assert result["flood_adverts"] > 5000
    assert counters["received"] == result["flood_adverts"]
    assert 0 < counters["malformed"] < counters["received"]
    assert result["flood_zones"] == 0


def test_the_truth_is_where_the_world_puts_people():
    world, keys = ble.store(3, 4)
    member = next(p for p in world.people if p.phone.loyalty_id in keys)
    assert ble.truth(member, member.start_s - 1) == GONE
    assert ble.truth(member, member.start_s + 0.1) == IN_STORE  # at the door
    at_mirror = [
        t / 10
        for t in range(int(world.duration_s * 10))
        if ble.truth(member, t / 10) == "at_mirror"
    ]
    assert at_mirror  # every shopper stands at the mirror
    pos = member.at(at_mirror[0] + 1)
    assert pos[0] ** 2 + pos[1] ** 2 < ble.AT_M**2


def test_the_junk_is_every_kind_of_bad_input():
    rng = random.Random(5)
    junk = [ble.random_advert(rng, 0xFFFF) for _ in range(500)]
    problems = [adverts.parse(j).problems for j in junk]
    assert any(len(j) > 31 for j in junk)
    assert any(any("truncated" in p for p in ps) for ps in problems)
    loyalty_shaped = [adverts.parse(j).loyalty for j in junk]
    assert any(f is not None for f in loyalty_shaped)


def test_the_ble_link_figures_come_from_the_virtual_lights_board(result):
    assert result["link_commands"] == 50 and result["link_outages"] == 4
    assert 0 < result["link_rtt_p50_ms"] <= result["link_rtt_p99_ms"]
    assert result["link_back_after_reboot_max_s"] > 0
    assert result["link_back_after_adapter_lost_max_s"] > 0
    assert result["link_crc_errors"] == 0
    for key in ("link_rtt_p99_ms", "link_back_after_reboot_max_s"):
        assert result["checks"][key]["pass"], result["checks"][key]
