"""The simulated radio's path-loss model against its published parameters."""

import math
import random
import statistics

import pytest

from vitrine.sim.rf import (
    PDU_S,
    RadioModel,
    body_between,
    collision_survival,
)


def test_the_median_rssi_follows_log_distance_path_loss():
    model = RadioModel()
    assert model.mean_rssi(1.0, body=False) == pytest.approx(-59.0)
    # n = 2.2: 22 dB a decade
    assert model.mean_rssi(10.0, body=False) == pytest.approx(-81.0)
    assert model.mean_rssi(2.0, body=False) - model.mean_rssi(4.0, body=False) == pytest.approx(
        22 * math.log10(2)
    )


def test_a_body_in_the_way_costs_8_db_and_a_phone_its_offset():
    model = RadioModel()
    assert model.mean_rssi(3.0, body=False) - model.mean_rssi(3.0, body=True) == pytest.approx(8)
    assert model.mean_rssi(3.0, False, offset_db=2.5) - model.mean_rssi(3.0, False) == 2.5


def test_near_field_distances_are_clamped():
    model = RadioModel()
    assert model.mean_rssi(0.0, body=False) == model.mean_rssi(model.min_distance_m, body=False)


def test_the_noise_is_gaussian_with_the_models_sigma():
    model = RadioModel()
    rng = random.Random(7)
    samples = [model.sample(rng, 2.0, body=False) for _ in range(20000)]
    assert all(isinstance(s, int) for s in samples)
    assert statistics.fmean(samples) == pytest.approx(model.mean_rssi(2.0, False), abs=0.15)
    sd = statistics.pstdev(samples)
    assert 4.0 <= sd <= 6.0  # the band
    assert sd == pytest.approx(model.sigma_db, abs=0.15)


def test_below_sensitivity_nothing_is_heard():
    model = RadioModel(sigma_db=0.0)
    rng = random.Random(1)
    far = model.distance_for(model.sensitivity_dbm - 1)
    assert model.sample(rng, far, body=False) is None
    assert model.sample(rng, far / 2, body=False) is not None


def test_distance_for_inverts_the_median():
    model = RadioModel()
    for d in (0.5, 1.0, 3.7, 12.0):
        assert model.distance_for(model.mean_rssi(d, body=False)) == pytest.approx(d)


def test_collisions_follow_pure_aloha():
    assert collision_survival(0.0) == 1.0
    assert collision_survival(100.0) == pytest.approx(math.exp(-2 * 100 * PDU_S))
    assert collision_survival(10.0) > collision_survival(1000.0) > 0


@pytest.mark.parametrize(
    ("facing", "expected"),
    [
        (-math.pi / 2, False),  # at (0, 2), facing the receiver at the glass
        (math.pi / 2, True),  # turned away: the body is in the way
        (0.0, False),  # side on (exactly 90 degrees): not in the way
        (None, False),
    ],
)
def test_the_body_is_between_when_the_carrier_faces_away(facing, expected):
    assert body_between(facing, (0.0, 2.0), (0.0, 0.0)) is expected


def test_a_receiver_at_the_phone_is_never_shadowed():
    assert body_between(1.0, (1.0, 1.0), (1.0, 1.0)) is False
