"""RSSI smoothing and zones with hysteresis and dwell."""

import random
import statistics

import pytest

from vitrine.devices.beacons.smoothing import Ema, Kalman, make
from vitrine.devices.beacons.zones import GONE, IN_STORE, Tracker, ZoneRule, ZoneSettings


@pytest.mark.parametrize("smoother", [Kalman(), Ema()])
def test_a_smoother_settles_on_the_level_and_lowers_the_noise(smoother):
    rng = random.Random(2)
    out = [smoother.update(i * 0.3, -70 + rng.gauss(0, 5)) for i in range(600)]
    tail = out[100:]
    assert statistics.fmean(tail) == pytest.approx(-70, abs=1.0)
    assert statistics.pstdev(tail) < 2.5  # from 5 dB


@pytest.mark.parametrize("smoother", [Kalman(), Ema()])
def test_a_smoother_follows_a_step_within_seconds(smoother):
    for i in range(50):
        smoother.update(i * 0.2, -80.0)
    t = 10.0
    while smoother.value < -65:
        t += 0.2
        smoother.update(t, -55.0)
    assert t - 10.0 < 3.0


def test_a_long_silence_lets_the_kalman_filter_trust_the_next_reading_more():
    quick, slow = Kalman(), Kalman()
    for f in (quick, slow):
        for i in range(20):
            f.update(i * 0.1, -80.0)
    assert quick.update(2.0, -60.0) < slow.update(7.0, -60.0)


def test_bad_smoother_settings_are_refused():
    with pytest.raises(ValueError, match="tau_s=0"):
        Ema(0)
    with pytest.raises(ValueError, match="q_db2_s=-1"):
        Kalman(q_db2_s=-1)
    with pytest.raises(ValueError, match=r"smoother=.median.*allowed kalman, ema"):
        make("median")
    with pytest.raises(ValueError, match="smoother='x'"):
        ZoneSettings(smoother="x")


SETTINGS = ZoneSettings(
    rules=(ZoneRule("at_mirror", "mirror", -60.0, -66.0),),
    dwell_s=0.5,
    gone_s=2.0,
    stale_s=2.0,
    smoother="ema",
)


def feed(tracker, t0, t1, rssi, receiver="mirror", step=0.1):
    changes = []
    t = t0
    while t < t1:
        z = tracker.reading(t, receiver, rssi)
        if z:
            changes.append((round(t, 1), z))
        t += step
    return changes


def test_a_phone_enters_after_dwell_and_stays_in_the_hysteresis_band():
    tracker = Tracker(SETTINGS, 0.0)
    assert feed(tracker, 0.0, 3.0, -75) == [(0.5, IN_STORE)]
    changes = feed(tracker, 3.0, 10.0, -55)
    assert changes and changes[0][1] == "at_mirror"
    assert changes[0][0] >= 3.5  # the dwell
    assert feed(tracker, 10.0, 30.0, -63) == []  # below enter, above exit: stays
    assert [z for _, z in feed(tracker, 30.0, 40.0, -72)] == [IN_STORE]


def test_a_short_spike_does_not_change_the_zone():
    tracker = Tracker(SETTINGS, 0.0)
    feed(tracker, 0.0, 5.0, -75)
    assert tracker.zone == IN_STORE
    assert feed(tracker, 5.0, 5.3, -40) == []  # 0.3 s: shorter than the dwell
    assert feed(tracker, 5.3, 10.0, -75) == []


def test_silence_makes_a_phone_gone():
    tracker = Tracker(SETTINGS, 0.0)
    feed(tracker, 0.0, 3.0, -50)
    assert tracker.zone == "at_mirror"
    assert tracker.tick(4.0) is None  # 1 s of silence
    assert tracker.tick(4.8) is None
    assert tracker.tick(5.1) == GONE
    assert tracker.silent(5.1)


def test_the_strongest_zone_wins_and_then_holds_by_hysteresis():
    tracker = Tracker(ZoneSettings(dwell_s=0.5, smoother="ema"), 0.0)
    for i in range(10):  # both receivers hear the phone well; the fitting room's better
        tracker.reading(i * 0.1, "beacon", -58)
        tracker.reading(i * 0.1 + 0.05, "fitting_room", -50)
    assert tracker.zone == "fitting_room"
    for i in range(10, 30):  # now the mirror's is better, but the fitting room's still above exit
        tracker.reading(i * 0.1, "beacon", -50)
        tracker.reading(i * 0.1 + 0.05, "fitting_room", -60)
    assert tracker.zone == "fitting_room"


def test_bad_rules_are_refused():
    with pytest.raises(ValueError, match=r"exit_dbm=-50.*above enter_dbm=-60"):
        ZoneRule("at_mirror", "mirror", -60, -50)
    with pytest.raises(ValueError, match="'gone' is reserved"):
        ZoneRule("gone", "mirror", -60, -66)
    with pytest.raises(ValueError, match="dwell_s=-1"):
        ZoneSettings(dwell_s=-1)
